"""Generate a synthetic ruven package with N rows per fact table and planted errors of every class.

    python bench/make_synthetic.py --rows 1000000 --out /tmp/ruven-1m

The package has the real descriptor, schemas and expectation suites (copied from the repository)
and five fact tables of N rows each, plus ``sources`` (N/100 rows, at least 200) and ``actors``
(1,000 rows). One change to the copied schemas: id patterns ``[0-9]{4}`` become ``[0-9]{4,}``,
because four digits allow only 9,999 distinct ids and a million-row table needs more.

Every row is valid except the planted ones; ``planted.json`` lists each planted error
(resource, CSV line, field, finding code, the layer expected to find it) so that
``bench/bench_validate.py`` can check that each one is found. Ragged and blank rows are
planted in ``actors`` (which frictionless and ruven both read whole); the fact tables keep one
line per row, so their CSV line is the row index + 2.
"""

from __future__ import annotations

import argparse
import json
import shutil
from pathlib import Path

import polars as pl

REPO = Path(__file__).resolve().parents[1]
N_ACTORS = 1000


def _ids(prefix: str, n: int) -> pl.Expr:
    return pl.format(prefix + "-{}", pl.int_range(1, n + 1).cast(pl.String).str.zfill(7))


def _cycle(values: list[str], i: pl.Expr) -> pl.Expr:
    return pl.lit(pl.Series(values)).gather(i % len(values))


def _date(i: pl.Expr, year0: int = 2000) -> pl.Expr:
    y = (year0 + i % 20).cast(pl.String)
    m = (1 + i % 12).cast(pl.String).str.zfill(2)
    d = (1 + i % 28).cast(pl.String).str.zfill(2)
    return pl.concat_str([y, m, d], separator="-")


