-- One row per event in a customer's life across the four systems (kpis.md "The customer
-- journey"), for every record the crosswalk links to a customer. Grain: journey_event_id,
-- a hash of (event_type, source_system, source_record_id), stable across runs.
-- Expansion and contraction are subscription changes that raise or lower the
-- subscription's MRR; churned is a subscription's cancellation. lifecycle_stage is the
-- customer's stage after the event: the furthest of lead < mql < sql < opportunity <
-- customer reached so far, and 'churned' while a customer that has subscribed has no
-- live subscription.
{{ config(materialized='table') }}

with crosswalk as (
    select * from {{ ref('identity_crosswalk') }}
    where customer_id is not null
),

touchpoints as (
    select * from {{ ref('stg_marketing__touchpoints') }}
),

leads as (
    select * from {{ ref('stg_marketing__leads') }}
),

opportunities as (
    select * from {{ ref('stg_sales__opportunities') }}
),

stage_history as (
    select * from {{ ref('stg_sales__opportunity_stage_history') }}
),

quotes as (
    select * from {{ ref('stg_sales__quotes') }}
),

subscription_events as (
    select * from {{ ref('int_subscription_events_priced') }}
),

invoices as (
    select * from {{ ref('stg_finance__invoices') }}
),

tickets as (
    select * from {{ ref('stg_success__tickets') }}
),

nps_responses as (
    select * from {{ ref('stg_success__nps_responses') }}
),

-- event rows before the customer is attached: (source table, its record, what happened)
source_events as (
    select
        'marketing' as source_system, 'touchpoints' as source_table,
        touchpoint_id as source_record_id, touchpoint_id as event_record_id,
        occurred_at as event_at, 'touchpoint' as event_type, channel,
        cast(null as double) as amount_usd
    from touchpoints
    union all
    select 'marketing', 'leads', lead_id, lead_id, created_at, 'lead_created',
        original_source_channel, null
    from leads
    union all
    select 'marketing', 'leads', lead_id, lead_id || '@mql', became_mql_at, 'became_mql',
        original_source_channel, null
    from leads
    where became_mql_at is not null
    union all
    select 'marketing', 'leads', lead_id, lead_id || '@sql', became_sql_at, 'became_sql',
        original_source_channel, null
    from leads
    where became_sql_at is not null
    union all
    select 'sales', 'opportunities', opportunity_id, opportunity_id, created_at,
        'opportunity_created', lead_source, amount_usd
    from opportunities
    union all
    select 'sales', 'opportunities', stage_history.opportunity_id,
        stage_history.opportunity_id || '@' || {{ iso_timestamp_text('stage_history.changed_at') }},
        stage_history.changed_at, 'stage_changed', null, null
    from stage_history
    union all
    select 'sales', 'opportunities', opportunity_id, opportunity_id || '@close',
        {{ as_instant('close_date') }}, case when is_won then 'deal_won' else 'deal_lost' end,
        lead_source, amount_usd
    from opportunities
    where is_closed
    union all
    select 'sales', 'quotes', quote_id, quote_id, sent_at, 'quote_sent', null, amount_usd
    from quotes
    where sent_at is not null
    union all
    select 'sales', 'quotes', quote_id, quote_id || '@signed', signed_at, 'quote_signed',
        null, amount_usd
    from quotes
    where status = 'accepted' and signed_at is not null
    union all
    select 'finance', 'subscription_events', event_id, event_id, occurred_at,
        case
            when event_number = 1 then 'subscription_started'
            when event_type = 'reactivated' then 'reactivated'
            when event_type = 'canceled' then 'churned'
            when mrr_usd > previous_mrr_usd then 'expansion'
            when mrr_usd < previous_mrr_usd then 'contraction'
        end,
        null, mrr_usd - coalesce(previous_mrr_usd, 0)
    from (
        select
            *,
            lag(mrr_usd) over (
                partition by subscription_id order by occurred_at, event_id
            ) as previous_mrr_usd
        from subscription_events
    )
    -- a status-only change (past_due and back) is not a journey event
    where event_number = 1
        or event_type in ('reactivated', 'canceled')
        or mrr_usd is distinct from previous_mrr_usd
    union all
    select 'finance', 'invoices', invoice_id, invoice_id, paid_at, 'invoice_paid', null,
        amount_paid_usd
    from invoices
    where status = 'paid' and paid_at is not null
    union all
    select 'success', 'tickets', ticket_id, ticket_id, created_at, 'ticket_opened', null, null
    from tickets
    union all
    select 'success', 'nps_responses', response_id, response_id, responded_at, 'nps_answered',
        null, null
    from nps_responses
),

