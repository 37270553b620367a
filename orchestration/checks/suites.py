"""Great Expectations suites: the landing contract beyond types, and the published marts' invariants.

`expect` is blocking (the data is wrong: nothing is published); `warn` is shown on the check
in the UI and never stops a run: it covers the messes real exports have and the KPIs ignore
(kpi_definitions.md: CSAT outside 1-5, negative durations, NPS outside 0-10).

Allowed values of coded columns are the raw loader's (revops/loading.py, from the contract);
the contract's references and same-instant events are checked here, across raw tables, with
the SQL `revops land` runs on a mapping (revops/landing_checks.py).
"""

from __future__ import annotations

from revops.contract import TABLES, TS, Table
from revops.landing_checks import (
    orphan_condition,
    quote,
    reference_problem,
    same_instant_condition,
    same_instant_problem,
)
from revops.quality import Expect, Suite, expect, warn

# A timestamp more than a day past the run's clock is not an export of the past.
FUTURE_SLACK = "interval 1 day"
# Timestamps that name a moment still to come (an invoice falls due after it is issued).
SCHEDULED = {"due_at"}


def in_set(column: str, values, blocking: bool = True) -> Expect:
    make = expect if blocking else warn
    return make("ExpectColumnValuesToBeInSet", column=column, value_set=list(values))


def at_least(column: str, minimum: float, blocking: bool = True) -> Expect:
    make = expect if blocking else warn
    return make("ExpectColumnValuesToBeBetween", column=column, min_value=minimum)


def between(column: str, low: float, high: float, blocking: bool = True) -> Expect:
    make = expect if blocking else warn
    return make("ExpectColumnValuesToBeBetween", column=column, min_value=low, max_value=high)


def no_rows(description: str, where: str, columns: str = "*", blocking: bool = True) -> Expect:
    """Custom SQL: no row of the batch matches `where`."""
    make = expect if blocking else warn
    return make(
        "UnexpectedRowsExpectation",
        description=description,
        unexpected_rows_query=f"select {columns} from {{batch}} where {where}",
    )


def not_in_future(table: Table) -> list[Expect]:
    return [
        no_rows(
            f"{column} is not in the future",
            f"{column} > current_timestamp + {FUTURE_SLACK}",
            column,
        )
        for column, typ in table.all_columns().items()
        if typ == TS and column not in SCHEDULED
    ]


def not_before(later: str, earlier: str, blocking: bool = True, key: str = "*") -> Expect:
    return no_rows(f"{later} is not before {earlier}", f"{later} < {earlier}", key, blocking)


# Where a failing raw row came from, first in every sample a raw rule shows.
SOURCE_ROW = "'file ' || _source_file || ' row ' || _source_row"


def references_landed(table: Table) -> list[Expect]:
    """Each reference names a landed row of its parent table (skipped while the parent is
    empty: a partial landing without it)."""
    return [
        no_rows(
            reference_problem(table, reference).replace(" names no ", " names a landed "),
            orphan_condition(
                quote(reference.column),
                f"raw.{quote(reference.parent_table.qualified)}",
                reference.parent_key,
            ),
            f"{SOURCE_ROW} || ': {reference.column} ' || {quote(reference.column)}",
        )
        for reference in table.references
    ]


def same_instant_events(table: Table) -> list[Expect]:
    """A warning: states of one entity at the same instant, ordered by the key alone."""
    if table.event_order is None:
        return []
    order, (key,) = table.event_order, table.key
    return [
        no_rows(
            f"no {same_instant_problem(table)}",
            same_instant_condition(order, key, "{batch}"),
            f"{SOURCE_ROW} || ': ' || {quote(order.entity)} || ' at ' || {quote(order.at)} "
            f"|| ' ' || {quote(key)}",
            blocking=False,
        )
    ]


