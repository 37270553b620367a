{#- One row per calendar month (first day, DATE) from `first_month` to `last_month`
    inclusive, both expressions over `relation` (a one-row model or CTE). -#}
{% macro month_spine(relation, first_month, last_month) -%}
select cast(unnest(generate_series(
    cast({{ first_month }} as date), cast({{ last_month }} as date), interval 1 month
)) as date) as month
from {{ relation }}
{%- endmacro %}
