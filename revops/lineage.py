"""What feeds what: for each landing contract column, the marts and metrics that read it.

Read from the dbt graph (the manifest `dbt parse` writes): each model's SQL, split into its
CTEs, is followed from the contract's columns (the dbt sources) up to the marts, and the
semantic models' measures up to the metrics. Columns are followed by name, the way the
models are written (import CTEs, explicit column lists, `expr as alias`):

- a select item carries the columns it names to its alias (`coalesce(discount_pct, 0) as
  discount_pct`), a plain column to its own name, `*` everything its inputs carry;
- a column named outside the select list (a filter, a join key, a group) decides which
  rows every output of that CTE holds, and so feeds all of them, downstream too.

It over-reaches rather than misses: a column the SQL names feeds what follows it. "Feeds
nothing" means no mart's SQL path names it at all.

`revops lineage` prints the reference, `revops lineage --write` regenerates
docs/what_feeds_what.md (a test keeps it in step), and `revops land` uses it to say which
KPIs a partial landing leaves null or partial.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from revops.contract import BOOL, DATE, TABLES, TABLES_BY_NAME, TS
from revops.paths import REPO_ROOT

DOC_PATH = REPO_ROOT / "docs" / "what_feeds_what.md"
# Marts whose columns are KPIs (a mart of facts or dimensions is not a number a user reads).
KPI_MART_PREFIXES = ("kpi_", "playbook_")

Column = tuple[str, str]  # (system/table, column) of the landing contract

_JINJA_EXPR = re.compile(r"\{\{(.*?)\}\}", re.S)
_JINJA_TAG = re.compile(r"\{%.*?%\}|\{#.*?#\}", re.S)
_REF = re.compile(r"""\bref\(\s*['"]([^'"]+)['"]\s*\)""")
_SOURCE = re.compile(r"""\bsource\(\s*['"]([^'"]+)['"]\s*,\s*['"]([^'"]+)['"]\s*\)""")
_TOKEN = re.compile(r"""'(?:[^']|'')*'|"([^"]+)"|([A-Za-z_][A-Za-z0-9_]*)|(\S)""")
_STRING_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


HIDDEN = "__hidden__"


def _ref(name: str) -> str:
    return f"__ref__{name}"


def _source(system: str, name: str) -> str:
    return f"__source__{system}__{name}"


def _jinja_to_sql(match: re.Match) -> str:
    """A `{{ }}` expression as SQL tokens: a ref or source becomes a relation name, a macro
    over one a select of all it has, any other macro the columns its arguments name."""
    body = match.group(1)
    if re.match(r"\s*config\(", body):
        return " "
    relations = [_ref(n) for n in _REF.findall(body)]
    relations += [_source(s, t) for s, t in _SOURCE.findall(body)]
    bare = body.strip()
    if relations and (_REF.fullmatch(bare) or _SOURCE.fullmatch(bare)):
        return f" {relations[0]} "
    words = []
    for literal in re.findall(r"'([^']*)'", _SOURCE.sub("", _REF.sub("", body))):
        words += _STRING_WORD.findall(literal)
    if relations:  # dedupe or slice a relation: the model's own SQL names what it uses
        return f" select * from {', '.join(relations)} "
    # a macro that reads a relation itself (join_usd_rate reads the FX rates): the model's
    # parents its SQL does not name stand behind it
    return f" {HIDDEN} {' '.join(words)} "


_INCREMENTAL = re.compile(
    r"\{%-?\s*if\s+is_incremental\(\)\s*-?%\}(.*?)"
    r"(?:\{%-?\s*else\s*-?%\}(.*?))?\{%-?\s*endif\s*-?%\}",
    re.S,
)


