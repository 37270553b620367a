-- One row per record of every table that names a person or a company, with the resolved
-- customer and person and the rule that linked the record. Children follow their parent:
-- quotes their opportunity, subscription events and invoices their billing customer,
-- touchpoints their lead (or, without one, the person of their e-mail). A record without
-- any company evidence takes its person's company ('via_person'). Internal/test records,
-- and children of internal parents, have neither id ('internal_excluded').
{{
    config(
        materialized=('table' if target.type == 'spark' else 'incremental'),
        unique_key=['source_system', 'source_table', 'source_record_id'],
        incremental_strategy='delete+insert_logged',
        changes_logged=['customer_id', 'person_id'],
        on_schema_change='fail',
        pre_hook="{{ keep_join_build_sides() }}",
        post_hook=[
            "{{ delete_departure_markers('match_rule') }}",
            "{{ reset_join_build_sides() }}",
        ],
    )
}}

-- Incremental (the nightly): only the records whose row may have changed since this
-- model's last build are built again (crosswalk_records_to_build), each replacing its row;
-- a departure marker (match_rule null) per such record removes a record that is gone. The
-- CTEs below then read only those records and the parents and people they need. The
-- customers and people of the rows replaced and built are logged (changes_log.sql): the
-- dims rebuild only those.
{%- if is_incremental() %}
with {{ crosswalk_records_to_build() }},

evidence as (
    select * from {{ ref('int_records_resolved') }}
    semi join evidence_needed using (source_system, source_table, source_record_id)
),

person_keys as (
    select * from {{ ref('int_person_keys_clustered') }}
),

opportunities as (
    select * from {{ ref('stg_sales__opportunities') }}
    where opportunity_id in (select opportunity_id from opportunities_needed)
),

quotes as (
    {{ crosswalk_records_of(ref('stg_sales__quotes'), 'quotes', 'quote_id') }}
),

subscription_events as (
    {{ crosswalk_records_of(ref('stg_finance__subscription_events'), 'subscription_events', 'event_id') }}
),

invoices as (
    {{ crosswalk_records_of(ref('stg_finance__invoices'), 'invoices', 'invoice_id') }}
),

touchpoints as (
    {{ crosswalk_records_of(ref('stg_marketing__touchpoints'), 'touchpoints', 'touchpoint_id') }}
),

-- the e-mail person keys of the touchpoints built, computed before the join: a join on the
-- whole normaliser expression was planned as a nested loop (minutes at scale xs)
touchpoint_keys as (
    select 'email:' || {{ normalized_email('email') }} as person_key from touchpoints
),

-- the people whose company person_company ranks: those of the records built (the person
-- keys by relation: DuckDB would materialise a CTE read twice in full)
people_needed as (
    select person_id from evidence where person_id is not null
    union
    select person_keys.person_id
    from {{ ref('int_person_keys_clustered') }} as person_keys
    inner join touchpoint_keys on person_keys.person_key = touchpoint_keys.person_key
),

person_evidence as (
    select * from {{ ref('int_records_resolved') }}
    where person_id in (select person_id from people_needed)
),
{%- else %}
with evidence as (
    select * from {{ ref('int_records_resolved') }}
),

person_keys as (
    select * from {{ ref('int_person_keys_clustered') }}
),

opportunities as (
    select * from {{ ref('stg_sales__opportunities') }}
),

quotes as (
    select * from {{ ref('stg_sales__quotes') }}
),

subscription_events as (
    select * from {{ ref('stg_finance__subscription_events') }}
),

invoices as (
    select * from {{ ref('stg_finance__invoices') }}
),

touchpoints as (
    select * from {{ ref('stg_marketing__touchpoints') }}
),

person_evidence as (
    select * from evidence
),
{%- endif %}

-- the company a person's records most often name: for their records that name none
person_company as (
    select *
    from (
        select
            row_number() over (
                partition by person_id order by count(*) desc, customer_id
            ) as row_in_group,
            person_id, customer_id
        from person_evidence
        where person_id is not null and customer_id is not null
        group by person_id, customer_id
    ) as ranked
    where row_in_group = 1
),

evidence_resolved as (
    select
        evidence.source_system,
        evidence.source_table,
        evidence.source_record_id,
        evidence.is_internal,
        coalesce(evidence.customer_id, person_company.customer_id) as customer_id,
        evidence.person_id,
        case
            when evidence.customer_id is not null then evidence.match_rule
            when person_company.customer_id is not null then 'via_person'
        end as match_rule,
        evidence.person_match_rule
    from evidence
    left join person_company using (person_id)
),

