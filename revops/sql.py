"""`revops sql`: read-only SQL on the published warehouse."""

from __future__ import annotations

import sys
from pathlib import Path

import duckdb


def run_sql(command: str | None, serving: Path) -> int:
    if not serving.exists():
        print(
            f"no published warehouse at {serving}: run `make run` (or `revops refresh`) first",
            file=sys.stderr,
        )
        return 2
    con = duckdb.connect(str(serving), read_only=True)
    try:
        if command is not None:
            return _run_one(con, command)
        print(
            f"{serving} (read-only). End statements with ';'. Ctrl-D quits. Try: show all tables;"
        )
        buffer = ""
        while True:
            try:
                line = input("revops> " if not buffer else "   ...> ")
            except EOFError:
                print()
                return 0
            buffer += line + "\n"
            if buffer.strip().endswith(";"):
                _run_one(con, buffer)
                buffer = ""
    finally:
        con.close()


def _run_one(con: duckdb.DuckDBPyConnection, statement: str) -> int:
    try:
        relation = con.sql(statement)
    except duckdb.Error as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    if relation is not None:
        relation.show(max_rows=200, max_width=200)
    return 0
