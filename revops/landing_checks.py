"""The landing contract's rules beyond types and keys, written once for both ways in.

- allowed values: a coded column holds only the values the contract lists for it;
- references: a column naming a row of another table (a plan, an account) names one that
  was landed, when that table was landed at all;
- same-instant events: two states of one entity (a subscription) at the same instant are
  ordered by the larger key alone, which is rarely what the export meant.

Each rule is SQL over any relation of landed values: `revops land` runs it on the tables a
mapping is about to write (errors name the mapping line), the raw loader and the raw gates
run it on the landed files (messages name the file, the column and the rows).
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

from revops.contract import EventOrder, Reference, Table

MAX_EXAMPLES = 5


def quote(name: str) -> str:
    """A SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


def literal(text: str) -> str:
    """A SQL text literal."""
    return "'" + text.replace("'", "''") + "'"


def _text(column_sql: str) -> str:
    return f"nullif(trim(cast({column_sql} as varchar)), '')"


def _value_list(values: tuple[str, ...]) -> str:
    return ", ".join(literal(v) for v in values)


@dataclass(frozen=True)
class Finding:
    """What a rule found: how many rows break it and a few examples, ready to print."""

    column: str
    rows: int
    examples: str


# --- allowed values -------------------------------------------------------------------------


def outside_allowed(column_sql: str, values: tuple[str, ...]) -> str:
    """True where a coded value is present and not one of the contract's values (exact text:
    'Active' is not 'active')."""
    return (
        f"{_text(column_sql)} is not null "
        f"and cast({column_sql} as varchar) not in ({_value_list(values)})"
    )


def allowed_problem(table: Table, column: str) -> str:
    return (
        f"value(s) outside the contract's allowed values for {column} "
        f"({', '.join(table.allowed[column])})"
    )


def values_outside_allowed(
    con: duckdb.DuckDBPyConnection, relation: str, table: Table, columns: list[str]
) -> list[Finding]:
    """Every coded column of `columns` holding values outside its allowed ones, with the
    commonest offending values and their row counts."""
    coded = [c for c in columns if c in table.allowed]
    if not coded:
        return []
    conditions = [outside_allowed(quote(c), table.allowed[c]) for c in coded]
    counts = con.execute(
        f"select {', '.join(f'count_if({c})' for c in conditions)} from {relation}"
    ).fetchall()[0]
    findings = []
    for column, condition, count in zip(coded, conditions, counts, strict=True):
        if not count:
            continue
        top = con.execute(
            f"select cast({quote(column)} as varchar) as v, count(*) as n from {relation} "
            f"where {condition} group by v order by n desc, v limit {MAX_EXAMPLES}"
        ).fetchall()
        examples = ", ".join(f"{v!r} ({n} row{'s' if n > 1 else ''})" for v, n in top)
        findings.append(Finding(column, count, examples))
    return findings


# --- references -----------------------------------------------------------------------------


def orphan_condition(column_sql: str, parent_relation: str, parent_key: str) -> str:
    """True where `column_sql` names no row of the parent relation, which has rows (a parent
    table nobody landed is a partial landing, reported as such, not an orphan per row)."""
    return (
        f"{_text(column_sql)} is not null "
        f"and exists (select 1 from {parent_relation}) "
        f"and cast({column_sql} as varchar) not in "
        f"(select cast({quote(parent_key)} as varchar) from {parent_relation} "
        f"where {quote(parent_key)} is not null)"
    )


def reference_problem(table: Table, reference: Reference) -> str:
    return (
        f"{reference.column} of {table.system}/{table.name} names no {reference.parent} "
        f"{reference.parent_key}"
    )


def orphans(
    con: duckdb.DuckDBPyConnection, relation: str, reference: Reference, parent_relation: str
) -> Finding | None:
    """The rows of `relation` whose reference names no parent row, with the commonest values."""
    condition = orphan_condition(quote(reference.column), parent_relation, reference.parent_key)
    top = con.execute(
        f"select cast({quote(reference.column)} as varchar) as v, count(*) as n, "
        f"sum(count(*)) over () as total, count(*) over () as distinct_values "
        f"from {relation} where {condition} group by v order by n desc, v limit {MAX_EXAMPLES}"
    ).fetchall()
    if not top:
        return None
    total, distinct_values = int(top[0][2]), int(top[0][3])
    examples = ", ".join(f"{v!r} ({n} row{'s' if n > 1 else ''})" for v, n, *_ in top)
    return Finding(
        reference.column, total, f"{distinct_values} value(s) with no match, e.g. {examples}"
    )


# --- events at the same instant -------------------------------------------------------------


def same_instant_condition(order: EventOrder, key: str, relation: str) -> str:
    """True on the rows of an entity with different states at one instant whose keys do not
    sort in lifecycle order (created, then updated, then canceled): the key order alone then
    decides which state holds, rarely what the export meant."""
    state = ", ".join(quote(c) for c in order.state)
    entity, at = quote(order.entity), quote(order.at)
    kind = quote(order.kind)
    whens = " ".join(
        f"when cast({kind} as varchar) in ({_value_list(kinds)}) then {number}"
        for number, kinds in enumerate(order.kinds_in_order)
    )
    step = f"case {whens} end"
    return (
        f"({entity}, {at}) in (select ({entity}, {at}) from ("
        f"select {entity}, {at}, ({state}) as _state, {step} as _step, "
        f"lag({step}) over (partition by {entity}, {at} order by {quote(key)}) as _step_before, "
        f"row_number() over (partition by {entity}, {at} order by {quote(key)}) as _nth "
        f"from {relation} where {at} is not null) "
        f"group by {entity}, {at} having count(distinct _state) > 1 "
        f"and count_if(_nth > 1 and coalesce(_step_before >= _step, true)) > 0)"
    )


def same_instant_problem(table: Table) -> str:
    order = table.event_order
    (key,) = table.key
    steps = ", then ".join(" or ".join(kinds) for kinds in order.kinds_in_order)
    return (
        f"{order.entity}s with different states at the same {order.at}, whose {key}s do not "
        f"sort in the order of {order.kind} ({steps}): the contract applies events of one "
        f"instant in {key} order (the larger {key} is the state that holds); give {key}s that "
        f"sort in event order (e.g. '<id>:1-created', '<id>:2-canceled') or distinct "
        f"{order.at} values"
    )


def same_instant_events(
    con: duckdb.DuckDBPyConnection, relation: str, table: Table
) -> Finding | None:
    """Groups of events of one entity at one instant whose states differ: their count, and a
    few with their keys in the order the contract applies them."""
    order = table.event_order
    if order is None:
        return None
    (key,) = table.key
    entity, at = quote(order.entity), quote(order.at)
    groups = con.execute(
        f"select cast({entity} as varchar), cast({at} as varchar), "
        f"string_agg(cast({quote(key)} as varchar), ' < ' order by {quote(key)}), "
        f"count(*) over () from {relation} "
        f"where {same_instant_condition(order, key, relation)} "
        f"group by {entity}, {at} order by {entity}, {at} limit {MAX_EXAMPLES}"
    ).fetchall()
    if not groups:
        return None
    examples = "; ".join(
        f"{order.entity} {e!r} at {t}: {keys} (the last one holds)" for e, t, keys, _ in groups
    )
    return Finding(order.entity, int(groups[0][3]), examples)