RULES: dict[str, list[Expect]] = {
    "marketing__campaigns": [
        at_least("budget_amount", 0),
        not_before("ended_on", "started_on", key="campaign_id"),
    ],
    "marketing__ad_spend": [
        at_least("spend_amount", 0),
        at_least("impressions", 0),
        at_least("clicks", 0),
    ],
    "marketing__leads": [
        expect("ExpectColumnValuesToNotBeNull", column="created_at"),
        not_before("became_mql_at", "created_at", blocking=False, key="lead_id"),
        not_before("became_sql_at", "created_at", blocking=False, key="lead_id"),
    ],
    "marketing__touchpoints": [
        expect("ExpectColumnValuesToNotBeNull", column="occurred_at"),
    ],
    "sales__users": [],
    "sales__accounts": [
        at_least("employee_count", 0),
        expect("ExpectColumnValuesToNotBeNull", column="created_at"),
    ],
    "sales__contacts": [expect("ExpectColumnValuesToNotBeNull", column="created_at")],
    "sales__opportunities": [
        at_least("amount", 0),
        expect("ExpectColumnValuesToNotBeNull", column="created_at"),
        no_rows(
            "close_date is on or after the date of created_at",
            "close_date < cast(created_at as date)",
            "opportunity_id, created_at, close_date",
        ),
        no_rows("a won opportunity is closed", "is_won and not is_closed", "opportunity_id"),
    ],
    "sales__opportunity_stage_history": [
        at_least("amount", 0),
    ],
    "sales__quotes": [
        at_least("amount", 0),
        not_before("signed_at", "sent_at", key="quote_id"),
    ],
    "sales__forecast_submissions": [
        at_least("forecast_amount", 0),
    ],
    "success__tickets": [
        # Invalid scores and negative durations are real export messes; KPIs ignore them.
        between("csat_score", 1, 5, blocking=False),
        not_before("first_response_at", "created_at", blocking=False, key="ticket_id"),
        not_before("solved_at", "created_at", blocking=False, key="ticket_id"),
    ],
    "success__nps_responses": [between("score", 0, 10, blocking=False)],
    "success__product_usage": [
        at_least("active_users", 0),
        at_least("licensed_seats", 0),
        at_least("key_events", 0),
        no_rows(
            "active users do not exceed licensed seats",
            "active_users > licensed_seats",
            "account_id, usage_date",
            blocking=False,
        ),
    ],
    "finance__customers": [],
    "finance__plans": [
        at_least("unit_amount", 0),
    ],
    "finance__subscription_events": [
        between("discount_pct", 0, 100),
        no_rows(
            "active and past_due rows have a quantity of at least 1",
            "status in ('active', 'past_due') and (quantity is null or quantity < 1)",
            "event_id, status, quantity",
        ),
    ],
    "finance__invoices": [
        no_rows(
            "period_end is after period_start",
            "period_end <= period_start",
            "invoice_id, period_start, period_end",
        ),
        not_before("due_at", "issued_at", blocking=False, key="invoice_id"),
    ],
    "finance__invoice_lines": [
        no_rows(
            "period_end is after period_start",
            "period_end <= period_start",
            "invoice_line_id, period_start, period_end",
        ),
    ],
    "finance__fx_rates": [
        expect("ExpectColumnValuesToBeBetween", column="rate_to_usd", min_value=0, strict_min=True),
    ],
    "finance__gl_expenses": [],
}

RAW_SUITES: dict[tuple[str, ...], Suite] = {
    t.asset_path: Suite(
        name=f"raw_{t.qualified}",
        schema="raw",
        table=t.qualified,
        expectations=[
            expect("ExpectTableRowCountToBeBetween", min_value=1),
            *RULES[t.qualified],
            *references_landed(t),
            *same_instant_events(t),
            *not_in_future(t),
        ],
    )
    for t in TABLES
}

RATE_COLUMNS = {
    "kpi_sales_monthly": ["win_rate", "forecast_accuracy", "renewal_rate"],
    "kpi_revenue_monthly": ["logo_churn_rate", "grr"],
}


