"""The dataset itself: every fact row traceable, every source used, and (where the sourced
fact base is available beside the repository) every fact placed and every quote verbatim."""

from __future__ import annotations

import json
import os
import re
import statistics
from collections import Counter

import pytest

from conftest import REPO, read_csv
from ruven.package import DataPackage

PKG = DataPackage.load(REPO)
FACTS = REPO.parent / "shared" / "sources" / "facts"


def _ids(cell: str) -> list[str]:
    return [x for x in cell.split(";") if x]


def test_every_fact_row_cites_an_existing_source() -> None:
    sources = {r["id"] for r in read_csv(REPO / "data" / "sources.csv")}
    for res in PKG.fact_tables:
        for r in res.read_rows():
            cited = _ids(r["source_ids"])
            assert cited, f"{res.name} {r['id']} cites no source"
            missing = [s for s in cited if s not in sources]
            assert not missing, f"{res.name} {r['id']} cites {missing}, not in sources.csv"


def test_every_source_is_cited() -> None:
    cited: set[str] = set()
    for res in PKG.fact_tables:
        for r in res.read_rows():
            cited.update(_ids(r["source_ids"]))
    unused = [r["id"] for r in read_csv(REPO / "data" / "sources.csv") if r["id"] not in cited]
    assert not unused, f"{len(unused)} source(s) cited by no row, e.g. {unused[:5]}"


def test_every_actor_is_used_or_a_parent() -> None:
    used: set[str] = set()
    for res in PKG:
        for fk in res.foreign_keys:
            if fk.resource == "actors":
                used.update(r[fk.field] for r in res.read_rows() if r[fk.field])
    unused = [r["id"] for r in read_csv(REPO / "data" / "actors.csv") if r["id"] not in used]
    assert not unused, f"actors referenced by no row: {unused}"


def _facts() -> list[dict]:
    if not FACTS.exists():
        if os.environ.get("CI"):  # CI has ../shared beside the clone: a missing fact base is a broken run
            pytest.fail(f"the sourced fact base is not beside the repository ({FACTS})")
        pytest.skip(f"the sourced fact base is not beside the repository ({FACTS})")
    rows = []
    for f in sorted(FACTS.glob("*.jsonl")):
        rows += [json.loads(line) for line in f.read_text(encoding="utf-8").splitlines() if line.strip()]
    return rows


def test_every_fact_base_url_is_a_source_row() -> None:
    urls = {r["url"] for r in read_csv(REPO / "data" / "sources.csv")}
    missing = {s["url"] for fact in _facts() for s in fact["sources"]} - urls
    assert not missing, sorted(missing)[:5]


def test_every_fact_is_placed() -> None:
    """Each fact becomes at least one row citing all of the fact's URLs."""
    url_to_id = {r["url"]: r["id"] for r in read_csv(REPO / "data" / "sources.csv")}
    rows_by_table = {res.name: res.read_rows() for res in PKG.fact_tables}
    unplaced = []
    for i, fact in enumerate(_facts()):
        want = {url_to_id[s["url"]] for s in fact["sources"]}
        if not any(want <= set(_ids(r["source_ids"])) for r in rows_by_table[fact["table"]]):
            unplaced.append((fact["table"], i, fact.get("date") or fact.get("start_date") or fact.get("order_date")))
    assert not unplaced, unplaced[:10]


def test_statement_quotes_are_verbatim() -> None:
    quotes = Counter(f["quote"] for f in _facts() if f["table"] == "statements")
    ours = Counter(r["quote"] for r in PKG.resource("statements").read_rows() if not r["withdrawn"])
    assert ours == quotes


RUN = 10  # words: a shared run this long is copied prose, not a shared name or figure


