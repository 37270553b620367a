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

changed_customers as (
    select customer_id from {{ ref('identity_crosswalk') }}
    semi join records_changed using (source_system, source_table, source_record_id)
    where customer_id is not null
    union
    select customer_id from {{ this }}
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
