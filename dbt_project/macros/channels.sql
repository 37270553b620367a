{#- The marketing channels of the landing contract (docs/contract.md), as a SQL list for `in`. -#}
{% macro contract_channels() -%}
    ('paid_search', 'paid_social', 'organic_search', 'email', 'webinar', 'events', 'referral',
     'direct', 'partner')
{%- endmacro %}
