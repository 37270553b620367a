"""Load one landing table into DuckDB `raw.<system>__<table>`, enforcing the contract.

Raw tables keep every landed row as typed by the contract, plus `_source_file`,
`_source_row` and `_load_id` (the load that brought the row in); staging models apply
"newest row wins". A violation of the contract (no rows, a missing column, a value that
does not parse, a null key, a key repeated inside one file) raises ContractViolation
before anything is written, so the previous raw table, and everything built from it,
stays as it was.

A full load replaces the table. An incremental load (the nightly refresh) appends only
the files not loaded before; `raw._landed_files` remembers each loaded file's size and
modification time, and if any loaded file changed or disappeared the table is reloaded
in full instead, so the result always equals a full load of the same files.

In a partial landing (one that `revops land` filled from mapped exports, marked by
`_landing.json`), a table without any file loads as an empty table with the contract's
columns instead.
"""

from __future__ import annotations

import csv
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb

from revops.contract import BOOL, DATE, INT, TEXT, TS, Table
from revops.landing_checks import allowed_problem, outside_allowed, values_outside_allowed
from revops.landing_checks import literal as _literal
from revops.landing_checks import quote as _quote

MANIFEST = "raw._landed_files"
# Written by `revops land` (revops/landing_mapping.py): the tables a mapping filled. Its
# presence marks a partial landing, where a table nobody provided loads as an empty table.
LANDING_MANIFEST = "_landing.json"
EXTENSIONS = {"csv": (".csv",), "parquet": (".parquet",), "jsonl": (".jsonl", ".json")}
MAX_BAD_ROWS = 5


class ContractViolation(Exception):
    """Landing data breaks the contract; the message says where and what to do."""


class UnreadableFile(ContractViolation):
    """A landing file that cannot be read as its format (empty, binary, truncated, a broken
    quote): possibly a copy still in progress, so the raw asset retries it."""


@dataclass(frozen=True)
class LoadResult:
    table: str
    rows: int
    files: list[str]
    bytes: int
    newest: str | None
    mode: str = "full"  # full | incremental | unchanged
    files_loaded: int = 0


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
        "cast(null as varchar) as _source_file, cast(null as bigint) as _source_row, "
        "cast(null as bigint) as _load_id limit 0"
    )
    _record_files(con, table, [], 0, replace=True)
    return LoadResult(table=table.qualified, rows=0, files=[], bytes=0, newest=None)


def scan(path: Path) -> str:
    """A DuckDB table function reading one file with every value as landed."""
    p = _literal(str(path))
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return f"read_csv({p}, header=true, all_varchar=true, auto_detect=true)"
    if suffix == ".parquet":
        return f"read_parquet({p})"
    return f"read_json({p}, format='newline_delimited')"


PARQUET_MAGIC = b"PAR1"
SNIFF_BYTES = 1 << 16


def unreadable_reason(path: Path) -> str | None:
    """Why a landing or export file cannot be read as its suffix says, checked before DuckDB
    reads it (its sniffer calls an empty file one column 'column0'), or None."""
    size = path.stat().st_size
    if size == 0:
        return "the file is empty (0 bytes, not even a header line)"
    with path.open("rb") as file:
        head = file.read(SNIFF_BYTES)
        file.seek(max(size - len(PARQUET_MAGIC), 0))
        tail = file.read()
    if path.suffix.lower() == ".parquet":
        if not head.startswith(PARQUET_MAGIC) or tail != PARQUET_MAGIC:
            return (
                "not a complete Parquet file (it lacks the PAR1 marker at its start or end): "
                "truncated, still being copied, or another format named .parquet"
            )
        return None
    nul = head.find(b"\0")
    if nul >= 0:
        kind = path.suffix.lower().lstrip(".").upper()
        return (
            f"a binary file, not {kind} text (a NUL byte at byte {nul}): another format "
            f"named {path.suffix.lower()}?"
        )
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as error:
        if error.start < len(head) - 4:  # not just a character cut by the sniff window
            return f"not UTF-8 text (byte {error.start} is not valid UTF-8): save it as UTF-8"
    if not head.strip():
        return "the file has only blank lines (no header line)"
    return None


