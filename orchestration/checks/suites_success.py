"""Great Expectations suites of the customer-success marts (kpi_definitions.md "Success")."""

from __future__ import annotations

from orchestration.checks.suites import (
    at_least,
    between,
    expect,
    in_set,
    month_spine_complete,
    no_rows,
)
from revops.quality import Suite

NPS_BANDS = ["promoter", "passive", "detractor", "none"]

SUCCESS_SUITES: dict[tuple[str, ...], Suite] = {
    ("marts", "kpi_success_monthly"): Suite(
        name="marts_kpi_success_monthly",
        schema="marts",
        table="kpi_success_monthly",
        expectations=[
            expect("ExpectTableRowCountToBeBetween", min_value=1),
            expect("ExpectColumnValuesToBeUnique", column="month"),
            between("csat", 0, 1),
            between("nps", -100, 100),
            *[
                at_least(c, 0)
                for c in [
                    "tickets_solved",
                    "csat_responses",
                    "nps_answers",
                    "first_response_hours_median",
                    "resolution_hours_median",
                ]
            ],
            month_spine_complete(),
            no_rows(
                "CSAT responses are solved tickets",
                "csat_responses > tickets_solved",
                "month",
            ),
            no_rows(
                "a rate has a value exactly when its denominator is above 0",
                "(csat is null) <> (csat_responses = 0) or (nps is null) <> (nps_answers = 0)",
                "month",
            ),
            no_rows(
                "promoters and detractors are among the answers",
                "nps_promoters + nps_detractors > nps_answers",
                "month",
            ),
            no_rows(
                "solved tickets add up to the detail up to the as-of month",
                "(select sum(tickets_solved) from {batch}) <> (select count(*) from "
                "intermediate.int_success_tickets_classified t, intermediate.int_as_of_date a "
                "where t.is_solved and t.solved_month <= a.as_of_month)",
                "month",
            ),
        ],
    ),
    ("marts", "kpi_upsell_quarterly"): Suite(
        name="marts_kpi_upsell_quarterly",
        schema="marts",
        table="kpi_upsell_quarterly",
        expectations=[
            expect("ExpectTableRowCountToBeBetween", min_value=1),
            expect("ExpectColumnValuesToBeUnique", column="quarter"),
            between("upsell_rate", 0, 1),
            at_least("customers_at_start", 0),
            at_least("upsold_customers", 0),
            no_rows(
                "upsold customers are among the customers at the start",
                "upsold_customers > customers_at_start",
                "quarter",
            ),
            no_rows(
                "no quarter is missing and each is a quarter's first day",
                "(select count(distinct quarter) from {batch}) <> (select "
                "datediff('quarter', min(quarter), max(quarter)) + 1 from {batch}) "
                "or quarter <> date_trunc('quarter', quarter)",
                "quarter",
            ),
            no_rows(
                "customers at the start equal the paying customers of the month before",
                "customers_at_start <> coalesce((select r.active_customers from "
                "marts.kpi_revenue_monthly r where r.month = quarter - interval 1 month), 0)",
                "quarter, customers_at_start",
            ),
        ],
    ),
    ("marts", "kpi_churn_by_nps_band"): Suite(
        name="marts_kpi_churn_by_nps_band",
        schema="marts",
        table="kpi_churn_by_nps_band",
        expectations=[
            expect("ExpectTableRowCountToBeBetween", min_value=4),
            in_set("nps_band", NPS_BANDS),
            between("logo_churn_rate", 0, 1),
            at_least("customers", 0),
            at_least("churned_customers", 0),
            month_spine_complete(),
            no_rows(
                "four rows per month, one per band",
                "month in (select month from {batch} group by month "
                "having count(distinct nps_band) <> 4 or count(*) <> 4)",
                "month, nps_band",
            ),
            no_rows(
                "churned customers are among the customers",
                "churned_customers > customers",
                "month, nps_band",
            ),
            no_rows(
                "the bands add up to kpi_revenue_monthly (paying before, churned in the month)",
                "month in (select b.month from (select month, sum(customers) as customers, "
                "sum(churned_customers) as churned from {batch} group by month) b "
                "join (select month, churned_customers, coalesce(lag(active_customers) "
                "over (order by month), 0) as paying_before from marts.kpi_revenue_monthly) r "
                "using (month) where b.customers <> r.paying_before "
                "or b.churned <> r.churned_customers)",
                "month",
            ),
        ],
    ),
}
