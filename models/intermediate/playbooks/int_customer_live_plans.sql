-- The plans each resolved customer holds at the end of the as-of date: one row per
-- customer and plan of a subscription whose latest event (same instant: greater event_id)
-- leaves it active or past_due; with the plan's currency.
with events as (
    select * from {{ ref('int_subscription_events_priced') }}
),

crosswalk as (
    select * from {{ ref('identity_crosswalk') }}
    where source_system = 'finance' and source_table = 'customers'
),

latest as (
    select *
    from (
        select
            row_number() over (
                partition by subscription_id order by occurred_at desc, event_id desc
            ) as row_in_group,
            *
        from events
    ) as ranked
    where row_in_group = 1
),

final as (
    select distinct
        crosswalk.customer_id,
        latest.plan_id,
        latest.currency
    from latest
    inner join crosswalk on latest.owner_customer_id = crosswalk.source_record_id
    where latest.status in ('active', 'past_due')
        and crosswalk.customer_id is not null
)

select * from final
