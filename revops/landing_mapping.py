"""Bring your own exports: a declarative mapping turns them into contract-shaped landing files.

A mapping file (YAML, one per source, see mappings/*.yml) names the export files and, for
each contract table it fills, a FROM clause over them and one DuckDB SQL expression per
contract column. `revops land --mapping FILE` evaluates it set-based in an in-memory DuckDB,
checks every value against the contract's type, the allowed values of coded columns, the
table's key and the rows its references name (revops/landing_checks.py), warns of events
of one subscription at the same instant whose ids alone decide their order (the larger
event_id holds; `--strict` makes it an error), and only then writes
`<landing>/<system>/<table>/<mapping name>.csv` for each table (built in a scratch folder,
moved into place at the end: a failed mapping leaves the landing folder as it was). Only
that file is replaced, so mappings compose: a second mapping filling the same table (HubSpot
and Salesforce both fill leads) adds its own file beside the first. It also records, per
table, every mapping that filled it in `<landing>/_landing.json`, which marks the landing
as partial: the loaders then load tables nobody provided as empty tables.

Presets (revops/presets/<tool>.yml, `revops land --preset salesforce --source PATH`) are
mappings over a managed connector's tables: a source `{table: account}` is the connector
table `account` under PATH (a folder or a DuckDB file, read by revops/connector_sources.py,
every value as text, named as Fivetran names it whatever `--naming`); `optional: true` with
`columns: [...]` stands for a table an org may not sync (absent: no rows, those columns).

Format (every key but `tables` optional):

    name: maven_crm                      # the landed file name (default: the file's stem)
    source_dir: exports/x                # where the exports are, relative to this file
    sources:                             # alias -> export file (+ read_csv options)
      pipeline: {file: sales_pipeline.csv, options: {delim: ","}}
      acct: {table: account}               # or a connector table (see presets)
      quote: {table: quote, optional: true, columns: [id, status]}
    tables:
      sales/opportunities:
        from: pipeline left join products on ...   # default: the only source
        where: pipeline.deal_stage <> ''           # optional row filter
        columns:                                   # contract column -> SQL expression
          opportunity_id: opportunity_id
          stage_name: case deal_stage when 'Won' then 'closed_won' ... end
          currency: 'USD'                          # YAML single quotes = a SQL text literal

Exports are read with `header=true, all_varchar=true` unless a source's options say
otherwise, so every value arrives as text and expressions cast what they need. Contract
columns the mapping leaves out are null (key columns must be mapped).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import yaml

from revops.connector_sources import (
    ConnectorTableMissing,
    empty_connector_table,
    read_connector_table,
    register_macros,
)
from revops.contract import BOOL, DATE, INT, TABLES_BY_NAME, TEXT, TS, Table
from revops.landing_checks import (
    allowed_problem,
    orphans,
    reference_problem,
    same_instant_events,
    same_instant_problem,
    values_outside_allowed,
)
from revops.landing_checks import quote as _quote
from revops.loading import LANDING_MANIFEST, landing_files, read_problem, scan

MAX_SAMPLES = 5
PRESETS_DIR = Path(__file__).parent / "presets"
READ_DEFAULTS = {"header": True, "all_varchar": True}


class MappingError(Exception):
    """A mapping that cannot be applied; the message names the mapping file and line."""


@dataclass
class Located:
    """A value from the mapping file and the 1-based line it was written on."""

    value: object
    line: int
    style: str | None = None


@dataclass
class TableMapping:
    table: Table
    line: int
    from_clause: Located
    where: Located | None
    columns: dict[str, Located] = field(default_factory=dict)


@dataclass
class Source:
    """An export file (`file:`, read with read_csv `options`) or a connector table
    (`table:`, read by revops/connector_sources.py); `optional` and `columns` are for
    connector tables an org may not sync: absent, they are empty with these columns."""

    file: Located | None = None
    options: dict[str, object] = field(default_factory=dict)
    table: Located | None = None
    optional: bool = False
    columns: tuple[str, ...] = ()


@dataclass
class Mapping:
    path: Path
    name: str
    source_dir: Path | None  # None: a preset, whose connector tables need --source
    sources: dict[str, Source]
    tables: list[TableMapping]


@dataclass(frozen=True)
class LandedTable:
    table: str
    rows: int
    path: Path
    warnings: tuple[str, ...] = ()  # what may not mean what the export meant (--strict: errors)


def _display(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def preset_path(name: str) -> Path:
    """The shipped preset of a connector tool (`salesforce` -> revops/presets/salesforce.yml)."""
    path = PRESETS_DIR / f"{name}.yml"
    if not path.is_file():
        raise MappingError(f"no preset '{name}' (presets: {', '.join(available_presets())})")
    return path


def available_presets() -> list[str]:
    return sorted(p.stem for p in PRESETS_DIR.glob("*.yml"))


class _Reader:
    """Walks the composed YAML nodes, keeping line numbers for every error."""

    def __init__(self, path: Path):
        self.path = path
        self.where = _display(path)
        if path.resolve().parent == PRESETS_DIR.resolve():
            self.where = f"preset {path.stem} ({self.where})"

    def error(self, line: int, message: str) -> MappingError:
        return MappingError(f"{self.where} line {line}: {message}")

    def mapping(self, node: yaml.Node, what: str) -> dict[str, tuple[Located, yaml.Node]]:
        if not isinstance(node, yaml.MappingNode):
            raise self.error(node.start_mark.line + 1, f"{what} must be a mapping (key: value)")
        result: dict[str, tuple[Located, yaml.Node]] = {}
        for key, value in node.value:
            name = str(key.value)
            line = key.start_mark.line + 1
            if name in result:
                raise self.error(line, f"'{name}' appears twice in {what}")
            result[name] = (Located(name, line), value)
        return result

    def scalar(self, node: yaml.Node, what: str) -> Located:
        if not isinstance(node, yaml.ScalarNode):
            raise self.error(node.start_mark.line + 1, f"{what} must be a single value")
        return Located(str(node.value), node.start_mark.line + 1, node.style)

    def plain(self, node: yaml.Node) -> object:
        constructor = yaml.constructor.SafeConstructor()
        return constructor.construct_document(node)


def _parse_source(reader: _Reader, alias: str, key: Located, node: yaml.Node) -> Source:
    spec = reader.mapping(node, f"source {alias}")
    known = {"file", "options", "table", "optional", "columns"}
    for part, (part_key, _) in spec.items():
        if part not in known:
            raise reader.error(
                part_key.line, f"unknown key '{part}' in source '{alias}' ({', '.join(known)})"
            )
    if ("file" in spec) == ("table" in spec):
        raise reader.error(
            key.line,
            f"source '{alias}' needs either 'file:' (an export file) or 'table:' (a connector table)",
        )
    if "table" in spec:
        columns = reader.plain(spec["columns"][1]) if "columns" in spec else []
        if not isinstance(columns, list):
            raise reader.error(spec["columns"][0].line, "columns must be a list of names")
        optional = reader.plain(spec["optional"][1]) if "optional" in spec else False
        if optional and not columns:
            raise reader.error(
                key.line,
                f"optional source '{alias}' needs 'columns:' (the columns of the empty table "
                "it stands for when the connector did not sync it)",
            )
        return Source(
            table=reader.scalar(spec["table"][1], f"source {alias} table"),
            optional=bool(optional),
            columns=tuple(str(c) for c in columns),
        )
    options: dict[str, object] = {}
    if "options" in spec:
        options = reader.plain(spec["options"][1]) or {}
        if not isinstance(options, dict):
            raise reader.error(spec["options"][0].line, "options must be a mapping")
    return Source(file=reader.scalar(spec["file"][1], f"source {alias} file"), options=options)


def _sql_expression(value: Located) -> str:
    """The SQL of a mapping value: YAML single quotes mean a SQL text literal."""
    text = str(value.value)
    if value.style == "'":
        return "'" + text.replace("'", "''") + "'"
    return text


def parse_mapping(path: Path, source_dir: Path | None = None) -> Mapping:
    """Read a mapping file; structural errors name the line."""
    path = Path(path)
    reader = _Reader(path)
    if not path.is_file():
        raise MappingError(f"{reader.where}: no such mapping file")
    try:
        root = yaml.compose(path.read_text())
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = mark.line + 1 if mark else 1
        raise reader.error(line, f"not valid YAML: {getattr(error, 'problem', error)}") from None
    if root is None:
        raise MappingError(f"{reader.where}: the mapping file is empty")
    top = reader.mapping(root, "the mapping file")
    known = {"name", "description", "source_dir", "sources", "tables"}
    for name, (key, _) in top.items():
        if name not in known:
            raise reader.error(key.line, f"unknown key '{name}' (expected: {', '.join(known)})")
    if "tables" not in top:
        raise reader.error(1, "no 'tables:' section: which contract tables does it fill?")

    name = reader.scalar(top["name"][1], "name").value if "name" in top else path.stem
    if not re.fullmatch(r"[A-Za-z0-9_.-]+", str(name)):
        raise reader.error(top["name"][0].line, f"name '{name}' may use letters, digits, _ . -")
    if source_dir is None and "source_dir" in top:
        source_dir = path.parent / str(reader.scalar(top["source_dir"][1], "source_dir").value)

    sources: dict[str, Source] = {}
    if "sources" in top:
        for alias, (key, node) in reader.mapping(top["sources"][1], "sources").items():
            if not re.fullmatch(r"[a-z_][a-z0-9_]*", alias):
                raise reader.error(key.line, f"source alias '{alias}' must be a lower-case name")
            if isinstance(node, yaml.ScalarNode):
                sources[alias] = Source(file=reader.scalar(node, f"source {alias}"))
                continue
            sources[alias] = _parse_source(reader, alias, key, node)
    if source_dir is None and not any(s.table for s in sources.values()):
        source_dir = path.parent

    tables: list[TableMapping] = []
    for qualified, (key, node) in reader.mapping(top["tables"][1], "tables").items():
        system, _, table_name = qualified.replace(".", "/").partition("/")
        table = TABLES_BY_NAME.get(f"{system}__{table_name}")
        if table is None:
            names = ", ".join(f"{t.system}/{t.name}" for t in TABLES_BY_NAME.values())
            raise reader.error(key.line, f"'{qualified}' is not a contract table ({names})")
        spec = reader.mapping(node, qualified)
        for part, (part_key, _) in spec.items():
            if part not in {"from", "where", "columns"}:
                raise reader.error(
                    part_key.line, f"unknown key '{part}' in {qualified} (from, where, columns)"
                )
        if "from" in spec:
            from_clause = reader.scalar(spec["from"][1], "from")
        elif len(sources) == 1:
            from_clause = Located(next(iter(sources)), key.line)
        else:
            raise reader.error(key.line, f"{qualified} needs 'from:' (there are several sources)")
        where = reader.scalar(spec["where"][1], "where") if "where" in spec else None
        if "columns" not in spec:
            raise reader.error(key.line, f"{qualified} has no 'columns:'")
        contract_columns = table.all_columns()
        columns: dict[str, Located] = {}
        for column, (column_key, value) in reader.mapping(spec["columns"][1], "columns").items():
            if column not in contract_columns:
                raise reader.error(
                    column_key.line,
                    f"column '{column}' is not a column of contract table {qualified} "
                    f"(its columns: {', '.join(contract_columns)})",
                )
            expression = reader.scalar(value, f"column {column}")
            if expression.value in ("", None) or (
                isinstance(value, yaml.ScalarNode) and value.tag.endswith(":null")
            ):
                expression = Located("null", column_key.line)
            columns[column] = Located(_sql_expression(expression), column_key.line)
        missing_keys = [k for k in table.key if k not in columns]
        if missing_keys:
            raise reader.error(
                key.line,
                f"{qualified}: key column(s) {', '.join(missing_keys)} are not mapped "
                "(a key cannot be null; a hash of other columns can stand in for a missing one, "
                "e.g. md5(concat_ws('|', a, b)))",
            )
        tables.append(TableMapping(table, key.line, from_clause, where, columns))
    return Mapping(path, str(name), Path(source_dir) if source_dir else None, sources, tables)


def _literal(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return "'" + str(value).replace("'", "''") + "'"


def _first_line(error: Exception) -> str:
    return str(error).strip().splitlines()[0]


def _valid(column: str, target: str) -> str:
    """SQL that is true when the text of `column` parses as the contract type `target`."""
    text = f"nullif(trim(cast({column} as varchar)), '')"
    if target == TEXT:
        return "true"
    if target == TS:
        return f"try_cast({text} as timestamptz) is not null"
    if target == INT:
        return f"regexp_full_match({text}, '[+-]?[0-9]+(\\.0+)?')"
    if target == BOOL:
        return f"try_cast({text} as boolean) is not null"
    if target == DATE:
        return f"try_cast({text} as date) is not null"
    return f"try_cast({text} as {target}) is not null"


def _formatted(column: str, target: str) -> str:
    """The landed text of a value of the contract type (what the loaders parse back)."""
    text = f"nullif(trim(cast({column} as varchar)), '')"
    if target == TEXT:
        return f"cast({column} as varchar)"
    if target == TS:
        return f"strftime(timezone('UTC', cast({text} as timestamptz)), '%Y-%m-%dT%H:%M:%S+00:00')"
    if target == INT:
        return f"cast(cast(cast({text} as double) as bigint) as varchar)"
    if target == BOOL:
        return f"cast(cast({text} as boolean) as varchar)"
    if target == DATE:
        return f"strftime(cast({text} as date), '%Y-%m-%d')"
    return f"cast(cast({text} as {target}) as varchar)"


class _Applier:
    def __init__(self, mapping: Mapping, naming: str = "fivetran", schema: str | None = None):
        self.mapping = mapping
        self.naming = naming
        self.schema = schema
        self.reader = _Reader(mapping.path)
        self.con = duckdb.connect()
        self.con.execute("set TimeZone = 'UTC'")
        register_macros(self.con)
        self.columns_of: dict[str, list[str]] = {}
        self.views: dict[str, str] = {}  # qualified table -> its landed view
        self.absent: set[str] = set()  # optional connector tables that were not there

    def error(self, line: int, message: str) -> MappingError:
        return self.reader.error(line, message)

    def register_sources(self) -> None:
        for alias, source in self.mapping.sources.items():
            if source.table is not None:
                self.register_connector_table(alias, source)
                continue
            file, options = source.file, source.options
            path = (self.mapping.source_dir or self.mapping.path.parent) / str(file.value)
            if not path.is_file():
                raise self.error(file.line, f"source '{alias}': no such export file {path}")
            settings = {**READ_DEFAULTS, **options}
            args = ", ".join(f"{k} = {_literal(v)}" for k, v in settings.items())
            problem = read_problem(path)
            if problem is None:
                try:
                    self.con.execute(
                        f"create temp table {_quote(alias)} as "
                        f"select * from read_csv({_literal(str(path))}, {args})"
                    )
                except duckdb.Error as error:
                    problem = read_problem(path, error)
            if problem is None:
                described = self.con.execute(f"describe {_quote(alias)}").fetchall()
                self.columns_of[alias] = [row[0] for row in described]
                problem = read_problem(path, columns=self.columns_of[alias])
            if problem:
                raise self.error(
                    file.line,
                    f"source '{alias}' ({path}) {problem}; fix or export it again",
                )

    def register_connector_table(self, alias: str, source: Source) -> None:
        table = str(source.table.value)
        if self.mapping.source_dir is None:
            raise self.error(
                source.table.line,
                f"source '{alias}' is connector table '{table}': say where the connector "
                "wrote its tables with --source (a folder or a DuckDB file)",
            )
        try:
            columns = read_connector_table(
                self.con, alias, self.mapping.source_dir, table, self.naming, self.schema
            )
        except ConnectorTableMissing as missing:
            if not source.optional:
                raise self.error(
                    source.table.line,
                    f"connector table '{table}' (source '{alias}') is missing: {missing}; "
                    "sync it with the connector, or mark the source 'optional: true' in a "
                    "copy of the mapping if your org does not have it",
                ) from None
            columns = empty_connector_table(self.con, alias, source.columns)
            self.absent.add(alias)
        except duckdb.Error as error:
            raise self.error(
                source.table.line,
                f"connector table '{table}' (source '{alias}') cannot be read: "
                f"{_first_line(error)}; fix or sync it again",
            ) from None
        self.columns_of[alias] = columns
        absent = [c for c in source.columns if c not in columns]
        if absent:
            raise self.error(
                source.table.line,
                f"connector table '{table}' (source '{alias}') has no column(s) "
                f"{', '.join(absent)} (it has: {', '.join(columns)}); a field your org does "
                f"not sync: remove it from a copy of the mapping (naming: {self.naming})",
            )

    def _uses_absent_source(self, from_clause: str) -> bool:
        """True when the FROM reads an optional connector table the connector did not sync:
        then no rows is expected, and the table is not landed."""
        return any(re.search(rf"\b{re.escape(a)}\b", from_clause) for a in self.absent)

    def _available(self, from_clause: str) -> str:
        used = [a for a in self.columns_of if re.search(rf"\b{re.escape(a)}\b", from_clause)]
        return "; ".join(f"{a}: {', '.join(self.columns_of[a])}" for a in used)

    def _explain(self, error: duckdb.Error, from_clause: str) -> str:
        message = _first_line(error)
        unknown = re.search(r'Referenced column "(.+?)" not found', message)
        if unknown:
            return f"unknown column '{unknown.group(1)}' (the export has {self._available(from_clause)})"
        return message

    def table_sql(self, spec: TableMapping) -> tuple[str, str]:
        """(FROM ... WHERE ..., the staged table name), each part checked on its own line."""
        from_sql = str(spec.from_clause.value)
        try:
            self.con.execute(f"select 1 from {from_sql} limit 0")
        except duckdb.Error as error:
            raise self.error(
                spec.from_clause.line,
                f"{spec.table.system}/{spec.table.name}: 'from' fails: {self._explain(error, from_sql)}",
            ) from None
        body = f"from {from_sql}"
        if spec.where is not None:
            body += f" where {spec.where.value}"
            try:
                self.con.execute(f"select 1 {body} limit 0")
            except duckdb.Error as error:
                raise self.error(
                    spec.where.line,
                    f"{spec.table.system}/{spec.table.name}: 'where' fails: "
                    f"{self._explain(error, from_sql)}",
                ) from None
        return body, f"_mapped_{spec.table.qualified}"

    def apply_table(self, spec: TableMapping) -> tuple[str, int]:
        table = spec.table
        qualified = f"{table.system}/{table.name}"
        body, staged = self.table_sql(spec)
        from_sql = str(spec.from_clause.value)
        # Bind each expression alone, so an unknown column names its own line.
        for column, expression in spec.columns.items():
            try:
                self.con.execute(f"select {expression.value} {body} limit 0")
            except duckdb.Error as error:
                raise self.error(
                    expression.line,
                    f"column '{column}' of {qualified}: {self._explain(error, from_sql)}",
                ) from None
        select = ", ".join(f"({e.value}) as {_quote(c)}" for c, e in spec.columns.items())
        try:
            self.con.execute(
                f"create or replace temp table {_quote(staged)} as select {select} {body}"
            )
        except duckdb.Error:
            # A value that fails at run time (a cast of bad text): find the column that fails.
            for column, expression in spec.columns.items():
                try:
                    self.con.execute(
                        f"select count(*) from (select cast(({expression.value}) as varchar) as v "
                        f"{body}) where v is not null or v is null"
                    ).fetchall()
                except duckdb.Error as error:
                    raise self.error(
                        expression.line,
                        f"column '{column}' of {qualified}: the expression fails on the data: "
                        f"{_first_line(error)}",
                    ) from None
            raise
        rows = self.con.execute(f"select count(*) from {_quote(staged)}").fetchall()[0][0]
        if rows == 0 and not self._uses_absent_source(from_sql):
            raise self.error(spec.line, f"{qualified}: the mapping gives no rows")
        contract = table.all_columns()
        for column, expression in spec.columns.items():
            target = contract[column]
            bad = self.con.execute(
                f"select distinct cast({_quote(column)} as varchar) from {_quote(staged)} "
                f"where nullif(trim(cast({_quote(column)} as varchar)), '') is not null "
                f"and not ({_valid(_quote(column), target)}) limit {MAX_SAMPLES}"
            ).fetchall()
            if bad:
                samples = ", ".join(repr(r[0]) for r in bad)
                raise self.error(
                    expression.line,
                    f"column '{column}' of {qualified}: value(s) that are not a valid {target}, "
                    f"e.g. {samples} (convert or null them in the expression)",
                )
        self._check_key(spec, staged)
        return staged, rows

    def _check_key(self, spec: TableMapping, staged: str) -> None:
        table = spec.table
        qualified = f"{table.system}/{table.name}"
        keys = ", ".join(_quote(k) for k in table.key)
        lines = ", ".join(str(spec.columns[k].line) for k in table.key)
        for key in table.key:
            nulls = self.con.execute(
                f"select count(*) from {_quote(staged)} "
                f"where nullif(trim(cast({_quote(key)} as varchar)), '') is null"
            ).fetchall()[0][0]
            if nulls:
                raise self.error(
                    spec.columns[key].line,
                    f"key column '{key}' of {qualified} is null on {nulls} row(s) "
                    "(filter them with 'where:' or give them a key)",
                )
        dupes = self.con.execute(
            f"select {keys}, count(*) as n from {_quote(staged)} group by all having count(*) > 1 "
            f"order by n desc, {keys} limit {MAX_SAMPLES}"
        ).fetchall()
        if dupes:
            total = self.con.execute(
                f"select count(*) from (select {keys} from {_quote(staged)} "
                "group by all having count(*) > 1)"
            ).fetchall()[0][0]
            samples = "; ".join(
                f"{', '.join(str(v) for v in row[:-1])} ({row[-1]} rows)" for row in dupes
            )
            raise self.error(
                spec.columns[table.key[0]].line,
                f"the key ({', '.join(table.key)}) of {qualified} (mapped on line(s) {lines}) "
                f"is not unique: {total} value(s) repeat, e.g. {samples}",
            )

    def landed_view(self, spec: TableMapping, staged: str) -> str:
        """A view of the rows exactly as they will be landed (and read back by the loader):
        the checks read it, and `write` copies it."""
        table = spec.table
        contract = table.all_columns()
        wanted = list(table.columns) + [c for c in table.optional if c in spec.columns]
        select = ", ".join(
            f"{_formatted(_quote(c), contract[c])} as {_quote(c)}"
            if c in spec.columns
            else f"cast(null as varchar) as {_quote(c)}"
            for c in wanted
        )
        view = _quote(f"_landed_{table.qualified}")
        self.con.execute(
            f"create or replace temp view {view} as select {select} from {_quote(staged)}"
        )
        return view

    def _parent_relation(self, parent: Table, views: dict[str, str], out: Path) -> str | None:
        """The parent table's landed keys: from this mapping and from the other files
        already in the landing folder (another tool's, landed before), or None (nobody
        landed it: nothing to check against). This mapping's own earlier file is left out:
        it is about to be replaced."""
        (key,) = parent.key
        own = f"{self.mapping.name}.csv"
        parts = [
            f"select {_quote(key)} from {scan(p)}"
            for p in landing_files(out, parent)
            if p.name != own
        ]
        if parent.qualified in views:
            parts.append(f"select {_quote(key)} from {views[parent.qualified]}")
        if not parts:
            return None
        view = _quote(f"_parents_{parent.qualified}")
        self.con.execute(f"create or replace temp view {view} as {' union all '.join(parts)}")
        return view

    def check_contract_rules(
        self, specs: list[TableMapping], out: Path, strict: bool
    ) -> dict[str, tuple[str, ...]]:
        """Allowed values, references and same-instant events of every mapped table (on their
        landed views), before anything is written; returns each table's warnings (errors
        under `strict`)."""
        views = self.views
        warnings: dict[str, tuple[str, ...]] = {}
        for spec in specs:
            table, view = spec.table, views[spec.table.qualified]
            qualified = f"{table.system}/{table.name}"
            for finding in values_outside_allowed(self.con, view, table, list(spec.columns)):
                raise self.error(
                    spec.columns[finding.column].line,
                    f"column '{finding.column}' of {qualified}: "
                    f"{allowed_problem(table, finding.column)} on {finding.rows} row(s): "
                    f"{finding.examples} (map them to allowed values in the expression, "
                    "e.g. with lower() or a case)",
                )
            for reference in table.references:
                if reference.column not in spec.columns:
                    continue
                parent = self._parent_relation(reference.parent_table, views, out)
                finding = parent and orphans(self.con, view, reference, parent)
                if finding:
                    where = (
                        "landed by this mapping"
                        if reference.parent_table.qualified in views
                        else f"already in {out}"
                    )
                    raise self.error(
                        spec.columns[reference.column].line,
                        f"column '{reference.column}': {finding.rows} row(s) where "
                        f"{reference_problem(table, reference)} ({where}): "
                        f"{finding.examples}; the marts join through it, so "
                        f"map the same ids in both tables or land the missing "
                        f"{reference.parent.split('/')[1]}",
                    )
            finding = same_instant_events(self.con, view, table)
            if finding:
                (key,) = table.key
                line = spec.columns[key].line
                message = (
                    f"{self.reader.where} line {line}: {qualified}: {finding.rows} "
                    f"{same_instant_problem(table)}; e.g. {finding.examples}"
                )
                if strict:
                    raise MappingError(message + " (an error under --strict)")
                warnings[table.qualified] = (message,)
        return warnings

    def write(self, spec: TableMapping, landed_view: str, folder: Path) -> Path:
        table = spec.table
        target = folder / table.system / table.name / f"{self.mapping.name}.csv"
        target.parent.mkdir(parents=True, exist_ok=True)
        order = ", ".join(_quote(k) for k in table.key)
        self.con.execute(
            f"copy (select * from {landed_view} order by {order}) "
            f"to {_literal(str(target))} (header true, delimiter ',')"
        )
        return target


def _read_manifest(out: Path) -> dict:
    """The manifest, each table's entry in the current form: `mappings` holds one entry per
    mapping that filled the table (an old manifest's single entry becomes one), `rows` and
    `columns` add them up."""
    path = out / LANDING_MANIFEST
    manifest: dict = {}
    if path.is_file():
        try:
            manifest = json.loads(path.read_text())
        except json.JSONDecodeError:
            manifest = {}
    for name, entry in manifest.get("tables", {}).items():
        if "mappings" not in entry:
            mapping = Path(entry.get("file") or entry.get("mapping") or name).stem
            manifest["tables"][name] = _summed({mapping: entry})
    return manifest


def _summed(mappings: dict[str, dict]) -> dict:
    """A table's manifest entry from the entries of the mappings that filled it."""
    columns: set[str] = set()
    every_column = False
    for entry in mappings.values():
        every_column |= "columns" not in entry
        columns |= set(entry.get("columns", ()))
    summed = {"mappings": mappings, "rows": sum(e.get("rows", 0) for e in mappings.values())}
    if not every_column:
        summed["columns"] = sorted(columns)
    return summed


def land(
    mapping_file: Path,
    out: Path,
    source_dir: Path | None = None,
    strict: bool = False,
    *,
    naming: str = "fivetran",
    schema: str | None = None,
) -> list[LandedTable]:
    """Apply a mapping and write its tables into the landing folder `out`, all or nothing.

    `source_dir`: the exports' folder, or for connector tables (`table:` sources) a folder
    or DuckDB file (`schema` in it); `naming`: the connector's layout (fivetran, airbyte,
    dlt). `strict`: a warning (events of one subscription at one instant) is an error too.
    Each table gets (or replaces) only this mapping's own file, so mappings compose."""
    mapping = parse_mapping(Path(mapping_file), source_dir)
    applier = _Applier(mapping, naming, schema)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    scratch = out / f".land-{uuid.uuid4().hex[:12]}"
    landed: list[LandedTable] = []
    try:
        applier.register_sources()
        staged = [(spec, *applier.apply_table(spec)) for spec in mapping.tables]
        staged = [(spec, name, rows) for spec, name, rows in staged if rows]
        for spec, table_name, _ in staged:
            applier.views[spec.table.qualified] = applier.landed_view(spec, table_name)
        warnings = applier.check_contract_rules([s for s, _, _ in staged], out, strict)
        for spec, _, rows in staged:
            path = applier.write(spec, applier.views[spec.table.qualified], scratch / "new")
            landed.append(
                LandedTable(
                    f"{spec.table.system}/{spec.table.name}",
                    rows,
                    out / path.relative_to(scratch / "new"),
                    warnings.get(spec.table.qualified, ()),
                )
            )
        applier.con.close()
        # Every table is written and checked: move each file into place (only this
        # mapping's own file of a table is replaced: other mappings' files stay), then
        # record them in the manifest.
        for item in landed:
            relative = item.path.relative_to(out)
            item.path.parent.mkdir(parents=True, exist_ok=True)
            os.replace(scratch / "new" / relative, item.path)
        manifest = _read_manifest(out)
        manifest["partial"] = True
        tables = manifest.setdefault("tables", {})
        now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        mapped = {f"{t.table.system}/{t.table.name}": sorted(t.columns) for t in mapping.tables}
        for item in landed:
            mappings = tables.get(item.table, {}).get("mappings", {})
            mappings[mapping.name] = {
                "mapping": str(mapping.path),
                "file": item.path.name,
                "rows": item.rows,
                "columns": mapped[item.table],
                "landed_at": now,
            }
            tables[item.table] = _summed(mappings)
        temporary = out / f"{LANDING_MANIFEST}.tmp"
        temporary.write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
        os.replace(temporary, out / LANDING_MANIFEST)
    finally:
        applier.con.close()
        shutil.rmtree(scratch, ignore_errors=True)
    return landed


def landed_columns(out: Path) -> dict[str, set[str] | None]:
    """The tables a partial landing holds and the columns mapped into each (None: every
    column, for a table recorded before columns were)."""
    tables = _read_manifest(Path(out)).get("tables", {})
    return {name: set(t["columns"]) if "columns" in t else None for name, t in tables.items()}
