"""The landing contract, as data (docs/contract.md is rendered from it).

One entry per landing table: its key, its columns with their DuckDB types, and the
file format the generator writes. The generator writes these columns; the raw
loaders read and validate exactly these columns; dbt sources are generated from it.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path

MONEY = "decimal(18,2)"
TS = "timestamp"  # UTC instant; landed text is ISO-8601 with an offset
DATE = "date"
TEXT = "varchar"
INT = "bigint"
BOOL = "boolean"

# Channels and stages are defined once, as dbt seeds: the models join them, this module,
# the landing checks and the generator read them here.
SEEDS_DIR = Path(__file__).resolve().parents[1] / "seeds"


def _seed_rows(name: str) -> list[dict[str, str]]:
    with open(SEEDS_DIR / f"{name}.csv", newline="") as handle:
        return list(csv.DictReader(handle))


CHANNELS = tuple(row["channel"] for row in _seed_rows("marketing_channels"))
CURRENCIES = ("USD", "EUR", "GBP")
_STAGE_ROWS = _seed_rows("opportunity_stages")
STAGES = tuple(  # the open stages, in pipeline order
    row["stage_name"]
    for row in sorted(_STAGE_ROWS, key=lambda r: int(r["stage_order"] or 0))
    if row["is_open"] == "true"
)
CLOSED_STAGES = tuple(row["stage_name"] for row in _STAGE_ROWS if row["is_open"] != "true")
TOUCH_TYPES = (
    "ad_click",
    "email_click",
    "webinar_attended",
    "content_download",
    "demo_request",
    "event_visit",
)
DEPARTMENTS = ("marketing", "sales", "success", "rnd", "g_and_a", "cost_of_revenue")
CHURN_REASONS = ("price", "product", "competitor", "budget", "support", "other")
# The channel a CRM account or billing customer was acquired through, used by the funnel
# when no lead gives one (optional: a landing without it keeps working).
_ACQUISITION = {"acquisition_channel": TEXT}
ACQUISITION_NOTE = (
    "The funnel's channel of the customer's opportunities when no lead gives one (the "
    "account's before the billing customer's)."
)


@dataclass(frozen=True)
class Reference:
    """A column naming a row of another landing table by that table's (one-column) key: the
    marts join through it, so a value naming no row there drops or nulls a number."""

    column: str
    parent: str  # "<system>/<table>"

    @property
    def parent_table(self) -> Table:
        return TABLES_BY_NAME[self.parent.replace("/", "__")]

    @property
    def parent_key(self) -> str:
        (key,) = self.parent_table.key
        return key


@dataclass(frozen=True)
class EventOrder:
    """Rows that are states of one entity over time: the state at an instant is the latest
    row at or before it, and rows at the same instant are applied in key order (the larger
    key holds). Kinds of event have a natural order within one instant (created first)."""

    entity: str  # the column naming the entity (a subscription)
    at: str  # when the state began
    state: tuple[str, ...]  # the columns whose values the ordering decides between
    kind: str  # the column saying what happened
    kinds_in_order: tuple[tuple[str, ...], ...]  # steps of a lifecycle, first to last


@dataclass(frozen=True)
class Table:
    system: str
    name: str
    key: tuple[str, ...]
    columns: dict[str, str]  # contract columns (key included), name -> DuckDB type
    fmt: str = "csv"  # csv | parquet | jsonl, what the generator writes
    # Columns real exports often carry and the loader keeps when present.
    optional: dict[str, str] = field(default_factory=dict)
    timestamp_column: str | None = None  # newest business timestamp, for metadata
    # Coded columns: the only values they may hold (empty = null is always allowed).
    allowed: dict[str, tuple[str, ...]] = field(default_factory=dict)
    references: tuple[Reference, ...] = ()
    event_order: EventOrder | None = None
    notes: dict[str, str] = field(default_factory=dict)  # column -> what a reader must know

    @property
    def qualified(self) -> str:
        return f"{self.system}__{self.name}"

    @property
    def asset_path(self) -> tuple[str, str, str]:
        return ("raw", self.system, self.name)

    def all_columns(self, present: set[str] | None = None) -> dict[str, str]:
        cols = dict(self.columns)
        for name, typ in self.optional.items():
            if present is None or name in present:
                cols[name] = typ
        return cols


_UPDATED = {"updated_at": TS}
_DELETED = {"is_deleted": BOOL}

TABLES: tuple[Table, ...] = (
    # marketing
    Table(
        "marketing",
        "campaigns",
        ("campaign_id",),
        {
            "campaign_id": TEXT,
            "campaign_name": TEXT,
            "channel": TEXT,
            "started_on": DATE,
            "ended_on": DATE,
            "budget_amount": MONEY,
            "currency": TEXT,
        },
        allowed={"channel": CHANNELS, "currency": CURRENCIES},
    ),
    Table(
        "marketing",
        "ad_spend",
        ("campaign_id", "spend_date"),
        {
            "campaign_id": TEXT,
            "spend_date": DATE,
            "channel": TEXT,
            "spend_amount": MONEY,
            "currency": TEXT,
            "impressions": INT,
            "clicks": INT,
        },
        allowed={"channel": CHANNELS, "currency": CURRENCIES},
    ),
    Table(
        "marketing",
        "leads",
        ("lead_id",),
        {
            "lead_id": TEXT,
            "email": TEXT,
            "first_name": TEXT,
            "last_name": TEXT,
            "company_name": TEXT,
            "company_domain": TEXT,
            "country_code": TEXT,
            "job_title": TEXT,
            "created_at": TS,
            "original_source_channel": TEXT,
            "first_campaign_id": TEXT,
            "lifecycle_stage": TEXT,
            "became_mql_at": TS,
            "became_sql_at": TS,
            "updated_at": TS,
        },
        timestamp_column="updated_at",
        allowed={"original_source_channel": CHANNELS},
    ),
    Table(
        "marketing",
        "touchpoints",
        ("touchpoint_id",),
        {
            "touchpoint_id": TEXT,
            "lead_id": TEXT,
            "email": TEXT,
            "occurred_at": TS,
            "campaign_id": TEXT,
            "channel": TEXT,
            "touch_type": TEXT,
        },
        fmt="parquet",
        timestamp_column="occurred_at",
        allowed={"channel": CHANNELS, "touch_type": TOUCH_TYPES},
    ),
    # sales
    Table(
        "sales",
        "users",
        ("user_id",),
        {
            "user_id": TEXT,
            "full_name": TEXT,
            "email": TEXT,
            "role": TEXT,
            "team": TEXT,
            "region": TEXT,
            "hired_at": TS,
        },
        allowed={"role": ("sdr", "ae", "am", "manager"), "region": ("emea", "amer", "apac")},
    ),
    Table(
        "sales",
        "accounts",
        ("account_id",),
        {
            "account_id": TEXT,
            "account_name": TEXT,
            "website": TEXT,
            "industry": TEXT,
            "employee_count": INT,
            "billing_country": TEXT,
            "owner_user_id": TEXT,
            "created_at": TS,
            "is_deleted": BOOL,
        },
        optional={**_UPDATED, **_ACQUISITION},
        timestamp_column="created_at",
        allowed={"acquisition_channel": CHANNELS},
        notes={"acquisition_channel": ACQUISITION_NOTE},
    ),
    Table(
        "sales",
        "contacts",
        ("contact_id",),
        {
            "contact_id": TEXT,
            "account_id": TEXT,
            "email": TEXT,
            "first_name": TEXT,
            "last_name": TEXT,
            "phone": TEXT,
            "title": TEXT,
            "converted_from_lead_id": TEXT,
            "created_at": TS,
            "is_deleted": BOOL,
        },
        optional=_UPDATED,
        timestamp_column="created_at",
        references=(Reference("account_id", "sales/accounts"),),
    ),
    Table(
        "sales",
        "opportunities",
        ("opportunity_id",),
        {
            "opportunity_id": TEXT,
            "account_id": TEXT,
            "primary_contact_id": TEXT,
            "owner_user_id": TEXT,
            "opportunity_type": TEXT,
            "stage_name": TEXT,
            "amount": MONEY,
            "currency": TEXT,
            "created_at": TS,
            "close_date": DATE,
            "is_closed": BOOL,
            "is_won": BOOL,
            "forecast_category": TEXT,
            "lead_source": TEXT,
            "loss_reason": TEXT,
        },
        optional={**_UPDATED, **_DELETED},
        timestamp_column="created_at",
        allowed={
            "currency": CURRENCIES,
            "opportunity_type": ("new_business", "expansion", "renewal"),
            "stage_name": (*STAGES, *CLOSED_STAGES),
        },
        references=(Reference("account_id", "sales/accounts"),),
    ),
    Table(
        "sales",
        "opportunity_stage_history",
        ("opportunity_id", "changed_at"),
        {
            "opportunity_id": TEXT,
            "changed_at": TS,
            "stage_name": TEXT,
            "amount": MONEY,
            "probability": "double",
        },
        timestamp_column="changed_at",
        allowed={"stage_name": (*STAGES, *CLOSED_STAGES)},
        references=(Reference("opportunity_id", "sales/opportunities"),),
    ),
    Table(
        "sales",
        "quotes",
        ("quote_id",),
        {
            "quote_id": TEXT,
            "opportunity_id": TEXT,
            "sent_at": TS,
            "amount": MONEY,
            "currency": TEXT,
            "status": TEXT,
            "signed_at": TS,
        },
        timestamp_column="sent_at",
        allowed={"currency": CURRENCIES, "status": ("accepted", "rejected", "expired", "open")},
        references=(Reference("opportunity_id", "sales/opportunities"),),
    ),
    Table(
        "sales",
        "forecast_submissions",
        ("owner_user_id", "forecast_month", "submitted_at"),
        {
            "owner_user_id": TEXT,
            "forecast_month": DATE,
            "submitted_at": TS,
            "forecast_amount": MONEY,
            "currency": TEXT,
        },
        timestamp_column="submitted_at",
        allowed={"currency": CURRENCIES},
    ),
    # success
    Table(
        "success",
        "tickets",
        ("ticket_id",),
        {
            "ticket_id": TEXT,
            "account_id": TEXT,
            "requester_email": TEXT,
            "created_at": TS,
            "first_response_at": TS,
            "solved_at": TS,
            "priority": TEXT,
            "status": TEXT,
            "csat_score": INT,
        },
        optional=_UPDATED,
        timestamp_column="created_at",
        references=(Reference("account_id", "sales/accounts"),),
    ),
    Table(
        "success",
        "nps_responses",
        ("response_id",),
        {
            "response_id": TEXT,
            "email": TEXT,
            "account_id": TEXT,
            "responded_at": TS,
            "score": INT,
            "comment": TEXT,
        },
        fmt="jsonl",
        timestamp_column="responded_at",
    ),
    Table(
        "success",
        "product_usage",
        ("account_id", "usage_date"),
        {
            "account_id": TEXT,
            "usage_date": DATE,
            "active_users": INT,
            "licensed_seats": INT,
            "key_events": INT,
        },
        fmt="parquet",
        timestamp_column="usage_date",
        references=(Reference("account_id", "sales/accounts"),),
    ),
    # finance
    Table(
        "finance",
        "customers",
        ("customer_id",),
        {
            "customer_id": TEXT,
            "email": TEXT,
            "name": TEXT,
            "crm_account_id": TEXT,
            "country_code": TEXT,
            "currency": TEXT,
            "created_at": TS,
        },
        optional={**_UPDATED, **_ACQUISITION},
        timestamp_column="created_at",
        allowed={"currency": CURRENCIES, "acquisition_channel": CHANNELS},
        notes={"acquisition_channel": ACQUISITION_NOTE},
    ),
    Table(
        "finance",
        "plans",
        ("plan_id",),
        {
            "plan_id": TEXT,
            "product_name": TEXT,
            "billing_interval": TEXT,
            "unit_amount": MONEY,
            "currency": TEXT,
        },
        allowed={"billing_interval": ("month", "year"), "currency": CURRENCIES},
    ),
    Table(
        "finance",
        "subscription_events",
        ("event_id",),
        {
            "event_id": TEXT,
            "subscription_id": TEXT,
            "customer_id": TEXT,
            "occurred_at": TS,
            "event_type": TEXT,
            "plan_id": TEXT,
            "quantity": INT,
            "discount_pct": "decimal(9,4)",
            "status": TEXT,
            "crm_opportunity_id": TEXT,
        },
        # why a subscription was canceled, and the customer's words (free text that may name
        # people: kept in raw, never published)
        optional={"churn_reason": TEXT, "churn_feedback": TEXT},
        timestamp_column="occurred_at",
        allowed={
            "event_type": ("created", "updated", "canceled", "reactivated"),
            "status": ("active", "past_due", "canceled", "trialing"),
            "churn_reason": CHURN_REASONS,
        },
        notes={
            "status": "trialing: a trial, which holds no MRR.",
            "churn_reason": "On canceled rows; empty = unknown.",
            "churn_feedback": "The customer's words (may name people): kept in raw, never "
            "published in a mart.",
        },
        references=(
            Reference("customer_id", "finance/customers"),
            Reference("plan_id", "finance/plans"),
        ),
        event_order=EventOrder(
            entity="subscription_id",
            at="occurred_at",
            state=("status", "plan_id", "quantity", "discount_pct"),
            kind="event_type",
            kinds_in_order=(("created",), ("updated", "reactivated"), ("canceled",)),
        ),
    ),
    Table(
        "finance",
        "invoices",
        ("invoice_id",),
        {
            "invoice_id": TEXT,
            "customer_id": TEXT,
            "subscription_id": TEXT,
            "currency": TEXT,
            "issued_at": TS,
            "due_at": TS,
            "period_start": DATE,
            "period_end": DATE,
            "subtotal": MONEY,
            "discount_amount": MONEY,
            "total": MONEY,
            "amount_paid": MONEY,
            "status": TEXT,
            "paid_at": TS,
        },
        optional=_UPDATED,
        timestamp_column="issued_at",
        allowed={
            "currency": CURRENCIES,
            "status": ("draft", "open", "paid", "void", "uncollectible"),
        },
        references=(Reference("customer_id", "finance/customers"),),
    ),
    Table(
        "finance",
        "invoice_lines",
        ("invoice_line_id",),
        {
            "invoice_line_id": TEXT,
            "invoice_id": TEXT,
            "subscription_id": TEXT,
            "plan_id": TEXT,
            "quantity": INT,
            "unit_amount": MONEY,
            "amount": MONEY,
            "period_start": DATE,
            "period_end": DATE,
            "is_proration": BOOL,
        },
        references=(
            Reference("invoice_id", "finance/invoices"),
            Reference("plan_id", "finance/plans"),
        ),
    ),
    Table(
        "finance",
        "fx_rates",
        ("rate_date", "currency"),
        {"rate_date": DATE, "currency": TEXT, "rate_to_usd": "double"},
        timestamp_column="rate_date",
        allowed={"currency": CURRENCIES},
    ),
    Table(
        "finance",
        "gl_expenses",
        ("month", "department", "category"),
        {
            "month": DATE,
            "department": TEXT,
            "category": TEXT,
            "amount": MONEY,
            "currency": TEXT,
        },
        allowed={"department": DEPARTMENTS, "currency": CURRENCIES},
    ),
)

TABLES_BY_NAME: dict[str, Table] = {t.qualified: t for t in TABLES}
SYSTEMS: tuple[str, ...] = ("marketing", "sales", "success", "finance")


def table(system: str, name: str) -> Table:
    return TABLES_BY_NAME[f"{system}__{name}"]
