"""Load one landing table into DuckDB `raw.<system>__<table>`, enforcing the contract.

Raw tables keep every landed row as typed by the contract, plus `_source_file` and
`_source_row`; staging models apply "newest row wins". A violation of the contract
(no rows, a missing column, a value that does not parse, a null key, a key repeated
inside one file) raises ContractViolation before anything is written, so the previous
raw table, and everything built from it, stays as it was. In a partial landing (one that
`revops land` filled from mapped exports, marked by `_landing.json`), a table without any
file loads as an empty table with the contract's columns instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb

from revops.contract import BOOL, DATE, INT, TEXT, TS, Table

# Written by `revops land` (revops/landing_mapping.py): the tables a mapping filled. Its
# presence marks a partial landing, where a table nobody provided loads as an empty table.
LANDING_MANIFEST = "_landing.json"
EXTENSIONS = {"csv": (".csv",), "parquet": (".parquet",), "jsonl": (".jsonl", ".json")}
MAX_BAD_ROWS = 5


class ContractViolation(Exception):
    """Landing data breaks the contract; the message says where and what to do."""


@dataclass(frozen=True)
class LoadResult:
    table: str
    rows: int
    files: list[str]
    bytes: int
    newest: str | None


def table_dir(landing: Path, table: Table) -> Path:
    return landing / table.system / table.name


def landing_files(landing: Path, table: Table) -> list[Path]:
    """Every file of a table, csv, parquet or jsonl alike, in file-name order."""
    folder = table_dir(landing, table)
    if not folder.is_dir():
        return []
    suffixes = {s for exts in EXTENSIONS.values() for s in exts}
    return sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in suffixes)


def is_partial_landing(landing: Path) -> bool:
    """True when `revops land` filled this landing folder from mapped exports."""
    return (landing / LANDING_MANIFEST).is_file()


def _load_empty(con: duckdb.DuckDBPyConnection, landing: Path, table: Table) -> LoadResult:
    """A table the partial landing does not provide: empty, with the contract's columns."""
    columns = ", ".join(
        f"cast(null as {typ}) as {_quote(name)}" for name, typ in table.all_columns().items()
    )
    con.execute("create schema if not exists raw")
    con.execute(
        f"create or replace table raw.{_quote(table.qualified)} as select {columns}, "
        "cast(null as varchar) as _source_file, cast(null as bigint) as _source_row limit 0"
    )
    return LoadResult(table=table.qualified, rows=0, files=[], bytes=0, newest=None)


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _scan(path: Path) -> str:
    """A DuckDB table function reading one file with every value as landed."""
    p = _literal(str(path))
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return f"read_csv({p}, header=true, all_varchar=true, auto_detect=true)"
    if suffix == ".parquet":
        return f"read_parquet({p})"
    return f"read_json({p}, format='newline_delimited')"


def _parse_expr(column: str, target: str, source: str) -> str:
    """SQL turning a landed value into the contract type (null if it does not parse)."""
    col = _quote(column)
    if source.upper() == target.upper() or (target == TEXT and source == "VARCHAR"):
        return col
    if source.upper() == "TIMESTAMP WITH TIME ZONE" and target == TS:
        return f"timezone('UTC', {col})"
    if source.upper() == "DATE" and target == TS:
        return f"cast({col} as timestamp)"
    text = f"nullif(trim(cast({col} as varchar)), '')"
    if target == TEXT:
        return f"nullif(cast({col} as varchar), '')"
    if target == TS:
        # Offsets are honoured; a timestamp without one is UTC (the session time zone).
        return f"timezone('UTC', try_cast({text} as timestamptz))"
    if target == INT:
        # try_cast would round '1.5' to 2: accept whole numbers only.
        return (
            f"case when regexp_full_match({text}, '[+-]?[0-9]+(\\.0+)?') "
            f"then try_cast(try_cast({text} as double) as bigint) end"
        )
    if target == BOOL:
        return f"try_cast({text} as boolean)"
    if target == DATE:
        return f"try_cast({text} as date)"
    return f"try_cast({text} as {target})"


def _scalar(con: duckdb.DuckDBPyConnection, sql: str):
    # duckdb 2.0: fetchone() leaves the result open and blocks the connection.
    return con.execute(sql).fetchall()[0][0]


def _describe(con: duckdb.DuckDBPyConnection, path: Path) -> dict[str, str]:
    rows = con.execute(f"describe select * from {_scan(path)}").fetchall()
    return {name: typ for name, typ, *_ in rows}


def _bad_rows_text(rows: list[tuple]) -> str:
    return "\n".join(f"    row {r[0]}: {', '.join(repr(v) for v in r[1:])}" for r in rows)


def _violation(
    table: Table, path: Path | None, column: str | None, problem: str, rows: str = ""
) -> ContractViolation:
    lines = [f"Landing contract violated for raw/{table.system}/{table.name}"]
    if path is not None:
        lines.append(f"  file:    {path}")
    if column is not None:
        lines.append(f"  column:  {column}")
    lines.append(f"  problem: {problem}")
    if rows:
        lines.append(f"  first bad rows (data row number in the file: values):\n{rows}")
    lines.append(
        "  what to do: fix the export (or its mapping) and land it again; "
        "nothing was loaded and nothing was published."
    )
    return ContractViolation("\n".join(lines))