def tokens(sql: str) -> list[str]:
    """The SQL's identifiers (lower case, unquoted) and punctuation; strings and comments go.
    An incremental model is read as its full build (the `else` of `is_incremental()`)."""
    sql = _INCREMENTAL.sub(lambda m: m.group(2) or " ", sql)
    sql = _JINJA_TAG.sub(" ", sql)
    sql = _JINJA_EXPR.sub(_jinja_to_sql, sql)
    sql = re.sub(r"--[^\n]*", " ", sql)
    sql = re.sub(r"/\*.*?\*/", " ", sql, flags=re.S)
    result = []
    for m in _TOKEN.finditer(sql):
        if m.group(1) is not None:
            result.append(m.group(1).lower())
        elif m.group(2) is not None:
            result.append(m.group(2).lower())
        elif m.group(3) is not None:
            result.append(m.group(3))
    return result


def _close(toks: list[str], start: int) -> int:
    """The index of the parenthesis closing the one at `start`."""
    depth = 0
    for i in range(start, len(toks)):
        if toks[i] == "(":
            depth += 1
        elif toks[i] == ")":
            depth -= 1
            if depth == 0:
                return i
    return len(toks)


def scopes(toks: list[str]) -> list[tuple[str, list[str]]]:
    """The CTEs of a model's SQL in order, then the final query as scope ''."""
    result = []
    i = 0
    if toks[:1] == ["with"]:
        i = 1
        if toks[i : i + 1] == ["recursive"]:
            i += 1
        while i + 2 < len(toks):
            if toks[i + 1] != "as":
                # a macro that writes CTEs itself: skip to the next CTE (its columns are
                # the macro's business; the CTEs after it name what they use)
                k, depth = i, 0
                while k < len(toks) and not (depth == 0 and toks[k] in (",", "select")):
                    depth += {"(": 1, ")": -1}.get(toks[k], 0)
                    k += 1
                if k >= len(toks) or toks[k] != ",":
                    break
                i = k + 1
                continue
            j = i + 2
            if toks[j] in ("materialized", "not"):
                j += 1 if toks[j] == "materialized" else 2
            if toks[j] != "(":
                break
            end = _close(toks, j)
            result.append((toks[i], toks[j + 1 : end]))
            i = end + 1
            if toks[i : i + 1] == [","]:
                i += 1
    result.append(("", toks[i:]))
    return result


@dataclass
class Carried:
    """What a relation holds: for each of its column names, the contract columns its values
    come from; and the contract columns that decided which rows it holds."""

    values: dict[str, set[Column]] = field(default_factory=dict)
    rows: set[Column] = field(default_factory=set)
    read: set[Column] = field(default_factory=set)  # every contract column its SQL names

    def add(self, name: str, columns: Iterable[Column]) -> None:
        self.values.setdefault(name, set()).update(columns)

    def all_values(self) -> set[Column]:
        return set().union(*self.values.values()) if self.values else set()


_SKIP_AFTER_FROM = {"(", "select", "lateral", "unnest", "values"}


def _select_lists(toks: list[str]) -> tuple[list[list[list[str]]], list[str], list[str]]:
    """(the select lists of a scope, each a list of items; the tokens outside them; the
    relations it reads after from/join)."""
    lists, outside = [], []
    inputs = [
        toks[i + 1]
        for i, tok in enumerate(toks[:-1])
        if tok in ("from", "join") and toks[i + 1] not in _SKIP_AFTER_FROM
    ]
    i = 0
    while i < len(toks):
        tok = toks[i]
        if tok == "select":
            items, item, inner = [], [], 0
            i += 1
            if toks[i : i + 1] == ["distinct"]:
                i += 1
            while i < len(toks):
                t = toks[i]
                if inner == 0 and t in ("from", ")"):
                    break
                if t == "(":
                    inner += 1
                elif t == ")":
                    inner -= 1
                if inner == 0 and t == ",":
                    items.append(item)
                    item = []
                else:
                    item.append(t)
                i += 1
            if item:
                items.append(item)
            lists.append(items)
            continue
        outside.append(tok)
        i += 1
    return lists, outside, inputs


def _item_alias(item: list[str]) -> str | None:
    if len(item) >= 2 and item[-2] == "as" and re.fullmatch(r"[a-z_][a-z0-9_]*", item[-1]):
        return item[-1]
    names = [t for t in item if t not in (".",)]
    if len(names) in (1, 2) and all(re.fullmatch(r"[a-z_][a-z0-9_]*", t) for t in names):
        return names[-1]  # a plain column, maybe qualified: t.col
    return None


