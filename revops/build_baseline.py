"""What a nightly build may take as already checked: the work warehouse as it was published.

A publish records in the work warehouse the newest raw load its marts were built through
(meta.published_through): every row of an incremental model stamped with that load or an
older one was tested and published then. Each dbt build consumes the record
(meta.build_baseline): a nightly keeps its load id, any other build, or a nightly after a
run that failed or was killed after its build (the record is gone), gets null. dbt is given
the baseline in REVOPS_BUILD_BASELINE; a dbt command run by hand has none, and its run or
build voids both tables (dbt_project/macros/tests_since_publish.sql). With a baseline the
nightly's data tests on big incremental models test only the rows built after it, the dims
rebuild only the customers and people the crosswalk changed, and the publish updates the
serving file in place; with null, everything is tested, rebuilt and copied.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

import duckdb

from revops.loading import MANIFEST as LOADED_FILES

PUBLISHED = "meta.published_through"
BASELINE = "meta.build_baseline"
BASELINE_ENV = "REVOPS_BUILD_BASELINE"


def begin_build(con: duckdb.DuckDBPyConnection, incremental: bool) -> int | None:
    """Before a dbt build: turn the publish record into this build's baseline (null unless
    `incremental` and the previous run published), and remove the record."""
    con.execute("create schema if not exists meta")
    published = _load_id(con, PUBLISHED) if incremental else None
    con.execute("begin")
    con.execute(f"create or replace table {BASELINE} as select ?::bigint as load_id", [published])
    con.execute(f"drop table if exists {PUBLISHED}")
    con.execute("commit")
    return published


@contextmanager
def passed_to_dbt(baseline: int | None) -> Iterator[None]:
    """Put the baseline in the environment of the dbt process started inside (none: unset)."""
    previous = os.environ.pop(BASELINE_ENV, None)
    if baseline is not None:
        os.environ[BASELINE_ENV] = str(baseline)
    try:
        yield
    finally:
        os.environ.pop(BASELINE_ENV, None)
        if previous is not None:
            os.environ[BASELINE_ENV] = previous


def build_baseline(con: duckdb.DuckDBPyConnection) -> int | None:
    """The baseline of the latest build (None: test and publish everything)."""
    return _load_id(con, BASELINE)


def record_published(con: duckdb.DuckDBPyConnection) -> None:
    """After a publish: record the newest raw load the published marts were built through."""
    con.execute("create schema if not exists meta")
    con.execute(
        f"create or replace table {PUBLISHED} as select max(load_id) as load_id from {LOADED_FILES}"
    )


def _load_id(con: duckdb.DuckDBPyConnection, table: str) -> int | None:
    schema, name = table.split(".")
    exists = con.execute(
        "select count(*) from duckdb_tables() where schema_name = ? and table_name = ? "
        "and database_name = current_database()",
        [schema, name],
    ).fetchall()[0][0]
    if not exists:
        return None
    rows = con.execute(f"select load_id from {table}").fetchall()
    return rows[0][0] if rows else None
