-- Month-end MRR per resolved customer (kpi_definitions.md): the sum of its subscriptions' MRR at the
-- last instant of each month, rounded to cents, from the month of its first subscription
-- event to the as-of month. Internal/test customers are left out.
with events as (
    select * from {{ ref('int_subscription_events_priced') }}
),

crosswalk as (
    select * from {{ ref('identity_crosswalk') }}
    where source_system = 'finance' and source_table = 'customers'
),

as_of as (
    select * from {{ ref('int_as_of_date') }}
),

-- at one instant the greater event_id wins; each state holds until the next instant
last_per_instant as (
    select
        *,
        lead(occurred_at) over (partition by subscription_id order by occurred_at)
            as next_occurred_at
    from (
        select
            row_number() over (
                partition by subscription_id, occurred_at order by event_id desc
            ) as row_in_group,
            *
        from events
    ) as ranked
    where row_in_group = 1
),

subscriptions as (
    select
        subscription_id,
        any_value(owner_customer_id) as billing_customer_id,
        {{ month_of('min(occurred_at)') }} as first_month
    from events
    group by subscription_id
),

subscription_months as (
    select
        subscriptions.subscription_id,
        subscriptions.billing_customer_id,
        {{ date_series('subscriptions.first_month', 'as_of.as_of_month', 'interval 1 month') }}
            as month
    from subscriptions
    cross join as_of
),

subscription_month_ends as (
    select
        subscription_months.*,
        last_per_instant.mrr_usd
    from subscription_months
    -- the state in force at the month's last instant (the latest one before the next month)
    left join last_per_instant
        on subscription_months.subscription_id = last_per_instant.subscription_id
        and last_per_instant.occurred_at
            < cast(subscription_months.month + interval 1 month as timestamp)
        and (
            last_per_instant.next_occurred_at is null
            or last_per_instant.next_occurred_at
                >= cast(subscription_months.month + interval 1 month as timestamp)
        )
),

final as (
    select
        crosswalk.customer_id,
        subscription_month_ends.month,
        round(sum(coalesce(subscription_month_ends.mrr_usd, 0)), 2) as mrr_usd
    from subscription_month_ends
    inner join crosswalk
        on subscription_month_ends.billing_customer_id = crosswalk.source_record_id
    where crosswalk.customer_id is not null
    group by all
)

select * from final
