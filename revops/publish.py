"""Publish the marts: build a new serving file beside the old one, then swap it in atomically.

Readers open the serving file read-only. A reader that has it open keeps the version it
opened (os.replace swaps the directory entry, not the bytes under it); a new reader sees
either the previous run or this one, never half of one.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from revops.paths import duckdb_memory_limit

PUBLISHED_SCHEMAS = ("marts",)


@dataclass(frozen=True)
class PublishResult:
    path: Path
    tables: dict[str, int]  # schema.table -> rows
    as_of_date: str | None
    bytes: int


def _rows(con: duckdb.DuckDBPyConnection, sql: str) -> list[tuple]:
    return con.execute(sql).fetchall()


def _remove_abandoned_partials(serving_db: Path) -> None:
    """A publish killed half-way leaves its .partial file behind; nobody reads it, drop it."""
    from revops.run_report import pid_alive

    for partial in serving_db.parent.glob(f".{serving_db.name}.*.partial"):
        pid = partial.name.rsplit(".", 2)[-2]
        if pid.isdigit() and not pid_alive(int(pid)):
            partial.unlink(missing_ok=True)


def publish(
    work_db: Path, serving_db: Path, run_id: str, semantic_manifest: Path | None = None
) -> PublishResult:
    serving_db.parent.mkdir(parents=True, exist_ok=True)
    _remove_abandoned_partials(serving_db)
    staged = serving_db.with_name(f".{serving_db.name}.{os.getpid()}.partial")
    staged.unlink(missing_ok=True)
    tables: dict[str, int] = {}
    try:
        con = duckdb.connect(str(staged), config={"memory_limit": duckdb_memory_limit()})
        try:
            con.execute(f"attach '{work_db}' as work (read_only)")
            listed = _rows(
                con,
                "select schema_name, table_name from duckdb_tables() where database_name = 'work' "
                f"and schema_name in ({', '.join(repr(s) for s in PUBLISHED_SCHEMAS)}) order by all",
            )
            if not listed:
                raise RuntimeError(
                    f"nothing to publish: {work_db} has no table in {PUBLISHED_SCHEMAS}"
                )
            for schema, table in listed:
                con.execute(f'create schema if not exists "{schema}"')
                columns = ", ".join(f'"{c}"' for c in _published_columns(con, schema, table))
                con.execute(
                    f'create table "{schema}"."{table}" as '
                    f'select {columns} from work."{schema}"."{table}"'
                )
                tables[f"{schema}.{table}"] = _rows(
                    con, f'select count(*) from "{schema}"."{table}"'
                )[0][0]
            as_of = _rows(con, "select max(as_of_date) from work.intermediate.int_as_of_date")[0][0]
            _record_refresh(con, serving_db, run_id, as_of, len(tables))
            _store_semantic_manifest(con, semantic_manifest)
            con.execute("detach work")
            con.execute("checkpoint")
        finally:
            con.close()
        with open(staged, "rb") as handle:
            os.fsync(handle.fileno())
        os.replace(staged, serving_db)
    finally:
        staged.unlink(missing_ok=True)
    return PublishResult(
        path=serving_db,
        tables=tables,
        as_of_date=None if as_of is None else str(as_of),
        bytes=serving_db.stat().st_size,
    )


def _published_columns(con, schema: str, table: str) -> list[str]:
    """A mart's columns but its bookkeeping (_built_through_load_id: how far an incremental
    build read), which means nothing to a reader."""
    columns = con.execute(
        "select column_name from duckdb_columns() where database_name = 'work' "
        "and schema_name = ? and table_name = ? order by column_index",
        [schema, table],
    ).fetchall()
    return [name for (name,) in columns if not name.startswith("_")]


def _store_semantic_manifest(con, semantic_manifest: Path | None) -> None:
    """The metric definitions of this run, beside its data: `revops metrics` reads them here."""
    if semantic_manifest is None or not semantic_manifest.exists():
        return
    con.execute("create table meta.semantic_manifest (manifest_json varchar)")
    con.execute("insert into meta.semantic_manifest values (?)", [semantic_manifest.read_text()])


def _record_refresh(con, serving_db: Path, run_id: str, as_of, table_count: int) -> None:
    """meta.refreshes (one row per successful publish) and meta.raw_volumes (rows per raw
    table then, the baseline of the next run's volume checks), history carried over."""
    con.execute(
        "create schema meta; "
        "create table meta.refreshes (run_id varchar, published_at timestamp, as_of_date date, tables integer); "
        "create table meta.raw_volumes (run_id varchar, published_at timestamp, table_name varchar, rows bigint)"
    )
    if serving_db.exists():
        con.execute(f"attach '{serving_db}' as previous (read_only)")
        carried = _rows(
            con,
            "select table_name from duckdb_tables() where database_name = 'previous' "
            "and schema_name = 'meta' and table_name in ('refreshes', 'raw_volumes')",
        )
        for (name,) in carried:
            con.execute(f"insert into meta.{name} select * from previous.meta.{name}")
        con.execute("detach previous")
    published_at = datetime.now(UTC).replace(tzinfo=None)
    con.execute(
        "insert into meta.refreshes values (?, ?, ?, ?)", [run_id, published_at, as_of, table_count]
    )
    raw_tables = _rows(
        con,
        "select table_name from duckdb_tables() where database_name = 'work' and schema_name = 'raw' "
        "order by table_name",
    )
    for (name,) in raw_tables:
        rows = _rows(con, f'select count(*) from work.raw."{name}"')[0][0]
        con.execute(
            "insert into meta.raw_volumes values (?, ?, ?, ?)", [run_id, published_at, name, rows]
        )
