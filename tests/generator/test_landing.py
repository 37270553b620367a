"""The landing files follow the contract: folders, columns, keys, formats, timestamps."""

from __future__ import annotations

import csv
import hashlib
import json
import pathlib
import re

import duckdb
import pytest

from revops.contract import TABLES, TS
from revops.generator import generate

from .conftest import END, files, reader


def _digests(root: pathlib.Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def test_same_arguments_give_identical_files(landing: pathlib.Path, tmp_path: pathlib.Path):
    again = tmp_path / "again"
    generate(again, scale="xs", seed=7, end_date=END)
    assert _digests(again) == _digests(landing)
    other = tmp_path / "other"
    generate(other, scale="xs", seed=8, end_date=END)
    assert _digests(other) != _digests(landing)


def test_rerun_replaces_previous_output(tmp_path: pathlib.Path):
    out = tmp_path / "landing"
    (out / "sales" / "accounts").mkdir(parents=True)
    (out / "sales" / "accounts" / "part-00007.csv").write_text("stale\n")
    summary = generate(out, scale="xs", seed=1, end_date=END)
    assert not (out / "sales" / "accounts" / "part-00007.csv").exists()
    assert not list(tmp_path.glob(".*staging"))
    assert summary["tables"]["sales__accounts"]["files"] >= 1
    assert summary["seconds"] > 0


def test_unknown_mess_kind_is_rejected(tmp_path: pathlib.Path):
    with pytest.raises(ValueError, match="unknown mess"):
        generate(tmp_path / "x", scale="xs", mess_rates={"nope": 1.0})
    assert not (tmp_path / "x").exists()


@pytest.mark.parametrize("t", TABLES, ids=lambda t: t.qualified)
def test_table_files_have_contract_columns_and_unique_keys(landing: pathlib.Path, t):
    paths = files(landing, t)
    assert paths, f"no files for {t.qualified}"
    ext = {"csv": ".csv", "parquet": ".parquet", "jsonl": ".jsonl"}[t.fmt]
    con = duckdb.connect()
    for p in paths:
        assert p.suffix == ext
        cols = [r[0] for r in con.execute(f"describe select * from {reader(p)}").fetchall()]
        assert cols[: len(t.columns)] == list(t.columns), p
        assert set(cols) <= set(t.all_columns()), p
        key = ", ".join(t.key)
        nulls = " or ".join(f"{k} is null" for k in t.key)
        bad = con.execute(f"select count(*) from {reader(p)} where {nulls}").fetchone()[0]
        assert bad == 0, f"null key in {p}"
        dup = con.execute(
            f"select count(*) from (select {key} from {reader(p)} group by all having count(*) > 1)"
        ).fetchone()[0]
        assert dup == 0, f"duplicate key in {p}"
        rows = con.execute(f"select count(*) from {reader(p)}").fetchone()[0]
        assert rows > 0, p


def test_timestamps_parse_and_end_on_the_as_of_date(landing: pathlib.Path):
    con = duckdb.connect()
    con.execute("set timezone = 'UTC'")
    newest = []
    for t in TABLES:
        ts_cols = [c for c, typ in t.all_columns().items() if typ == TS]
        for p in files(landing, t):
            for c in ts_cols:
                expr = f"{c}::timestamptz" if p.suffix != ".parquet" else c
                lo, hi = con.execute(f"select min({expr}), max({expr}) from {reader(p)}").fetchone()
                if hi is None:
                    continue
                if c != "due_at":  # invoices fall due after the as-of date
                    assert hi.date() <= END, f"{p} {c} after end_date"
                if c in ("created_at", "occurred_at"):
                    newest.append(hi.date())
            if p.suffix == ".csv" and ts_cols:
                raw = con.execute(
                    f"select {ts_cols[0]} from {reader(p)} where {ts_cols[0]} is not null limit 5"
                ).fetchall()
                assert all(r[0][-6] in "+-" and r[0][10] == "T" for r in raw), raw
    assert max(newest) == END


def test_several_utc_offsets_and_same_instant(landing: pathlib.Path):
    con = duckdb.connect()
    p = files(landing, next(t for t in TABLES if t.name == "leads"))[0]
    offsets = {
        r[0]
        for r in con.execute(f"select distinct right(created_at, 6) from {reader(p)}").fetchall()
    }
    assert "+00:00" in offsets and len(offsets) >= 4


def test_amounts_dates_and_booleans_are_formatted(landing: pathlib.Path):
    with open(landing / "sales" / "opportunities" / "part-00000.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    won = [r for r in rows if r["stage_name"] == "closed_won"]
    assert won
    assert all(re.fullmatch(r"-?\d+\.\d\d", r["amount"]) for r in rows)
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\d", r["close_date"]) for r in rows)
    assert {r["is_won"] for r in rows} == {"true", "false"}
    assert all(r["loss_reason"] == "" for r in won)  # empty field = null


def test_manifest_is_deterministic_and_complete(landing: pathlib.Path):
    m = json.loads((landing / "_truth" / "manifest.json").read_text())
    assert m["scale"] == "xs" and m["seed"] == 7 and m["end_date"] == END.isoformat()
    assert set(m["tables"]) == {t.qualified for t in TABLES}
    assert "seconds" not in json.dumps(m)
