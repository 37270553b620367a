-- The keys by which a record names its company, one row per (record, key), with the rule
-- that produces the key and its strength (1 strongest). Records sharing a key are the same
-- company; int_company_keys_clustered chains them. Internal/test records have no keys.
-- Each rule gives a record at most one key and the rules' prefixes differ, so a record names
-- a key twice only when its e-mail domain is its website's: the website (the stronger rule)
-- keeps it. No group by: at scale l that 17 M-row aggregate needed more than 3 GB.
{{
    config(
        materialized=('table' if target.type == 'spark' else 'incremental'),
        unique_key=['source_system', 'source_table', 'source_record_id'],
        incremental_strategy='delete+insert',
        on_schema_change='fail',
        post_hook="{{ delete_departure_markers('company_key') }}",
    )
}}

-- Incremental (the nightly): the keys of the records a raw load touched since the last
-- build (identity_records_touched) replace theirs; a departure marker per touched record
-- (company_key null) removes the keys of a record that has fewer or none now.
{%- if is_incremental() %}
with touched as (
    {{ identity_records_touched() }}
),

records as (
    {{ identity_records_to_extract('touched') }}
),
{%- else %}
with records as (
    {{ identity_records_to_extract() }}
),
{%- endif %}

final as (
    select
        source_system, source_table, source_record_id,
        'account:' || account_id as company_key,
        case when source_table = 'customers' then 'crm_account_id' else 'account_id' end
            as match_rule,
        1 as rule_rank,
        _built_through_load_id
    from records
    where account_id is not null
    union all
    select
        source_system, source_table, source_record_id,
        'domain:' || website_domain, 'website_domain', 2, _built_through_load_id
    from records
    where website_domain is not null
    union all
    select
        source_system, source_table, source_record_id,
        'domain:' || company_email_domain, 'email_domain', 3, _built_through_load_id
    from records
    where company_email_domain is not null
        and (website_domain is null or company_email_domain <> website_domain)
    union all
    -- the same legal-form-free name in the same country
    select
        source_system, source_table, source_record_id,
        'name:' || company_name_normalized || '|' || coalesce(country_code, ''),
        'company_name', 4, _built_through_load_id
    from records
    where company_name_normalized is not null
)

select * from final
{%- if is_incremental() %}
union all by name
select source_system, source_table, source_record_id from touched
{%- endif %}
