"""Read a managed connector's table (Fivetran, Airbyte, dlt) as text, in Fivetran's naming.

A preset (revops/presets/*.yml) names connector tables (`sources: {acct: {table: account}}`).
`--source PATH` is either a folder, holding `account.csv` / `account.parquet` /
`account.jsonl` or a folder `account/` of such files (read together, columns matched by
name), or a DuckDB file, holding `<schema>.account`. File and table names match after
snake-casing (`OpportunityHistory.csv` is `opportunity_history`).

Every value arrives as text, whatever the format (CSV read with all_varchar, other types
cast to varchar), so a preset's expressions are the same for every format. Column names
are brought to Fivetran's layout (lower-case snake_case API field names) and every table
gets Fivetran's two system columns: `_fivetran_deleted` ('true' for a record the source
deleted, else 'false') and `_fivetran_synced` (when the connector wrote the row):

- fivetran: as it is.
- airbyte: `_airbyte_extracted_at` is `_fivetran_synced`; `_ab_cdc_deleted_at` (set for a
  deleted record by sources that capture deletes) is `_fivetran_deleted`; HubSpot's
  flattened `properties_<name>` are `property_<name>`; other `_airbyte_*` columns dropped.
- dlt: `_dlt_load_id` (the load's Unix time) is `_fivetran_synced`; `_dlt_id` dropped;
  dlt's nested-name separator `__` is one `_`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

import duckdb

from revops.landing_checks import literal as _literal
from revops.landing_checks import quote as _quote

NAMINGS = ("fivetran", "airbyte", "dlt")
FORMATS = {".csv": "csv", ".parquet": "parquet", ".jsonl": "json", ".json": "json"}
DUCKDB_SUFFIXES = (".duckdb", ".db", ".ddb")
DELETED, SYNCED = "_fivetran_deleted", "_fivetran_synced"
SYSTEM_SCHEMAS = {"information_schema", "pg_catalog"}


# SQL macros every mapping may use (registered on the mapping's connection): plumbing for
# connector values, not business rules.
MACROS = {
    # Salesforce ids: the 15-character (case-sensitive) form with its 3-character case
    # checksum appended, so both forms of one record compare equal; 18 stays as it is.
    # Each suffix character encodes which of 5 characters of a chunk are upper case.
    "sf_id18": (
        "id",
        "case when length(trim(id)) = 15 then trim(id) || array_to_string(list_transform("
        "[0, 1, 2], lambda chunk: substr('ABCDEFGHIJKLMNOPQRSTUVWXYZ012345', cast(1 + "
        "list_sum(list_transform([0, 1, 2, 3, 4], lambda i: case when substr(trim(id), "
        "chunk * 5 + i + 1, 1) between 'A' and 'Z' then 1 << i else 0 end)) as bigint), 1)), "
        "'') else nullif(trim(id), '') end",
    ),
    # An instant written as epoch milliseconds (13 digits), epoch seconds or ISO-8601 text
    # (HubSpot properties arrive as any of these); null when it is none of them.
    "parse_instant": (
        "value",
        "case when regexp_full_match(trim(value), '[0-9]{12,}') "
        "then to_timestamp(cast(trim(value) as bigint) / 1000.0) "
        "when regexp_full_match(trim(value), '[0-9]{9,11}') "
        "then to_timestamp(cast(trim(value) as bigint)) "
        "else try_cast(nullif(trim(value), '') as timestamptz) end",
    ),
}


def register_macros(con: duckdb.DuckDBPyConnection) -> None:
    for name, (parameter, body) in MACROS.items():
        con.execute(f"create or replace temp macro {name}({parameter}) as {body}")


class ConnectorTableMissing(Exception):
    """The connector table is not under the source path; the message says where it looked."""


def snake_case(name: str) -> str:
    """Fivetran's column and table names: `AccountId` -> `account_id`, `Foo__c` -> `foo_c`
    (a leading underscore, as in `_fivetran_synced`, stays)."""
    lead = "_" if name.strip().startswith("_") else ""
    name = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name.strip())
    name = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", name)
    name = re.sub(r"[^0-9a-zA-Z]+", "_", name).lower()
    return lead + re.sub(r"_+", "_", name).strip("_")


def is_duckdb_file(path: Path) -> bool:
    return path.is_file() and path.suffix.lower() in DUCKDB_SUFFIXES


def _files_of(source: Path, table: str) -> list[Path]:
    """The files holding connector table `table` in the folder `source`."""
    found: list[Path] = []
    for entry in sorted(source.iterdir()):
        if snake_case(entry.stem if entry.is_file() else entry.name) != table:
            continue
        if entry.is_file() and entry.suffix.lower() in FORMATS:
            found.append(entry)
        elif entry.is_dir():
            found += sorted(
                p for p in entry.rglob("*") if p.is_file() and p.suffix.lower() in FORMATS
            )
    return found


def _read_files(files: Sequence[Path]) -> str:
    """One relation over the files (formats may mix), every column as text, union by name."""
    parts = []
    for fmt in ("csv", "parquet", "json"):
        group = [str(p) for p in files if FORMATS[p.suffix.lower()] == fmt]
        if not group:
            continue
        listed = "[" + ", ".join(_literal(p) for p in group) + "]"
        if fmt == "csv":
            parts.append(
                f"select * from read_csv({listed}, header=true, all_varchar=true, "
                "union_by_name=true)"
            )
        elif fmt == "parquet":
            parts.append(
                f"select cast(columns(*) as varchar) from read_parquet({listed}, union_by_name=true)"
            )
        else:
            parts.append(
                f"select cast(columns(*) as varchar) from read_json({listed}, "
                "format='newline_delimited', union_by_name=true)"
            )
    return " union all by name ".join(f"({p})" for p in parts)


def duckdb_schema(con: duckdb.DuckDBPyConnection, catalog: str, schema: str | None) -> str:
    """The schema to read: `schema`, else the only non-system one, else main."""
    schemas = [
        row[0]
        for row in con.execute(
            "select distinct schema_name from information_schema.schemata where catalog_name = ?",
            [catalog],
        ).fetchall()
        if row[0] not in SYSTEM_SCHEMAS
    ]
    if schema is not None:
        if schema not in schemas:
            raise ConnectorTableMissing(
                f"schema '{schema}' is not in the DuckDB file (it has: {', '.join(sorted(schemas))})"
            )
        return schema
    others = [s for s in schemas if s != "main"]
    return others[0] if len(others) == 1 else "main"


def _duckdb_table(
    con: duckdb.DuckDBPyConnection, catalog: str, schema: str, table: str
) -> str | None:
    for (name,) in con.execute(
        "select table_name from information_schema.tables "
        "where table_catalog = ? and table_schema = ?",
        [catalog, schema],
    ).fetchall():
        if snake_case(name) == table:
            return f"select cast(columns(*) as varchar) from {_quote(catalog)}.{_quote(schema)}.{_quote(name)}"
    return None


def _renamed(column: str, naming: str) -> str | None:
    """The Fivetran name of a column in the `naming` layout (None: a column to drop)."""
    if naming == "airbyte":
        if column == "_airbyte_extracted_at":
            return SYNCED
        if column.startswith("_airbyte_"):
            return None
        if column.startswith("properties_"):
            return "property_" + snake_case(column.removeprefix("properties_"))
    if naming == "dlt":
        if column == "_dlt_load_id":
            return SYNCED
        if column.startswith("_dlt_"):
            return None
    if column.startswith("_"):
        return column
    return snake_case(column)


def _fivetran_select(columns: Sequence[str], naming: str) -> str:
    """Select list giving the table Fivetran's names and system columns."""
    select: dict[str, str] = {}
    for column in columns:
        target = _renamed(column, naming)
        if target is None or target in select:
            continue
        expression = _quote(column)
        if naming == "dlt" and target == SYNCED:
            expression = (
                f"strftime(to_timestamp(try_cast({_quote(column)} as double)), "
                "'%Y-%m-%dT%H:%M:%S+00:00')"
            )
        if naming == "airbyte" and column == "_ab_cdc_deleted_at":
            target = DELETED
            expression = f"cast({_quote(column)} is not null as varchar)"
        select[target] = expression
    select.setdefault(DELETED, "'false'")
    select.setdefault(SYNCED, "cast(null as varchar)")
    select[DELETED] = f"coalesce(lower(trim({select[DELETED]})), 'false')"
    return ", ".join(f"{e} as {_quote(t)}" for t, e in select.items())


