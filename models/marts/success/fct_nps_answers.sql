-- The NPS answers that count (kpi_definitions.md "NPS"): one per respondent and calendar month, the
-- latest (ties: the greater response_id), valid scores 0-10 only, internal answers left
-- out. The respondent is the resolved person, else the normalised e-mail; neither is
-- published: respondent_hash is a one-way hash of that key.
with answers as (
    select * from {{ ref('int_nps_answers_resolved') }}
),

ranked as (
    select
        *,
        row_number() over (
            partition by respondent_key, responded_month
            order by responded_at desc, response_id desc
        ) as month_rank
    from answers
),

latest_per_month as (
    select * from ranked where month_rank = 1
),

final as (
    select
        response_id,
        md5(respondent_key) as respondent_hash,
        customer_id,
        responded_at,
        cast(responded_at as date) as responded_on,
        responded_month,
        score,
        nps_band
    from latest_per_month
)

select * from final
