"""Layer 2 (pandera): every rule derived from the schemas has a bad fixture that trips it."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from conftest import append_row, run_cli, set_cell
from ruven.package import DataPackage
from ruven.validate import validate_package

TODAY = dt.date(2026, 11, 25)


def _pandera(pkg: Path) -> list:
    return validate_package(pkg, layers=["pandera"], today=TODAY).findings


def test_mini_passes_the_rules(mini: Path) -> None:
    assert _pandera(mini) == []


@pytest.mark.parametrize(
    ("resource", "row_id", "field", "value", "code", "at"),
    [
        pytest.param("deployments", "DEP-0001", "start_date", "2019-02-30", "invalid-date", "start_date", id="invalid-date"),
        pytest.param("deployments", "DEP-0001", "start_date", "2027-01", "date-in-future", "start_date", id="date-in-future"),
        pytest.param("sources", "SRC-0001", "accessed", "2026-12-01", "date-in-future", "accessed", id="date-in-future-date-type"),
        pytest.param("deployments", "DEP-0001", "personnel_low", "101", "range-order", "personnel_best", id="range-order-low-best"),
        pytest.param("deployments", "DEP-0001", "personnel_high", "50", "range-order", "personnel_high", id="range-order-best-high"),
        pytest.param("arms_purchases", "ARM-0001", "value_usd_low", "2000000000", "range-order", "value_usd_best", id="range-order-money"),
        pytest.param("deployments", "DEP-0001", "end_date", "2019-02", "date-order", "end_date", id="date-order"),
        pytest.param("agreements", "AGR-0001", "signed_date", "2012/2011", "invalid-date", "signed_date", id="invalid-date-interval-order"),
        pytest.param("agreements", "AGR-0001", "signed_date", "2011-02-29/2012", "invalid-date", "signed_date", id="invalid-date-interval-end"),
        pytest.param("agreements", "AGR-0001", "ratified_date", "2011-09", "date-order", "ratified_date", id="date-order-not-before"),
        pytest.param("agreements", "AGR-0001", "party_ids", "ACT-0001;ACT-0999", "foreign-key", "party_ids", id="foreign-key-party-ids"),
        pytest.param("agreements", "AGR-0001", "related_ids", "INV-0001;DEP-0999", "foreign-key", "related_ids", id="foreign-key-related-ids"),
        pytest.param("deployments", "DEP-0001", "overlaps_ids", "DEP-0999", "foreign-key", "overlaps_ids", id="foreign-key-overlaps-ids"),
        pytest.param("statements", "STM-0001", "about_ids", "AGR-0999", "foreign-key", "about_ids", id="foreign-key-about-agreements"),
        pytest.param("sources", "SRC-0001", "state_affiliation", "ZZ", "unknown-country-code", "state_affiliation", id="unknown-country-code-state"),
        pytest.param("arms_purchases", "ARM-0001", "delivery_end_date", "2011", "date-order", "delivery_end_date", id="date-order-delivery"),
        pytest.param("arms_purchases", "ARM-0001", "quantity_delivered", "11", "delivered-exceeds-ordered", "quantity_delivered", id="delivered-exceeds-ordered"),
        pytest.param("deployments", "DEP-0001", "source_ids", "SRC-0001;SRC-0999", "foreign-key", "source_ids", id="foreign-key-source-ids"),
        pytest.param("statements", "STM-0001", "about_ids", "DEP-0001;INV-0999", "foreign-key", "about_ids", id="foreign-key-about-ids"),
        pytest.param("statements", "STM-0001", "quote_en", "", "missing-translation", "quote_en", id="missing-translation"),
        pytest.param("statements", "STM-0001", "date", "2019-04-15", "date-after-sources", "date", id="date-after-sources"),
        pytest.param("actors", "ACT-0003", "country", "ZZ", "unknown-country-code", "country", id="unknown-country-code"),
        pytest.param("sources", "SRC-0001", "language", "xx", "unknown-language-code", "language", id="unknown-language-code"),
        pytest.param("investments", "INV-0001", "currency", "ABC", "unknown-currency-code", "currency", id="unknown-currency-code"),
        pytest.param("sources", "SRC-0001", "url", "https://example", "invalid-url", "url", id="invalid-url"),
        pytest.param("sources", "SRC-0001", "archived_url", "https://web.archive.org:99999/x", "invalid-url", "archived_url", id="invalid-url-port"),
        pytest.param("statements", "STM-0001", "speaker_id", "ACT-0001", "actor-kind", "speaker_id", id="actor-kind"),
        pytest.param("actors", "ACT-0001", "parent_id", "ACT-0002", "reference-cycle", "parent_id", id="reference-cycle"),
        pytest.param("deployments", "DEP-0001", "summary", " Leading space.", "whitespace", "summary", id="whitespace"),
        pytest.param("deployments", "DEP-0001", "summary", "Cafe\u0301 visit.", "unicode-normalization", "summary", id="unicode-normalization"),
        pytest.param("deployments", "DEP-0001", "summary", "Tab\tinside.", "control-character", "summary", id="control-character"),
        pytest.param("deployments", "DEP-0001", "summary", "Zero\u200bwidth.", "invisible-character", "summary", id="invisible-character"),
        pytest.param("deployments", "DEP-0001", "notes", "=HYPERLINK(\"x\")", "formula-injection", "notes", id="formula-injection"),
        pytest.param("deployments", "DEP-0001", "notes", "-SUM(A1:A2)", "formula-injection", "notes", id="formula-injection-minus"),
        pytest.param("sources", "SRC-0002", "title", "@handle said", "formula-injection", "title", id="formula-injection-at"),
    ],
)
def test_rule_trips(mini: Path, resource: str, row_id: str, field: str, value: str, code: str, at: str) -> None:
    line = set_cell(mini / "data" / f"{resource}.csv", row_id, field, value)
    hits = [f for f in _pandera(mini) if f.code == code]
    assert any(f.line == line and f.field == at and f.resource == resource for f in hits), _pandera(mini)
    f = next(f for f in hits if f.line == line)
    assert f.layer == "pandera" and f.severity == "error" and f.message and f.hint


def test_state_affiliation_is_one_per_publisher(mini: Path) -> None:
    """`x-ruven.same-within`: every page of one publisher has the same state_affiliation; the
    rows that differ from the publisher's most common value (ties: the first row's) are named."""
    for sid in ("SRC-0001", "SRC-0002"):
        set_cell(mini / "data" / "sources.csv", sid, "publisher", "Example")
    set_cell(mini / "data" / "sources.csv", "SRC-0001", "state_affiliation", "RU")
    hits = [f for f in _pandera(mini) if f.code == "inconsistent-value"]
    assert [(f.line, f.field) for f in hits] == [(3, "state_affiliation")], hits
    assert "publisher 'Example'" in hits[0].message and hits[0].hint
    append_row(mini / "data" / "sources.csv", {"id": "SRC-0003", "url": "https://example.org/c", "publisher": "Example", "language": "en", "kind": "blog", "accessed": "2026-11-25"})
    hits = [f for f in _pandera(mini) if f.code == "inconsistent-value"]
    assert [(f.line, f.field, f.value) for f in hits] == [(2, "state_affiliation", "RU")], hits  # two empty against one RU


def test_negative_number_is_not_a_formula(mini: Path) -> None:
    set_cell(mini / "data" / "deployments.csv", "DEP-0001", "notes", "-5")
    assert _pandera(mini) == []


def test_today_is_injectable(mini: Path) -> None:
    set_cell(mini / "data" / "deployments.csv", "DEP-0001", "start_date", "2026-12")
    set_cell(mini / "data" / "deployments.csv", "DEP-0001", "end_date", "")
    assert any(f.code == "date-in-future" for f in _pandera(mini))
    assert validate_package(mini, layers=["pandera"], today=dt.date(2027, 1, 1)).findings == []


def test_uncited_source_is_a_warning(mini: Path) -> None:
    line = append_row(mini / "data" / "sources.csv", {"id": "SRC-0003", "url": "https://example.org/c", "publisher": "X", "language": "en", "kind": "blog", "accessed": "2026-11-25"})
    found = [f for f in _pandera(mini) if f.code == "uncited-source"]
    assert [(f.line, f.field, f.value, f.severity) for f in found] == [(line, "id", "SRC-0003", "warning")]
    rc, _, _ = run_cli("validate", "--package", str(mini), "--layer", "pandera", "--today", "2026-11-25")
    assert rc == 0
    rc, _, _ = run_cli("validate", "--package", str(mini), "--layer", "pandera", "--today", "2026-11-25", "--strict")
    assert rc == 1


@pytest.mark.parametrize(
    ("resource", "values", "field"),
    [
        pytest.param("sources", {"id": "SRC-0003", "url": "http://www.example.org/a/", "publisher": "X", "language": "en", "kind": "blog", "accessed": "2026-11-25"}, "url", id="likely-duplicate-url"),
        pytest.param(
            "statements",
            {"id": "STM-0002", "date": "2019-03-25", "speaker_id": "ACT-0003", "speaker_role": "R", "medium": "speech", "quote": "Una cita de prueba!", "quote_language": "es", "is_translation": "true", "quote_en": "A test quote.", "topic": "arms", "confidence": "reported", "source_ids": "SRC-0002"},
            "quote",
            id="likely-duplicate-statement",
        ),
    ],
)
def test_likely_duplicates_warn(mini: Path, resource: str, values: dict, field: str) -> None:
    line = append_row(mini / "data" / f"{resource}.csv", values)
    found = [f for f in _pandera(mini) if f.code == "likely-duplicate"]
    assert [(f.line, f.field, f.severity) for f in found] == [(line, field, "warning")]


@pytest.mark.parametrize("hash_rows", [1, 3, 1 << 17])
def test_likely_duplicate_statements_are_those_a_direct_comparison_finds(hash_rows: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """The likely-duplicate rule hashes a slice of rows at a time and compares exactly only the
    rows whose hash repeats: it flags exactly the live rows whose key and normalised text an
    earlier live row has, whichever slices the two fall in."""
    import polars as pl

    from ruven.validate import frames

    monkeypatch.setattr(frames, "HASH_ROWS", hash_rows)
    rows = [
        ("ACT-1", "2019", "Hello, world!", ""),
        ("ACT-1", "2019", "hello world", ""),  # the first, up to case and punctuation
        ("ACT-2", "2019", "hello world", ""),  # another speaker
        ("ACT-1", "2019", "HELLO   WORLD", "withdrawn"),  # withdrawn: never flagged
        ("ACT-1", "2020", "hello world", ""),  # another date
        ("ACT-3", "2021", "Bye.", "withdrawn"),
        ("ACT-3", "2021", "bye", ""),  # its earlier twin is withdrawn
        ("ACT-2", "2019", "Hello World", ""),
        ("ACT-1", "2019", "hello world, again", ""),
        ("ACT-3", "2021", "BYE!", ""),
        ("ACT-1", "2019", "Other words", ""),  # a second repeated text of the same key
        ("ACT-1", "2019", "other words", ""),
    ]
    df = pl.DataFrame(rows, schema=["speaker_id", "date", "quote", "withdrawn"], orient="row")
    live = pl.col("withdrawn") == ""
    got = frames.same_statement_ok("quote", ["speaker_id", "date"], live)(df.lazy()).collect()["quote"].to_list()
    normal = df.select(frames.normalize_text(pl.col("quote")))["quote"].to_list()
    seen: set[tuple[str, str, str]] = set()
    want = []
    for (speaker, date, _, withdrawn), text in zip(rows, normal, strict=True):
        twin = not withdrawn and (speaker, date, text) in seen
        want.append(not twin)
        if not withdrawn:
            seen.add((speaker, date, text))
    assert want == [True, False, True, True, True, True, True, False, True, False, True, False]
    assert got == want


def test_withdrawn_duplicate_is_not_flagged(mini: Path) -> None:
    append_row(mini / "data" / "statements.csv", {"id": "STM-0002", "date": "2019-03-25", "speaker_id": "ACT-0003", "speaker_role": "R", "medium": "speech", "quote": "Una cita de prueba.", "quote_language": "es", "is_translation": "true", "quote_en": "A test quote.", "topic": "arms", "confidence": "reported", "source_ids": "SRC-0002", "withdrawn": "duplicate of STM-0001"})
    assert [f for f in _pandera(mini) if f.code == "likely-duplicate"] == []


def test_schema_is_derived_from_the_table_schema(mini: Path) -> None:
    """The pandera schema's columns are the schema's checked fields, in schema order, and no
    hand-kept list; a value-list rule with no failing value costs no pandera pass."""
    from ruven.validate import rules
    from ruven.validate.tables import load

    pkg = DataPackage.load(mini)
    res = pkg.resource("arms_purchases")
    schema, by_id = rules.build_schema(res, load(res), rules.Context(pkg, TODAY))
    assert list(schema.columns) == [n for n in res.field_names if n in schema.columns]
    assert all(col.checks for col in schema.columns.values())
    codes = {r.code for r in by_id.values()}
    assert {"range-order", "date-order", "delivered-exceeds-ordered", "foreign-key", "invalid-date"} <= codes
    assert "notes" not in schema.columns  # clean text: its hygiene rules need no pass

    row_id = next(r["id"] for r in res.read_rows())
    set_cell(mini / "data" / "arms_purchases.csv", row_id, "notes", " a leading space")
    pkg = DataPackage.load(mini)
    res = pkg.resource("arms_purchases")
    schema, _ = rules.build_schema(res, load(res), rules.Context(pkg, TODAY))
    assert "notes" in schema.columns


def test_multiline_cell_line_numbers(mini: Path) -> None:
    set_cell(mini / "data" / "sources.csv", "SRC-0001", "notes", "two\nlines")
    line = set_cell(mini / "data" / "sources.csv", "SRC-0002", "language", "xx")
    assert line == 3
    found = [f for f in _pandera(mini) if f.code == "unknown-language-code"]
    assert [f.line for f in found] == [4]  # the physical line: the cell above spans two lines


def test_every_rule_code_has_a_bad_fixture() -> None:
    """Each code the rules layer can report is tripped by a fixture in this file."""
    from ruven.validate.codes import CODES

    tripped = {p.values[4] for p in test_rule_trips.pytestmark[0].args[1]}  # type: ignore[attr-defined]
    tripped |= {"inconsistent-value", "uncited-source", "likely-duplicate"}  # their own tests above
    assert tripped == {c for c, entry in CODES.items() if "pandera" in entry.layers}


@pytest.mark.parametrize("key_slice", [1, 97, 1 << 18])
@pytest.mark.parametrize("ordered", [True, False])
def test_ids_not_in_the_keys_are_exactly_those_a_set_finds(ordered: bool, key_slice: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """``not_in`` looks the keys up a slice at a time, and in each only the values between its
    least and its greatest key: the values it returns, in their order, are exactly those a set
    of the keys does not hold, whatever the slices."""
    import random
    from types import SimpleNamespace

    import polars as pl

    from ruven.validate import frames
    from ruven.validate.frames import not_in

    monkeypatch.setattr(frames, "KEY_SLICE", key_slice)
    from ruven.validate.keys import keys_of
    from ruven.validate.tables import Table

    rng = random.Random(7)
    ids = [f"DEP-{i:07d}" for i in range(0, 4000, 3)] + ["DEP-0000002", "DEP-0000002"]  # a repeated key
    if ordered:
        ids.sort()
    else:
        rng.shuffle(ids)
    values = [f"{p}-{rng.randrange(4200):07d}" for p in ("DEP", "DEP", "ARM", "ZZZ", "AAA") for _ in range(300)]
    values = list(dict.fromkeys(values + ["DEP-0000002", "DEP-0000000", "DEP-0003999", "DEP-9999999", "DEP-", "DEP-00000000"]))  # (the least and greatest keys)
    table = Table(SimpleNamespace(name="deployments"), ["id"], pl.DataFrame({"id": ids}), ["id"])  # type: ignore[arg-type]
    known = keys_of(table, {"id"})[("deployments", "id")]
    keys = set(ids)
    assert not_in(pl.Series(values), known).to_list() == [v for v in values if v not in keys]
    inside = [v for v in values if v.startswith("DEP")]
    assert not_in(pl.Series(inside), known).to_list() == [v for v in inside if v not in keys]
    assert not_in(pl.Series(values), known.head(0)).to_list() == values


@pytest.mark.parametrize("broken", [False, True])
def test_a_frame_check_runs_once_and_only_a_failing_one_gets_a_pandera_pass(mini: Path, broken: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    """The checks over a whole frame (here the id lists) are run once per table: one that no
    row fails gets no pandera check; one that fails hands pandera its rows' results, and its
    finding is at the row that breaks it."""
    from ruven.validate import derive, rules

    ran: list[tuple[object, str]] = []  # (the frame's memo, kept alive so that its id is not reused; the id list)
    id_list_ok = derive.id_list_ok

    def counted(f: object, ctx: object, memo: object) -> object:
        fn = id_list_ok(f, ctx, memo)  # type: ignore[arg-type]

        def ok(lf: object) -> object:
            ran.append((memo, f.name))  # type: ignore[attr-defined]
            return fn(lf)

        return ok

    handed: list[str] = []
    build_schema = rules.build_schema

    def spy(*args: object, **kw: object) -> object:
        schema, by_id = build_schema(*args, **kw)  # type: ignore[arg-type]
        handed.extend(by_id[c.name].field for c in schema.checks)
        return schema, by_id

    monkeypatch.setattr(derive, "id_list_ok", counted)
    monkeypatch.setattr(rules, "build_schema", spy)
    line = set_cell(mini / "data" / "deployments.csv", "DEP-0001", "source_ids", "SRC-0001;SRC-0999") if broken else None
    report = validate_package(mini, layers=["pandera"], today=TODAY, cache=False)  # (not the answer cached for another test)
    found = [(f.resource, f.line, f.field) for f in report.findings if f.code == "foreign-key"]
    assert found == ([("deployments", line, "source_ids")] if broken else [])
    assert ran and len({(id(memo), name) for memo, name in ran}) == len(ran)  # (each id list of each table once)
    assert handed == (["source_ids"] if broken else [])


@pytest.mark.parametrize("threads", ["", "1"])
def test_frame_checks_spread_over_threads_give_the_same_results(threads: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The last table's checks over the whole frame run each in a thread: each gives what it
    gives alone, and one that raises gives None (pandera then runs it and reports it)."""
    import polars as pl

    from ruven.validate import rules

    monkeypatch.setenv("RUVEN_THREADS", threads)
    frame = pl.DataFrame({"a": ["x", "y", "x"], "b": ["1", "2", "3"]})

    def boom(lf: pl.LazyFrame) -> pl.LazyFrame:
        raise ValueError("no")

    checks = [
        rules.Rule("one", "a", frame_ok=lambda lf: lf.select(pl.col("a").is_first_distinct())),
        rules.Rule("two", "b", frame_ok=lambda lf: lf.select(pl.col("b").cast(pl.Int64) > 1)),
        rules.Rule("three", "b", frame_ok=boom),
    ]
    alone = rules._frame_results(checks, frame, spread=False)
    spread = rules._frame_results(checks, frame, spread=True)
    assert [alone[id(r)].to_list() if alone[id(r)] is not None else None for r in checks] == [[True, True, False], [False, True, True], None]
    assert {k: (v.to_list() if v is not None else None) for k, v in spread.items()} == {k: (v.to_list() if v is not None else None) for k, v in alone.items()}


