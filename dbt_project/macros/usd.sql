{#- Money to USD (kpi_definitions.md): the rate of a date is the latest rate on or before it;
    before a currency's first rate, that first rate (base_finance__fx_rates carries it
    back to 1900-01-01, and USD is 1). Use in FROM, then `amount * alias.rate_to_usd`. -#}
{% macro join_usd_rate(alias, currency, on_date) -%}
    {{ return(adapter.dispatch('join_usd_rate', 'revops')(alias, currency, on_date)) }}
{%- endmacro %}

{% macro default__join_usd_rate(alias, currency, on_date) -%}
asof left join {{ ref('base_finance__fx_rates') }} as {{ alias }}
    on {{ alias }}.currency = {{ currency }}
    and {{ alias }}.rate_date <= cast({{ on_date }} as date)
{%- endmacro %}

{#- Spark has no as-of join: each rate is valid from its date to the day before the next
    rate of its currency, and the date must fall in that range. -#}
{% macro spark__join_usd_rate(alias, currency, on_date) -%}
left join (
    select
        currency,
        rate_date,
        rate_to_usd,
        lead(rate_date) over (partition by currency order by rate_date) as next_rate_date
    from {{ ref('base_finance__fx_rates') }}
) as {{ alias }}
    on {{ alias }}.currency = {{ currency }}
    and {{ alias }}.rate_date <= cast({{ on_date }} as date)
    and ({{ alias }}.next_rate_date is null or {{ alias }}.next_rate_date > cast({{ on_date }} as date))
{%- endmacro %}
