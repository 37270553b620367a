{#- One row per calendar month (first day, DATE) from `first_month` to `last_month`
    inclusive, both expressions over `relation` (a one-row model or CTE). -#}
{% macro month_spine(relation, first_month, last_month) -%}
select {{ date_series(first_month, last_month, 'interval 1 month') }} as month
from {{ relation }}
{%- endmacro %}
