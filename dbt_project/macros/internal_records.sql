{#- Internal and test records (docs/contract.md): an @example.com address or a company
    name containing "test". No KPI counts them. -#}
{% macro is_internal_email(email) -%}
    coalesce({{ regex_matches_function() }}(lower(trim({{ email }})), '@([a-z0-9-]+\.)*example\.com$'), false)
{%- endmacro %}

{% macro is_internal_name(name) -%}
    coalesce(contains(lower({{ name }}), 'test'), false)
{%- endmacro %}

{% macro is_internal_website(website) -%}
    coalesce({{ regex_matches_function() }}(lower(trim({{ website }})), '(^|[/.@])example\.com(/|$)'), false)
{%- endmacro %}
