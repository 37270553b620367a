-- Revenue leakage `underbilled_invoice` (kpi_definitions.md): one finding per invoice line, not a
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

-- the subscription's state at issued_at: its latest event at or before it (same instant:
-- the greater event_id); an equi-join on the subscription, then one ranking per line
events_up_to_issue as (
    select
        billed_lines.invoice_line_id,
        events.plan_id,
        events.quantity,
        events.status,
        events.discount_pct,
        row_number() over (
            partition by billed_lines.invoice_line_id
            order by events.occurred_at desc, events.event_id desc
        ) as recency
    from billed_lines
    inner join events
        on billed_lines.subscription_id = events.subscription_id
        and events.occurred_at <= billed_lines.issued_at
),

contracted as (
    select
        billed_lines.*,
        events_up_to_issue.status,
        events_up_to_issue.discount_pct,
        events_up_to_issue.quantity * plans.unit_amount as contracted_amount
    from billed_lines
    inner join events_up_to_issue
        on billed_lines.invoice_line_id = events_up_to_issue.invoice_line_id
        and events_up_to_issue.recency = 1
    inner join plans on events_up_to_issue.plan_id = plans.plan_id
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