def analyse(sql: str, inputs_of: dict[str, Carried], macro_words: Iterable[str] = ()) -> Carried:
    """What a model's SQL carries, given what each relation it reads carries. `macro_words`:
    the words of the macros it calls; the parents' columns they name decide its rows (the
    SQL a macro writes is not followed column by column, but nothing it reads is lost)."""
    words = tokens(sql)
    known = dict(inputs_of)
    hidden = Carried()  # the parents the SQL names only through a macro
    for relation, carried in inputs_of.items():
        if relation not in words:
            for column, columns in carried.values.items():
                hidden.add(column, columns)
            hidden.rows |= carried.rows
    known[HIDDEN] = hidden
    model = Carried()
    for name, body in scopes(words):
        lists, outside, inputs = _select_lists(body)
        if HIDDEN in body:  # named columns only: a `*` never passes a macro's relation on
            inputs.append(HIDDEN)
        available = Carried()
        for relation in inputs:
            source = known.get(relation)
            if source is not None:
                for column, columns in source.values.items():
                    available.add(column, columns)
                available.rows |= source.rows

        def columns_named(words: Iterable[str], available: Carried = available) -> set[Column]:
            found: set[Column] = set()
            for word in words:
                found |= available.values.get(word, set())
            return found

        passed_on = Carried()  # what a `*` passes on: the relations the scope reads by name
        for relation in inputs:
            source = known.get(relation)
            if source is not None and relation != HIDDEN:
                for column, columns in source.values.items():
                    passed_on.add(column, columns)

        scope = Carried(rows=set(available.rows))
        scope.rows |= columns_named(outside)
        for items in lists:
            for item in items:
                if "*" in item and (len(item) == 1 or item[-1] == "*" or "exclude" in item):
                    excluded = set(item[item.index("exclude") :]) if "exclude" in item else set()
                    for column, columns in passed_on.values.items():
                        if column not in excluded:
                            scope.add(column, columns)
                    continue
                alias = _item_alias(item)
                named = columns_named(item[:-2] if item[-2:-1] == ["as"] else item)
                if alias is not None:
                    scope.add(alias, named)
                else:
                    scope.rows |= named  # an unnamed expression: keep it, it feeds something
        model.read |= columns_named(body)
        if name:
            known[name] = scope
        else:
            model.values, model.rows = scope.values, scope.rows
    every_parent = Carried()
    for carried in inputs_of.values():
        for column, columns in carried.values.items():
            every_parent.add(column, columns)
    in_macros = set()
    for word in set(macro_words):
        in_macros |= every_parent.values.get(word, set())
    model.read |= in_macros
    model.rows |= in_macros
    return model


@dataclass
class Lineage:
    """The marts and metrics each contract column feeds, and each KPI's inputs."""

    marts: dict[Column, set[str]]
    metrics: dict[Column, set[str]]
    kpi_inputs: dict[tuple[str, str], set[Column]]  # (mart, column) -> contract columns
    models: dict[str, Carried]

    def feeds(self, column: Column) -> tuple[list[str], list[str]]:
        return sorted(self.marts.get(column, ())), sorted(self.metrics.get(column, ()))


def contract_columns() -> list[Column]:
    return [(f"{t.system}/{t.name}", c) for t in TABLES for c in t.all_columns()]


