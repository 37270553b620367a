"""Great Expectations suites for the playbook marts (kpi_definitions.md "Playbooks").

Three playbook marts may legitimately be empty (MAY_BE_EMPTY: no customer above 0.9 seat
utilisation, no leakage found, no forecast month over yet), so they ask for no rows and
check their invariants on whatever rows they hold; the others need at least one row.
"""

from __future__ import annotations

from orchestration.checks.suites import at_least, between, in_set, no_rows
from revops.quality import Suite, expect

MAY_BE_EMPTY = {"playbook_upsell_candidates", "revenue_leakage", "revenue_forecast_accuracy"}

HAS_ROWS = expect("ExpectTableRowCountToBeBetween", min_value=1)

FINDING_TYPES = [
    "unbilled_won_deal",
    "uncollected_invoice",
    "underbilled_invoice",
    "unapproved_discount",
]

OPEN_EXPANSION_CUSTOMERS = (
    "select x.customer_id from marts.identity_crosswalk x "
    "join intermediate.int_opportunities_classified o on x.source_system = 'sales' "
    "and x.source_table = 'opportunities' and x.source_record_id = o.opportunity_id "
    "where o.opportunity_type = 'expansion' and not o.is_closed"
)


def _quote_timing(table: str, weekday: str, hour: str, quotes: str) -> Suite:
    return Suite(
        name=f"marts_{table}",
        schema="marts",
        table=table,
        expectations=[
            HAS_ROWS,
            between("acceptance_rate", 0, 1),
            between("hour_acceptance_rate", 0, 1),
            at_least("quotes_sent", 1),
            between(weekday, 1, 7),
            between(hour, 0, 23),
            no_rows(
                "one row per region, weekday and hour",
                f"(region, {weekday}, {hour}) in (select (region, {weekday}, {hour}) "
                f"from {{batch}} group by all having count(*) > 1)",
                f"region, {weekday}, {hour}",
            ),
            no_rows(
                "accepted quotes do not exceed quotes sent",
                "quotes_accepted > quotes_sent",
                f"region, {weekday}, {hour}",
            ),
            no_rows(
                "a best hour had at least 30 quotes sent in it",
                "is_best_hour and hour_quotes_sent < 30",
                f"region, {hour}",
            ),
            no_rows(
                "at most one best hour per region",
                f"region in (select region from (select distinct region, {hour} from {{batch}} "
                "where is_best_hour) group by region having count(*) > 1)",
                "region",
            ),
            no_rows(
                "every quote is counted once",
                f"(select sum(quotes_sent) from {{batch}}) <> "
                f"(select count(*) from intermediate.int_quotes_timed where {quotes})",
                "region",
            ),
        ],
    )


