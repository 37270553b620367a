-- One row per current, non-internal ticket (kpi_definitions.md "Success"), with the parts the
-- success KPIs count: the UTC month it was created and solved, its CSAT score when it is
-- 1-5, and its first-response and resolution hours when they are not negative. A negative
-- duration (a solve or response stamped before creation) is ignored, not the ticket: it
-- still counts as solved in its solved month and keeps its CSAT score.
with tickets as (
    select * from {{ ref('stg_success__tickets') }}
),

accounts as (
    select * from {{ ref('stg_sales__accounts') }}
),

crosswalk as (
    select * from {{ ref('identity_crosswalk') }}
    where source_system = 'success' and source_table = 'tickets'
),

flagged as (
    select
        tickets.*,
        tickets.is_internal
            or coalesce(crosswalk.is_internal, false)
            or coalesce(accounts.is_internal, false) as is_internal_any,
        crosswalk.customer_id
    from tickets
    left join crosswalk on tickets.ticket_id = crosswalk.source_record_id
    left join accounts on tickets.account_id = accounts.account_id
),

durations as (
    select
        ticket_id,
        customer_id,
        priority,
        status,
        created_at,
        first_response_at,
        solved_at,
        csat_score,
        {{ seconds_between('created_at', 'first_response_at') }} / 3600.0 as first_response_hours_raw,
        {{ seconds_between('created_at', 'solved_at') }} / 3600.0 as resolution_hours_raw
    from flagged
    where not is_internal_any
),

final as (
    select
        ticket_id,
        customer_id,
        priority,
        status,
        created_at,
        {{ month_of('created_at') }} as created_month,
        solved_at,
        {{ month_of('solved_at') }} as solved_month,
        solved_at is not null as is_solved,
        case
            when solved_at is not null and csat_score between 1 and 5 then csat_score
        end as csat_score,
        case when first_response_hours_raw >= 0 then first_response_hours_raw end
            as first_response_hours,
        case when resolution_hours_raw >= 0 then resolution_hours_raw end as resolution_hours
    from durations
)

select * from final