@pytest.mark.parametrize("lists_repeat", [True, False])
def test_date_after_sources_by_distinct_lists_or_row_by_row(mini: Path, lists_repeat: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    """A big part's source lists repeat, and each distinct list's latest source is found once;
    otherwise row by row. Either way the rows dated after their sources are the same."""
    from ruven.validate import frames

    monkeypatch.setattr(frames, "repeats", lambda df, name: lists_repeat)
    def found() -> list[tuple]:  # (not the answer cached for the other way)
        report = validate_package(mini, layers=["pandera"], today=TODAY, cache=False)
        return [(f.resource, f.line, f.field) for f in report.findings if f.code == "date-after-sources"]

    assert found() == []
    line = set_cell(mini / "data" / "statements.csv", "STM-0001", "date", "2019-04-15")
    assert found() == [("statements", line, "date")]


def test_sources_are_uncited_when_no_row_cites_them(mini: Path) -> None:
    """A table that cites sources but has no rows yet still counts: every live source is then
    uncited (the ids cited are noted table by table, a part at a time)."""
    import polars as pl

    pkg = DataPackage.load(mini)
    for res in pkg:
        if any(f.cites_sources for f in res.fields):
            text = res.path.read_text(encoding="utf-8")
            res.path.write_text(text.split("\n", 1)[0] + "\n", encoding="utf-8")
    sources = pl.read_csv(mini / "data" / "sources.csv", infer_schema=False)
    live = sources.filter(pl.col("withdrawn").fill_null("") == "")["id"].to_list() if "withdrawn" in sources.columns else sources["id"].to_list()
    found = sorted(f.value for f in validate_package(mini, layers=["pandera"], today=TODAY, cache=False).findings if f.code == "uncited-source")
    assert live and found == sorted(live)
