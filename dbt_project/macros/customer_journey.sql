{#- The hash of one journey event over everything a customer's journey rows are computed
    from (event_record_id is a function of the record, the type and the time). Summed per
    customer as hugeint it is an order-free fingerprint of the customer's events. -#}
{% macro journey_event_hash(event_type) -%}
hash(
    customer_id, person_id, event_at, {{ event_type }}, source_system, source_table,
    source_record_id, channel, amount_usd
)::hugeint
{%- endmacro %}


{#- The raw tables whose rows are journey events, as (source_system, source_table, raw
    relation, record key): a stage change is an event of its opportunity. -#}
{% macro journey_event_sources() -%}
{{ return([
    ('marketing', 'touchpoints', source('marketing', 'touchpoints'), 'touchpoint_id'),
    ('marketing', 'leads', source('marketing', 'leads'), 'lead_id'),
    ('sales', 'opportunities', source('sales', 'opportunities'), 'opportunity_id'),
    ('sales', 'opportunities', source('sales', 'opportunity_stage_history'), 'opportunity_id'),
    ('sales', 'quotes', source('sales', 'quotes'), 'quote_id'),
    ('finance', 'subscription_events', source('finance', 'subscription_events'), 'event_id'),
    ('finance', 'invoices', source('finance', 'invoices'), 'invoice_id'),
    ('success', 'tickets', source('success', 'tickets'), 'ticket_id'),
    ('success', 'nps_responses', source('success', 'nps_responses'), 'response_id'),
]) }}
{%- endmacro %}


{#- The raw tables that price events of any customer: exchange rates and plans. -#}
{% macro journey_price_sources() -%}
{{ return([
    ('finance', 'fx_rates', source('finance', 'fx_rates'), none),
    ('finance', 'plans', source('finance', 'plans'), none),
]) }}
{%- endmacro %}


{#- Whether exchange rates or plans were loaded after the newest load the journey (`this`)
    was built through: a nightly then compares every customer's events. Asked only when
    the model is built (`dbt docs generate` compiles it against the serving file, which
    has no raw tables). -#}
{% macro journey_prices_loaded() -%}
{%- if not execute or flags.WHICH not in ('run', 'build') -%}
    {{ return(false) }}
{%- endif -%}
{%- set loaded = run_query(
    'select ' ~ newest_load_id(journey_price_sources()) ~ ' > ' ~ built_through(this)
) -%}
{{ return(loaded.columns[0].values()[0]) }}
{%- endmacro %}


{#- CTEs ending in `changed_customers` (customer_id): the customers whose journey may differ
    from the rows `this` holds, found from how far it was built. They are the customers,
    before and after, of every event record that the crosswalk rebuilt since (its customer
    or person may have changed) or that a raw load touched since (records_touched: new,
    updated or gone), and of the other events of a touched event's subscription (an event's
    MRR change is against the one before). -#}
{% macro journey_customers_changed() -%}
built as (
    select {{ built_through(this) }} as through_load_id
),

touched as (
    {{ records_touched(journey_event_sources()) }}
),

subscriptions_touched as (
    select subscription_id from {{ ref('int_subscription_events_priced') }}
    where event_id in (
        select source_record_id from touched where source_table = 'subscription_events'
    )
),

records_changed as (
    select source_system, source_table, source_record_id from {{ ref('identity_crosswalk') }}
    where _built_through_load_id > (select through_load_id from built)
    union
    select * from touched
    union
    select 'finance', 'subscription_events', event_id
    from {{ ref('int_subscription_events_priced') }}
    where subscription_id in (select subscription_id from subscriptions_touched)
),

-- the records' ids first: a semi join on one column, which DuckDB also pushes into the
-- scans, narrows the 22 M crosswalk and 27 M journey rows at l before the three-column one
-- (the nightly journey at l: 8.5 -> 6.3 s)
changed_ids as materialized (
    select distinct source_record_id from records_changed
),

changed_customers as (
    select customer_id from (
        select * from {{ ref('identity_crosswalk') }}
        where customer_id is not null
            and source_record_id in (select source_record_id from changed_ids)
    ) as candidates
    semi join records_changed using (source_system, source_table, source_record_id)
    union
    select customer_id from (
        select * from {{ this }}
        where source_record_id in (select source_record_id from changed_ids)
    ) as candidates
    semi join records_changed using (source_system, source_table, source_record_id)
)
{%- endmacro %}


{#- CTEs ending in `changed_customers` (customer_id): every customer whose linked events
    (`linked`) have a fingerprint (count and sum of event hashes) other than its rows in
    `this`, or none left. -#}
{% macro journey_customers_fingerprinted(linked) -%}
linked_fingerprints as (
    select
        customer_id,
        count(*) as events,
        sum({{ journey_event_hash('event_type') }}) as fingerprint
    from {{ linked }}
    group by customer_id
),

built_fingerprints as (
    select
        customer_id,
        count(*) as events,
        -- first_touch is the customer's first touchpoint: hashed as the touchpoint it is
        sum({{ journey_event_hash(
            "case when event_type = 'first_touch' then 'touchpoint' else event_type end"
        ) }}) as fingerprint
    from {{ this }}
    group by customer_id
),

changed_customers as (
    select coalesce(linked_fingerprints.customer_id, built_fingerprints.customer_id)
        as customer_id
    from linked_fingerprints
    full join built_fingerprints using (customer_id)
    where linked_fingerprints.events is distinct from built_fingerprints.events
        or linked_fingerprints.fingerprint is distinct from built_fingerprints.fingerprint
)
{%- endmacro %}


{#- Filtered to `customers`: a source's rows that are records of `crosswalk` (the records of
    those customers), so that only their events are built and joined (a semi join on the
    record id; the nightly journey at l: 13.4 -> 8.5 s). -#}
{% macro linked_records_only(customers, key, source_table) -%}
{%- if customers %}
    where {{ key }} in (select source_record_id from crosswalk where source_table = '{{ source_table }}')
{%- endif %}
{%- endmacro %}


{#- The query of int_journey_events_linked: every journey event of a record the crosswalk
    links to a customer, or only those of `customers` (a relation or CTE of customer_id). -#}
{% macro journey_events_linked(customers=none) -%}
-- materialised first when filtered: DuckDB would join every source event with the
-- crosswalk and filter the customers afterwards (the nightly journey at l: 39 -> 14 s)
with crosswalk as {% if customers %}materialized {% endif %}(
    select * from {{ ref('identity_crosswalk') }}
    where customer_id is not null
    {%- if customers %}
        and customer_id in (select customer_id from {{ customers }})
    {%- endif %}
),

touchpoints as (
    select * from {{ ref('stg_marketing__touchpoints') }}
    {{- linked_records_only(customers, 'touchpoint_id', 'touchpoints') }}
),

leads as (
    select * from {{ ref('stg_marketing__leads') }}
    {{- linked_records_only(customers, 'lead_id', 'leads') }}
),

opportunities as (
    select * from {{ ref('stg_sales__opportunities') }}
    {{- linked_records_only(customers, 'opportunity_id', 'opportunities') }}
),

stage_history as (
    select * from {{ ref('stg_sales__opportunity_stage_history') }}
    {{- linked_records_only(customers, 'opportunity_id', 'opportunities') }}
),

quotes as (
    select * from {{ ref('stg_sales__quotes') }}
    {{- linked_records_only(customers, 'quote_id', 'quotes') }}
),

-- every event: an event's MRR change is against its subscription's previous event
subscription_events as (
    select * from {{ ref('int_subscription_events_priced') }}
),

invoices as (
    select * from {{ ref('stg_finance__invoices') }}
    {{- linked_records_only(customers, 'invoice_id', 'invoices') }}
),

tickets as (
    select * from {{ ref('stg_success__tickets') }}
    {{- linked_records_only(customers, 'ticket_id', 'tickets') }}
),

nps_responses as (
    select * from {{ ref('stg_success__nps_responses') }}
    {{- linked_records_only(customers, 'response_id', 'nps_responses') }}
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
{%- endmacro %}
