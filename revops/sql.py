"""`revops sql`: read-only SQL on the published warehouse.

With `-c`, one statement's result is printed (for scripts). Without it, Harlequin (a terminal
SQL IDE on the same duckdb library) opens the serving file read-only, with Harlequin's
defaults instead of any user profile, no MotherDuck token, and DuckDB's extension
auto-install off, so nothing reaches the network.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import duckdb

HARLEQUIN_INIT = Path(__file__).with_name("harlequin_init.sql")


def _missing(serving: Path) -> bool:
    if serving.exists():
        return False
    print(
        f"no published warehouse at {serving}: run `make run` (or `revops refresh`) first",
        file=sys.stderr,
    )
    return True


def harlequin_command(serving: Path) -> list[str]:
    """The Harlequin command line `revops sql` runs (read-only, offline, no user profile)."""
    return [
        str(Path(sys.executable).with_name("harlequin")),
        "--adapter",
        "duckdb",
        "--read-only",
        "--profile",
        "None",
        "--init-path",
        str(HARLEQUIN_INIT),
        "--no-write-history",
        str(serving),
    ]


def harlequin_env() -> dict[str, str]:
    """The environment Harlequin runs with: no MotherDuck tokens, no config-file override."""
    drop = {"motherduck_token", "MOTHERDUCK_TOKEN", "HARLEQUIN_CONFIG_PATH"}
    return {key: value for key, value in os.environ.items() if key not in drop}


def run_sql(command: str | None, serving: Path) -> int:
    if _missing(serving):
        return 2
    if command is None:
        argv = harlequin_command(serving)
        if not Path(argv[0]).exists():
            print(f"harlequin is not installed ({argv[0]}): run `make install`", file=sys.stderr)
            return 2
        os.execve(argv[0], argv, harlequin_env())
    con = duckdb.connect(str(serving), read_only=True)
    try:
        return _run_one(con, command)
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
