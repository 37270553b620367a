-- NPS signals per resolved customer over the 90 days (90 x 24 h) up to the end of the
-- as-of date, from the valid answers (score 0-10) of any of the customer's people:
-- the latest answer's score and band (promoter 9-10, passive 7-8, detractor 0-6; same
-- instant: greater response_id) and whether any answer in the window was a detractor.
with responses as (
    select * from {{ ref('stg_success__nps_responses') }}
),

crosswalk as (
    select * from {{ ref('identity_crosswalk') }}
    where source_system = 'success' and source_table = 'nps_responses'
),

as_of as (
    select * from {{ ref('int_as_of_date') }}
),

recent as (
    select
        crosswalk.customer_id,
        responses.response_id,
        responses.responded_at,
        responses.score
    from responses
    inner join crosswalk on responses.response_id = crosswalk.source_record_id
    cross join as_of
    where crosswalk.customer_id is not null
        and responses.score between 0 and 10
        and responses.responded_at < cast(as_of.as_of_date + interval 1 day as timestamp)
        and responses.responded_at
            >= cast(as_of.as_of_date + interval 1 day as timestamp) - interval 90 day
),

final as (
    select
        customer_id,
        count(*) as nps_answers_90d,
        max_by(score, {{ tuple_key(['responded_at', 'response_id']) }}) as latest_nps_score,
        case
            when max_by(score, {{ tuple_key(['responded_at', 'response_id']) }}) >= 9 then 'promoter'
            when max_by(score, {{ tuple_key(['responded_at', 'response_id']) }}) >= 7 then 'passive'
            else 'detractor'
        end as latest_nps_band,
        bool_or(score <= 6) as has_detractor_90d
    from recent
    group by customer_id
)

select * from final
