"""One xs landing per test session (generation takes a few seconds)."""

from __future__ import annotations

import datetime as dt
import pathlib

import duckdb
import pytest

from revops.contract import TABLES, Table
from revops.generator import DEFAULT_MESS_RATES, generate

END = dt.date(2026, 10, 31)


@pytest.fixture(scope="session")
def landing(tmp_path_factory: pytest.TempPathFactory) -> pathlib.Path:
    out = tmp_path_factory.mktemp("gen") / "landing"
    generate(out, scale="xs", seed=7, end_date=END)
    return out


@pytest.fixture(scope="session")
def clean_landing(tmp_path_factory: pytest.TempPathFactory) -> pathlib.Path:
    """Every mess and leakage rate set to 0."""
    out = tmp_path_factory.mktemp("gen_clean") / "landing"
    generate(
        out, scale="xs", seed=7, end_date=END, mess_rates=dict.fromkeys(DEFAULT_MESS_RATES, 0.0)
    )
    return out


def files(root: pathlib.Path, t: Table) -> list[pathlib.Path]:
    return sorted((root / t.system / t.name).glob("part-*"))


def reader(path: pathlib.Path) -> str:
    """A DuckDB table expression reading one landing file as landed (CSV as text)."""
    if path.suffix == ".csv":
        return f"read_csv('{path}', all_varchar=true, header=true)"
    if path.suffix == ".parquet":
        return f"read_parquet('{path}')"
    return f"read_json('{path}', format='newline_delimited')"


def load(
    con: duckdb.DuckDBPyConnection,
    root: pathlib.Path,
    t: Table,
    name: str | None = None,
    current: bool = True,
) -> str:
    """Create a view of a table; with current=True the newest row per key wins."""
    name = name or t.name
    parts = " union all by name ".join(
        f"select *, {i} as _file, row_number() over () as _row from {reader(p)}"
        for i, p in enumerate(files(root, t))
    )
    key = ", ".join(t.key)
    order = "updated_at::timestamptz desc, " if "updated_at" in t.all_columns() and current else ""
    sql = f"select * from ({parts})"
    if current:
        sql = (
            f"select * exclude (_rn) from (select *, row_number() over (partition by {key} "
            f"order by {order}_file desc, _row desc) as _rn from ({parts})) where _rn = 1"
        )
    con.execute(f"create or replace view {name} as {sql}")
    return name


@pytest.fixture(scope="session")
def db(landing: pathlib.Path) -> duckdb.DuckDBPyConnection:
    """Every landing table as a view named <table> (current rows), plus _truth views."""
    con = duckdb.connect()
    for t in TABLES:
        load(con, landing, t)
    for name in ("identities", "messes", "leakage"):
        con.execute(
            f"create view truth_{name} as select * from "
            f"read_csv('{landing / '_truth' / (name + '.csv')}', all_varchar=true)"
        )
    return con
