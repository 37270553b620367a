-- Rates ready for an as-of lookup (macro join_usd_rate): each currency's first rate
-- is carried back to 1900-01-01, as kpi_definitions.md asks for dates before it, and USD is 1.
-- A base model: the staging models that convert to USD join it.
with rates as (
    {{ newest_row_wins(source('finance', 'fx_rates'), ['rate_date', 'currency']) }}
),

first_rates as (
    select
        cast('1900-01-01' as date) as rate_date,
        currency,
        min_by(rate_to_usd, rate_date) as rate_to_usd
    from rates
    where currency <> 'USD'
    group by currency
),

final as (
    select rate_date, currency, rate_to_usd from rates where currency <> 'USD'
    union all
    select rate_date, currency, rate_to_usd from first_rates
    union all
    select cast('1900-01-01' as date), 'USD', 1.0
)

select * from final
