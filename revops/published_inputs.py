"""What the published warehouse was built from, so a nightly with nothing new can stop early.

Each publish stores, inside the new serving file (so it is swapped in with the marts, never
apart from them), the landing files its raw tables were loaded from (the loader's
`raw._landed_files`: name, size, modification time) and a digest of the code that turns them
into marts. When the landing folder still holds exactly those files and the code is the
same, a nightly refresh would build the same marts again: `unchanged_since_publish` says so
and the refresh, the schedule and `revops status` report "nothing new" instead of running.
A full refresh never asks.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from revops import paths
from revops.contract import TABLES
from revops.loading import MANIFEST, landing_files

# The code a refresh runs: the dbt project, the seeds, the loader, the gates and the publish
# (not dbt's target/ and logs/, which every run rewrites).
CODE_PATHS = (
    "models",
    "seeds",
    "dbt_project/dbt_project.yml",
    "dbt_project/macros",
    "dbt_project/semantic_models",
    "dbt_project/tests",
    "profiles.yml",
    "revops",
    "orchestration",
)
CODE_SUFFIXES = {".sql", ".yml", ".yaml", ".csv", ".py", ".md", ".json"}
# The last "nothing new" answer, for `revops status` (the serving file is read-only to us).
LAST_CHECK_FILE = "last_nightly_check.json"


def code_digest(root: Path = paths.REPO_ROOT) -> str:
    """A digest of every source file of the refresh (paths and contents)."""
    digest = hashlib.sha256()
    for name in CODE_PATHS:
        top = root / name
        for path in sorted([top] if top.is_file() else top.rglob("*")):
            if path.is_file() and path.suffix in CODE_SUFFIXES:
                digest.update(str(path.relative_to(root)).encode())
                digest.update(path.read_bytes())
    return digest.hexdigest()


def record(con: duckdb.DuckDBPyConnection) -> None:
    """In the serving file being published (`con`, with the work warehouse attached as
    `work`): the landed files the raw tables hold and the code digest."""
    con.execute(
        "create table meta.published_inputs "
        "(table_name varchar, file_name varchar, bytes bigint, mtime_ns bigint)"
    )
    landed = con.execute(
        "select count(*) from duckdb_tables() where database_name = 'work' "
        "and schema_name = 'raw' and table_name = ?",
        [MANIFEST.split(".")[1]],
    ).fetchall()[0][0]
    if landed:
        con.execute(
            "insert into meta.published_inputs "
            f"select table_name, file_name, bytes, mtime_ns from work.{MANIFEST}"
        )
    con.execute("create table meta.published_code (digest varchar)")
    con.execute("insert into meta.published_code values (?)", [code_digest()])


def _published(serving: Path) -> tuple[str, datetime, dict, str] | None:
    """(run id, published at, {(table, file): (bytes, mtime_ns)}, code digest) of the last
    publish, or None when the serving file predates this record."""
    con = duckdb.connect(str(serving), read_only=True)
    try:
        recorded = con.execute(
            "select count(*) from duckdb_tables() where schema_name = 'meta' "
            "and table_name in ('published_inputs', 'published_code', 'refreshes')"
        ).fetchall()[0][0]
        if recorded < 3:
            return None
        run_id, published_at = con.execute(
            "select run_id, published_at from meta.refreshes order by published_at desc limit 1"
        ).fetchall()[0]
        files = {
            (table, name): (size, mtime)
            for table, name, size, mtime in con.execute(
                "select * from meta.published_inputs"
            ).fetchall()
        }
        (digest,) = con.execute("select digest from meta.published_code").fetchall()[0]
    finally:
        con.close()
    return run_id, published_at, files, digest


def _landed_now(landing: Path) -> dict[tuple[str, str], tuple[int, int]]:
    """The same stamps as the loader records, for the files in the landing folder now."""
    stamps = {}
    for table in TABLES:
        for path in landing_files(landing, table):
            stat = path.stat()
            stamps[(table.qualified, path.name)] = (stat.st_size, stat.st_mtime_ns)
    return stamps


def unchanged_since_publish(landing: Path, serving: Path) -> str | None:
    """Why a nightly refresh has nothing to do, or None when it has (or cannot tell)."""
    if not serving.exists():
        return None
    published = _published(serving)
    if published is None:
        return None
    run_id, published_at, files, digest = published
    if _landed_now(landing) != files or code_digest() != digest:
        return None
    return (
        f"nothing new: the {len(files)} landing file(s) and the code are those of the publish "
        f"of {published_at:%Y-%m-%d %H:%M} UTC (run {run_id}); nothing was run or published"
    )


def remember_check(warehouse: Path, message: str) -> None:
    """Keep the last "nothing new" answer for `revops status`."""
    (warehouse / LAST_CHECK_FILE).write_text(
        json.dumps({"checked_at": datetime.now(UTC).isoformat(), "message": message})
    )


def last_check(warehouse: Path) -> dict | None:
    path = warehouse / LAST_CHECK_FILE
    return json.loads(path.read_text()) if path.exists() else None
