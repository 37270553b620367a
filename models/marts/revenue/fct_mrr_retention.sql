-- Net and gross revenue retention at customer grain (kpi_definitions.md "NRR", "GRR"): one row per
-- customer and month M for every customer with MRR > 0 at the end of M-12, with its MRR
-- then and now and the current MRR capped at the M-12 MRR. Summing the columns over the
-- customers of a month gives the NRR and GRR numerators and denominator, so the semantic
-- layer can slice retention by customer attributes.
with month_ends as (
    select * from {{ ref('int_customer_mrr_month_ends') }}
),

cohort_base as (
    select
        customer_id,
        month as base_month,
        mrr_usd as base_mrr_usd
    from month_ends
    where mrr_usd > 0
),

-- month_ends has a row per customer and month up to the as-of month, zeros included, so an
-- inner join keeps every cohort member whose M is inside the spine
paired as (
    select
        cohort_base.customer_id,
        month_ends.month,
        cohort_base.base_month,
        cohort_base.base_mrr_usd,
        month_ends.mrr_usd
    from cohort_base
    inner join month_ends
        on cohort_base.customer_id = month_ends.customer_id
        and month_ends.month = cast(cohort_base.base_month + interval 12 month as date)
),

final as (
    select
        customer_id,
        month,
        base_month,
        base_mrr_usd,
        mrr_usd,
        least(mrr_usd, base_mrr_usd) as capped_mrr_usd
    from paired
)

select * from final
