"""Great Expectations suite of the cohort funnel (kpi_funnel_cohorts, issue 11): ranges, the
cohort-month spine, counts that never grow along the stages, rates null exactly at a zero
denominator, and the cross-layer invariants (every funnel person is in exactly one cohort;
each cohort's people are kpi_funnel_monthly's leads of that month and channel)."""

from __future__ import annotations

from orchestration.checks.suites import at_least, between, in_set, month_spine_complete, no_rows
from revops.contract import CHANNELS
from revops.quality import Suite, expect

COUNTS = ["people", "reached_mql", "reached_sql", "reached_opportunity", "reached_won"]
# rate column -> (numerator, denominator)
RATES = {
    "lead_to_mql_rate": ("reached_mql", "people"),
    "lead_to_sql_rate": ("reached_sql", "people"),
    "lead_to_opportunity_rate": ("reached_opportunity", "people"),
    "lead_to_won_rate": ("reached_won", "people"),
    "mql_to_sql_rate": ("reached_sql", "reached_mql"),
    "sql_to_opportunity_rate": ("reached_opportunity", "reached_sql"),
    "opportunity_to_won_rate": ("reached_won", "reached_opportunity"),
}
KEY = "cohort_month, channel"

COHORT_SUITES: dict[tuple[str, ...], Suite] = {
    ("marts", "kpi_funnel_cohorts"): Suite(
        name="marts_kpi_funnel_cohorts",
        schema="marts",
        table="kpi_funnel_cohorts",
        expectations=[
            expect("ExpectTableRowCountToBeBetween", min_value=1),
            expect("ExpectColumnValuesToNotBeNull", column="cohort_month"),
            expect("ExpectColumnValuesToNotBeNull", column="channel"),
            in_set("channel", [*CHANNELS, "unknown"]),
            *[at_least(c, 0) for c in COUNTS],
            *[between(c, 0, 1) for c in RATES],
            month_spine_complete("cohort_month"),
            no_rows(
                "one row per cohort month and channel",
                f"({KEY}) in (select ({KEY}) from {{batch}} group by all having count(*) > 1)",
                KEY,
            ),
            no_rows(
                "every channel has every cohort month of the spine",
                "(select count(*) from {batch}) <> (select count(distinct cohort_month) "
                "* count(distinct channel) from {batch})",
                KEY,
            ),
            no_rows(
                "the spine ends at the as-of month",
                "(select max(cohort_month) from {batch}) <> "
                "(select as_of_month from intermediate.int_as_of_date)",
                "cohort_month",
            ),
            no_rows(
                "the counts never grow along the stages",
                "reached_mql > people or reached_sql > reached_mql "
                "or reached_opportunity > reached_sql or reached_won > reached_opportunity",
                f"{KEY}, {', '.join(COUNTS)}",
            ),
            no_rows(
                "a rate is null exactly when its denominator is 0, else numerator / denominator",
                " or ".join(
                    f"({rate} is null) <> ({den} = 0) or abs({rate} - {num} / {den}) > 1e-9"
                    for rate, (num, den) in RATES.items()
                ),
                KEY,
            ),
            no_rows(
                "every funnel person is in exactly one cohort",
                "(select sum(people) from {batch}) <> (select count(*) from "
                "intermediate.int_funnel_people_entered p, intermediate.int_as_of_date a "
                "where p.lead_month <= a.as_of_month)",
                KEY,
            ),
            no_rows(
                "a cohort's people are the month's leads of kpi_funnel_monthly",
                f"({KEY}) in (select (c.cohort_month, c.channel) from {{batch}} as c "
                "left join marts.kpi_funnel_monthly as f on f.month = c.cohort_month "
                "and f.channel = c.channel where c.people <> coalesce(f.leads, 0))",
                f"{KEY}, people",
            ),
            no_rows(
                "reached opportunity counts each funnel person of an opportunity once",
                "(select sum(reached_opportunity) from {batch}) <> (select "
                "count(distinct o.funnel_person_id) from "
                "intermediate.int_funnel_opportunities_channeled o, intermediate.int_as_of_date a "
                "where cast(o.created_at as date) <= a.as_of_date)",
                KEY,
            ),
        ],
    ),
}
