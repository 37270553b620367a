{#- The first day of the calendar month of a date or timestamp, as a DATE. -#}
{% macro month_of(expr) -%}
    cast(date_trunc('month', {{ expr }}) as date)
{%- endmacro %}
