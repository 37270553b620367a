"""Expectations that depend on the moment: row volume against the last published run, freshness."""

from __future__ import annotations

import functools

import duckdb

from revops.contract import TABLES_BY_NAME
from revops.paths import serving_db
from revops.quality import Expect, expect, warn

# A table outside [last / 5, last * 5] rows stops the run (a truncated or duplicated export);
# outside [last / 1.5, last * 1.5] it warns.
BLOCKING_FACTOR = 5.0
WARNING_FACTOR = 1.5
# Event streams whose newest row should be close to the newest row landed anywhere.
FRESHNESS_DAYS = 3
STREAMS = (
    "marketing__leads",
    "marketing__touchpoints",
    "sales__opportunities",
    "success__tickets",
    "success__product_usage",
    "finance__subscription_events",
    "finance__fx_rates",
)
AS_OF_SOURCES = {
    "marketing__leads": "created_at",
    "marketing__touchpoints": "occurred_at",
    "sales__opportunities": "created_at",
    "finance__subscription_events": "occurred_at",
}


def last_published_rows(table: str) -> int | None:
    """Rows of raw `table` in the run that produced the current serving file, if any."""
    serving = serving_db()
    if not serving.exists():
        return None
    stat = serving.stat()
    return _published_volumes(str(serving), stat.st_ino, stat.st_mtime_ns).get(table)


@functools.lru_cache(maxsize=1)
def _published_volumes(serving: str, inode: int, mtime_ns: int) -> dict[str, int]:
    """Raw table -> rows of the latest publish. Read once per serving file (a publish swaps in a
    new file, a new inode), not once per raw gate: opening the file is ~25 ms at m."""
    con = duckdb.connect(serving, read_only=True)
    try:
        has_volumes = con.execute(
            "select count(*) from duckdb_tables() where schema_name = 'meta' and table_name = 'raw_volumes'"
        ).fetchall()[0][0]
        if not has_volumes:
            return {}
        rows = con.execute(
            "select table_name, arg_max(rows, published_at) from meta.raw_volumes group by table_name"
        ).fetchall()
    finally:
        con.close()
    return dict(rows)


def volume_expectations(table: str) -> list[Expect]:
    last = last_published_rows(table)
    if last is None:
        return []
    return [
        expect(
            "ExpectTableRowCountToBeBetween",
            min_value=int(last / BLOCKING_FACTOR),
            max_value=int(last * BLOCKING_FACTOR),
            description=f"row count within {BLOCKING_FACTOR:g}x of the last published run ({last:,})",
        ),
        warn(
            "ExpectTableRowCountToBeBetween",
            min_value=int(last / WARNING_FACTOR),
            max_value=int(last * WARNING_FACTOR),
            description=f"row count within {WARNING_FACTOR:g}x of the last published run ({last:,})",
        ),
    ]


def freshness_expectations(table: str) -> list[Expect]:
    if table not in STREAMS:
        return []
    column = TABLES_BY_NAME[table].timestamp_column
    newest_landed = " union all ".join(
        f"select max({col}) as newest from raw.{name}" for name, col in AS_OF_SOURCES.items()
    )
    return [
        warn(
            "UnexpectedRowsExpectation",
            description=f"newest {column} within {FRESHNESS_DAYS} days of the newest row landed",
            unexpected_rows_query=(
                f"select max({column}) as newest from {{batch}} having max({column}) < "
                f"(select max(newest) from ({newest_landed})) - interval {FRESHNESS_DAYS} day"
            ),
        )
    ]
