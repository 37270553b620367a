"""The change lists as CRM import files: one CSV per list and CRM, one row per CRM record.

Salesforce (Data Loader / Data Import Wizard): upsell and churn risk update Account custom
fields by the Account `Id`; leakage findings upsert Tasks by the external id
`RevOps_Finding_Id__c`, related (`WhatId`) to the opportunity a deal finding is about, else
to the customer's account. HubSpot (Import > Update existing records): upsell and churn risk
update contact properties by `Record ID`; leakage findings import as tasks associated with
the customer's first contact. A removed record clears the fields (or completes the task).

No e-mail address, person's name or phone is written: ids, the playbook numbers, and for a
task a subject naming the finding.
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from pathlib import Path

from revops.activation.changes import REMOVED, Change, digest

Rows = list[dict]


def _flag(change: Change) -> str:
    return "false" if change.change == REMOVED else "true"


def _kept(change: Change, value):
    """A field's value, or empty for a removed record (the import clears it)."""
    return "" if change.change == REMOVED or value is None else value


def _subject(row: dict) -> str:
    kind = str(row.get("finding_type", "")).replace("_", " ")
    return f"Revenue leakage: {kind} ({row.get('source_table')} {row.get('source_record_id')})"


CRMS = ("salesforce", "hubspot")
# The CRM record's id column, and the fields the upsell and churn-risk lists set on it:
# playbook column (None: the list's membership flag) -> (Salesforce field, HubSpot property).
RECORD_ID = {"salesforce": "Id", "hubspot": "Record ID"}
RECORD_FIELDS: dict[str, dict[str | None, tuple[str, str]]] = {
    "upsell_candidates": {
        None: ("RevOps_Upsell_Candidate__c", "revops_upsell_candidate"),
        "rank": ("RevOps_Upsell_Rank__c", "revops_upsell_rank"),
        "recommended_plan_id": ("RevOps_Recommended_Plan__c", "revops_recommended_plan"),
        "seat_utilisation": ("RevOps_Seat_Utilisation__c", "revops_seat_utilisation"),
        "mrr_usd": ("RevOps_MRR_USD__c", "revops_mrr_usd"),
    },
    "churn_risk": {
        "risk_score": ("RevOps_Churn_Risk_Score__c", "revops_churn_risk_score"),
        "risk_band": ("RevOps_Churn_Risk_Band__c", "revops_churn_risk_band"),
        "usage_trend": ("RevOps_Usage_Trend__c", "revops_usage_trend"),
        "tickets_90d": ("RevOps_Tickets_90d__c", "revops_tickets_90d"),
        "latest_nps_band": ("RevOps_Latest_NPS_Band__c", "revops_latest_nps_band"),
        "past_due_invoices": ("RevOps_Past_Due_Invoices__c", "revops_past_due_invoices"),
    },
}


def _record_update(crm: str, list_name: str) -> Callable[[Change, str], dict]:
    """The row that sets (or, for a removed record, clears) a list's fields on a record."""
    fields = RECORD_FIELDS[list_name]
    position = CRMS.index(crm)

    def build(change: Change, record_id: str) -> dict:
        row = {RECORD_ID[crm]: record_id}
        for column, names in fields.items():
            value = _flag(change) if column is None else _kept(change, change.row.get(column))
            row[names[position]] = value
        return row

    return build


def _salesforce_leakage(change: Change, record_id: str) -> dict:
    row = change.row
    return {
        "RevOps_Finding_Id__c": row["finding_id"],
        "WhatId": record_id,
        "Subject": _subject(row),
        "ActivityDate": row.get("detected_on"),
        "Status": "Completed" if change.change == REMOVED else "Not Started",
        "RevOps_Amount_At_Risk_USD__c": row.get("amount_at_risk_usd"),
    }


def _hubspot_leakage(change: Change, record_id: str) -> dict:
    row = change.row
    return {
        "revops_finding_id": row["finding_id"],
        "Contact Record ID": record_id,
        "Task Title": _subject(row),
        "Due Date": row.get("detected_on"),
        "Task Status": "COMPLETED" if change.change == REMOVED else "NOT_STARTED",
        "revops_amount_at_risk_usd": row.get("amount_at_risk_usd"),
    }


def _salesforce_records(list_name: str, row: dict) -> list[str]:
    if list_name == "revenue_leakage":
        if row.get("source_table") == "opportunities":
            return [row["source_record_id"]]
        return row["salesforce_ids"][:1]
    return row["salesforce_ids"]


def _hubspot_records(list_name: str, row: dict) -> list[str]:
    # one task per finding, on the customer's first contact; properties on every contact
    return row["hubspot_ids"][:1] if list_name == "revenue_leakage" else row["hubspot_ids"]


LAYOUTS: dict[str, tuple[Callable, dict[str, Callable]]] = {
    "salesforce": (
        _salesforce_records,
        {
            **{name: _record_update("salesforce", name) for name in RECORD_FIELDS},
            "revenue_leakage": _salesforce_leakage,
        },
    ),
    "hubspot": (
        _hubspot_records,
        {
            **{name: _record_update("hubspot", name) for name in RECORD_FIELDS},
            "revenue_leakage": _hubspot_leakage,
        },
    ),
}
KEY_COLUMN = {"salesforce": "RevOps_Idempotency_Key__c", "hubspot": "revops_idempotency_key"}
CHANGE_COLUMN = {"salesforce": "RevOps_Change__c", "hubspot": "revops_change"}
CUSTOMER_COLUMN = {"salesforce": "RevOps_Customer_Id__c", "hubspot": "revops_customer_id"}


def crm_rows(layout: str, list_name: str, changes: list[Change]) -> tuple[Rows, int]:
    """The import rows of one list in one CRM, and how many changes have no record there.
    Each row's idempotency key is its change's key qualified by the CRM and record id."""
    records_of, builders = LAYOUTS[layout]
    build = builders[list_name]
    rows, missing = [], 0
    for change in changes:
        records = records_of(list_name, change.row)
        if not records:
            missing += 1
        for record_id in records:
            rows.append(
                {
                    **build(change, record_id),
                    CHANGE_COLUMN[layout]: change.change,
                    KEY_COLUMN[layout]: digest(change.idempotency_key, layout, record_id),
                    CUSTOMER_COLUMN[layout]: change.row.get("customer_id"),
                }
            )
    return rows, missing


def write_csv(path: Path, rows: Rows) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
