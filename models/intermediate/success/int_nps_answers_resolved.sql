-- One row per current, non-internal NPS answer with a valid score (0-10; others are
-- ignored, kpi_definitions.md "Success"), with its respondent key (the resolved person, else the
-- normalised e-mail, else the response itself), its resolved customer and its band.
with responses as (
    select * from {{ ref('stg_success__nps_responses') }}
),

accounts as (
    select * from {{ ref('stg_sales__accounts') }}
),

crosswalk as (
    select * from {{ ref('identity_crosswalk') }}
    where source_system = 'success' and source_table = 'nps_responses'
),

resolved as (
    select
        responses.response_id,
        responses.responded_at,
        responses.score,
        crosswalk.customer_id,
        coalesce(
            'person:' || crosswalk.person_id,
            'email:' || {{ normalized_email('responses.email') }},
            'response:' || responses.response_id
        ) as respondent_key,
        responses.is_internal
            or coalesce(crosswalk.is_internal, false)
            or coalesce(accounts.is_internal, false) as is_internal_any
    from responses
    left join crosswalk on responses.response_id = crosswalk.source_record_id
    left join accounts on responses.account_id = accounts.account_id
),

final as (
    select
        response_id,
        respondent_key,
        customer_id,
        responded_at,
        {{ month_of('responded_at') }} as responded_month,
        score,
        case
            when score >= 9 then 'promoter'
            when score >= 7 then 'passive'
            else 'detractor'
        end as nps_band
    from resolved
    where not is_internal_any
        and score between 0 and 10
)

select * from final
