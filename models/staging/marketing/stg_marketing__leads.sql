with leads as (
    {{ newest_row_wins(source('marketing', 'leads'), ['lead_id'], has_updated_at=true) }}
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
            or {{ is_internal_website('company_domain') }} as is_internal
    from leads
)

select * from final