def read_connector_table(
    con: duckdb.DuckDBPyConnection,
    alias: str,
    source: Path,
    table: str,
    naming: str = "fivetran",
    schema: str | None = None,
) -> list[str]:
    """Create temp table `alias` holding connector table `table` of `source`, as text in
    Fivetran's naming; returns its columns. Raises ConnectorTableMissing when absent."""
    if naming not in NAMINGS:
        raise ValueError(f"naming must be one of {', '.join(NAMINGS)}, not {naming!r}")
    if is_duckdb_file(source):
        catalog = "connector_source"
        attached = {
            row[0] for row in con.execute("select database_name from duckdb_databases()").fetchall()
        }
        if catalog not in attached:
            con.execute(f"attach {_literal(str(source))} as {catalog} (read_only)")
        chosen = duckdb_schema(con, catalog, schema)
        body = _duckdb_table(con, catalog, chosen, table)
        if body is None:
            raise ConnectorTableMissing(
                f"no table '{table}' in schema '{chosen}' of the DuckDB file {source}"
            )
    elif source.is_dir():
        files = _files_of(source, table)
        if not files:
            raise ConnectorTableMissing(
                f"no '{table}' in {source} (looked for {table}.csv, {table}.parquet, "
                f"{table}.jsonl or a folder {table}/ of such files)"
            )
        body = _read_files(files)
    else:
        raise ConnectorTableMissing(
            f"the source {source} is neither a folder nor a DuckDB file ({', '.join(DUCKDB_SUFFIXES)})"
        )
    con.execute(f"create or replace temp view {_quote('_raw_' + alias)} as {body}")
    raw_columns = [r[0] for r in con.execute(f"describe {_quote('_raw_' + alias)}").fetchall()]
    con.execute(
        f"create or replace temp table {_quote(alias)} as select "
        f"{_fivetran_select(raw_columns, naming)} from {_quote('_raw_' + alias)}"
    )
    con.execute(f"drop view {_quote('_raw_' + alias)}")
    return [r[0] for r in con.execute(f"describe {_quote(alias)}").fetchall()]


def empty_connector_table(
    con: duckdb.DuckDBPyConnection, alias: str, columns: Sequence[str]
) -> list[str]:
    """An optional connector table that is absent: no rows, the columns the preset declares
    (plus the system columns), all text."""
    wanted = list(dict.fromkeys([*columns, DELETED, SYNCED]))
    select = ", ".join(f"cast(null as varchar) as {_quote(c)}" for c in wanted)
    con.execute(f"create or replace temp table {_quote(alias)} as select {select} limit 0")
    return wanted
