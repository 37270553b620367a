-- Trials by the month they started, from the first month with a trial to the as-of month. A
-- trial is a subscription with a `trialing` state (it holds no MRR); it starts at its first
-- trialing state and converts when the same subscription, or another subscription of the
-- same billing customer created within 7 days after the trial's last trialing state,
-- reaches active or past_due with MRR > 0 (by the as-of date: every landed event).
-- Internal/test customers are left out.
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

trials as (
    select
        events.subscription_id,
        any_value(events.owner_customer_id) as billing_customer_id,
        min(events.occurred_at) as trial_started_at,
        max(events.occurred_at) as last_trialing_at
    from events
    inner join crosswalk on events.owner_customer_id = crosswalk.source_record_id
    where events.status = 'trialing'
        and crosswalk.customer_id is not null
    group by events.subscription_id
),

subscriptions as (
    select
        subscription_id,
        any_value(owner_customer_id) as billing_customer_id,
        min(occurred_at) as created_at
    from events
    group by subscription_id
),

paid_states as (
    select subscription_id, occurred_at
    from events
    where status in ('active', 'past_due') and mrr_usd > 0
),

converted as (
    select distinct trials.subscription_id
    from trials
    inner join paid_states
        on trials.subscription_id = paid_states.subscription_id
        and paid_states.occurred_at >= trials.trial_started_at
    union
    select distinct trials.subscription_id
    from trials
    inner join subscriptions as successors
        on trials.billing_customer_id = successors.billing_customer_id
        and trials.subscription_id <> successors.subscription_id
        and successors.created_at >= trials.last_trialing_at
        and successors.created_at <= trials.last_trialing_at + interval 7 day
    inner join paid_states on successors.subscription_id = paid_states.subscription_id
),

started as (
    select
        {{ month_of('trials.trial_started_at') }} as month,
        count(*) as trials_started,
        count(converted.subscription_id) as trials_converted
    from trials
    left join converted using (subscription_id)
    group by all
),

bounds as (
    select min(started.month) as first_month, any_value(as_of.as_of_month) as last_month
    from started
    cross join as_of
),

spine as (
    {{ month_spine('bounds', 'first_month', 'last_month') }}
),

final as (
    select
        spine.month,
        coalesce(started.trials_started, 0) as trials_started,
        coalesce(started.trials_converted, 0) as trials_converted,
        started.trials_converted / nullif(started.trials_started, 0) as trial_to_paid_rate
    from spine
    left join started using (month)
    where spine.month is not null
)

select * from final
