"""Plumbing the tool writers share: tool-looking record ids, file output, the id map."""

from __future__ import annotations

import hashlib
from pathlib import Path

import duckdb

from revops.connector_sources import register_macros

SYNCED_AT = "2026-11-01T02:00:00.000Z"  # when the connector last synced (the generator's end)


def sf_id18(id15: str) -> str:
    """The 18-character form of a 15-character Salesforce id: per 5-character chunk, one
    character saying which of its characters are upper case (bit i for character i)."""
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"
    suffix = ""
    for chunk in range(3):
        bits = sum(1 << i for i, c in enumerate(id15[chunk * 5 : chunk * 5 + 5]) if c.isupper())
        suffix += alphabet[bits]
    return id15 + suffix


def sf_new_id(prefix: str, key: str) -> str:
    """An 18-character id of the object with key `prefix`, drawn from a contract id: 12 hex
    characters of its md5, some upper-cased, so the same key always gives the same id."""
    digest = hashlib.md5(key.encode()).hexdigest()
    case = hashlib.md5((key + "case").encode()).hexdigest()
    body = "".join(
        c.upper() if flip >= "8" else c for c, flip in zip(digest[:12], case[:12], strict=True)
    )
    return sf_id18(prefix + body)


def register(con: duckdb.DuckDBPyConnection) -> None:
    """Macros of the writers: `sf_new_id(prefix, key)` an 18-character Salesforce id drawn
    from a contract id (the object's 3-character key prefix, then 12 case-sensitive
    characters: the same key always gives the same id), `sf_ref(id18)` the id as a
    reference holds it (one in three in the 15-character form), `iso(ts)` Fivetran's
    timestamp text."""
    register_macros(con)
    if not con.execute(
        "select count(*) from duckdb_functions() where function_name = 'sf_new_id'"
    ).fetchall()[0][0]:
        con.create_function("sf_new_id", sf_new_id, ["VARCHAR", "VARCHAR"], "VARCHAR")
    con.execute(
        "create or replace temp macro sf_ref(id18) as "
        "case when md5_number(id18 || 'ref') % 3 = 0 then left(id18, 15) else id18 end"
    )
    con.execute("create or replace temp macro iso(ts) as strftime(ts, '%Y-%m-%dT%H:%M:%S.000Z')")


def copy_out(con: duckdb.DuckDBPyConnection, sql: str, path: Path) -> None:
    """Write a query's rows to `path` (.csv with a header, .parquet, or .jsonl)."""
    suffix = path.suffix.lower()
    options = {".csv": "header true", ".parquet": "format parquet", ".jsonl": "format json"}
    con.execute(f"copy ({sql}) to '{path}' ({options[suffix]})")


def record_ids(
    con: duckdb.DuckDBPyConnection, tool: str, tool_table: str, contract_table: str, sql: str
) -> None:
    """Append (tool id, contract id) pairs of `sql` (columns tool_id, contract_id)."""
    con.execute(
        f"insert into connector_id_map select '{tool}', '{tool_table}', tool_id, "
        f"'{contract_table}', contract_id from ({sql})"
    )
