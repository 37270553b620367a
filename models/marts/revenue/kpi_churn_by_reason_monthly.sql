-- Each month's churn split by reason: the churn movements of fct_mrr, each under the
-- churn_reason of its customer's latest canceled event at or before the end of the month
-- ('unknown' when that event has none, or there is none). The reasons of a month add up to
-- kpi_revenue_monthly's churned customers and churned MRR.
with fct as (
    select * from {{ ref('fct_mrr') }}
),

events as (
    select * from {{ ref('stg_finance__subscription_events') }}
),

crosswalk as (
    select * from {{ ref('identity_crosswalk') }}
    where source_system = 'finance' and source_table = 'customers'
),

churns as (
    select customer_id, month, movement_usd
    from fct
    where movement_type = 'churn'
),

cancellations as (
    select
        crosswalk.customer_id,
        events.occurred_at,
        events.event_id,
        events.churn_reason
    from events
    inner join crosswalk on events.customer_id = crosswalk.source_record_id
    where events.event_type = 'canceled'
        and crosswalk.customer_id is not null
),

-- the latest cancellation up to the month's end (same instant: the greater event_id)
reasoned as (
    select
        churns.month,
        churns.customer_id,
        churns.movement_usd,
        cancellations.churn_reason,
        row_number() over (
            partition by churns.customer_id, churns.month
            order by cancellations.occurred_at desc, cancellations.event_id desc
        ) as row_in_group
    from churns
    left join cancellations
        on churns.customer_id = cancellations.customer_id
        and cancellations.occurred_at < cast(churns.month + interval 1 month as timestamp)
),

final as (
    select
        month,
        coalesce(churn_reason, 'unknown') as churn_reason,
        count(*) as churned_customers,
        sum(movement_usd) as churned_mrr_usd
    from reasoned
    where row_in_group = 1
    group by all
)

select * from final
