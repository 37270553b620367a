-- Customer-success KPIs by calendar month (kpi_definitions.md "Success"), from the first month with a
-- ticket or an NPS answer to the as-of month. Definitions are in _success__models.yml.
with tickets as (
    select * from {{ ref('int_success_tickets_classified') }}
),

answers as (
    select * from {{ ref('int_nps_answers_resolved') }}
),

as_of as (
    select * from {{ ref('int_as_of_date') }}
),

bounds as (
    select
        least(
            (select min(created_month) from tickets),
            (select min(responded_month) from answers)
        ) as first_month,
        as_of_month as last_month
    from as_of
),

spine as (
    {{ month_spine('bounds', 'first_month', 'last_month') }}
),

solved as (
    select
        solved_month as month,
        count(*) as tickets_solved,
        count(csat_score) as csat_responses,
        count(*) filter (where csat_score >= 4) as csat_satisfied,
        median(resolution_hours) as resolution_hours_median
    from tickets
    where is_solved
    group by solved_month
),

created as (
    select
        created_month as month,
        median(first_response_hours) as first_response_hours_median
    from tickets
    group by created_month
),

-- one answer per respondent and calendar month: the latest
monthly_answers as (
    select *
    from (
        select
            row_number() over (
                partition by respondent_key, responded_month
                order by responded_at desc, response_id desc
            ) as row_in_group,
            responded_month as month,
            respondent_key,
            score
        from answers
    ) as ranked
    where row_in_group = 1
),

nps as (
    select
        month,
        count(*) as nps_answers,
        count(*) filter (where score >= 9) as nps_promoters,
        count(*) filter (where score <= 6) as nps_detractors
    from monthly_answers
    group by month
),

final as (
    select
        spine.month,
        coalesce(solved.tickets_solved, 0) as tickets_solved,
        coalesce(solved.csat_responses, 0) as csat_responses,
        solved.csat_satisfied / nullif(solved.csat_responses, 0) as csat,
        100.0 * (nps.nps_promoters - nps.nps_detractors) / nullif(nps.nps_answers, 0) as nps,
        coalesce(nps.nps_answers, 0) as nps_answers,
        coalesce(nps.nps_promoters, 0) as nps_promoters,
        coalesce(nps.nps_detractors, 0) as nps_detractors,
        created.first_response_hours_median,
        solved.resolution_hours_median
    from spine
    left join solved using (month)
    left join created using (month)
    left join nps using (month)
)

select * from final
