{#- The raw tables identity_crosswalk reads besides the identity records: the children
    (quotes, subscription events, invoices) and the touchpoints. -#}
{% macro crosswalk_child_sources() -%}
{{ return([
    ('sales', 'quotes', source('sales', 'quotes'), 'quote_id'),
    ('finance', 'subscription_events', source('finance', 'subscription_events'), 'event_id'),
    ('finance', 'invoices', source('finance', 'invoices'), 'invoice_id'),
    ('marketing', 'touchpoints', source('marketing', 'touchpoints'), 'touchpoint_id'),
]) }}
{%- endmacro %}


{#- CTEs of identity_crosswalk's nightly, ending in `records_to_build` (the records whose
    row may differ from the one it holds), `opportunities_needed` and `evidence_needed`
    (the opportunities and resolved identity records their rows are built from). A row
    may differ when its record was touched in the raw tables or rebuilt in
    int_records_resolved since this model's last build, when its person's company may
    have changed (person_company ranks the companies of the person's records: a person
    with a changed record, before or after), when its parent's row may differ (an
    opportunity's primary contact, a quote's opportunity, a billing customer's
    subscription events and invoices, a lead's touchpoints), or, for a touchpoint known
    by its e-mail, when that e-mail's person key was walked again. -#}
{% macro crosswalk_records_to_build() -%}
{#- the children of a billing customer: (table, key) -#}
{%- set billing_children = [('subscription_events', 'event_id'), ('invoices', 'invoice_id')] -%}
built as (
    select {{ built_through(this) }} as through_load_id
),

touched as (
    {{ identity_records_touched(other_sources=crosswalk_child_sources()) }}
),

evidence_changed as (
    select source_system, source_table, source_record_id
    from {{ ref('int_records_resolved') }}
    where _built_through_load_id > (select through_load_id from built)
    union
    select * from touched
    where source_table not in ('quotes', 'subscription_events', 'invoices', 'touchpoints')
),

-- an identity record's crosswalk person is its own (opportunities take their contact's)
people_changed as (
    select person_id from {{ ref('int_records_resolved') }}
    semi join evidence_changed using (source_system, source_table, source_record_id)
    where person_id is not null
    union
    select person_id from {{ this }}
    semi join evidence_changed using (source_system, source_table, source_record_id)
    where person_id is not null and source_table <> 'opportunities'
),

identity_to_build as (
    select * from evidence_changed
    union
    select source_system, source_table, source_record_id
    from {{ ref('int_records_resolved') }}
    where person_id in (select person_id from people_changed)
),

opportunities_to_build as (
    select source_record_id as opportunity_id from identity_to_build
    where source_table = 'opportunities'
    union
    select opportunity_id from {{ ref('stg_sales__opportunities') }}
    where primary_contact_id in (
        select source_record_id from identity_to_build where source_table = 'contacts'
    )
),

email_keys_walked as (
    select person_key from {{ ref('int_person_keys_clustered') }}
    where _built_through_load_id > (select through_load_id from built)
        and person_key like 'email:%'
),

records_to_build as (
    select * from identity_to_build
    union
    select 'sales', 'opportunities', opportunity_id from opportunities_to_build
    union
    select * from touched
    union
    select 'sales', 'quotes', quote_id from {{ ref('stg_sales__quotes') }}
    where opportunity_id in (select opportunity_id from opportunities_to_build)
    {%- for table, key in billing_children %}
    union
    select 'finance', '{{ table }}', {{ key }} from {{ ref('stg_finance__' ~ table) }}
    where customer_id in (
        select source_record_id from identity_to_build where source_table = 'customers'
    )
    {%- endfor %}
    union
    select 'marketing', 'touchpoints', touchpoint_id from {{ ref('stg_marketing__touchpoints') }}
    where lead_id in (select source_record_id from identity_to_build where source_table = 'leads')
    union
    select source_system, source_table, source_record_id from {{ this }}
    where source_table = 'touchpoints' and person_id in (select person_id from people_changed)
    union
    select 'marketing', 'touchpoints', touchpoint_id from {{ ref('stg_marketing__touchpoints') }}
    where touchpoint_id in (
        select source_record_id from {{ this }}
        where source_table = 'touchpoints' and person_match_rule in ('email', 'no_person')
    )
        and 'email:' || {{ normalized_email('email') }} in (select person_key from email_keys_walked)
),

opportunities_needed as (
    select source_record_id as opportunity_id from records_to_build
    where source_table = 'opportunities'
    union
    select opportunity_id from {{ ref('stg_sales__quotes') }}
    where quote_id in (select source_record_id from records_to_build where source_table = 'quotes')
),

evidence_needed as (
    select * from records_to_build
    union
    select 'sales', 'contacts', primary_contact_id from {{ ref('stg_sales__opportunities') }}
    where opportunity_id in (select opportunity_id from opportunities_needed)
    union
    select 'sales', 'opportunities', opportunity_id from opportunities_needed
    {%- for table, key in billing_children %}
    union
    select 'finance', 'customers', customer_id from {{ ref('stg_finance__' ~ table) }}
    where {{ key }} in (
        select source_record_id from records_to_build where source_table = '{{ table }}'
    )
    {%- endfor %}
    union
    select 'marketing', 'leads', lead_id from {{ ref('stg_marketing__touchpoints') }}
    where touchpoint_id in (
        select source_record_id from records_to_build where source_table = 'touchpoints'
    )
)
{%- endmacro %}


{#- The rows of a child `model` (staging) whose crosswalk records identity_crosswalk
    builds in a nightly (records_to_build). -#}
{% macro crosswalk_records_of(model, source_table, key) -%}
select * from {{ model }}
where {{ key }} in (
    select source_record_id from records_to_build where source_table = '{{ source_table }}'
)
{%- endmacro %}
