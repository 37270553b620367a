{#- Money to USD (kpis.md): the rate of a date is the latest rate on or before it;
    before a currency's first rate, that first rate (stg_finance__fx_rates carries it
    back to 1900-01-01, and USD is 1). Use in FROM, then `amount * alias.rate_to_usd`. -#}
{% macro join_usd_rate(alias, currency, on_date) -%}
asof left join {{ ref('stg_finance__fx_rates') }} as {{ alias }}
    on {{ alias }}.currency = {{ currency }}
    and {{ alias }}.rate_date <= cast({{ on_date }} as date)
{%- endmacro %}
