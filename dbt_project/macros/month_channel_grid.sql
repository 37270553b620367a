{#- The CTEs bounds, months, channels and grid, ending in `grid` (month_column, channel):
    every month from the first month of `counted` to the as-of month, for every channel
    `counted` has a row for, so a month without activity shows zeros rather than no row.
    `counted` has month_column and channel; an `as_of` CTE (int_as_of_date) must exist. -#}
{% macro month_channel_grid(counted, month_column) -%}
bounds as (
    select
        min({{ counted }}.{{ month_column }}) as first_month,
        any_value(as_of.as_of_month) as last_month
    from {{ counted }}
    cross join as_of
),

months as (
    {{ month_spine('bounds', 'first_month', 'last_month') }}
),

channels as (
    select distinct channel from {{ counted }}
),

grid as (
    select
        months.month as {{ month_column }},
        channels.channel
    from months
    cross join channels
)
{%- endmacro %}
