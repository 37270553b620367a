-- One row per resolved person with at least one non-internal lead (kpi_definitions.md "Funnel"):
-- the person enters at their earliest lead (ties on created_at: the smaller lead_id as
-- text), whose created_at month and original_source_channel (else 'unknown') are the
-- person's lead month and funnel channel; MQL and SQL instants are the earliest over all
-- of the person's leads. Internal/test leads are never anyone's lead.
with leads as (
    select * from {{ ref('stg_marketing__leads') }}
),

crosswalk as (
    select * from {{ ref('identity_crosswalk') }}
    where source_system = 'marketing' and source_table = 'leads'
),

people_leads as (
    select
        crosswalk.person_id,
        leads.lead_id,
        leads.created_at,
        leads.original_source_channel,
        leads.became_mql_at,
        leads.became_sql_at
    from leads
    inner join crosswalk on leads.lead_id = crosswalk.source_record_id
    where not leads.is_internal
        and not crosswalk.is_internal
        and crosswalk.person_id is not null
),

earliest_leads as (
    select *
    from (
        select
            row_number() over (
                partition by person_id order by created_at, cast(lead_id as string)
            ) as row_in_group,
            person_id,
            lead_id as first_lead_id,
            created_at as first_lead_created_at,
            coalesce(original_source_channel, 'unknown') as channel
        from people_leads
    ) as ranked
    where row_in_group = 1
),

stage_dates as (
    select
        person_id,
        count(*) as lead_records,
        min(became_mql_at) as became_mql_at,
        min(became_sql_at) as became_sql_at
    from people_leads
    group by person_id
),

final as (
    select
        earliest_leads.person_id,
        earliest_leads.first_lead_id,
        earliest_leads.first_lead_created_at,
        earliest_leads.channel,
        {{ month_of('earliest_leads.first_lead_created_at') }} as lead_month,
        stage_dates.became_mql_at,
        {{ month_of('stage_dates.became_mql_at') }} as mql_month,
        stage_dates.became_sql_at,
        {{ month_of('stage_dates.became_sql_at') }} as sql_month,
        stage_dates.lead_records
    from earliest_leads
    inner join stage_dates using (person_id)
)

select * from final
