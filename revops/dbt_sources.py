"""Render the dbt source YAML of each system from the landing contract.

`revops dbt-sources` writes models/staging/<system>/_<system>__sources.yml; a test
checks the committed files equal what this renders, so contract and dbt never drift.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from revops.contract import SYSTEMS, TABLES, TS, Table
from revops.paths import REPO_ROOT

HEADER = (
    "# Generated from revops/contract.py by `revops dbt-sources`; "
    "tests/test_contract.py keeps them in step.\n"
)
SYSTEM_DESCRIPTIONS = {
    "marketing": "Marketing automation and ad platforms (campaigns, spend, leads, touchpoints).",
    "sales": "The CRM (users, accounts, contacts, opportunities, stage history, quotes, forecasts).",
    "success": "Help desk, NPS surveys and product telemetry.",
    "finance": "Billing and ledger (customers, plans, subscription events, invoices, FX, expenses).",
}


def sources_path(system: str) -> Path:
    return REPO_ROOT / "models" / "staging" / system / f"_{system}__sources.yml"


def column_description(table: Table, column: str) -> str | None:
    """What the contract says of a column beyond its type: its allowed values, the table it
    names a row of, and the order of same-instant events (for the key)."""
    notes = []
    if column in table.optional:
        notes.append("Optional: a landing without it keeps working.")
    if column in table.notes:
        notes.append(table.notes[column])
    if column in table.allowed:
        notes.append(f"One of {', '.join(table.allowed[column])} (empty = none).")
    for reference in table.references:
        if reference.column == column:
            notes.append(
                f"Names a {reference.parent} {reference.parent_key} (checked when that table "
                "is landed)."
            )
    order = table.event_order
    if order is not None and table.key == (column,):
        notes.append(
            f"Events of one {order.entity} at the same {order.at} apply in {column} order: "
            f"the larger {column} holds, so {column}s sort in event order (e.g. "
            "'<id>:1-created' before '<id>:2-canceled')."
        )
    return " ".join(notes) or None


def _column(table: Table, column: str, typ: str) -> dict:
    entry = {"name": column, "data_type": typ}
    description = column_description(table, column)
    if description:
        entry["description"] = description
    return entry


def render(system: str) -> str:
    tables = []
    for t in (t for t in TABLES if t.system == system):
        entry = {
            "name": t.name,
            "identifier": t.qualified,
            "description": (
                f"Every landed row of the {system} export `{t.name}` (key: {', '.join(t.key)}), "
                "typed by the landing contract; later files may repeat a key with newer values."
            ),
            "meta": {"dagster": {"asset_key": list(t.asset_path)}},
            "columns": [_column(t, c, typ) for c, typ in t.all_columns().items()]
            + [
                {"name": "_source_file", "description": "Landing file the row came from."},
                {
                    "name": "_source_row",
                    "description": "Data row number inside that file (1-based).",
                },
                {
                    "name": "_load_id",
                    "description": "The load that brought the row in (microseconds since "
                    "the epoch; a full load gives every row a new one).",
                },
            ],
        }
        if t.timestamp_column and t.all_columns().get(t.timestamp_column) == TS:
            entry["loaded_at_field"] = t.timestamp_column
            entry["freshness"] = {"warn_after": {"count": 36, "period": "hour"}}
        tables.append(entry)
    source = {
        "name": system,
        "schema": "raw",
        "description": f"{SYSTEM_DESCRIPTIONS[system]} Loaded by the Dagster assets "
        f"raw/{system}/<table>; see docs/contract.md.",
        "tables": tables,
    }
    return HEADER + yaml.safe_dump({"version": 2, "sources": [source]}, sort_keys=False, width=100)


def write_all() -> list[Path]:
    written = []
    for system in SYSTEMS:
        path = sources_path(system)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(render(system))
        written.append(path)
    return written
