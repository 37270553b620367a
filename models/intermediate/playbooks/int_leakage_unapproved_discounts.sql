-- Revenue leakage `unapproved_discount` (kpi_definitions.md): one finding per amount-setting event (a
-- subscription's first event, a reactivation, or a change of plan, quantity or discount)
-- that leaves the subscription active or past_due with discount_pct above 30 (exactly 30
-- is allowed), for a non-internal customer, detected on the UTC date of the event. At
-- risk: the monthly discount in USD, quantity * unit_amount * discount_pct / 100 /
-- interval months, at the rate of the event's date.
with events as (
    select * from {{ ref('int_subscription_events_priced') }}
),

plans as (
    select * from {{ ref('stg_finance__plans') }}
),

crosswalk as (
    select * from {{ ref('identity_crosswalk') }}
    where source_system = 'finance' and source_table = 'subscription_events'
),

flagged as (
    select
        events.event_id,
        crosswalk.customer_id,
        cast(events.occurred_at as date) as detected_on,
        events.quantity * plans.unit_amount * events.discount_pct / 100.0
            / plans.interval_months as monthly_discount,
        plans.currency
    from events
    inner join plans on events.plan_id = plans.plan_id
    inner join crosswalk on events.event_id = crosswalk.source_record_id
    where events.is_amount_setting
        and events.status in ('active', 'past_due')
        and events.discount_pct > 30
        and not crosswalk.is_internal
),

final as (
    select
        'unapproved_discount' as finding_type,
        flagged.customer_id,
        'subscription_events' as source_table,
        flagged.event_id as source_record_id,
        flagged.detected_on,
        round(flagged.monthly_discount * fx.rate_to_usd, 2) as amount_at_risk_usd
    from flagged
    {{ join_usd_rate('fx', 'flagged.currency', 'flagged.detected_on') }}
)

select * from final