def build(rows: int, out: Path) -> list[dict]:
    n_src = max(200, rows // 100)
    i = pl.int_range(0, rows)
    base = pl.DataFrame({"i": pl.int_range(0, rows, eager=True)})
    cite = pl.format("SRC-{}", ((pl.col("i") % n_src) + 1).cast(pl.String).str.zfill(7))
    cite2 = pl.format("SRC-{}", (((pl.col("i") + 1) % n_src) + 1).cast(pl.String).str.zfill(7))
    actor = pl.format("ACT-{}", ((pl.col("i") % (N_ACTORS // 3)) * 3 + 2).cast(pl.String).str.zfill(7))  # armed forces
    person = pl.format("ACT-{}", ((pl.col("i") % (N_ACTORS // 3)) * 3 + 1).cast(pl.String).str.zfill(7))  # people
    low = (pl.col("i") % 50).cast(pl.String)
    tables: dict[str, pl.DataFrame] = {}
    ai = pl.int_range(0, N_ACTORS)
    tables["actors"] = pl.DataFrame({"i": pl.int_range(0, N_ACTORS, eager=True)}).select(
        _ids("ACT", N_ACTORS).alias("id"),
        pl.format("Synthetic actor {}", pl.col("i")).alias("name"),
        pl.lit("").alias("name_native"),
        _cycle(["person", "armed-force", "government-body"], ai).alias("kind"),
        _cycle(["RU", "VE", "US"], ai).alias("country"),
        pl.lit("").alias("parent_id"),
        pl.lit("").alias("wikidata_id"),
        pl.lit("A synthetic actor.").alias("description"),
    )
    si = pl.int_range(0, n_src)
    tables["sources"] = pl.DataFrame({"i": pl.int_range(0, n_src, eager=True)}).select(
        _ids("SRC", n_src).alias("id"),
        pl.format("https://example.org/news/{}", pl.col("i")).alias("url"),
        pl.format("Synthetic report {}", pl.col("i")).alias("title"),
        pl.lit("Example News").alias("publisher"),
        pl.lit("2020-01-15").alias("published"),
        _cycle(["en", "es", "ru"], si).alias("language"),
        _cycle(["newspaper", "news-agency", "broadcaster"], si).alias("kind"),
        pl.lit("").alias("state_affiliation"),
        pl.lit("2026-11-01").alias("accessed"),
        pl.lit("").alias("archived_url"),
        pl.lit("").alias("notes"),
    )
    common = [
        _cycle(["confirmed", "reported", "disputed"], i).alias("confidence"),
        pl.lit("true").alias("count_in_totals"),
        pl.lit("").alias("overlaps_ids"),
        pl.format("Synthetic row {}.", pl.col("i")).alias("summary"),
        pl.concat_str([cite, cite2], separator=";").alias("source_ids"),
        pl.lit("").alias("notes"),
        pl.lit("").alias("withdrawn"),
    ]
    tables["deployments"] = base.select(
        _ids("DEP", rows).alias("id"),
        _date(i).alias("start_date"),
        (2000 + i % 20 + 1).cast(pl.String).alias("end_date"),
        actor.alias("actor_id"),
        _cycle(["regular-military", "contractors", "advisers-technicians", "naval-crew", "aircrew"], i).alias("personnel_kind"),
        low.alias("personnel_low"),
        (pl.col("i") % 50 + 10).cast(pl.String).alias("personnel_best"),
        (pl.col("i") % 50 + 20).cast(pl.String).alias("personnel_high"),
        pl.lit("Two transport aircraft").alias("assets"),
        pl.lit("35.5").alias("cargo_tonnes"),
        pl.lit("Maiquetia airport").alias("location"),
        pl.lit("10.6").alias("latitude"),
        pl.lit("-66.99").alias("longitude"),
        pl.lit("Technical cooperation").alias("stated_purpose"),
        _cycle(["announced", "arrived", "present", "departed", "denied"], i).alias("status"),
        *common,
    )
    tables["investments"] = base.select(
        _ids("INV", rows).alias("id"),
        _date(i).alias("start_date"),
        pl.lit("").alias("end_date"),
        actor.alias("investor_id"),
        pl.lit("").alias("counterpart_id"),
        pl.format("Synthetic project {}", pl.col("i")).alias("project"),
        _cycle(["oil-gas", "mining", "finance", "defence-industry", "infrastructure", "agriculture", "other"], i).alias("sector"),
        _cycle(["equity", "loan", "credit-line", "prepayment", "debt-restructuring", "grant", "other"], i).alias("instrument"),
        pl.lit("900000000").alias("amount_usd_low"),
        pl.lit("1000000000").alias("amount_usd_best"),
        pl.lit("1100000000").alias("amount_usd_high"),
        pl.lit("").alias("amount_original"),
        pl.lit("USD").alias("currency"),
        pl.lit("40").alias("stake_percent"),
        _cycle(["announced", "signed", "disbursed", "active", "exited", "cancelled"], i).alias("status"),
        *common,
    )
    tables["arms_purchases"] = base.select(
        _ids("ARM", rows).alias("id"),
        actor.alias("supplier_id"),
        pl.lit("Su-30MK2").alias("designation"),
        pl.lit("Multirole fighter").alias("description"),
        _cycle(["aircraft", "helicopters", "air-defence", "armoured-vehicles", "artillery", "missiles"], i).alias("category"),
        (2000 + i % 10).cast(pl.String).alias("order_date"),
        (2001 + i % 10).cast(pl.String).alias("delivery_start_date"),
        (2002 + i % 10).cast(pl.String).alias("delivery_end_date"),
        pl.lit("10").alias("quantity_ordered_low"),
        pl.lit("12").alias("quantity_ordered_best"),
        pl.lit("14").alias("quantity_ordered_high"),
        pl.lit("12").alias("quantity_delivered"),
        pl.lit("").alias("value_usd_low"),
        pl.lit("500000000").alias("value_usd_best"),
        pl.lit("").alias("value_usd_high"),
        pl.lit("press estimate").alias("value_note"),
        pl.when(pl.col("i") % 3 == 0).then(pl.format("INV-{}", (pl.col("i") + 1).cast(pl.String).str.zfill(7))).otherwise(pl.lit("")).alias("financing_id"),
        _cycle(["planned", "ordered", "delivering", "delivered", "cancelled"], i).alias("status"),
        *common,
    )
    tables["statements"] = base.select(
        _ids("STM", rows).alias("id"),
        _date(i).alias("date"),
        person.alias("speaker_id"),
        pl.lit("Minister").alias("speaker_role"),
        _cycle(["press-briefing", "interview", "social-media", "speech"], i).alias("medium"),
        pl.format("Cita sintetica numero {}.", pl.col("i")).alias("quote"),
        pl.lit("es").alias("quote_language"),
        pl.lit("es").alias("spoken_language"),
        pl.lit("false").alias("is_translation"),
        pl.format("Synthetic quote number {}.", pl.col("i")).alias("quote_en"),
        _cycle(["deployments", "arms", "investments", "diplomacy"], i).alias("topic"),
        pl.format("DEP-{}", (pl.col("i") + 1).cast(pl.String).str.zfill(7)).alias("about_ids"),
        *common[:1],
        cite.alias("source_ids"),
        pl.lit("").alias("notes"),
        pl.lit("").alias("withdrawn"),
    )
    no_totals = [c for c in common if c.meta.output_name() not in ("count_in_totals", "overlaps_ids")]
    tables["agreements"] = base.select(
        _ids("AGR", rows).alias("id"),
        pl.format("Synthetic agreement {}", pl.col("i")).alias("title"),
        pl.lit("").alias("title_native"),
        _cycle(["treaty", "intergovernmental-agreement", "protocol", "memorandum", "package"], i).alias("kind"),
        _cycle(["military-technical", "defence", "energy", "finance", "nuclear", "space", "general"], i).alias("domain"),
        pl.lit("ACT-0000001;ACT-0000004").alias("party_ids"),
        _date(i).alias("signed_date"),
        pl.lit("Moscow").alias("signed_place"),
        pl.lit("").alias("ratified_date"),
        pl.lit("").alias("in_force_date"),
        pl.lit("").alias("end_date"),
        pl.lit("").alias("document_count"),
        pl.lit("").alias("amends_id"),
        _cycle(["signed", "ratified", "in-force", "unknown"], i).alias("status"),
        pl.format("INV-{}", (pl.col("i") + 1).cast(pl.String).str.zfill(7)).alias("related_ids"),
        *no_totals,
    )
    planted: list[dict] = []

    def plant(res: str, idx: int, field: str, value: str, code: str, layer: str, at: str | None = None) -> None:
        df = tables[res]
        df[idx, field] = value
        planted.append({"resource": res, "line": idx + 2, "field": at or field, "code": code, "layer": layer, "value": value})

    def spot(k: int) -> int:
        return max(1, (rows * k) // 23)

    # layer 1 (what frictionless checks)
    plant("deployments", spot(1), "personnel_low", "1,500", "type-error", "frictionless")
    plant("deployments", spot(2), "start_date", "3/23/2019", "constraint-error", "frictionless")
    plant("deployments", spot(3), "status", "arived", "constraint-error", "frictionless")
    plant("deployments", spot(4), "summary", "", "constraint-error", "frictionless")
    plant("deployments", spot(5), "latitude", "91", "constraint-error", "frictionless")
    plant("deployments", spot(6), "actor_id", "ACT-9999999", "foreign-key", "frictionless")
    plant("investments", spot(7), "stake_percent", "120", "constraint-error", "frictionless")
    plant("investments", spot(8), "amount_usd_best", "N/A", "type-error", "frictionless")
    plant("arms_purchases", spot(9), "financing_id", "INV-9999999", "foreign-key", "frictionless")
    plant("arms_purchases", spot(10), "quantity_delivered", "-1", "constraint-error", "frictionless")
    plant("statements", spot(11), "is_translation", "yes", "type-error", "frictionless")
    dup = spot(12)
    plant("statements", dup, "id", tables["statements"][dup - 1, "id"], "primary-key", "frictionless")
    # upstream frictionless also reports the duplicate as unique-error; ruven reports one problem once
    planted.append(dict(planted[-1], code="unique-error", upstream_only=True))
    plant("sources", 7, "accessed", "2019-02-30", "type-error", "frictionless")
    # layer 2 (pandera rules)
    plant("deployments", spot(13), "start_date", "2019-02-30", "invalid-date", "pandera")
    plant("deployments", spot(14), "start_date", "2030-01", "date-in-future", "pandera")
    plant("deployments", spot(15), "personnel_low", "99", "range-order", "pandera", at="personnel_best")
    plant("deployments", spot(16), "end_date", "1999", "date-order", "pandera")
    plant("deployments", spot(17), "notes", "=cmd()", "formula-injection", "pandera")
    plant("deployments", spot(18), "summary", " padded", "whitespace", "pandera")
    plant("arms_purchases", spot(13), "quantity_delivered", "15", "delivered-exceeds-ordered", "pandera")
    plant("arms_purchases", spot(14), "source_ids", "SRC-9999999", "foreign-key", "pandera")
    plant("arms_purchases", spot(15), "summary", "Cafe\u0301", "unicode-normalization", "pandera")
    plant("investments", spot(13), "currency", "ABC", "unknown-currency-code", "pandera")
    plant("investments", spot(14), "summary", "tab\there", "control-character", "pandera")
    plant("statements", spot(13), "quote_en", "", "missing-translation", "pandera")
    plant("statements", spot(14), "date", "2021-06", "date-after-sources", "pandera")
    plant("statements", spot(15), "speaker_id", "ACT-0000003", "actor-kind", "pandera")  # made a state below
    plant("statements", spot(16), "about_ids", "DEP-9999999", "foreign-key", "pandera")
    plant("sources", 11, "language", "xx", "unknown-language-code", "pandera")
    plant("sources", 12, "url", "https://example", "invalid-url", "pandera")
    plant("sources", 13, "url", "http://www.example.org/news/1/", "likely-duplicate", "pandera")
    plant("actors", 20, "country", "ZZ", "unknown-country-code", "pandera")
    plant("actors", 30, "parent_id", "ACT-0000032", "reference-cycle", "pandera")
    plant("actors", 31, "parent_id", "ACT-0000031", "reference-cycle", "pandera")
    # the actor-kind plant must point to a state-like actor: make ACT-0000003 a state
    tables["actors"][2, "kind"] = "state"
    # layer 3 (expectations)
    planted.append({"resource": "deployments", "line": None, "field": "", "code": "row-count-implausible", "layer": "expectations", "value": ""})
    # uncited source: the last source is cited by nobody once citations are shifted
    last = n_src - 1
    for res in ("deployments", "investments", "arms_purchases", "statements", "agreements"):
        tables[res] = tables[res].with_columns(pl.col("source_ids").str.replace_all(f"SRC-{last + 1:07d}", "SRC-0000001", literal=True))
    planted.append({"resource": "sources", "line": last + 2, "field": "id", "code": "uncited-source", "layer": "pandera", "value": f"SRC-{last + 1:07d}"})

    # write
    if out.exists():
        shutil.rmtree(out)
    (out / "data").mkdir(parents=True)
    for folder in ("schemas", "validation"):
        shutil.copytree(REPO / folder, out / folder)
    for p in (out / "schemas").glob("*.json"):
        p.write_text(p.read_text().replace("[0-9]{4}", "[0-9]{4,}"))
    shutil.copy2(REPO / "datapackage.json", out / "datapackage.json")
    for name, df in tables.items():
        path = out / "data" / f"{name}.csv"
        df.write_csv(path, line_terminator="\n")
    # ragged and blank rows at the end of actors (line numbers known exactly)
    actors = out / "data" / "actors.csv"
    n = N_ACTORS + 1
    with actors.open("a", encoding="utf-8") as fh:
        fh.write("ACT-0009991,Short row,,person\n")
        fh.write("ACT-0009992,Long row,,person,RU,,,desc,extra\n")
        fh.write("\n")
    planted.append({"resource": "actors", "line": n + 1, "field": "country", "code": "missing-cell", "layer": "frictionless", "value": ""})
    planted.append({"resource": "actors", "line": n + 2, "field": "", "code": "extra-cell", "layer": "frictionless", "value": "extra"})
    planted.append({"resource": "actors", "line": n + 3, "field": "", "code": "blank-row", "layer": "frictionless", "value": ""})
    (out / "planted.json").write_text(json.dumps(planted, indent=2, ensure_ascii=False) + "\n")
    return planted


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=10_000, help="rows per fact table")
    ap.add_argument("--out", type=Path, required=True)
    args = ap.parse_args()
    planted = build(args.rows, args.out)
    sizes = {p.name: p.stat().st_size for p in (args.out / "data").glob("*.csv")}
    print(f"wrote {args.out}: {args.rows} rows per fact table, {len(planted)} planted errors, {sum(sizes.values()) / 1e6:.1f} MB of CSV")


if __name__ == "__main__":
    main()