def from_manifest(manifest: dict) -> Lineage:
    nodes = manifest["nodes"]
    carried: dict[str, Carried] = {}
    for unique_id, source in manifest["sources"].items():
        table = TABLES_BY_NAME.get(f"{source['source_name']}__{source['name']}")
        if table is None:
            continue
        path = f"{table.system}/{table.name}"
        carried[unique_id] = Carried({c: {(path, c)} for c in table.all_columns()})
    order = _topological(
        [u for u, n in nodes.items() if n["resource_type"] in ("model", "seed")], manifest
    )
    for unique_id in order:
        node = nodes[unique_id]
        if node["resource_type"] == "seed":
            carried[unique_id] = Carried()
            continue
        inputs = {}
        for parent in node["depends_on"]["nodes"]:
            if parent in carried:
                parent_node = nodes.get(parent) or manifest["sources"][parent]
                key = (
                    _source(parent_node["source_name"], parent_node["name"])
                    if parent.startswith("source.")
                    else _ref(parent_node["name"])
                )
                inputs[key] = carried[parent]
        carried[unique_id] = analyse(node["raw_code"], inputs, _macro_words(node, manifest))

    marts: dict[Column, set[str]] = {}
    kpi_inputs: dict[tuple[str, str], set[Column]] = {}
    by_name = {}
    for unique_id, node in nodes.items():
        if node["resource_type"] != "model" or unique_id not in carried:
            continue
        by_name[unique_id] = node["name"]
        if "marts" not in node["fqn"]:
            continue
        model = carried[unique_id]
        for column in model.read | model.rows | model.all_values():
            marts.setdefault(column, set()).add(node["name"])
        if node["name"].startswith(KPI_MART_PREFIXES):
            # the documented columns: a mart's CTEs may carry more names than it publishes
            for name in node.get("columns", {}):
                kpi_inputs[(node["name"], name)] = set(model.values.get(name, ()))

    measure_inputs: dict[str, set[Column]] = {}
    for semantic in manifest.get("semantic_models", {}).values():
        (model_id,) = semantic["depends_on"]["nodes"] or [None]
        model = carried.get(model_id)
        if model is None:
            continue
        for measure in semantic.get("measures", []):
            # the values a measure sums or counts (not every column that placed the rows:
            # those would make every key and date feed every metric)
            words = tokens(measure.get("expr") or measure["name"])
            columns: set[Column] = set()
            for word in words:
                columns |= model.values.get(word, set())
            measure_inputs[measure["name"]] = columns
    metric_inputs: dict[str, set[Column]] = {}
    metrics_by_name = {m["name"]: m for m in manifest.get("metrics", {}).values()}

    def inputs_of_metric(name: str, seen: frozenset = frozenset()) -> set[Column]:
        if name in metric_inputs:
            return metric_inputs[name]
        metric = metrics_by_name[name]
        params = metric["type_params"]
        columns: set[Column] = set()
        for measure in params.get("input_measures") or []:
            columns |= measure_inputs.get(measure["name"], set())
        for part in [
            *(params.get("metrics") or []),
            params.get("numerator"),
            params.get("denominator"),
        ]:
            if part and part["name"] in metrics_by_name and part["name"] not in seen:
                columns |= inputs_of_metric(part["name"], seen | {name})
        metric_inputs[name] = columns
        return columns

    metrics: dict[Column, set[str]] = {}
    for name in metrics_by_name:
        for column in inputs_of_metric(name):
            metrics.setdefault(column, set()).add(name)
    return Lineage(
        marts, metrics, kpi_inputs, {by_name[u]: c for u, c in carried.items() if u in by_name}
    )


def _macro_words(node: dict, manifest: dict) -> list[str]:
    """The words of the project's macros a node calls, and of the macros those call."""
    macros, seen, words = manifest.get("macros", {}), set(), []
    pending = list(node.get("depends_on", {}).get("macros", []))
    while pending:
        unique_id = pending.pop()
        macro = macros.get(unique_id)
        if unique_id in seen or macro is None or macro.get("package_name") != node["package_name"]:
            continue
        seen.add(unique_id)
        words += tokens(macro["macro_sql"])
        pending += macro.get("depends_on", {}).get("macros", [])
    return words


def _topological(unique_ids: list[str], manifest: dict) -> list[str]:
    wanted, done, order = set(unique_ids), set(), []

    def visit(unique_id: str) -> None:
        if unique_id in done:
            return
        done.add(unique_id)
        for parent in manifest["nodes"][unique_id].get("depends_on", {}).get("nodes", []):
            if parent in wanted:
                visit(parent)
        order.append(unique_id)

    for unique_id in sorted(unique_ids):
        visit(unique_id)
    return order


