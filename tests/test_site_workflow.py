"""The GitHub Pages workflow: valid against GitHub's workflow schema (vendored in
check-jsonschema, so nothing is downloaded), built with `ruven site`, deployed with the
standard Pages actions."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from conftest import REPO

PAGES = REPO / ".github" / "workflows" / "pages.yml"


def test_pages_workflow_validates_against_github_schema_offline() -> None:
    exe = Path(sys.executable).parent / "check-jsonschema"
    dead = "http://127.0.0.1:9"  # any download attempt would fail
    env = {**os.environ, "HTTP_PROXY": dead, "HTTPS_PROXY": dead, "http_proxy": dead, "https_proxy": dead}
    proc = subprocess.run([str(exe), "--builtin-schema", "vendor.github-workflows", str(PAGES)], capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_pages_workflow_builds_the_site_and_deploys_it() -> None:
    from ruamel.yaml import YAML

    wf = YAML(typ="safe").load(PAGES.read_text(encoding="utf-8"))
    assert wf["permissions"] == {"contents": "read", "pages": "write", "id-token": "write"}
    build = wf["jobs"]["build"]["steps"]
    uses = [s.get("uses", "") for s in build]
    runs = "\n".join(s.get("run", "") for s in build)
    assert any(u.startswith("actions/configure-pages@") for u in uses)
    upload = next(s for s in build if s.get("uses", "").startswith("actions/upload-pages-artifact@"))
    site = re.search(r"ruven site --out (\S+) --release (\S+) --base-url (.+)", runs)
    assert site and upload["with"]["path"] == site.group(1)
    assert "ruven build --out " + site.group(2) in runs  # the site lists the release files
    assert "steps.pages.outputs.base_url" in site.group(3)
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    install = re.search(r"pip install (?:-q )?(-c constraints\.txt -e \.)(?=\s|&&)", readme)
    assert install and f"pip install {install.group(1)}" in runs
    deploy = wf["jobs"]["deploy"]
    assert deploy["needs"] == "build" and deploy["environment"]["name"] == "github-pages"
    assert any(s.get("uses", "").startswith("actions/deploy-pages@") for s in deploy["steps"])