def _file_source(con: duckdb.DuckDBPyConnection, path: Path, columns: list[str], index: int) -> str:
    """A relation over one file's contract columns plus `_row`, the data row number in the file."""
    cols = ", ".join(_quote(c) for c in columns)
    if path.suffix.lower() == ".parquet":
        # Scanned in place: big event files are never copied before validation.
        p = _literal(str(path))
        return f"(select {cols}, file_row_number + 1 as _row from read_parquet({p}, file_row_number=true))"
    # Text formats are materialised once, so rowid follows the order of the file.
    staged = f"_landing_{index}"
    scan = _scan(path)
    if path.suffix.lower() != ".csv":
        # JSON values are read as text, like CSV, so every format is parsed the same way.
        as_text = ", ".join(f"{_literal(c)}: 'VARCHAR'" for c in columns)
        scan = (
            f"read_json({_literal(str(path))}, format='newline_delimited', columns={{{as_text}}})"
        )
    con.execute(f"create or replace temp table {staged} as select {cols} from {scan}")
    return f"(select *, rowid + 1 as _row from {staged})"


def load_table(con: duckdb.DuckDBPyConnection, landing: Path, table: Table) -> LoadResult:
    """Validate every landing file of `table` and replace `raw.<system>__<table>`."""
    con.execute("set TimeZone = 'UTC'")
    files = landing_files(landing, table)
    if not files and is_partial_landing(landing):
        return _load_empty(con, landing, table)
    if not files:
        raise _violation(
            table,
            table_dir(landing, table),
            None,
            "no landing file (expected *.csv, *.parquet or *.jsonl in this folder)",
        )
    try:
        selects = [_validated_select(con, table, path, index) for index, path in enumerate(files)]
        selects = [s for s in selects if s is not None]
        if not selects:
            raise _violation(
                table,
                table_dir(landing, table),
                None,
                "the table is empty (no data rows in any file)",
            )
        target = f"raw.{_quote(table.qualified)}"
        con.execute("create schema if not exists raw")
        ordered = ", ".join(_quote(c) for c in table.all_columns())
        body = " union all by name ".join(f"({s})" for s in selects)
        con.execute(
            f"create or replace table {target} as "
            f"select {ordered}, _source_file, _source_row from ({body})"
        )
    finally:
        for index in range(len(files)):
            con.execute(f"drop table if exists _landing_{index}")
    rows = _scalar(con, f"select count(*) from {target}")
    newest = None
    if table.timestamp_column:
        column = _quote(table.timestamp_column)
        value = _scalar(con, f"select max({column}) from {target}")
        newest = None if value is None else str(value)
    return LoadResult(
        table=table.qualified,
        rows=rows,
        files=[str(p.relative_to(landing)) for p in files],
        bytes=sum(p.stat().st_size for p in files),
        newest=newest,
    )


def _validated_select(
    con: duckdb.DuckDBPyConnection, table: Table, path: Path, index: int
) -> str | None:
    """Check one file against the contract; return the SELECT that types it (None if empty)."""
    landed = _describe(con, path)
    missing = [c for c in table.columns if c not in landed]
    if missing:
        raise _violation(
            table,
            path,
            ", ".join(missing),
            f"missing contract column(s); the file has: {', '.join(landed)}",
        )
    columns = table.all_columns(set(landed))
    if path.suffix.lower() != ".parquet":
        landed = {name: "VARCHAR" for name in landed}
    source = _file_source(con, path, list(columns), index)
    if _scalar(con, f"select count(*) from {source}") == 0:
        return None

    parsed: dict[str, str] = {}
    for name, target in columns.items():
        expr = _parse_expr(name, target, landed[name])
        parsed[name] = expr
        if expr == _quote(name) or target == TEXT:
            continue
        bad = con.execute(
            f"select _row, {_quote(name)} from {source} "
            f"where nullif(trim(cast({_quote(name)} as varchar)), '') is not null "
            f"and ({expr}) is null order by _row limit {MAX_BAD_ROWS}"
        ).fetchall()
        if bad:
            raise _violation(
                table, path, name, f"value(s) that are not a valid {target}", _bad_rows_text(bad)
            )
    _check_keys(con, table, path, source, parsed)

    typed = [f"{expr} as {_quote(name)}" for name, expr in parsed.items()]
    typed += [
        f"cast(null as {typ}) as {_quote(name)}"
        for name, typ in table.optional.items()
        if name not in parsed
    ]
    return (
        f"select {', '.join(typed)}, {_literal(path.name)} as _source_file, "
        f"_row as _source_row from {source}"
    )


def _check_keys(
    con: duckdb.DuckDBPyConnection, table: Table, path: Path, source: str, parsed: dict[str, str]
) -> None:
    keys = ", ".join(_quote(k) for k in table.key)
    typed = f"(select _row, {', '.join(f'{parsed[k]} as {_quote(k)}' for k in table.key)} from {source})"
    for key in table.key:
        nulls = con.execute(
            f"select _row, {keys} from {typed} where {_quote(key)} is null "
            f"order by _row limit {MAX_BAD_ROWS}"
        ).fetchall()
        if nulls:
            raise _violation(table, path, key, "null or empty key", _bad_rows_text(nulls))
    dupes = con.execute(
        f"select _row, {keys} from (select *, count(*) over (partition by {keys}) as _n from {typed}) "
        f"where _n > 1 order by {keys}, _row limit {MAX_BAD_ROWS}"
    ).fetchall()
    if dupes:
        raise _violation(
            table,
            path,
            ", ".join(table.key),
            "key repeated inside one file (a later file may repeat a key with newer values; "
            "one file may not)",
            _bad_rows_text(dupes),
        )
