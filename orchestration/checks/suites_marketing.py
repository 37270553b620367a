"""Great Expectations suites of the marketing marts (kpi_definitions.md "Marketing"): ranges, the
month and quarter spines, and the cross-layer invariants (funnel people and spend add up to
the detail; attribution credits every won new_business deal exactly once per model)."""

from __future__ import annotations

from orchestration.checks.suites import at_least, between, in_set, month_spine_complete, no_rows
from revops.contract import CHANNELS
from revops.quality import Suite, expect

FUNNEL_CHANNELS = [*CHANNELS, "unknown"]
ATTRIBUTION_MODELS = ["first_touch", "last_touch", "linear"]
# Sums of floating-point USD amounts agree to a cent.
CENT = 0.01

FUNNEL_COUNTS = ["leads", "mqls", "sqls", "opportunities", "won", "accepted_mqls"]

MARKETING_SUITES: dict[tuple[str, ...], Suite] = {
    ("marts", "kpi_funnel_monthly"): Suite(
        name="marts_kpi_funnel_monthly",
        schema="marts",
        table="kpi_funnel_monthly",
        expectations=[
            expect("ExpectTableRowCountToBeBetween", min_value=1),
            expect("ExpectColumnValuesToNotBeNull", column="month"),
            expect("ExpectColumnValuesToNotBeNull", column="channel"),
            in_set("channel", FUNNEL_CHANNELS),
            between("lead_acceptance_rate", 0, 1),
            *[at_least(c, 0) for c in FUNNEL_COUNTS],
            *[at_least(c, 0) for c in ["ad_spend_usd", "cost_per_lead_usd", "cost_per_mql_usd"]],
            month_spine_complete(),
            no_rows(
                "one row per month and channel",
                "(month, channel) in (select (month, channel) from {batch} "
                "group by all having count(*) > 1)",
                "month, channel",
            ),
            no_rows(
                "every channel has every month of the spine",
                "(select count(*) from {batch}) <> (select count(distinct month) "
                "* count(distinct channel) from {batch})",
                "month, channel",
            ),
            no_rows(
                "the spine ends at the as-of month",
                "(select max(month) from {batch}) <> "
                "(select as_of_month from intermediate.int_as_of_date)",
                "month",
            ),
            no_rows(
                "accepted MQLs are some of the month's MQLs",
                "accepted_mqls > mqls",
                "month, channel, accepted_mqls, mqls",
            ),
            no_rows(
                "a rate or cost is null exactly when its denominator is 0",
                "(lead_acceptance_rate is null) <> (mqls = 0) "
                "or (cost_per_lead_usd is null) <> (leads = 0) "
                "or (cost_per_mql_usd is null) <> (mqls = 0)",
                "month, channel",
            ),
            no_rows(
                "each person counts once as a lead (leads add up to the funnel's people)",
                "(select sum(leads) from {batch}) <> (select count(*) from "
                "intermediate.int_funnel_people_entered p, intermediate.int_as_of_date a "
                "where p.lead_month <= a.as_of_month)",
                "month, channel",
            ),
            no_rows(
                "ad spend adds up to the staged ad spend up to the as-of month",
                f"abs((select sum(ad_spend_usd) from {{batch}}) - (select coalesce(sum(s.spend_usd), 0) "
                "from staging.stg_marketing__ad_spend s, intermediate.int_as_of_date a "
                f"where s.spend_date < a.as_of_month + interval 1 month)) > {CENT}",
                "month, channel",
            ),
            no_rows(
                "won deals add up to the non-internal won new_business opportunities",
                "(select sum(won) from {batch}) <> (select count(*) from "
                "intermediate.int_opportunities_classified o, intermediate.int_as_of_date a "
                "where o.is_won and o.opportunity_type = 'new_business' and not o.is_internal "
                "and o.close_date < a.as_of_month + interval 1 month)",
                "month, channel",
            ),
        ],
    ),
    ("marts", "kpi_marketing_attribution"): Suite(
        name="marts_kpi_marketing_attribution",
        schema="marts",
        table="kpi_marketing_attribution",
        expectations=[
            expect("ExpectTableRowCountToBeBetween", min_value=1),
            expect("ExpectColumnValuesToNotBeNull", column="quarter"),
            in_set("channel", FUNNEL_CHANNELS),
            in_set("attribution_model", ATTRIBUTION_MODELS),
            at_least("attributed_bookings_usd", 0),
            at_least("ad_spend_usd", 0),
            # (bookings - spend) / spend with bookings >= 0 is never below -1
            at_least("roi", -1),
            no_rows(
                "one row per quarter, channel and model",
                "(quarter, channel, attribution_model) in (select (quarter, channel, "
                "attribution_model) from {batch} group by all having count(*) > 1)",
                "quarter, channel, attribution_model",
            ),
            no_rows(
                "every quarter has every channel under every model",
                "(select count(*) from {batch}) <> (select count(distinct quarter) "
                "* count(distinct channel) * 3 from {batch})",
                "quarter",
            ),
            no_rows(
                "ROI is null exactly when there is no spend",
                "(roi is null) <> (ad_spend_usd = 0)",
                "quarter, channel, attribution_model",
            ),
            no_rows(
                "each model's channels sum to the quarter's won new_business bookings",
                "(quarter, attribution_model) in (select (m.quarter, m.attribution_model) "
                "from (select quarter, attribution_model, sum(attributed_bookings_usd) as b "
                "from {batch} group by all) m left join (select "
                "cast(date_trunc('quarter', o.close_date) as date) as quarter, "
                "sum(o.amount_usd) as b from intermediate.int_opportunities_classified o, "
                "intermediate.int_as_of_date a where o.is_won and not o.is_internal "
                "and o.opportunity_type = 'new_business' and o.close_date <= a.as_of_date "
                f"group by 1) t using (quarter) where abs(m.b - coalesce(t.b, 0)) > {CENT})",
                "quarter, attribution_model",
            ),
            no_rows(
                "no won new_business quarter is missing",
                "(select count(distinct cast(date_trunc('quarter', o.close_date) as date)) "
                "from intermediate.int_opportunities_classified o, intermediate.int_as_of_date a "
                "where o.is_won and not o.is_internal and o.opportunity_type = 'new_business' "
                "and o.close_date <= a.as_of_date and cast(date_trunc('quarter', o.close_date) "
                "as date) not in (select quarter from {batch})) > 0",
                "quarter",
            ),
            no_rows(
                "ad spend is the same under every model",
                "(quarter, channel) in (select (quarter, channel) from {batch} "
                "group by all having min(ad_spend_usd) <> max(ad_spend_usd))",
                "quarter, channel",
            ),
        ],
    ),
    ("marts", "kpi_paid_cac_monthly"): Suite(
        name="marts_kpi_paid_cac_monthly",
        schema="marts",
        table="kpi_paid_cac_monthly",
        expectations=[
            expect("ExpectTableRowCountToBeBetween", min_value=1),
            in_set("channel", CHANNELS),
            *[at_least(c, 0) for c in ["ad_spend_usd", "new_customers", "paid_cac_usd"]],
            no_rows(
                "CAC is null exactly when there is no new customer",
                "(paid_cac_usd is null) <> (new_customers = 0)",
                "month, channel",
            ),
            no_rows(
                "new customers add up to the new movements that have a first touch",
                "(select sum(new_customers) from {batch}) <> (select count(*) from "
                "marts.fct_mrr f join marts.fct_customer_journey j using (customer_id) "
                "where f.movement_type = 'new' and j.event_type = 'first_touch')",
                "month, channel",
            ),
        ],
    ),
}
