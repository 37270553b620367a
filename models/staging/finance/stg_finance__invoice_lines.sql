with lines as (
    {{ newest_row_wins(source('finance', 'invoice_lines'), ['invoice_line_id']) }}
),

final as (
    select
        invoice_line_id,
        invoice_id,
        subscription_id,
        plan_id,
        quantity,
        unit_amount,
        amount,
        period_start,
        period_end,
        coalesce(is_proration, false) as is_proration
    from lines
)

select * from final
