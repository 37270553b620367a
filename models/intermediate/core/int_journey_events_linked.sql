-- Every journey event of a source record the crosswalk links to a customer: what happened,
-- when, in which record, with the record's customer and person. Expansion and contraction
-- are subscription changes that raise or lower the subscription's MRR; churned is a
-- subscription's cancellation.
-- event_record_id is a function of (source_record_id, event_type, event_at), which lets
-- fct_customer_journey fingerprint a customer's events from its own columns.
-- A view: fct_customer_journey, its only reader, reads it once per build.
{{ config(materialized='view') }}

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

final as (
    select
        source_events.*,
        crosswalk.customer_id,
        crosswalk.person_id
    from source_events
    inner join crosswalk using (source_system, source_table, source_record_id)
    where source_events.event_at is not null
)

select * from final
