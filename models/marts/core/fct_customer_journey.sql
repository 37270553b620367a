-- One row per event in a customer's life across the four systems (kpi_definitions.md "The customer
-- journey"), for every record the crosswalk links to a customer (int_journey_events_linked).
-- Grain: journey_event_id, a hash of (event_type, source_system, event record), stable
-- across runs. lifecycle_stage is the customer's stage after the event: the furthest of
-- lead < mql < sql < opportunity < customer reached so far, and 'churned' while a customer
-- that has subscribed has no live subscription.
{{
    config(
        materialized=('table' if target.type == 'spark' else 'incremental'),
        unique_key='customer_id',
        incremental_strategy='delete+insert',
        on_schema_change='fail',
        pre_hook="{{ keep_join_build_sides() }}",
        post_hook=[
            "{{ delete_departure_markers('event_number') }}",
            "{{ reset_join_build_sides() }}",
        ],
    )
}}

-- Incremental (the nightly): a customer's rows depend only on that customer's linked
-- events, so only customers whose events may have changed are rebuilt: the customers,
-- before and after, of each event record the crosswalk rebuilt or a raw load touched since
-- this model's last build (journey_customers_changed). Exchange rates and plans price
-- events of any customer: when they were loaded since, every customer's linked events are
-- compared with its rows instead (journey_customers_fingerprinted). A changed customer
-- left without events (its records moved to another) gets a departure marker: a row with
-- only its customer_id, so that the delete+insert removes its rows; the post-hook then
-- deletes the markers, in the same transaction. The full refresh job rebuilds the table
-- (dbt --full-refresh). On Spark a plain table.
-- The nightly reads the linked events of the customers it rebuilds from
-- journey_events_linked, which refs these (dbt must know them when it parses the model):
-- depends_on: {{ ref('identity_crosswalk') }}, {{ ref('int_subscription_events_priced') }},
-- {{ ref('stg_marketing__touchpoints') }}, {{ ref('stg_marketing__leads') }},
-- {{ ref('stg_sales__opportunities') }}, {{ ref('stg_sales__opportunity_stage_history') }},
-- {{ ref('stg_sales__quotes') }}, {{ ref('stg_finance__invoices') }},
-- {{ ref('stg_success__tickets') }}, {{ ref('stg_success__nps_responses') }}
{%- if is_incremental() and not journey_prices_loaded() %}
with {{ journey_customers_changed() }},

-- only the changed customers' records of the crosswalk meet the 27 M source events at l
-- (the view's join of all of them, then a semi join, took 31 s and spilled)
events_to_build as (
    {{ journey_events_linked('changed_customers') }}
),
{%- elif is_incremental() %}
with linked as (
    select * from {{ ref('int_journey_events_linked') }}
),

{{ journey_customers_fingerprinted('linked') }},

-- a semi join: DuckDB builds its hash table on the changed customers; an inner join
-- built it on the 27 M linked events at l and spilled (journey query 63 -> 32 s)
events_to_build as (
    select linked.*
    from linked
    semi join changed_customers using (customer_id)
),
{%- else %}
with events_to_build as (
    select * from {{ ref('int_journey_events_linked') }}
),
{%- endif %}
{%- if is_incremental() %}

departed_customers as (
    select customer_id from changed_customers
    where customer_id not in (select customer_id from events_to_build)
),
{%- endif %}

-- the customer's first touchpoint is its first touch: the earliest, ties broken by the
-- least record id (two aggregates, not a window over every event)
first_touch_times as (
    select customer_id, min(event_at) as first_touch_at
    from events_to_build
    where event_type = 'touchpoint'
    group by customer_id
),

first_touches as (
    select events_to_build.customer_id, min(events_to_build.event_record_id) as event_record_id
    from events_to_build
    inner join first_touch_times
        on events_to_build.customer_id = first_touch_times.customer_id
        and events_to_build.event_at = first_touch_times.first_touch_at
    where events_to_build.event_type = 'touchpoint'
    group by events_to_build.customer_id
),

typed as (
    select
        events_to_build.source_system,
        events_to_build.source_table,
        events_to_build.source_record_id,
        events_to_build.event_record_id,
        events_to_build.event_at,
        case
            when first_touches.event_record_id is not null then 'first_touch'
            else events_to_build.event_type
        end as event_type,
        events_to_build.channel,
        events_to_build.amount_usd,
        events_to_build.customer_id,
        events_to_build.person_id
    from events_to_build
    left join first_touches
        on events_to_build.customer_id = first_touches.customer_id
        and events_to_build.event_record_id = first_touches.event_record_id
        and events_to_build.event_type = 'touchpoint'
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
        {{ seconds_between('previous_event_at', 'event_at') }} / 86400.0 as days_since_previous_event,
        {{ newest_load_id(
            identity_raw_sources() + crosswalk_child_sources() + journey_event_sources()
            + journey_price_sources()
        ) }} as _built_through_load_id
    from ordered
)

select * from final
{%- if is_incremental() %}
union all by name
select customer_id from departed_customers
{%- endif %}
