-- One row per customer and month where the month-end MRR at either end of the month is
-- above 0, with its movement (kpi_definitions.md "MRR movements"): new, reactivation, expansion,
-- contraction, churn or unchanged; movement_usd = mrr_usd - previous_mrr_usd.
with month_ends as (
    select * from {{ ref('int_customer_mrr_month_ends') }}
),

with_previous as (
    select
        customer_id,
        month,
        mrr_usd,
        coalesce(lag(mrr_usd) over by_month, 0) as previous_mrr_usd,
        coalesce(
            max(mrr_usd) over (
                partition by customer_id order by month
                rows between unbounded preceding and 1 preceding
            ) > 0,
            false
        ) as had_mrr_before
    from month_ends
    window by_month as (partition by customer_id order by month)
),

final as (
    select
        customer_id,
        month,
        mrr_usd,
        previous_mrr_usd,
        case
            when previous_mrr_usd = 0 and not had_mrr_before then 'new'
            when previous_mrr_usd = 0 then 'reactivation'
            when mrr_usd = 0 then 'churn'
            when mrr_usd > previous_mrr_usd then 'expansion'
            when mrr_usd < previous_mrr_usd then 'contraction'
            else 'unchanged'
        end as movement_type,
        mrr_usd - previous_mrr_usd as movement_usd
    from with_previous
    where mrr_usd > 0 or previous_mrr_usd > 0
)

select * from final