def _unclosed_quote(path: Path) -> str | None:
    """Where a CSV's quoted field is never closed (DuckDB's sniffer then reads the whole
    header as one column), or None."""
    with path.open(newline="", encoding="utf-8", errors="replace") as file:
        reader = csv.reader(file, strict=True)
        start = 1
        try:
            for _ in reader:
                start = reader.line_num + 1
        except csv.Error as error:
            return (
                f"the quoted field that starts on line {start} is never closed ({error}); "
                'close it, and write a quote inside a quoted field twice ("")'
            )
    return None


def read_problem(path: Path, error: Exception | None = None, columns: list[str] = ()) -> str | None:
    """What is wrong with a file that DuckDB could not read (`error`), or read as one column
    holding the whole header (`columns`); None when the file is readable."""
    reason = unreadable_reason(path)
    if reason:
        return reason
    one_column = len(columns) == 1 and "," in columns[0]
    if path.suffix.lower() == ".csv" and (error is not None or one_column):
        quote = _unclosed_quote(path)
        if quote:
            return f"cannot be read as CSV: {quote}"
        if one_column:
            return "cannot be read as CSV: the header line could not be split into columns"
    if error is not None:
        lines = [line.strip() for line in str(error).splitlines() if line.strip()]
        kind = {".csv": "CSV", ".parquet": "Parquet"}.get(path.suffix.lower(), "JSON lines")
        return f"cannot be read as {kind}: {' '.join(lines[:2])}"
    return None


def _unreadable(table: Table, path: Path, problem: str) -> UnreadableFile:
    return UnreadableFile(
        str(
            _violation(
                table,
                path,
                None,
                problem,
                todo="export the file again (or fix it), check it opens as its suffix says, and "
                "land it again; nothing was loaded and nothing was published.",
            )
        )
    )


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


def _describe(con: duckdb.DuckDBPyConnection, table: Table, path: Path) -> dict[str, str]:
    problem = unreadable_reason(path)
    if problem is None:
        try:
            rows = con.execute(f"describe select * from {scan(path)}").fetchall()
        except duckdb.Error as error:
            problem = read_problem(path, error)
        else:
            problem = read_problem(path, columns=[name for name, *_ in rows])
    if problem:
        raise _unreadable(table, path, problem)
    return {name: typ for name, typ, *_ in rows}


def _bad_rows_text(rows: list[tuple]) -> str:
    return "\n".join(f"    row {r[0]}: {', '.join(repr(v) for v in r[1:])}" for r in rows)


def _violation(
    table: Table,
    path: Path | None,
    column: str | None,
    problem: str,
    rows: str = "",
    todo: str = "fix the export (or its mapping) and land it again; "
    "nothing was loaded and nothing was published.",
) -> ContractViolation:
    lines = [f"Landing contract violated for raw/{table.system}/{table.name}"]
    if path is not None:
        lines.append(f"  file:    {path}")
    if column is not None:
        lines.append(f"  column:  {column}")
    lines.append(f"  problem: {problem}")
    if rows:
        lines.append(f"  first bad rows (data row number in the file: values):\n{rows}")
    lines.append(f"  what to do: {todo}")
    return ContractViolation("\n".join(lines))


def _file_source(
    con: duckdb.DuckDBPyConnection, table: Table, path: Path, columns: list[str], index: int
) -> str:
    """A relation over one file's contract columns plus `_row`, the data row number in the file."""
    cols = ", ".join(_quote(c) for c in columns)
    if path.suffix.lower() == ".parquet":
        # Scanned in place: big event files are never copied before validation.
        p = _literal(str(path))
        return f"(select {cols}, file_row_number + 1 as _row from read_parquet({p}, file_row_number=true))"
    # Text formats are materialised once, so rowid follows the order of the file.
    staged = f"_landing_{index}"
    reader = scan(path)
    if path.suffix.lower() != ".csv":
        # JSON values are read as text, like CSV, so every format is parsed the same way.
        as_text = ", ".join(f"{_literal(c)}: 'VARCHAR'" for c in columns)
        reader = (
            f"read_json({_literal(str(path))}, format='newline_delimited', columns={{{as_text}}})"
        )
    try:
        con.execute(f"create or replace temp table {staged} as select {cols} from {reader}")
    except duckdb.Error as error:  # a row further down than the sniffer read
        raise _unreadable(table, path, read_problem(path, error)) from None
    return f"(select *, rowid + 1 as _row from {staged})"