def _shingles(text: str) -> set[tuple[str, ...]]:
    text = re.sub(r'"[^"]*"|“[^”]*”', " | ", text)  # officials' words quoted verbatim may carry over
    words = re.findall(r"\w+|\|", text.lower())
    runs = (tuple(words[i : i + RUN]) for i in range(len(words) - RUN + 1))
    return {r for r in runs if "|" not in r}


OWN_WORDS = {
    "deployments": ("summary", "notes", "stated_purpose"),
    "arms_purchases": ("summary", "description", "notes", "value_note"),
    "investments": ("summary", "notes"),
    "statements": ("quote_en", "notes"),
    "agreements": ("summary", "notes"),
}


def test_own_words_not_copied_from_the_fact_base_working_notes() -> None:
    """Summaries, notes and English renderings are the project's own words: no run of RUN
    words shared with the fact base's working notes (`claim`, `quote_en`, `notes`)."""
    facts = _facts()
    working: set[tuple[str, ...]] = set()
    for f in facts:
        working |= _shingles(f["claim"]) | _shingles(f["notes"] or "")
        if f["table"] == "statements" and f["quote_language"] != "en":
            working |= _shingles(f["quote_en"])
    copied = []
    for table, cols in OWN_WORDS.items():
        for r in PKG.resource(table).read_rows():
            for c in cols:
                shared = _shingles(r[c]) & working
                if shared:
                    copied.append((table, r["id"], c, " ".join(sorted(shared)[0])))
    assert not copied, copied


SHINGLE = 4  # words: the summary measure's run length


def _words(text: str) -> list[str]:
    return re.findall(r"\w+", text.casefold())


def claim_overlap(summary: str, claims: set[tuple[str, ...]]) -> float:
    """Share of the summary's words covered by a run of SHINGLE words (case-folded, punctuation
    stripped) that also occurs in some claim of the fact base."""
    words = _words(summary)
    covered = [False] * len(words)
    for i in range(len(words) - SHINGLE + 1):
        if tuple(words[i : i + SHINGLE]) in claims:
            covered[i : i + SHINGLE] = [True] * SHINGLE
    return sum(covered) / len(words) if words else 0.0


def test_claim_overlap_measure() -> None:
    claims = {tuple(_words("the bombers landed at Maiquetia airport"))[i : i + SHINGLE] for i in range(3)}
    assert claim_overlap("Two bombers landed at Maiquetia airport.", claims) == 5 / 6  # all but "two"
    assert claim_overlap("Russian aircraft arrived near Caracas.", claims) == 0.0


def test_summaries_are_not_paraphrases_of_the_claims() -> None:
    """The summaries are the project's own words: for every live fact row with a summary, less than
    half of its words sit in a 4-word run that also occurs in a fact-base claim, and the median
    share is at most 25%."""
    claims: set[tuple[str, ...]] = set()
    for f in _facts():
        w = _words(f["claim"])
        claims |= {tuple(w[i : i + SHINGLE]) for i in range(len(w) - SHINGLE + 1)}
    shares = {}
    for res in PKG.fact_tables:
        if "summary" in res.field_names:
            shares |= {r["id"]: claim_overlap(r["summary"], claims) for r in res.read_rows() if not r["withdrawn"]}
    over = {k: round(v, 2) for k, v in shares.items() if v >= 0.5}
    assert not over, over
    assert statistics.median(shares.values()) <= 0.25


def test_rows_resting_only_on_blogs_or_aggregators_are_not_confirmed() -> None:
    """The fact base's rule: a fact that rests only on blogs, forums or aggregators is at most
    `reported` (they repost others' stories; they are not independent original reports)."""
    kind = {r["id"]: r["kind"] for r in read_csv(REPO / "data" / "sources.csv")}
    wrong = []
    for res in PKG.fact_tables:
        for r in res.read_rows():
            kinds = {kind[s] for s in _ids(r["source_ids"])}
            if kinds <= {"blog", "aggregator"} and r["confidence"] == "confirmed":
                wrong.append((res.name, r["id"]))
    assert not wrong
