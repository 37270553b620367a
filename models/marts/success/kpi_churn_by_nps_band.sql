-- Logo churn by NPS band (kpi_definitions.md "Success"): each month, the customers paying at the end of
-- the previous month, grouped by the band of the latest valid NPS answer of any of their
-- people in the 90 x 24 h before the month's first instant (none without one), and how many
-- of them churned in the month. Four rows per month, from the first month with MRR to the
-- as-of month. Definitions are in _success__models.yml.
with fct as (
    select * from {{ ref('fct_mrr') }}
),

answers as (
    select * from {{ ref('int_nps_answers_resolved') }}
),

as_of as (
    select * from {{ ref('int_as_of_date') }}
),

bounds as (
    select
        min(fct.month) filter (where fct.mrr_usd > 0) as first_month,
        any_value(as_of.as_of_month) as last_month
    from fct
    cross join as_of
),

spine as (
    {{ month_spine('bounds', 'first_month', 'last_month') }}
),

bands as (
    select nps_band
    from (values ('promoter'), ('passive'), ('detractor'), ('none')) as bands (nps_band)
),

-- the customers paying at the end of the previous month
at_risk as (
    select
        month,
        customer_id,
        movement_type = 'churn' as is_churned
    from fct
    where previous_mrr_usd > 0
),

banded as (
    select *
    from (
        select
            row_number() over (
                partition by at_risk.month, at_risk.customer_id
                order by answers.responded_at desc nulls last, answers.response_id desc nulls last
            ) as row_in_group,
            at_risk.month,
            at_risk.customer_id,
            at_risk.is_churned,
            coalesce(answers.nps_band, 'none') as nps_band
        from at_risk
        left join answers
            on at_risk.customer_id = answers.customer_id
            and answers.responded_at >= cast(at_risk.month as timestamp) - interval 90 day
            and answers.responded_at < cast(at_risk.month as timestamp)
    ) as ranked
    where row_in_group = 1
),

counts as (
    select
        month,
        nps_band,
        count(*) as customers,
        count(*) filter (where is_churned) as churned_customers
    from banded
    group by month, nps_band
),

final as (
    select
        spine.month,
        bands.nps_band,
        coalesce(counts.customers, 0) as customers,
        coalesce(counts.churned_customers, 0) as churned_customers,
        counts.churned_customers / nullif(counts.customers, 0) as logo_churn_rate
    from spine
    cross join bands
    left join counts using (month, nps_band)
)

select * from final
