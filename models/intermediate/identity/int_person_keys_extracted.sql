-- The keys by which a record names a person, one row per (record, key), with the rule and
-- its strength: the normalised e-mail (case, spaces, +tags, mail. subdomains removed), the
-- lead a contact was converted from (the address may differ), and first + last name
-- within one resolved company. Role addresses (billing@) and internal records name nobody.
-- Each rule gives a record at most one key (one company per record) and the rules' prefixes
-- differ, so no record names a key twice: no group by is needed.
{{
    config(
        materialized=('table' if target.type == 'spark' else 'incremental'),
        unique_key=['source_system', 'source_table', 'source_record_id'],
        incremental_strategy='delete+insert',
        on_schema_change='fail',
        post_hook="{{ delete_departure_markers('person_key') }}",
    )
}}

-- Incremental (the nightly): the keys of a record change when a raw load touches it
-- (identity_records_touched) or when its company does (the name key names the company):
-- then its row in int_records_companies_resolved was rebuilt since this model's last
-- build. Those records' keys replace theirs, and a departure marker per such record
-- (person_key null) removes the keys of a record that has fewer or none now.
-- The resolved companies are read by relation, not as a CTE: read more than once, a CTE
-- is materialised in full first (8.8 M rows at l).
{%- set companies = ref('int_records_companies_resolved') %}
with
{%- if is_incremental() %}

touched as (
    {{ identity_records_touched() }}
),

company_resolved_since as (
    select source_system, source_table, source_record_id
    from {{ companies }}
    where _built_through_load_id > {{ built_through(this) }}
),

records_to_build as (
    select * from touched
    union
    select * from company_resolved_since
),

records as (
    {{ identity_records_to_extract('records_to_build') }}
),
{%- else %}

records as (
    {{ identity_records_to_extract() }}
),
{%- endif %}

-- a record's person name: its own, or else the one its address spells (ava.carter12@...
-- -> ava, carter: tickets, survey answers and billing customers carry no name fields),
-- within its resolved company. The name key takes the two parts in either order, so a
-- swapped first and last name is the same person.
{%- set local_part = regex_replace_all(
    "split_part(records.person_email, '@', 1)", "'[0-9]+'", "''"
) %}
{%- set nameless = 'records.first_name_normalized is null and records.last_name_normalized is null' %}
named as (
    select
        records.source_system, records.source_table, records.source_record_id,
        records._built_through_load_id,
        companies.customer_id,
        coalesce(
            records.first_name_normalized,
            case when {{ nameless }} then
                nullif(regexp_extract({{ local_part }}, '^([a-z]{2,})[._-]([a-z]{2,})$', 1), '')
            end
        ) as first_name,
        coalesce(
            records.last_name_normalized,
            case when {{ nameless }} then
                nullif(regexp_extract({{ local_part }}, '^([a-z]{2,})[._-]([a-z]{2,})$', 2), '')
            end
        ) as last_name
    from records
    inner join {{ companies }} as companies
        using (source_system, source_table, source_record_id)
),

keyed as (
    select
        source_system, source_table, source_record_id,
        'email:' || person_email as person_key, 'email' as match_rule, 1 as rule_rank,
        _built_through_load_id
    from records
    where person_email is not null
    union all
    select
        source_system, source_table, source_record_id,
        'lead:' || lead_id, 'lead_conversion', 2, _built_through_load_id
    from records
    where lead_id is not null and source_table in ('leads', 'contacts')
    union all
    select
        source_system, source_table, source_record_id,
        'name:' || least(first_name, last_name) || '|' || greatest(first_name, last_name)
            || '|' || customer_id,
        'name_and_company', 3, _built_through_load_id
    from named
    where first_name is not null and last_name is not null
),

-- how far the build read: the record, and the company clusters its name key names (a
-- record whose company moved would carry its record's older stamp otherwise)
final as (
    select
        source_system, source_table, source_record_id, person_key, match_rule, rule_rank,
        greatest(
            _built_through_load_id,
            (select max(_built_through_load_id) from {{ companies }})
        ) as _built_through_load_id
    from keyed
)

select * from final
{%- if is_incremental() %}
union all by name
select source_system, source_table, source_record_id from records_to_build
{%- endif %}
