"""Great Expectations suites of the row-level facts the semantic layer reads
(dbt_project/semantic_models/): opportunities, tickets, NPS answers and the NRR/GRR cohorts.

fct_mrr_retention is empty until the data spans 12 months (SEMANTIC_MAY_BE_EMPTY), so it asks
for no rows and checks its invariants on whatever rows it holds; tests/test_semantic_layer.py
shows that suite failing on broken rows.
"""

from __future__ import annotations

from orchestration.checks.suites import at_least, between, expect, in_set, no_rows
from revops.quality import Suite

SEMANTIC_MAY_BE_EMPTY = {"fct_mrr_retention"}

HAS_ROWS = expect("ExpectTableRowCountToBeBetween", min_value=1)


def _unique(*columns: str):
    if len(columns) == 1:
        return expect("ExpectColumnValuesToBeUnique", column=columns[0])
    key = ", ".join(columns)
    return no_rows(
        f"one row per {key}",
        f"({key}) in (select ({key}) from {{batch}} group by all having count(*) > 1)",
        key,
    )


def _not_null(column: str):
    return expect("ExpectColumnValuesToNotBeNull", column=column)


SEMANTIC_SUITES: dict[tuple[str, ...], Suite] = {
    ("marts", "fct_opportunities"): Suite(
        name="marts_fct_opportunities",
        schema="marts",
        table="fct_opportunities",
        expectations=[
            HAS_ROWS,
            _not_null("opportunity_id"),
            _unique("opportunity_id"),
            in_set("opportunity_type", ["new_business", "expansion", "renewal"]),
            at_least("amount_usd", 0),
            at_least("sales_cycle_days", 0),
            no_rows(
                "won and lost are closed, never both",
                "(is_won or is_lost) and not is_closed or (is_won and is_lost)",
                "opportunity_id",
            ),
            no_rows(
                "closed_on is set exactly when closed",
                "(closed_on is null) = is_closed",
                "opportunity_id",
            ),
            no_rows(
                "bookings types are new_business and expansion",
                "is_bookings_type <> (opportunity_type in ('new_business', 'expansion'))",
                "opportunity_id",
            ),
            no_rows(
                "every current, non-internal opportunity is here once",
                "(select count(*) from {batch}) <> (select count(*) from "
                "intermediate.int_opportunities_classified where not is_internal)",
                "opportunity_id",
            ),
        ],
    ),
    ("marts", "fct_tickets"): Suite(
        name="marts_fct_tickets",
        schema="marts",
        table="fct_tickets",
        expectations=[
            HAS_ROWS,
            _not_null("ticket_id"),
            _unique("ticket_id"),
            between("csat_score", 1, 5),
            at_least("first_response_hours", 0),
            at_least("resolution_hours", 0),
            no_rows(
                "solved exactly when solved_at is set",
                "is_solved <> (solved_at is not null)",
                "ticket_id",
            ),
            no_rows(
                # a negative duration is ignored, not the ticket: only its hours are null
                "no resolution hours for a solve stamped before creation",
                "resolution_hours is not null and solved_at < created_at",
                "ticket_id",
            ),
            no_rows(
                "a CSAT score is on a solved ticket",
                "csat_score is not null and not is_solved",
                "ticket_id",
            ),
        ],
    ),
    ("marts", "fct_nps_answers"): Suite(
        name="marts_fct_nps_answers",
        schema="marts",
        table="fct_nps_answers",
        expectations=[
            HAS_ROWS,
            _not_null("response_id"),
            _unique("response_id"),
            _unique("respondent_hash", "responded_month"),
            between("score", 0, 10),
            in_set("nps_band", ["promoter", "passive", "detractor"]),
            no_rows(
                "the band matches the score",
                "nps_band <> case when score >= 9 then 'promoter' when score >= 7 then "
                "'passive' else 'detractor' end",
                "response_id",
            ),
            no_rows(
                "no e-mail address is published",
                "respondent_hash like '%@%'",
                "response_id",
            ),
        ],
    ),
    ("marts", "fct_mrr_retention"): Suite(
        name="marts_fct_mrr_retention",
        schema="marts",
        table="fct_mrr_retention",
        expectations=[
            _unique("customer_id", "month"),
            _not_null("customer_id"),
            expect(
                "ExpectColumnValuesToBeBetween", column="base_mrr_usd", min_value=0, strict_min=True
            ),
            at_least("mrr_usd", 0),
            no_rows(
                "capped MRR is the lesser of now and 12 months before",
                "capped_mrr_usd <> least(mrr_usd, base_mrr_usd)",
                "customer_id, month",
            ),
            no_rows(
                "base_month is 12 months before month",
                "base_month <> cast(month - interval 12 month as date)",
                "customer_id, month",
            ),
        ],
    ),
}
