"""The playbook lists as published, each row with the CRM record ids of its customer.

Record ids come from marts.identity_crosswalk: Salesforce-like account ids (sales.accounts;
an unbilled won deal also names its opportunity) and HubSpot-like contact ids (the marketing
system's leads). A customer merged from several CRM records gets every one of them; one with
none in a CRM is simply not in that CRM's file.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import duckdb


@dataclass(frozen=True)
class ListSpec:
    name: str
    table: str
    key: str
    columns: tuple[str, ...]  # what is sent
    # what makes a row "changed": the inputs a person acts on, not values that drift daily
    # (usage_trend, rank among others) and would flag every customer on every publish
    tracked: tuple[str, ...]


LISTS = {
    "upsell_candidates": ListSpec(
        "upsell_candidates",
        "playbook_upsell_candidates",
        "customer_id",
        (
            "customer_id",
            "customer_name",
            "mrr_usd",
            "seat_utilisation",
            "recommended_plan_id",
            "rank",
        ),
        ("mrr_usd", "recommended_plan_id"),
    ),
    "churn_risk": ListSpec(
        "churn_risk",
        "playbook_churn_risk",
        "customer_id",
        (
            "customer_id",
            "customer_name",
            "mrr_usd",
            "risk_score",
            "risk_band",
            "usage_trend",
            "tickets_90d",
            "latest_nps_band",
            "past_due_invoices",
        ),
        ("risk_score", "risk_band", "tickets_90d", "latest_nps_band", "past_due_invoices"),
    ),
    "revenue_leakage": ListSpec(
        "revenue_leakage",
        "revenue_leakage",
        "finding_id",
        (
            "finding_id",
            "finding_type",
            "customer_id",
            "source_table",
            "source_record_id",
            "detected_on",
            "amount_at_risk_usd",
        ),
        ("finding_type", "customer_id", "detected_on", "amount_at_risk_usd"),
    ),
}

CRM_RECORDS = {
    "salesforce": ("sales", "accounts"),
    "hubspot": ("marketing", "leads"),
}


@dataclass(frozen=True)
class Publish:
    run_id: str
    published_at: str
    as_of_date: str | None


def plain(value):
    """A value as JSON and CSV write it: dates as ISO text, floats rounded to what a CRM
    field holds (so a float's last bit never reads as a change)."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, float):
        return round(value, 4)
    return value


def latest_publish(serving_db: Path) -> Publish:
    con = duckdb.connect(str(serving_db), read_only=True)
    try:
        row = con.execute(
            "select run_id, published_at, as_of_date from meta.refreshes "
            "order by published_at desc limit 1"
        ).fetchone()
    finally:
        con.close()
    if row is None:
        raise RuntimeError(f"{serving_db} records no publish (meta.refreshes is empty)")
    return Publish(row[0], row[1].isoformat(timespec="seconds"), plain(row[2]))


def read_lists(serving_db: Path, names: tuple[str, ...]) -> dict[str, dict[str, dict]]:
    """list name -> record key -> row (the list's columns, customer_name, salesforce_ids,
    hubspot_ids), read from the serving file read-only."""
    con = duckdb.connect(str(serving_db), read_only=True)
    try:
        crm_ids = {crm: _crm_ids(con, *source) for crm, source in CRM_RECORDS.items()}
        return {name: _read_list(con, LISTS[name], crm_ids) for name in names}
    finally:
        con.close()


def _crm_ids(con, system: str, table: str) -> dict[str, list[str]]:
    rows = con.execute(
        "select customer_id, list(source_record_id order by source_record_id) "
        "from marts.identity_crosswalk where source_system = ? and source_table = ? "
        "and customer_id is not null group by customer_id",
        [system, table],
    ).fetchall()
    return dict(rows)


def _read_list(con, spec: ListSpec, crm_ids: dict) -> dict[str, dict]:
    present = {
        name
        for (name,) in con.execute(
            "select column_name from duckdb_columns() where schema_name = 'marts' "
            "and table_name = ?",
            [spec.table],
        ).fetchall()
    }
    columns = [f"p.{c}" for c in spec.columns if c in present]
    if "customer_name" not in present:  # leakage findings: the company's name, for people
        columns.append("c.customer_name")
    cursor = con.execute(
        f"select {', '.join(columns)} from marts.{spec.table} as p "
        "left join marts.dim_customers as c using (customer_id) "
        f"order by p.{spec.key}"
    )
    names = [d[0] for d in cursor.description]
    rows = {}
    for values in cursor.fetchall():
        row = {name: plain(value) for name, value in zip(names, values, strict=True)}
        customer = row.get("customer_id")
        row["salesforce_ids"] = list(crm_ids["salesforce"].get(customer, []))
        row["hubspot_ids"] = list(crm_ids["hubspot"].get(customer, []))
        rows[str(row[spec.key])] = row
    return rows
