"""Render docs/contract.md, the landing contract for people, from revops/contract.py.

`revops dbt-sources` writes it together with the dbt source YAML; tests/test_contract.py
fails when the committed file differs from what this renders, so the page cannot drift
from the tables the loader checks.
"""

from __future__ import annotations

from pathlib import Path

from revops.contract import CHANNELS, CLOSED_STAGES, CURRENCIES, STAGES, SYSTEMS, TABLES, Table
from revops.paths import REPO_ROOT

CONTRACT_DOC = REPO_ROOT / "docs" / "contract.md"

SYSTEM_TITLES = {
    "marketing": "Marketing: marketing automation and ad platforms",
    "sales": "Sales: the CRM",
    "success": "Success: help desk, NPS surveys and product telemetry",
    "finance": "Finance: billing and the general ledger",
}

INTRO = """\
<!-- Generated from revops/contract.py by `revops dbt-sources`; do not edit by hand.
     tests/test_contract.py fails when this file is stale. -->
# The landing contract

What the warehouse expects to find in the landing folder (`REVOPS_LANDING_DIR`, default
`data/landing`): one folder per source system and table, each holding any number of
export files.

```
<landing>/<system>/<table>/*.csv | *.parquet | *.jsonl
```

How a table is read:

- Every file of a table is read, in file-name order, and becomes the raw table
  `raw.<system>__<table>` of `work.duckdb`; each row keeps the file and row it came from.
- A file may have more columns than listed here; the listed ones are required. A missing
  column, a value that does not cast to the column's type, an empty key or a key repeated
  inside one file stops the load with the file, the column and the first bad rows, and
  nothing is published.
- Timestamps are ISO-8601 with a UTC offset and are stored as UTC; dates are `YYYY-MM-DD`;
  money is a decimal in the row's `currency`.
- A later file may land a key again with newer values. Staging keeps one row per key: the
  greatest `updated_at` where the table has one, then the later file, then the later row.
- A row with `is_deleted = true` is ignored. Deleting a CRM account removes nothing else:
  its contacts, opportunities and billing records stay.
- Optional columns are loaded when a file has them; a landing without them keeps working.
- `revops generate` also writes `<landing>/_truth/identities.csv` (which person and company
  each record really is); the load never reads it, `revops identity-report` does.

Coded values the models interpret (other values pass through as they are):

- `sales.users.role`: `sdr`, `ae`, `am`, `manager`; `region`: `emea`, `amer`, `apac`
- `sales.opportunities.opportunity_type`: `new_business`, `expansion`, `renewal`
- `sales.quotes.status`: `accepted`, `rejected`, `expired`, `open`
- `finance.plans.billing_interval`: `month`, `year`
- `finance.subscription_events.event_type`: `created`, `updated`, `canceled`,
  `reactivated`; `status`: `active`, `past_due`, `canceled`
- `finance.invoices.status`: `draft`, `open`, `paid`, `void`, `uncollectible`
- `finance.gl_expenses.department`: `marketing`, `sales`, `success`, `rnd`, `g_and_a`,
  `cost_of_revenue` (ad spend is never in the ledger: it lands in `marketing.ad_spend`)
- `marketing.touchpoints.touch_type`: `ad_click`, `email_click`, `webinar_attended`,
  `content_download`, `demo_request`, `event_visit`
- `success.tickets.csat_score`: 1-5; `success.nps_responses.score`: 0-10 (values outside
  are ignored by the KPIs)
"""


def _code_list(values: tuple[str, ...]) -> str:
    return ", ".join(f"`{v}`" for v in values)


def _columns(columns: dict[str, str]) -> str:
    return ", ".join(f"`{name}` {typ}" for name, typ in columns.items())


def _table_row(t: Table) -> str:
    key = ", ".join(f"`{k}`" for k in t.key)
    optional = _columns(t.optional) if t.optional else ""
    return f"| `{t.name}` | {key} | {t.fmt} | {_columns(t.columns)} | {optional} |"


def render() -> str:
    lines = [
        INTRO,
        "Value lists defined in revops/contract.py:",
        "",
        f"- channels: {_code_list(CHANNELS)}",
        f"- currencies: {_code_list(CURRENCIES)}",
        f"- open opportunity stages, in pipeline order: {_code_list(STAGES)}; "
        f"then {_code_list(CLOSED_STAGES)}",
    ]
    for system in SYSTEMS:
        lines += [
            "",
            f"## {SYSTEM_TITLES[system]}",
            "",
            "| table | key | format the generator writes | columns (DuckDB type) "
            "| optional columns |",
            "|---|---|---|---|---|",
        ]
        lines += [_table_row(t) for t in TABLES if t.system == system]
    return "\n".join(lines) + "\n"


def write() -> Path:
    CONTRACT_DOC.parent.mkdir(parents=True, exist_ok=True)
    CONTRACT_DOC.write_text(render())
    return CONTRACT_DOC
