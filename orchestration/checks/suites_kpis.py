"""Great Expectations suites of the KPI marts added for issue 7 (kpi_definitions.md "Stage
conversion"): ranges, the cohort-month x stage spine, and the cross-layer invariant that
the stages reached add up to the stage history of the counted opportunities."""

from __future__ import annotations

from orchestration.checks.suites import at_least, between, in_set, month_spine_complete, no_rows
from revops.contract import STAGES
from revops.quality import Suite, expect

STAGE_COUNTS = [
    "opportunities_reached",
    "opportunities_advanced",
    "opportunities_won",
    "opportunities_open_at_stage",
]

# every (opportunity, open stage) pair of the history, for counted opportunities only
STAGES_REACHED = (
    "select distinct h.opportunity_id, h.stage_name "
    "from staging.stg_sales__opportunity_stage_history h "
    "join intermediate.int_opportunities_classified o on h.opportunity_id = o.opportunity_id "
    "where o.is_bookings_type and not o.is_internal and h.stage_name in ({})"
).format(", ".join(f"'{s}'" for s in STAGES))

KPIS_SUITES: dict[tuple[str, ...], Suite] = {
    ("marts", "kpi_stage_conversion_monthly"): Suite(
        name="marts_kpi_stage_conversion_monthly",
        schema="marts",
        table="kpi_stage_conversion_monthly",
        expectations=[
            expect("ExpectTableRowCountToBeBetween", min_value=len(STAGES)),
            expect("ExpectColumnValuesToNotBeNull", column="cohort_month"),
            in_set("stage_name", STAGES),
            between("conversion_rate", 0, 1),
            *[at_least(c, 0) for c in STAGE_COUNTS],
            month_spine_complete("cohort_month"),
            no_rows(
                "one row per cohort month and stage, five stages every month",
                "(select count(*) from {batch}) <> (select count(distinct cohort_month) "
                f"* {len(STAGES)} from {{batch}}) or (cohort_month, stage_name) in "
                "(select (cohort_month, stage_name) from {batch} "
                "group by cohort_month, stage_name having count(*) > 1)",
                "cohort_month, stage_name",
            ),
            no_rows(
                "the spine ends at the as-of month",
                "(select max(cohort_month) from {batch}) <> "
                "(select as_of_month from intermediate.int_as_of_date)",
                "cohort_month",
            ),
            no_rows(
                "advanced, won and still open are parts of those that reached the stage",
                "opportunities_advanced > opportunities_reached "
                "or opportunities_won > opportunities_advanced "
                "or opportunities_open_at_stage > opportunities_reached - opportunities_advanced",
                "cohort_month, stage_name",
            ),
            no_rows(
                "the rate is advanced / reached, null exactly when none reached the stage",
                "(conversion_rate is null) <> (opportunities_reached = 0) "
                "or abs(conversion_rate * opportunities_reached - opportunities_advanced) > 1e-6",
                "cohort_month, stage_name",
            ),
            no_rows(
                "stages reached add up to the stage history of the counted opportunities",
                "(select sum(opportunities_reached) from {batch}) <> "
                f"(select count(*) from ({STAGES_REACHED}) reached)",
                "cohort_month, stage_name",
            ),
        ],
    ),
}
