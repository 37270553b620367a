-- Churn risk of every paying customer (MRR > 0 at the end of the as-of month), kpi_definitions.md
-- "Churn risk": a 0-100 score, the sum of points for four inputs that are columns beside
-- it (thresholds in the YAML): usage trend, tickets opened in the 90 days up to the as-of
-- date, the band of the latest NPS answer in those 90 days, and open invoices past due.
with customers as (
    select * from {{ ref('dim_customers') }}
    where current_mrr_usd > 0
),

usage as (
    select * from {{ ref('int_customer_usage_windows') }}
),

nps as (
    select * from {{ ref('int_customer_nps_90d') }}
),

tickets as (
    select * from {{ ref('stg_success__tickets') }}
),

invoices as (
    select * from {{ ref('stg_finance__invoices') }}
),

crosswalk as {{ inlined() }} (
    select * from {{ ref('identity_crosswalk') }}
),

as_of as (
    select * from {{ ref('int_as_of_date') }}
),

recent_tickets as (
    select crosswalk.customer_id, count(*) as tickets_90d
    from tickets
    inner join crosswalk
        on crosswalk.source_system = 'success'
        and crosswalk.source_table = 'tickets'
        and tickets.ticket_id = crosswalk.source_record_id
    cross join as_of
    where crosswalk.customer_id is not null
        and tickets.created_at < cast(as_of.as_of_date + interval 1 day as timestamp)
        and tickets.created_at
            >= cast(as_of.as_of_date + interval 1 day as timestamp) - interval 90 day
    group by crosswalk.customer_id
),

past_due as (
    select crosswalk.customer_id, count(*) as past_due_invoices
    from invoices
    inner join crosswalk
        on crosswalk.source_system = 'finance'
        and crosswalk.source_table = 'invoices'
        and invoices.invoice_id = crosswalk.source_record_id
    cross join as_of
    where crosswalk.customer_id is not null
        and invoices.status = 'open'
        and cast(invoices.due_at as date) < as_of.as_of_date
    group by crosswalk.customer_id
),

inputs as (
    select
        customers.customer_id,
        customers.customer_name,
        customers.region,
        customers.current_mrr_usd as mrr_usd,
        usage.usage_trend,
        coalesce(recent_tickets.tickets_90d, 0) as tickets_90d,
        coalesce(nps.latest_nps_band, 'none') as latest_nps_band,
        coalesce(past_due.past_due_invoices, 0) as past_due_invoices
    from customers
    left join usage on customers.customer_id = usage.customer_id
    left join recent_tickets on customers.customer_id = recent_tickets.customer_id
    left join nps on customers.customer_id = nps.customer_id
    left join past_due on customers.customer_id = past_due.customer_id
),

pointed as (
    select
        *,
        case
            when usage_trend <= -0.25 then 30
            when usage_trend <= -0.10 then 15
            else 0
        end as usage_points,
        case
            when tickets_90d >= 5 then 20
            when tickets_90d >= 2 then 10
            else 0
        end as ticket_points,
        case latest_nps_band
            when 'detractor' then 25
            when 'passive' then 10
            when 'none' then 5
            else 0
        end as nps_points,
        case
            when past_due_invoices >= 2 then 25
            when past_due_invoices = 1 then 15
            else 0
        end as past_due_points
    from inputs
),

final as (
    select
        customer_id,
        customer_name,
        region,
        mrr_usd,
        usage_points + ticket_points + nps_points + past_due_points as risk_score,
        case
            when usage_points + ticket_points + nps_points + past_due_points >= 50 then 'high'
            when usage_points + ticket_points + nps_points + past_due_points >= 25 then 'medium'
            else 'low'
        end as risk_band,
        usage_trend,
        tickets_90d,
        latest_nps_band,
        past_due_invoices,
        usage_points,
        ticket_points,
        nps_points,
        past_due_points
    from pointed
)

select * from final
