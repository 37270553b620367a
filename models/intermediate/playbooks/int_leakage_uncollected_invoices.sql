-- Revenue leakage `uncollected_invoice` (kpi_definitions.md): one finding per invoice of a non-internal
-- customer that on the as-of date is open more than 30 days past its due date (the UTC
-- date of due_at; exactly 30 days is not yet a finding), detected on due date + 31 days,
-- or uncollectible, detected on its due date. At risk: total - amount_paid, in USD at the
-- invoice's issued_at rate.
with invoices as (
    select * from {{ ref('stg_finance__invoices') }}
),

crosswalk as (
    select * from {{ ref('identity_crosswalk') }}
    where source_system = 'finance' and source_table = 'invoices'
),

as_of as (
    select * from {{ ref('int_as_of_date') }}
),

dated as (
    select
        invoices.invoice_id,
        crosswalk.customer_id,
        invoices.status,
        invoices.total,
        invoices.amount_paid,
        invoices.rate_to_usd,
        cast(invoices.due_at as date) as due_on
    from invoices
    inner join crosswalk on invoices.invoice_id = crosswalk.source_record_id
    where not crosswalk.is_internal
),

flagged as (
    select
        dated.*,
        case
            when dated.status = 'uncollectible' then dated.due_on
            when dated.status = 'open' and {{ days_between('dated.due_on', 'as_of.as_of_date') }} > 30
                then cast(dated.due_on + interval 31 day as date)
        end as detected_on
    from dated
    cross join as_of
),

final as (
    select
        'uncollected_invoice' as finding_type,
        customer_id,
        'invoices' as source_table,
        invoice_id as source_record_id,
        detected_on,
        round((total - coalesce(amount_paid, 0)) * rate_to_usd, 2) as amount_at_risk_usd
    from flagged
    where detected_on is not null
)

select * from final