opportunity_records as (
    select * from evidence_resolved where source_table = 'opportunities'
),

contact_records as (
    select * from evidence_resolved where source_table = 'contacts'
),

billing_customer_records as (
    select * from evidence_resolved where source_table = 'customers'
),

lead_records as (
    select * from evidence_resolved where source_table = 'leads'
),

-- an opportunity's person is its primary contact
opportunities_resolved as (
    select
        opportunity_records.source_system,
        opportunity_records.source_table,
        opportunity_records.source_record_id,
        opportunity_records.is_internal,
        opportunity_records.customer_id,
        contact_records.person_id,
        opportunity_records.match_rule,
        case when contact_records.person_id is not null then 'via_primary_contact' end
            as person_match_rule
    from opportunity_records
    inner join opportunities
        on opportunity_records.source_record_id = opportunities.opportunity_id
    left join contact_records
        on opportunities.primary_contact_id = contact_records.source_record_id
),

children as (
    select
        'sales' as source_system, 'quotes' as source_table, quotes.quote_id as source_record_id,
        coalesce(parent.is_internal, false) as is_internal,
        parent.customer_id, parent.person_id,
        'via_opportunity' as match_rule, 'via_opportunity' as person_match_rule
    from quotes
    left join opportunities_resolved as parent
        on quotes.opportunity_id = parent.source_record_id
    union all
    select
        'finance', 'subscription_events', subscription_events.event_id,
        coalesce(parent.is_internal, false),
        parent.customer_id, parent.person_id,
        'via_billing_customer', 'via_billing_customer'
    from subscription_events
    left join billing_customer_records as parent
        on subscription_events.customer_id = parent.source_record_id
    union all
    select
        'finance', 'invoices', invoices.invoice_id,
        coalesce(parent.is_internal, false),
        parent.customer_id, parent.person_id,
        'via_billing_customer', 'via_billing_customer'
    from invoices
    left join billing_customer_records as parent
        on invoices.customer_id = parent.source_record_id
),

touchpoints_by_email as (
    select
        touchpoints.touchpoint_id,
        touchpoints.email,
        'email:' || {{ normalized_email('touchpoints.email') }} as person_key
    from touchpoints
    left join lead_records on touchpoints.lead_id = lead_records.source_record_id
    where lead_records.source_record_id is null
),

touchpoint_people as (
    select
        touchpoints_by_email.touchpoint_id,
        {{ is_internal_email('touchpoints_by_email.email') }} as is_internal,
        person_keys.person_id
    -- every touchpoint by e-mail, the keys on the probe side (keep_join_build_sides)
    from person_keys
    right join touchpoints_by_email
        on person_keys.person_key = touchpoints_by_email.person_key
),

touchpoints_resolved as (
    select
        'marketing' as source_system, 'touchpoints' as source_table,
        touchpoints.touchpoint_id as source_record_id,
        coalesce(lead.is_internal, by_email.is_internal, false) as is_internal,
        coalesce(lead.customer_id, person_company.customer_id) as customer_id,
        coalesce(lead.person_id, by_email.person_id) as person_id,
        case when lead.source_record_id is not null then 'via_lead' else 'via_person' end
            as match_rule,
        case when lead.source_record_id is not null then 'via_lead' else 'email' end
            as person_match_rule
    from touchpoints
    left join lead_records as lead on touchpoints.lead_id = lead.source_record_id
    left join touchpoint_people as by_email using (touchpoint_id)
    left join person_company on by_email.person_id = person_company.person_id
),

all_records as (
    select * from evidence_resolved where source_table <> 'opportunities'
    union all
    select * from opportunities_resolved
    union all
    select * from children
    union all
    select * from touchpoints_resolved
),

final as (
    select
        source_system,
        source_table,
        source_record_id,
        case when not is_internal then customer_id end as customer_id,
        case when not is_internal then person_id end as person_id,
        case
            when is_internal then 'internal_excluded'
            when customer_id is null then 'unlinked'
            else match_rule
        end as match_rule,
        case
            when is_internal then 'internal_excluded'
            when person_id is null then 'no_person'
            else person_match_rule
        end as person_match_rule,
        is_internal,
        {{ newest_load_id(identity_raw_sources() + crosswalk_child_sources()) }} as _built_through_load_id
    from all_records
)

select * from final
{%- if is_incremental() %}
semi join records_to_build using (source_system, source_table, source_record_id)
union all by name
select source_system, source_table, source_record_id from records_to_build
{%- endif %}