PLAYBOOKS_SUITES: dict[tuple[str, ...], Suite] = {
    ("marts", "playbook_upsell_candidates"): Suite(
        name="marts_playbook_upsell_candidates",
        schema="marts",
        table="playbook_upsell_candidates",
        expectations=[
            expect("ExpectColumnValuesToBeUnique", column="customer_id"),
            expect("ExpectColumnValuesToNotBeNull", column="customer_id"),
            between("seat_utilisation", 0.9, 1),
            at_least("rank", 1),
            no_rows("candidates pay", "mrr_usd <= 0 or mrr_usd is null", "customer_id"),
            no_rows(
                "rank follows MRR (equal MRR, equal rank)",
                "customer_id in (select customer_id from (select customer_id, rank, "
                "rank() over (order by mrr_usd desc) as expected from {batch}) "
                "where rank <> expected)",
                "customer_id, rank",
            ),
            no_rows(
                "no candidate has an open expansion opportunity",
                f"customer_id in ({OPEN_EXPANSION_CUSTOMERS})",
                "customer_id",
            ),
            no_rows(
                "the recommended plan is not one the customer holds",
                "(customer_id, recommended_plan_id) in (select (customer_id, plan_id) "
                "from intermediate.int_customer_live_plans)",
                "customer_id, recommended_plan_id",
            ),
        ],
    ),
    ("marts", "playbook_churn_risk"): Suite(
        name="marts_playbook_churn_risk",
        schema="marts",
        table="playbook_churn_risk",
        expectations=[
            HAS_ROWS,
            expect("ExpectColumnValuesToBeUnique", column="customer_id"),
            between("risk_score", 0, 100),
            in_set("latest_nps_band", ["promoter", "passive", "detractor", "none"]),
            in_set("risk_band", ["low", "medium", "high"]),
            at_least("tickets_90d", 0),
            at_least("past_due_invoices", 0),
            no_rows(
                "the score is the sum of its points",
                "risk_score <> usage_points + ticket_points + nps_points + past_due_points",
                "customer_id",
            ),
            no_rows(
                "every paying customer is scored",
                "(select count(*) from {batch}) <> "
                "(select count(*) from marts.dim_customers where current_mrr_usd > 0)",
                "customer_id",
            ),
        ],
    ),
    ("marts", "playbook_quote_timing"): _quote_timing(
        "playbook_quote_timing", "weekday", "hour_utc", "true"
    ),
    ("marts", "playbook_quote_timing_local"): _quote_timing(
        "playbook_quote_timing_local", "weekday_local", "hour_local", "hour_local is not null"
    ),
    ("marts", "revenue_leakage"): Suite(
        name="marts_revenue_leakage",
        schema="marts",
        table="revenue_leakage",
        expectations=[
            expect("ExpectColumnValuesToBeUnique", column="finding_id"),
            in_set("finding_type", FINDING_TYPES),
            expect("ExpectColumnValuesToNotBeNull", column="detected_on"),
            expect("ExpectColumnValuesToNotBeNull", column="amount_at_risk_usd"),
            at_least("amount_at_risk_usd", 0, blocking=False),
            no_rows(
                "one finding per record and type",
                "(finding_type, source_record_id) in (select (finding_type, source_record_id) "
                "from {batch} group by all having count(*) > 1)",
                "finding_type, source_record_id",
            ),
            no_rows(
                "no finding is about an internal/test record",
                "source_record_id in (select source_record_id from marts.identity_crosswalk "
                "where is_internal)",
                "finding_type, source_record_id",
            ),
            no_rows(
                "nothing is detected after the as-of date",
                "detected_on > (select as_of_date from intermediate.int_as_of_date)",
                "finding_type, source_record_id, detected_on",
            ),
        ],
    ),
    ("marts", "revenue_forecast"): Suite(
        name="marts_revenue_forecast",
        schema="marts",
        table="revenue_forecast",
        expectations=[
            expect("ExpectTableRowCountToBeBetween", min_value=12),
            in_set("forecast_kind", ["mrr_projection", "weighted_pipeline"]),
            expect("ExpectColumnValuesToNotBeNull", column="forecast_usd"),
            at_least("forecast_usd", 0),
            no_rows(
                "one row per forecast date, month and kind",
                "(forecast_made_on, month, forecast_kind) in (select (forecast_made_on, month, "
                "forecast_kind) from {batch} group by all having count(*) > 1)",
                "forecast_made_on, month, forecast_kind",
            ),
            no_rows(
                "each forecast covers the 6 months after its date, both kinds",
                "forecast_made_on in (select forecast_made_on from {batch} group by 1 "
                "having count(*) <> 12 or min(month) <= max(forecast_made_on) "
                "or max(month) > max(forecast_made_on) + interval 7 month)",
                "forecast_made_on",
            ),
        ],
    ),
    ("marts", "revenue_forecast_accuracy"): Suite(
        name="marts_revenue_forecast_accuracy",
        schema="marts",
        table="revenue_forecast_accuracy",
        expectations=[
            between("forecast_accuracy", 0, 1),
            no_rows(
                "one row per forecast date, month and kind",
                "(forecast_made_on, month, forecast_kind) in (select (forecast_made_on, month, "
                "forecast_kind) from {batch} group by all having count(*) > 1)",
                "forecast_made_on, month, forecast_kind",
            ),
            no_rows(
                "every scored row is a kept forecast",
                "(forecast_made_on, month, forecast_kind, forecast_usd) not in (select "
                "(forecast_made_on, month, forecast_kind, forecast_usd) "
                "from marts.revenue_forecast)",
                "forecast_made_on, month, forecast_kind",
            ),
            no_rows(
                "accuracy is 1 - |forecast - actual| / actual, floored at 0",
                "abs(forecast_accuracy - greatest(0, 1 - abs(forecast_usd - actual_usd) "
                "/ actual_usd)) > 1e-9",
                "forecast_made_on, month, forecast_kind",
            ),
        ],
    ),
}
