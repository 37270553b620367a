-- Every current record that carries evidence of who a person or company is, one row each,
-- with that evidence normalised (e-mail, domain, company name, person name). Children that
-- only point at a parent (quotes, subscription events, invoices, touchpoints) are resolved
-- through the parent in identity_crosswalk and are not here.
{{
    config(
        materialized=('table' if target.type == 'spark' else 'incremental'),
        unique_key=['source_system', 'source_table', 'source_record_id'],
        incremental_strategy='delete+insert',
        on_schema_change='fail',
        post_hook="{{ delete_departure_markers('is_internal') }}",
    )
}}

-- Incremental (the nightly): only the records a raw load touched since the last build are
-- normalised again (identity_records_touched), each replacing its row; a touched record
-- that is gone (soft-deleted, or its file left the landing folder) leaves a departure
-- marker (is_internal null), so the delete+insert removes its row and the post-hook the
-- marker. The full refresh job rebuilds the table. On Spark a plain table.
with leads as (
    select * from {{ ref('stg_marketing__leads') }}
),

accounts as (
    select * from {{ ref('stg_sales__accounts') }}
),

contacts as (
    select * from {{ ref('stg_sales__contacts') }}
),

opportunities as (
    select * from {{ ref('int_opportunities_classified') }}
),

customers as (
    select * from {{ ref('stg_finance__customers') }}
),

tickets as (
    select * from {{ ref('stg_success__tickets') }}
),

nps_responses as (
    select * from {{ ref('stg_success__nps_responses') }}
),

non_company_domains as (
    select domain, kind from {{ ref('non_company_domains') }}
),

records as (
    select
        'marketing' as source_system, 'leads' as source_table, lead_id as source_record_id,
        is_internal, created_at as recorded_at,
        null as account_id, lead_id, email, company_domain as website,
        company_name, country_code, first_name, last_name
    from leads
    union all
    select
        'sales', 'accounts', account_id,
        is_internal, created_at,
        account_id, null, null, website,
        account_name, billing_country, null, null
    from accounts
    union all
    select
        'sales', 'contacts', contact_id,
        is_internal, created_at,
        account_id, converted_from_lead_id, email, null,
        null, null, first_name, last_name
    from contacts
    union all
    select
        'sales', 'opportunities', opportunity_id,
        is_internal, created_at,
        account_id, null, null, null,
        null, null, null, null
    from opportunities
    union all
    select
        'finance', 'customers', customer_id,
        is_internal, created_at,
        crm_account_id, null, email, null,
        name, country_code, null, null
    from customers
    union all
    select
        'success', 'tickets', ticket_id,
        is_internal, created_at,
        account_id, null, requester_email, null,
        null, null, null, null
    from tickets
    union all
    select
        'success', 'nps_responses', response_id,
        is_internal, responded_at,
        account_id, null, email, null,
        null, null, null, null
    from nps_responses
),

{%- if is_incremental() %}

touched as (
    {{ identity_records_touched() }}
),

records_to_build as (
    select records.*
    from records
    semi join touched using (source_system, source_table, source_record_id)
),
{%- else %}

records_to_build as (
    select * from records
),
{%- endif %}

-- the bare address and the website's host first, once each: the domains and the
-- normalised address below read them as columns, not as repeated regular expressions
parsed as (
    select
        *,
        {{ bare_email('email') }} as email_address,
        {{ website_host('website') }} as website_host
    from records_to_build
),

domains as (
    select
        *,
        {{ registrable_domain('email_host') }} as email_domain,
        {{ registrable_domain('website_host') }} as website_domain
    from (
        select *, regexp_extract(email_address, '@(.+)$', 1) as email_host from parsed
    ) as with_hosts
),

normalized as (
    select
        source_system,
        source_table,
        source_record_id,
        is_internal,
        recorded_at,
        account_id,
        lead_id,
        {{ is_role_address('email_address') }} as is_role_email,
        email is not null and not {{ is_valid_email('email') }} as has_invalid_email,
        {{ address_at_domain('email_address', 'email_domain') }} as email_normalized,
        email_domain,
        website_domain,
        {{ normalized_company_name('company_name') }} as company_name_normalized,
        upper(trim(country_code)) as country_code,
        {{ normalized_person_name('first_name') }} as first_name_normalized,
        {{ normalized_person_name('last_name') }} as last_name_normalized
    from domains
),

final as (
    select
        normalized.source_system,
        normalized.source_table,
        normalized.source_record_id,
        normalized.is_internal,
        normalized.recorded_at,
        normalized.account_id,
        normalized.lead_id,
        normalized.is_role_email,
        normalized.has_invalid_email,
        -- a role address (billing@acme.io) names the company, never a person; a placeholder
        -- (none@noemail.com) nobody
        case
            when not normalized.is_role_email
                and coalesce(email_kind.kind, '') != 'placeholder'
                then normalized.email_normalized
        end as person_email,
        -- a free-mail domain (gmail.com, or one mistyped: gmial.com), a social, link
        -- shortener or site-builder host, or a placeholder says nothing about the company,
        -- in an e-mail as in a website
        case
            when email_kind.domain is not null then null
            when {{ is_free_mail_typo('normalized.email_domain') }} then null
            else normalized.email_domain
        end as company_email_domain,
        case
            when website_kind.domain is not null then null
            when {{ is_free_mail_typo('normalized.website_domain') }} then null
            else normalized.website_domain
        end as website_domain,
        normalized.company_name_normalized,
        normalized.country_code,
        normalized.first_name_normalized,
        normalized.last_name_normalized,
        {{ newest_load_id() }} as _built_through_load_id
    from normalized
    left join non_company_domains as email_kind
        on normalized.email_domain = email_kind.domain
    left join non_company_domains as website_kind
        on normalized.website_domain = website_kind.domain
)

select * from final
{%- if is_incremental() %}
-- one departure marker per touched record: removes its old row whether or not it has a
-- new one
union all by name
select source_system, source_table, source_record_id from touched
{%- endif %}
