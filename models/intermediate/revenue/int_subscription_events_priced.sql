-- Each subscription event with the subscription's MRR after it (kpi_definitions.md "MRR"), in the
-- plan's currency and in USD. The USD rate is the one of the date of the latest
-- amount-setting event (the first event, a reactivation, or a change of plan, quantity or
-- discount), so a status-only change or a currency move alone never moves MRR.
-- A subscription belongs to the billing customer of its latest event.
with events as (
    select * from {{ ref('stg_finance__subscription_events') }}
),

plans as (
    select * from {{ ref('stg_finance__plans') }}
),

ordered as (
    select
        events.*,
        row_number() over (
            partition by subscription_id order by occurred_at, event_id
        ) as event_number,
        lag(plan_id) over by_time as previous_plan_id,
        lag(quantity) over by_time as previous_quantity,
        lag(discount_pct) over by_time as previous_discount_pct,
        last_value(customer_id) over (
            partition by subscription_id order by occurred_at, event_id
            rows between unbounded preceding and unbounded following
        ) as owner_customer_id
    from events
    window by_time as (partition by subscription_id order by occurred_at, event_id)
),

flagged as (
    select
        *,
        (
            event_number = 1
            or event_type = 'reactivated'
            or plan_id is distinct from previous_plan_id
            or quantity is distinct from previous_quantity
            or discount_pct is distinct from previous_discount_pct
        ) as is_amount_setting
    from ordered
),

rate_dated as (
    select
        *,
        cast(max(case when is_amount_setting then occurred_at end) over (
            partition by subscription_id order by occurred_at, event_id
            rows between unbounded preceding and current row
        ) as date) as rate_date
    from flagged
),

priced as (
    select
        rate_dated.event_id,
        rate_dated.subscription_id,
        rate_dated.customer_id,
        rate_dated.owner_customer_id,
        rate_dated.occurred_at,
        rate_dated.event_number,
        rate_dated.event_type,
        rate_dated.status,
        rate_dated.plan_id,
        rate_dated.quantity,
        rate_dated.discount_pct,
        rate_dated.crm_opportunity_id,
        rate_dated.is_amount_setting,
        plans.currency,
        case
            when rate_dated.status in ('active', 'past_due')
                then rate_dated.quantity * plans.unit_amount
                    * (1 - rate_dated.discount_pct / 100.0) / plans.interval_months
            else 0
        end as mrr_local,
        rate_dated.rate_date
    from rate_dated
    left join plans using (plan_id)
),

final as (
    select
        priced.*,
        priced.mrr_local * fx.rate_to_usd as mrr_usd
    from priced
    {{ join_usd_rate('fx', 'priced.currency', 'priced.rate_date') }}
)

select * from final
