{#- The hash of one journey event over everything a customer's journey rows are computed
    from (event_record_id is a function of the record, the type and the time). Summed per
    customer as hugeint it is an order-free fingerprint of the customer's events. -#}
{% macro journey_event_hash(event_type) -%}
hash(
    customer_id, person_id, event_at, {{ event_type }}, source_system, source_table,
    source_record_id, channel, amount_usd
)::hugeint
{%- endmacro %}
