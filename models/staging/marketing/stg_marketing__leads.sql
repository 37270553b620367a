{{
    config(
        materialized=('table' if target.type == 'spark' else 'incremental'),
        unique_key='lead_id',
        incremental_strategy='delete+insert',
        on_schema_change='fail',
        pre_hook="{{ reset_if_reloaded(source('marketing', 'leads')) }}",
    )
}}

-- Incremental like the touchpoints: a lead is updated in place, so a nightly re-ranks only
-- the leads of newer loads against their current row (8 M leads at l).
with landed as (
    {{ rows_since_last_load(
        source('marketing', 'leads'),
        ['lead_id'],
        [
            'lead_id', 'email', 'first_name', 'last_name', 'company_name', 'company_domain',
            'country_code', 'job_title', 'created_at', 'original_source_channel',
            'first_campaign_id', 'lifecycle_stage', 'became_mql_at', 'became_sql_at',
            'updated_at',
        ]
    ) }}
),

leads as (
    {{ newest_row_wins('landed', ['lead_id'], has_updated_at=true) }}
),

final as (
    select
        lead_id,
        email,
        first_name,
        last_name,
        company_name,
        company_domain,
        country_code,
        job_title,
        created_at,
        original_source_channel,
        first_campaign_id,
        lifecycle_stage,
        became_mql_at,
        became_sql_at,
        updated_at,
        {{ is_internal_email('email') }}
            or {{ is_internal_name('company_name') }}
            or {{ is_internal_website('company_domain') }} as is_internal,
        _source_file,
        _source_row,
        _load_id
    from leads
)

select * from final
