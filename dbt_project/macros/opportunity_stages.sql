{#- The CRM's opportunity stages (docs/contract.md) in pipeline order: the five open stages, then
    closed_won; closed_lost has no place in the order. -#}
{% macro opportunity_stages() -%}
select * from (
    values
        ('prospecting', 1, true),
        ('discovery', 2, true),
        ('solution', 3, true),
        ('proposal', 4, true),
        ('negotiation', 5, true),
        ('closed_won', 6, false),
        ('closed_lost', null, false)
) as stages (stage_name, stage_order, is_open)
{%- endmacro %}
