"""Publish the marts: build a new serving file beside the old one, then swap it in atomically.

Readers open the serving file read-only. A reader that has it open keeps the version it
opened (os.replace swaps the directory entry, not the bytes under it); a new reader sees
either the previous run or this one, never half of one.

A nightly publish starts from a copy of the current serving file and brings each big
incremental mart up to date in place: it replaces the rows of the keys the mart rebuilt
since the last publish (their `_built_through_load_id` is newer than the one recorded then)
and drops keys that left the mart. Copying the file costs a fraction of rewriting 20 M rows.
Every other mart is copied whole, as in a full publish.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from revops import published_inputs
from revops.paths import duckdb_memory_limit

PUBLISHED_SCHEMAS = ("marts",)
STAMP = "_built_through_load_id"
# Above this share of changed rows, rewriting the mart is cheaper than updating it.
MAX_UPDATED_SHARE = 0.25


@dataclass(frozen=True)
class PublishResult:
    path: Path
    tables: dict[str, int]  # schema.table -> rows
    as_of_date: str | None
    bytes: int
    updated: dict[str, int] = field(default_factory=dict)  # schema.table -> rows replaced


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
    work_db: Path,
    serving_db: Path,
    run_id: str,
    semantic_manifest: Path | None = None,
    update_keys: Mapping[str, Sequence[str]] | None = None,
) -> PublishResult:
    """Copy every mart of `work_db` into a new serving file and swap it in.

    `update_keys` (mart name -> the key its incremental build replaces rows by) asks for a
    nightly publish: those marts are updated in a copy of the current serving file where it
    holds them with the same columns and a recorded watermark; anything else is copied.
    """
    serving_db.parent.mkdir(parents=True, exist_ok=True)
    _remove_abandoned_partials(serving_db)
    staged = serving_db.with_name(f".{serving_db.name}.{os.getpid()}.partial")
    staged.unlink(missing_ok=True)
    tables: dict[str, int] = {}
    updated: dict[str, int] = {}
    try:
        from_previous = bool(update_keys) and serving_db.exists()
        if from_previous:
            shutil.copyfile(serving_db, staged)
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
            watermarks = _published_watermarks(con) if from_previous else {}
            if from_previous:
                _drop_unpublished(con, listed)
            for schema, table in listed:
                name = f"{schema}.{table}"
                columns = _published_columns(con, schema, table)
                key = (update_keys or {}).get(table)
                replaced = None
                if key and name in watermarks and _same_columns(con, schema, table, columns):
                    replaced = _update_in_place(con, schema, table, columns, key, watermarks[name])
                if replaced is None:
                    _copy_whole(con, schema, table, columns)
                else:
                    updated[name] = replaced
                tables[name] = _rows(con, f'select count(*) from "{schema}"."{table}"')[0][0]
            as_of = _rows(con, "select max(as_of_date) from work.intermediate.int_as_of_date")[0][0]
            _record_refresh(con, serving_db, run_id, as_of, len(tables))
            _record_watermarks(con, listed)
            _store_semantic_manifest(con, semantic_manifest)
            published_inputs.record(con)
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
        updated=updated,
    )


def _drop_unpublished(con, listed: list[tuple]) -> None:
    """In a copy of the previous serving file, drop its bookkeeping (rewritten at the end)
    and any mart that is no longer built."""
    con.execute("drop schema if exists meta cascade")
    kept = set(listed)
    for schema, table in _rows(
        con,
        "select schema_name, table_name from duckdb_tables() "
        "where database_name = current_database()",
    ):
        if (schema, table) not in kept:
            con.execute(f'drop table "{schema}"."{table}"')


def _copy_whole(con, schema: str, table: str, columns: list[str]) -> None:
    con.execute(f'create schema if not exists "{schema}"')
    con.execute(f'drop table if exists "{schema}"."{table}"')
    selected = ", ".join(f'"{c}"' for c in columns)
    con.execute(
        f'create table "{schema}"."{table}" as select {selected} from work."{schema}"."{table}"'
    )


def _update_in_place(
    con, schema: str, table: str, columns: list[str], key: Sequence[str], watermark: int
) -> int | None:
    """Bring the copied mart up to date with the work one: every key with a row built after
    `watermark` gets the work rows of that key, and keys the work mart no longer has go.
    Returns the rows inserted, or None when so much changed that a copy is cheaper."""
    work = f'work."{schema}"."{table}"'
    served = f'"{schema}"."{table}"'
    changed, total = _rows(
        con, f"select count(*) filter ({STAMP} > {watermark}), count(*) from {work}"
    )[0]
    if changed > MAX_UPDATED_SHARE * total:
        return None
    keys = ", ".join(f'"{c}"' for c in key)
    same_key = " and ".join(f'{served}."{c}" = rebuilt."{c}"' for c in key)
    con.execute(
        f"create temp table rebuilt as select distinct {keys} from {work} "
        f"where {STAMP} > {watermark}"
    )
    con.execute(f"delete from {served} using rebuilt where {same_key}")
    selected = ", ".join(f'"{c}"' for c in columns)
    inserted = con.execute(
        f"insert into {served} select {selected} from {work} semi join rebuilt using ({keys})"
    ).fetchall()[0][0]
    con.execute("drop table rebuilt")
    # A key whose rows all left the work mart has no newer row to say so. Equal row counts
    # prove there is none (every work row is now served once); else drop such keys.
    if _rows(con, f"select count(*) from {served}")[0][0] != total:
        in_work = " and ".join(f'kept."{c}" = {served}."{c}"' for c in key)
        con.execute(
            f"delete from {served} where not exists (select 1 from {work} as kept where {in_work})"
        )
    return inserted


def _same_columns(con, schema: str, table: str, columns: list[str]) -> bool:
    """Whether the served mart has the published columns of the work mart, types included."""
    described = (
        "select column_name, data_type from duckdb_columns() where database_name = ? "
        "and schema_name = ? and table_name = ? order by column_index"
    )
    (served_db,) = con.execute("select current_database()").fetchall()[0]
    served = con.execute(described, [served_db, schema, table]).fetchall()
    work = con.execute(described, ["work", schema, table]).fetchall()
    return served == [(name, kind) for name, kind in work if name in columns]


def _published_watermarks(con) -> dict[str, int]:
    """schema.table -> the newest _built_through_load_id the serving copy holds."""
    exists = _rows(
        con,
        "select count(*) from duckdb_tables() where database_name = current_database() "
        "and schema_name = 'meta' and table_name = 'published_watermarks'",
    )[0][0]
    if not exists:
        return {}
    return dict(
        _rows(con, "select table_name, built_through_load_id from meta.published_watermarks")
    )


def _record_watermarks(con, listed: list[tuple]) -> None:
    """How far each incremental mart had been built when published: the next nightly
    publish updates the rows built after it."""
    con.execute(
        "create table meta.published_watermarks (table_name varchar, built_through_load_id bigint)"
    )
    for schema, table in listed:
        stamped = con.execute(
            "select count(*) from duckdb_columns() where database_name = 'work' "
            "and schema_name = ? and table_name = ? and column_name = ?",
            [schema, table, STAMP],
        ).fetchall()[0][0]
        if stamped:
            con.execute(
                f"insert into meta.published_watermarks select ?, max({STAMP}) "
                f'from work."{schema}"."{table}"',
                [f"{schema}.{table}"],
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
