{#- The hash of one journey event over everything a customer's journey rows are computed
    from (event_record_id is a function of the record, the type and the time). Summed per
    customer as hugeint it is an order-free fingerprint of the customer's events. -#}
{% macro journey_event_hash(event_type) -%}
hash(
    customer_id, person_id, event_at, {{ event_type }}, source_system, source_table,
    source_record_id, channel, amount_usd
)::hugeint
{%- endmacro %}

{#- Pre-hook of the incremental journey: a customer left without events (its records now
    belong to another customer, or are gone) has no rows to replace its old ones with. -#}
{% macro delete_customers_without_events(events) -%}
{%- if is_incremental() -%}
delete from {{ this }} as built
where not exists (select 1 from {{ events }} as events where events.customer_id = built.customer_id)
{%- endif -%}
{%- endmacro %}