def _file_stamps(files: list[Path]) -> dict[str, tuple[int, int]]:
    return {p.name: (p.stat().st_size, p.stat().st_mtime_ns) for p in files}


def _new_files(
    con: duckdb.DuckDBPyConnection, table: Table, files: list[Path]
) -> list[Path] | None:
    """The files an incremental load must add, or None when only a full load is correct."""
    exists = _scalar(
        con,
        "select count(*) from information_schema.tables where table_schema = 'raw' "
        f"and table_name in ({_literal(table.qualified)}, '_landed_files')",
    )
    if exists < 2:
        return None
    loaded = {
        name: (size, mtime)
        for name, size, mtime in con.execute(
            f"select file_name, bytes, mtime_ns from {MANIFEST} where table_name = ?",
            [table.qualified],
        ).fetchall()
    }
    current = _file_stamps(files)
    if not loaded or any(current.get(name) != stamp for name, stamp in loaded.items()):
        return None
    return [p for p in files if p.name not in loaded]


def _record_files(
    con: duckdb.DuckDBPyConnection, table: Table, files: list[Path], load_id: int, replace: bool
) -> None:
    con.execute(
        f"create table if not exists {MANIFEST} (table_name varchar, file_name varchar, "
        "bytes bigint, mtime_ns bigint, load_id bigint)"
    )
    if replace:
        con.execute(f"delete from {MANIFEST} where table_name = ?", [table.qualified])
    if not files:
        return
    con.executemany(
        f"insert into {MANIFEST} values (?, ?, ?, ?, ?)",
        [
            [table.qualified, name, size, mtime, load_id]
            for name, (size, mtime) in _file_stamps(files).items()
        ],
    )


def load_table(
    con: duckdb.DuckDBPyConnection, landing: Path, table: Table, incremental: bool = False
) -> LoadResult:
    """Validate the landing files of `table` and replace (or append to) `raw.<system>__<table>`."""
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
    to_load = _new_files(con, table, files) if incremental else None
    mode = "full" if to_load is None else ("incremental" if to_load else "unchanged")
    to_load = files if to_load is None else to_load
    target = f"raw.{_quote(table.qualified)}"
    # Microseconds since the epoch: every load gets a greater id than the loads before it.
    load_id = time.time_ns() // 1000
    in_transaction = False
    try:
        selects = [_validated_select(con, table, path, index) for index, path in enumerate(to_load)]
        selects = [s for s in selects if s is not None]
        if not selects and mode == "full":
            raise _violation(
                table,
                table_dir(landing, table),
                None,
                "the table is empty (no data rows in any file)",
            )
        ordered = ", ".join(_quote(c) for c in table.all_columns())
        body = " union all by name ".join(f"({s})" for s in selects)
        rows_sql = (
            f"select {ordered}, _source_file, _source_row, {load_id} as _load_id from ({body})"
        )
        con.execute("begin transaction")
        in_transaction = True
        con.execute("create schema if not exists raw")
        if mode == "full":
            con.execute(f"create or replace table {target} as {rows_sql}")
        elif selects:
            con.execute(f"insert into {target} {rows_sql}")
        _record_files(con, table, to_load, load_id, replace=mode == "full")
        con.execute("commit")
        in_transaction = False
    except BaseException:
        if in_transaction:
            con.execute("rollback")
        raise
    finally:
        for index in range(len(to_load)):
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
        mode=mode,
        files_loaded=len(to_load) if mode != "unchanged" else 0,
    )


def _validated_select(
    con: duckdb.DuckDBPyConnection, table: Table, path: Path, index: int
) -> str | None:
    """Check one file against the contract; return the SELECT that types it (None if empty)."""
    landed = _describe(con, table, path)
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
    source = _file_source(con, table, path, list(columns), index)
    if _scalar(con, f"select count(*) from {source}") == 0:
        return None

    parsed = {name: _parse_expr(name, target, landed[name]) for name, target in columns.items()}
    _check_values(con, table, path, source, columns, parsed)
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


