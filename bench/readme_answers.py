"""Refresh the answers of the README's "Query with SQL" questions from the current data.

Each ```sql block of that section is followed by a blank line and its answer (a markdown
table, or a line `ANSWER`); this script re-runs every query through `ruven query --format
markdown` and writes the tables back (atomically). Run it after the data changes:

    .venv/bin/python bench/readme_answers.py          # rewrite README.md
    .venv/bin/python bench/readme_answers.py --check  # exit 1 if an answer is out of date
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BLOCK = re.compile(r"(```sql\n(?P<sql>.+?)```\n\n)(?P<answer>(?:\|[^\n]*\n)+|ANSWER\d*\n)", re.S)


def answer(sql: str) -> str:
    exe = Path(sys.executable).parent / "ruven"
    proc = subprocess.run(
        [str(exe), "query", "--package", str(REPO), "--format", "markdown", sql],
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        raise SystemExit(f"query failed:\n{sql}\n{proc.stderr}")
    return proc.stdout


def refresh(text: str) -> str:
    start = text.index("## Query with SQL\n")
    end = text.find("\n## ", start + 1)
    end = len(text) if end < 0 else end
    section = BLOCK.sub(lambda m: m.group(1) + answer(m.group("sql")), text[start:end])
    return text[:start] + section + text[end:]


def main(argv: list[str]) -> int:
    path = REPO / "README.md"
    old = path.read_text(encoding="utf-8")
    new = refresh(old)
    if "--check" in argv:
        print(
            "README answers are up to date"
            if new == old
            else "README answers are out of date: run bench/readme_answers.py"
        )
        return 0 if new == old else 1
    from ruven.fs import atomic_write_text

    atomic_write_text(path, new)
    print("README answers refreshed" if new != old else "README answers were up to date")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
