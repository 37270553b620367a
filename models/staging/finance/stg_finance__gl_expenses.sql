-- Converted at the last day of the month's rate; for a month not yet over the
-- as-of lookup falls back to the latest rate there is (kpi_definitions.md).
with expenses as (
    {{ newest_row_wins(source('finance', 'gl_expenses'), ['month', 'department', 'category']) }}
),

final as (
    select
        {{ month_of('expenses.month') }} as month,
        expenses.department,
        expenses.category,
        expenses.amount,
        expenses.currency,
        expenses.amount * fx.rate_to_usd as amount_usd
    from expenses
    {{ join_usd_rate('fx', 'expenses.currency', "last_day(expenses.month)") }}
)

select * from final
