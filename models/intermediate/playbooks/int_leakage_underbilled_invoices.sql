-- Revenue leakage `underbilled_invoice` (kpis.md): one finding per invoice line, not a
-- proration, of an issued invoice (not draft or void) of a non-internal customer whose
-- amount is below the subscription's contracted amount for the period by more than 1 USD.
-- Contracted amount = quantity * the plan's unit_amount of the subscription's state at the
-- invoice's issued_at (its latest event at or before it, same instant: greater event_id;
-- active or past_due), before discount, like the line amount. Detected on the UTC date of
-- issued_at. At risk: the shortfall after the subscription's discount, in USD at the
-- issued_at rate. source_record_id is the invoice (one regular line per invoice).
with lines as (
    select * from {{ ref('stg_finance__invoice_lines') }}
),

invoices as (
    select * from {{ ref('stg_finance__invoices') }}
),

events as (
    select * from {{ ref('stg_finance__subscription_events') }}
),

plans as (
    select * from {{ ref('stg_finance__plans') }}
),

crosswalk as (
    select * from {{ ref('identity_crosswalk') }}
    where source_system = 'finance' and source_table = 'invoices'
),

billed_lines as (
    select
        lines.invoice_line_id,
        lines.invoice_id,
        coalesce(lines.subscription_id, invoices.subscription_id) as subscription_id,
        lines.amount,
        invoices.issued_at,
        invoices.rate_to_usd,
        crosswalk.customer_id
    from lines
    inner join invoices on lines.invoice_id = invoices.invoice_id
    inner join crosswalk on invoices.invoice_id = crosswalk.source_record_id
    where not lines.is_proration
        and invoices.status not in ('draft', 'void')
        and not crosswalk.is_internal
),

-- at one instant the greater event_id wins; each state holds until the next instant
last_per_instant as (
    select
        *,
        lead(occurred_at) over (partition by subscription_id order by occurred_at)
            as next_occurred_at
    from (
        select
            row_number() over (
                partition by subscription_id, occurred_at order by event_id desc
            ) as row_in_group,
            *
        from events
    ) as ranked
    where row_in_group = 1
),

contracted as (
    select
        billed_lines.*,
        last_per_instant.status,
        last_per_instant.discount_pct,
        last_per_instant.quantity * plans.unit_amount as contracted_amount
    from billed_lines
    -- the state in force when the invoice was issued
    inner join last_per_instant
        on billed_lines.subscription_id = last_per_instant.subscription_id
        and billed_lines.issued_at >= last_per_instant.occurred_at
        and (
            last_per_instant.next_occurred_at is null
            or billed_lines.issued_at < last_per_instant.next_occurred_at
        )
    inner join plans on last_per_instant.plan_id = plans.plan_id
),

final as (
    select
        'underbilled_invoice' as finding_type,
        customer_id,
        'invoices' as source_table,
        invoice_id as source_record_id,
        cast(issued_at as date) as detected_on,
        round((contracted_amount - amount) * (1 - discount_pct / 100.0) * rate_to_usd, 2)
            as amount_at_risk_usd
    from contracted
    where status in ('active', 'past_due')
        and (contracted_amount - amount) * rate_to_usd > 1
)

select * from final
