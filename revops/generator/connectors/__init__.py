"""The synthetic company in managed connectors' layouts (`revops generate --layout connectors`).

The generator writes the contract layout; this package converts it into the tables a
connector (Fivetran's layout) would have synced from each tool, so the presets
(revops/presets/*.yml) can be tested end to end against the contract-layout build.

The seam, kept small:

- `contract_views(con, landing)` loads a contract landing folder into `con` with the real
  loaders (revops/loading.py) and creates one view per contract table, named
  `<system>_<table>` (`finance_customers`), holding the current row of each key: newest
  row wins, the rule staging applies (dbt macro `newest_row_wins`: greatest updated_at
  where the table has one, then the later file, then the later row). Values carry the
  contract's types (timestamps as UTC `timestamp`).
- Each tool is a module here (`salesforce`, `hubspot`, `stripe`, `zendesk`) with
  `write(con, out) -> None`: it reads the views and writes its tables into `out` (the
  tool's folder) as Fivetran would land them, and may append `(tool, table, tool_id,
  contract_table, contract_id)` rows to the temp table `connector_id_map` (created here).
- `write_connector_layout(landing, out)` calls every tool module present, writing
  `out/<tool>/`, then `out/id_map.csv` (tool record id -> contract id).
- `generate_connectors(out, ...)` generates the contract layout in a scratch folder, writes
  the tools' layouts, and copies the contract tables no present tool fills (TOOL_TABLES)
  into `out/contract/`, a landing folder of its own (with the generator's `_truth/`),
  their references to a tool's records (a ticket's account) given as the tool's ids.

A writer naming another tool's record uses that tool's id from `connector_id_map` (the
tools run in TOOLS order: Salesforce first). Helpers shared by the writers (Salesforce
ids, file output, the id map) are in `ids.py`.
"""

from __future__ import annotations

import importlib
import importlib.util
import shutil
from pathlib import Path

import duckdb

from revops.contract import TABLES, Table
from revops.loading import landing_files, load_table, scan

TOOLS = ("salesforce", "hubspot", "stripe", "zendesk")
ID_MAP = "id_map.csv"
# The contract tables each tool's preset fills (tables of tools without a module here, and
# tables no tool has, are copied in the contract layout instead).
TOOL_TABLES = {
    "salesforce": (
        "sales/users",
        "sales/accounts",
        "sales/contacts",
        "sales/opportunities",
        "sales/opportunity_stage_history",
        "sales/quotes",
        "marketing/campaigns",
    ),
    "hubspot": ("marketing/leads", "marketing/touchpoints"),
    "stripe": (
        "finance/customers",
        "finance/plans",
        "finance/subscription_events",
        "finance/invoices",
        "finance/invoice_lines",
    ),
    "zendesk": ("success/tickets",),
}


def contract_views(con: duckdb.DuckDBPyConnection, landing: Path) -> None:
    """One view `<system>_<table>` per contract table: the current row per key."""
    con.execute("set TimeZone = 'UTC'")
    for table in TABLES:
        load_table(con, Path(landing), table)
        raw = f"raw.{table.qualified}"
        columns = [r[0] for r in con.execute(f"describe {raw}").fetchall()]
        wanted = ", ".join(f'"{c}"' for c in columns if not c.startswith("_"))
        order = "updated_at desc nulls last, " if "updated_at" in columns else ""
        keys = ", ".join(table.key)
        con.execute(
            f"create or replace view {table.system}_{table.name} as select {wanted} from {raw} "
            f"qualify row_number() over (partition by {keys} "
            f"order by {order}_source_file desc, _source_row desc) = 1"
        )


def tool_modules() -> dict[str, object]:
    """The tool modules present in this package, by tool name."""
    present = {}
    for tool in TOOLS:
        if importlib.util.find_spec(f"{__name__}.{tool}") is not None:
            present[tool] = importlib.import_module(f"{__name__}.{tool}")
    return present


def write_connector_layout(landing: Path, out: Path) -> list[str]:
    """Write each present tool's connector tables under `out/<tool>/` from the contract
    landing `landing`, and the id map; returns the tools written."""
    out = Path(out)
    con = duckdb.connect()
    try:
        contract_views(con, landing)
        con.execute(
            "create temp table connector_id_map (tool varchar, tool_table varchar, "
            "tool_id varchar, contract_table varchar, contract_id varchar)"
        )
        written = []
        for tool, module in tool_modules().items():
            folder = out / tool
            folder.mkdir(parents=True, exist_ok=True)
            module.write(con, folder)
            written.append(tool)
        con.execute(
            f"copy (select * from connector_id_map order by all) to '{out / ID_MAP}' (header true)"
        )
        return written
    finally:
        con.close()


# References to another table beside the contract's declared ones (which the loaders check).
OTHER_REFERENCES = {
    "success/nps_responses": {"account_id": "sales/accounts"},
    "finance/customers": {"crm_account_id": "sales/accounts"},
    "sales/forecast_submissions": {"owner_user_id": "sales/users"},
    "marketing/ad_spend": {"campaign_id": "marketing/campaigns"},
}


def _copy_with_tool_ids(
    landing: Path, contract: Path, table: Table, covered: set[str], id_map: Path
) -> None:
    """Copy a contract-layout table, its references to a table a tool now holds given as
    that tool's ids (the landed files name the tool's records, not the contract's), row
    order and file names kept."""
    qualified = f"{table.system}/{table.name}"
    references = {r.column: r.parent for r in table.references}
    references |= OTHER_REFERENCES.get(qualified, {})
    mapped = {c: parent for c, parent in references.items() if parent in covered}
    target = contract / table.system / table.name
    target.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect()
    try:
        con.execute(f"create table id_map as select * from read_csv('{id_map}', all_varchar=true)")
        for path in landing_files(landing, table):
            if not mapped:
                shutil.copy2(path, target / path.name)
                continue
            reader = scan(path)
            columns = [r[0] for r in con.execute(f"describe select * from {reader}").fetchall()]
            select = ", ".join(
                f"coalesce((select tool_id from id_map where contract_table = '{mapped[c]}' "
                f'and contract_id = cast(f."{c}" as varchar)), f."{c}") as "{c}"'
                if c in mapped
                else f'f."{c}"'
                for c in columns
            )
            suffix = path.suffix.lower()
            options = {".csv": "header true", ".parquet": "format parquet"}.get(
                suffix, "format json"
            )
            con.execute(
                f"copy (select {select} from (select *, row_number() over () as _row "
                f"from {reader}) as f order by _row) to '{target / path.name}' ({options})"
            )
    finally:
        con.close()


def generate_connectors(out: Path, **generate_args) -> dict:
    """`revops generate --layout connectors`: the company of `generate(**generate_args)` as
    connector tables under `out/<tool>/`, the rest under `out/contract/`; returns the
    generator's summary plus the tools written."""
    from revops.generator import generate

    out = Path(out)
    scratch = out / ".contract-layout"
    shutil.rmtree(scratch, ignore_errors=True)
    try:
        summary = generate(scratch, **generate_args)
        tools = write_connector_layout(scratch, out)
        covered = {t for tool in tools for t in TOOL_TABLES[tool]}
        contract = out / "contract"
        shutil.rmtree(contract, ignore_errors=True)
        for table in TABLES:
            if f"{table.system}/{table.name}" not in covered:
                _copy_with_tool_ids(scratch, contract, table, covered, out / ID_MAP)
        if (scratch / "_truth").is_dir():
            shutil.copytree(scratch / "_truth", contract / "_truth")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return {**summary, "tools": tools}