linked as (
    select
        source_events.*,
        crosswalk.customer_id,
        crosswalk.person_id
    from source_events
    inner join crosswalk using (source_system, source_table, source_record_id)
    where source_events.event_at is not null
),

-- the customer's first touchpoint is its first touch: the earliest, ties broken by the
-- least record id (two aggregates, not a window over every event)
first_touch_times as (
    select customer_id, min(event_at) as first_touch_at
    from linked
    where event_type = 'touchpoint'
    group by customer_id
),

first_touches as (
    select linked.customer_id, min(linked.event_record_id) as event_record_id
    from linked
    inner join first_touch_times
        on linked.customer_id = first_touch_times.customer_id
        and linked.event_at = first_touch_times.first_touch_at
    where linked.event_type = 'touchpoint'
    group by linked.customer_id
),

typed as (
    select
        linked.source_system,
        linked.source_table,
        linked.source_record_id,
        linked.event_record_id,
        linked.event_at,
        case
            when first_touches.event_record_id is not null then 'first_touch'
            else linked.event_type
        end as event_type,
        linked.channel,
        linked.amount_usd,
        linked.customer_id,
        linked.person_id
    from linked
    left join first_touches
        on linked.customer_id = first_touches.customer_id
        and linked.event_record_id = first_touches.event_record_id
        and linked.event_type = 'touchpoint'
),

staged as (
    select
        *,
        case
            when event_type in ('first_touch', 'touchpoint', 'lead_created') then 1
            when event_type = 'became_mql' then 2
            when event_type = 'became_sql' then 3
            when event_type in (
                'opportunity_created', 'stage_changed', 'quote_sent', 'quote_signed', 'deal_lost'
            ) then 4
            when event_type in (
                'deal_won', 'subscription_started', 'expansion', 'contraction', 'reactivated',
                'invoice_paid', 'churned'
            ) then 5
            else 0
        end as stage_rank,
        case
            when event_type in ('subscription_started', 'reactivated') then 1
            when event_type = 'churned' then -1
            else 0
        end as live_subscription_change
    from typed
),

ordered as (
    select
        *,
        row_number() over by_customer as event_number,
        max(stage_rank) over by_customer_so_far as stage_rank_so_far,
        sum(live_subscription_change) over by_customer_so_far as live_subscriptions,
        bool_or(event_type = 'subscription_started') over by_customer_so_far as has_subscribed,
        lag(event_at) over by_customer as previous_event_at
    from staged
    window
        by_customer as (partition by customer_id order by event_at, event_type, event_record_id),
        by_customer_so_far as (
            partition by customer_id order by event_at, event_type, event_record_id
            rows between unbounded preceding and current row
        )
),

final as (
    select
        left(md5(event_type || '|' || source_system || '|' || event_record_id), 20)
            as journey_event_id,
        customer_id,
        person_id,
        event_at,
        event_type,
        case
            when has_subscribed and live_subscriptions <= 0 then 'churned'
            when stage_rank_so_far = 5 then 'customer'
            when stage_rank_so_far = 4 then 'opportunity'
            when stage_rank_so_far = 3 then 'sql'
            when stage_rank_so_far = 2 then 'mql'
            else 'lead'
        end as lifecycle_stage,
        source_system,
        source_table,
        source_record_id,
        channel,
        amount_usd,
        event_number,
        {{ seconds_between('previous_event_at', 'event_at') }} / 86400.0 as days_since_previous_event
    from ordered
)

select * from final