def month_spine_complete(column: str = "month") -> Expect:
    """No month missing between the first and the last row of a monthly mart."""
    return no_rows(
        "no month is missing from the spine",
        f"(select count(distinct {column}) from {{batch}}) <> "
        f"(select datediff('month', min({column}), max({column})) + 1 from {{batch}})",
        f"{column}",
    )


MART_SUITES: dict[tuple[str, ...], Suite] = {
    ("marts", "kpi_sales_monthly"): Suite(
        name="marts_kpi_sales_monthly",
        schema="marts",
        table="kpi_sales_monthly",
        expectations=[
            expect("ExpectTableRowCountToBeBetween", min_value=1),
            expect("ExpectColumnValuesToBeUnique", column="month"),
            *[between(c, 0, 1) for c in RATE_COLUMNS["kpi_sales_monthly"]],
            *[
                at_least(c, 0)
                for c in ["won_count", "lost_count", "open_opportunities", "won_amount_usd"]
            ],
            month_spine_complete(),
            no_rows("bookings equal the won amount", "bookings_usd <> won_amount_usd", "month"),
            no_rows(
                "won deals add up to the detail (closed-won new_business + expansion)",
                "(select sum(won_count) from {batch}) <> (select count(*) from "
                "intermediate.int_opportunities_classified o, intermediate.int_as_of_date a "
                "where o.is_won and o.is_bookings_type and not o.is_internal "
                "and o.close_date < a.as_of_month + interval 1 month)",
                "month",
            ),
        ],
    ),
    ("marts", "fct_mrr"): Suite(
        name="marts_fct_mrr",
        schema="marts",
        table="fct_mrr",
        expectations=[
            expect("ExpectTableRowCountToBeBetween", min_value=1),
            at_least("mrr_usd", 0),
            at_least("previous_mrr_usd", 0),
            no_rows(
                "each movement is the month-end change",
                "abs(previous_mrr_usd + movement_usd - mrr_usd) > 0.001",
                "customer_id, month",
            ),
            no_rows(
                "the MRR bridge closes: last month's MRR + movements = this month's MRR",
                "month in (select month from (select month, sum(mrr_usd) as mrr, "
                "sum(movement_usd) as moved, lag(sum(mrr_usd), 1, 0) over (order by month) "
                "as before from {batch} group by month) where abs(before + moved - mrr) > 0.005)",
                "month",
            ),
            month_spine_complete(),
        ],
    ),
    ("marts", "dim_customers"): Suite(
        name="marts_dim_customers",
        schema="marts",
        table="dim_customers",
        expectations=[
            expect("ExpectTableRowCountToBeBetween", min_value=1),
            expect("ExpectColumnValuesToBeUnique", column="customer_id"),
            in_set("lifecycle_stage", ["lead", "mql", "sql", "opportunity", "customer", "churned"]),
            at_least("current_mrr_usd", 0),
            no_rows(
                "paying customers and only they are at stage customer",
                "(current_mrr_usd > 0) <> (lifecycle_stage = 'customer')",
                "customer_id",
            ),
            no_rows(
                "current MRR adds up to the last month of fct_mrr",
                "(select sum(current_mrr_usd) from {batch}) not between "
                "(select sum(mrr_usd) - 0.01 from marts.fct_mrr "
                "where month = (select max(month) from marts.fct_mrr)) and "
                "(select sum(mrr_usd) + 0.01 from marts.fct_mrr "
                "where month = (select max(month) from marts.fct_mrr))",
                "customer_id",
            ),
        ],
    ),
    ("marts", "identity_crosswalk"): Suite(
        name="marts_identity_crosswalk",
        schema="marts",
        table="identity_crosswalk",
        expectations=[
            expect("ExpectTableRowCountToBeBetween", min_value=1),
            no_rows(
                "internal/test records resolve to no customer and no person",
                "is_internal and (customer_id is not null or person_id is not null)",
                "source_table, source_record_id",
            ),
            no_rows(
                "every billing customer and CRM account resolves to a customer",
                "not is_internal and customer_id is null "
                "and source_table in ('customers', 'accounts')",
                "source_table, source_record_id",
            ),
        ],
    ),
    # the identity gate: one customer holding many CRM accounts with different names, or a
    # jump of the largest customer against the last publish, is a key chaining unrelated
    # companies; the sample names the key (gate_message)
    ("marts", "identity_largest_customers"): Suite(
        name="marts_identity_largest_customers",
        schema="marts",
        table="identity_largest_customers",
        expectations=[
            expect("ExpectTableRowCountToBeBetween", min_value=1),
            no_rows(
                "no customer chains CRM accounts of many different names",
                "is_implausible",
                "gate_message",
            ),
            no_rows(
                "the largest customer did not jump against the last publish",
                "is_jump",
                "gate_message",
            ),
        ],
    ),
    ("marts", "fct_customer_journey"): Suite(
        name="marts_fct_customer_journey",
        schema="marts",
        table="fct_customer_journey",
        expectations=[
            # journey_event_id unique and customer_id not null: dbt's tests of the model
            # (blocking too); scanning 27 M rows again here cost ~5 s at scale l.
            expect("ExpectTableRowCountToBeBetween", min_value=1),
            at_least("event_number", 1),
            at_least("days_since_previous_event", 0),
            no_rows(
                "one first touch per customer at most",
                "event_type = 'first_touch' and customer_id in (select customer_id from {batch} "
                "where event_type = 'first_touch' group by 1 having count(*) > 1)",
                "customer_id",
            ),
        ],
    ),
    ("marts", "kpi_data_health"): Suite(
        name="marts_kpi_data_health",
        schema="marts",
        table="kpi_data_health",
        expectations=[
            expect("ExpectTableRowCountToBeBetween", min_value=1),
            between("duplicate_rate", 0, 1),
            *[
                at_least(c, 0)
                for c in [
                    "records",
                    "duplicate_records",
                    "invalid_emails",
                    "unlinked_records",
                    "junk_key_records",
                ]
            ],
            no_rows(
                "no count exceeds the records",
                "greatest(duplicate_records, invalid_emails, unlinked_records, "
                "test_records_excluded) > records",
                "source_table",
            ),
        ],
    ),
    ("marts", "kpi_revenue_monthly"): Suite(
        name="marts_kpi_revenue_monthly",
        schema="marts",
        table="kpi_revenue_monthly",
        expectations=[
            expect("ExpectTableRowCountToBeBetween", min_value=1),
            expect("ExpectColumnValuesToBeUnique", column="month"),
            *[between(c, 0, 1) for c in RATE_COLUMNS["kpi_revenue_monthly"]],
            *[at_least(c, 0) for c in ["mrr_usd", "active_customers", "nrr", "arpa_usd"]],
            month_spine_complete(),
            no_rows(
                "the MRR bridge closes: previous MRR + movements = MRR",
                "month in (select month from (select month, mrr_usd - coalesce(lag(mrr_usd) "
                "over (order by month), 0) - new_mrr_usd - expansion_mrr_usd "
                "- reactivation_mrr_usd - contraction_mrr_usd - churned_mrr_usd as gap "
                "from {batch}) where abs(gap) > 0.05)",
                "month",
            ),
            no_rows(
                "MRR equals the detail in fct_mrr",
                "month in (select k.month from {batch} k left join (select month, "
                "sum(mrr_usd) as mrr from marts.fct_mrr group by month) f using (month) "
                "where abs(k.mrr_usd - coalesce(f.mrr, 0)) > 0.01)",
                "month",
            ),
            no_rows("ARR is 12 x MRR", "abs(arr_usd - 12 * mrr_usd) > 0.05", "month"),
            no_rows("NRR is at least GRR", "nrr < grr - 1e-9", "month"),
        ],
    ),
}