def _unparsed(column: str, expr: str) -> str:
    """True where a landed value is present but does not parse as the contract type."""
    return f"nullif(trim(cast({_quote(column)} as varchar)), '') is not null and ({expr}) is null"


def _check_values(
    con: duckdb.DuckDBPyConnection,
    table: Table,
    path: Path,
    source: str,
    columns: dict[str, str],
    parsed: dict[str, str],
) -> None:
    """Every typed column parses, every key is present and every coded column holds allowed
    values: one scan counts the bad values of all columns (one scan per column took a quarter
    of the load at m); the first bad column, in contract order, is then read again for its
    rows."""
    to_parse = [n for n, t in columns.items() if parsed[n] != _quote(n) and t != TEXT]
    coded = [n for n in columns if n in table.allowed]
    counts = [f"count_if({_unparsed(n, parsed[n])})" for n in to_parse]
    counts += [f"count_if(({parsed[k]}) is null)" for k in table.key]
    counts += [f"count_if({outside_allowed(parsed[n], table.allowed[n])})" for n in coded]
    if not counts:
        return
    bad_counts = con.execute(f"select {', '.join(counts)} from {source}").fetchall()[0]
    unparsed_counts = bad_counts[: len(to_parse)]
    null_key_counts = bad_counts[len(to_parse) : len(to_parse) + len(table.key)]
    outside_counts = bad_counts[len(to_parse) + len(table.key) :]
    for name, count in zip(to_parse, unparsed_counts, strict=True):
        if count:
            bad = con.execute(
                f"select _row, {_quote(name)} from {source} "
                f"where {_unparsed(name, parsed[name])} order by _row limit {MAX_BAD_ROWS}"
            ).fetchall()
            raise _violation(
                table,
                path,
                name,
                f"value(s) that are not a valid {columns[name]}",
                _bad_rows_text(bad),
            )
    keys = ", ".join(_quote(k) for k in table.key)
    for key, count in zip(table.key, null_key_counts, strict=True):
        if count:
            nulls = con.execute(
                f"select _row, {keys} from {source} where ({parsed[key]}) is null "
                f"order by _row limit {MAX_BAD_ROWS}"
            ).fetchall()
            raise _violation(table, path, key, "null or empty key", _bad_rows_text(nulls))
    for name, count in zip(coded, outside_counts, strict=True):
        if count:
            (finding,) = values_outside_allowed(con, source, table, [name])
            bad = con.execute(
                f"select _row, {_quote(name)} from {source} "
                f"where {outside_allowed(parsed[name], table.allowed[name])} "
                f"order by _row limit {MAX_BAD_ROWS}"
            ).fetchall()
            raise _violation(
                table,
                path,
                name,
                f"{allowed_problem(table, name)} on {count} row(s): {finding.examples}",
                _bad_rows_text(bad),
            )


def _check_keys(
    con: duckdb.DuckDBPyConnection, table: Table, path: Path, source: str, parsed: dict[str, str]
) -> None:
    """No key repeats inside the file: a grouped probe first (cheaper than the window that
    lists the repeats), the rows of the repeated keys only when there are some."""
    keys = ", ".join(_quote(k) for k in table.key)
    typed = f"(select _row, {', '.join(f'{parsed[k]} as {_quote(k)}' for k in table.key)} from {source})"
    repeated = con.execute(
        f"select 1 from {typed} group by {keys} having count(*) > 1 limit 1"
    ).fetchall()
    if not repeated:
        return
    dupes = con.execute(
        f"select _row, {keys} from (select *, count(*) over (partition by {keys}) as _n from {typed}) "
        f"where _n > 1 order by {keys}, _row limit {MAX_BAD_ROWS}"
    ).fetchall()
    raise _violation(
        table,
        path,
        ", ".join(table.key),
        "key repeated inside one file (a later file may repeat a key with newer values; "
        "one file may not)",
        _bad_rows_text(dupes),
    )
