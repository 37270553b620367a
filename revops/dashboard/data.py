"""Read-only access to the published serving file, one short-lived connection per query.

Never the work warehouse. Each query opens `paths.serving_db()` read-only and closes it, so a
publish that os.replace-s the file is picked up by the next query; results are cached per
file version (inode, mtime, size), so a new publish also invalidates the cache.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import duckdb
import pandas as pd
import streamlit as st

from revops import paths

CACHE_SECONDS = 300


def serving_path() -> Path:
    return paths.serving_db()


def is_published() -> bool:
    return serving_path().is_file()


def _version(path: Path) -> tuple[int, int, int]:
    stat = path.stat()
    return (stat.st_ino, stat.st_mtime_ns, stat.st_size)


def run_query(path: Path, sql: str, params: tuple = ()) -> pd.DataFrame:
    """One query on `path`, opened read-only and closed again (no lock is held afterwards)."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute(sql, list(params)).df()
    finally:
        con.close()


@st.cache_data(ttl=CACHE_SECONDS, max_entries=512, show_spinner=False)
def _cached_query(path: str, version: tuple, sql: str, params: tuple) -> pd.DataFrame:
    return run_query(Path(path), sql, params)


def query(sql: str, params: tuple | list = ()) -> pd.DataFrame:
    """A DataFrame from the serving file (cached per file version; callers must not mutate it)."""
    path = serving_path()
    return _cached_query(str(path), _version(path), sql, tuple(params)).copy()


@st.cache_resource(max_entries=2, show_spinner=False)
def _semantic_layer(path: str, version: tuple):
    """The semantic layer of one published file (it holds no connection between queries)."""
    from revops.metrics import SemanticLayer

    return SemanticLayer(Path(path))


@st.cache_data(ttl=CACHE_SECONDS, max_entries=256, show_spinner=False)
def _cached_metrics(
    path: str, version: tuple, names: tuple, group_by: tuple, where: tuple
) -> pd.DataFrame:
    layer = _semantic_layer(path, version)
    table = layer.query(list(names), group_by=list(group_by), where=list(where) or None)
    return pd.DataFrame(table.rows, columns=table.columns)


def metrics(names: list[str], group_by: list[str] = (), where: list[str] = ()) -> pd.DataFrame:
    """Semantic-layer metrics (revops.metrics, MetricFlow) on the serving file, the one
    definition of a metric over a period or slice no mart row holds (cached per version)."""
    path = serving_path()
    return _cached_metrics(
        str(path), _version(path), tuple(names), tuple(group_by), tuple(where)
    ).copy()


def periods_between(start: date, end: date, grain: str = "month") -> str:
    """A semantic-layer filter keeping metric_time's periods (first days) start..end."""
    return (
        f"{{{{ TimeDimension('metric_time', '{grain}') }}}} "
        f"between '{start.isoformat()}' and '{end.isoformat()}'"
    )


def scalar(sql: str, params: tuple | list = ()):
    frame = query(sql, params)
    if frame.empty:
        return None
    value = frame.iat[0, 0]
    return None if pd.isna(value) else value


@dataclass(frozen=True)
class Freshness:
    as_of_date: date | None
    published_at: datetime | None
    run_id: str | None
    publishes: int


def freshness() -> Freshness:
    """The data's as-of date and the last successful refresh, from meta.refreshes."""
    frame = query(
        "select run_id, published_at, as_of_date, count(*) over () as publishes "
        "from meta.refreshes order by published_at desc limit 1"
    )
    if frame.empty:
        return Freshness(None, None, None, 0)
    row = frame.iloc[0]
    as_of = None if pd.isna(row["as_of_date"]) else pd.Timestamp(row["as_of_date"]).date()
    published = None if pd.isna(row["published_at"]) else pd.Timestamp(row["published_at"])
    return Freshness(
        as_of,
        None if published is None else published.to_pydatetime(),
        str(row["run_id"]),
        int(row["publishes"]),
    )


def has_table(name: str) -> bool:
    return bool(
        scalar(
            "select count(*) from duckdb_tables() where schema_name = 'marts' and table_name = ?",
            (name,),
        )
    )