def load(manifest_path: Path | None = None) -> Lineage:
    """The lineage of the project's current dbt graph (parsed first if it is stale)."""
    if manifest_path is None:
        from orchestration.project import ensure_manifest

        manifest_path = ensure_manifest()
    return from_manifest(json.loads(Path(manifest_path).read_text()))


# --- the reference page ---------------------------------------------------------------------

DOC_HEADER = """# What feeds what

Generated from the dbt graph by `revops lineage --write`; tests/test_lineage.py keeps it
in step with the models. For each column of the landing contract: the marts and the
semantic layer's metrics that read it, followed by column name through every model
(revops/lineage.py says how). A column that decides which rows a model keeps (a filter,
a join key) feeds what follows it too, so identifiers feed much. "feeds nothing": no mart
reads it, and landing it changes no number.
"""


def render(lineage: Lineage) -> str:
    lines = [DOC_HEADER]
    for table in TABLES:
        path = f"{table.system}/{table.name}"
        lines += [f"## {path}", "", "| column | marts | metrics |", "|---|---|---|"]
        for column in table.all_columns():
            marts, metrics = lineage.feeds((path, column))
            if not marts and not metrics:
                lines.append(f"| `{column}` | feeds nothing | |")
                continue
            lines.append(
                f"| `{column}` | {', '.join(marts) or '-'} | {', '.join(metrics) or '-'} |"
            )
        lines.append("")
    return "\n".join(lines)


# --- what a partial landing leaves out ------------------------------------------------------


def _measures(column: Column) -> bool:
    """A column holding a measured or coded value: not a key, a reference, a timestamp or
    a bookkeeping flag (those place rows; without the values they place, a KPI is null)."""
    table = TABLES_BY_NAME[column[0].replace("/", "__")]
    name = column[1]
    if name in table.key or name in {r.column for r in table.references}:
        return False
    return table.all_columns()[name] not in (TS, DATE, BOOL) and name != "updated_at"


@dataclass(frozen=True)
class KpiGap:
    mart: str
    column: str
    missing: tuple[Column, ...]  # measured inputs not landed (of landed tables, if partial)
    is_null: bool  # none of its measured inputs was landed


def kpi_gaps(lineage: Lineage, landed: dict[str, set[str] | None]) -> list[KpiGap]:
    """The KPI columns a partial landing leaves null (none of their measured inputs landed)
    or partial (a landed table lacks a column they measure). `landed`: table -> its landed
    columns (None: all of them). Tables nobody landed load empty; the KPIs they alone feed
    are the null ones."""

    def was_landed(c: Column) -> bool:
        return c[0] in landed and (landed[c[0]] is None or c[1] in landed[c[0]])

    gaps = []
    for (mart, column), inputs in sorted(lineage.kpi_inputs.items()):
        measured = sorted(c for c in inputs if _measures(c))
        missing = tuple(c for c in measured if not was_landed(c))
        if measured and len(missing) == len(measured):
            gaps.append(KpiGap(mart, column, missing, is_null=True))
        elif unmapped := tuple(c for c in missing if c[0] in landed):
            gaps.append(KpiGap(mart, column, unmapped, is_null=False))
    return gaps


def describe_gaps(gaps: list[KpiGap]) -> list[str]:
    """Lines for `revops land`: the null KPIs by mart, then the partial ones by the columns
    they miss."""
    lines = []
    null = [g for g in gaps if g.is_null]
    if null:
        lines.append("KPIs that will be null (none of their inputs was landed):")
        for mart in sorted({g.mart for g in null}):
            lines.append(f"  {mart}: {', '.join(g.column for g in null if g.mart == mart)}")
    partial: dict[tuple[Column, ...], list[str]] = {}
    for g in gaps:
        if not g.is_null:
            partial.setdefault(g.missing, []).append(f"{g.mart}.{g.column}")
    if partial:
        lines.append("KPIs that will be partial (columns of landed tables left unmapped):")
        for missing, kpis in sorted(partial.items()):
            columns = ", ".join(f"{t}.{c}" for t, c in missing)
            lines.append(f"  without {columns}: {', '.join(kpis)}")
    return lines
