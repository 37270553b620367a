{#- Primary key over one or more columns: no duplicate and no null part. -#}
{% test unique_key(model, columns) %}
select {{ columns | join(', ') }}, count(*) as rows_with_key
from {{ model }}
group by {{ columns | join(', ') }}
having count(*) > 1 or {% for c in columns %}{{ c }} is null{% if not loop.last %} or {% endif %}{% endfor %}
{% endtest %}

{#- The same for one column: one test and one scan instead of `unique` plus `not_null`. -#}
{% test primary_key(model, column_name) %}
{{ test_unique_key(model, [column_name]) }}
{% endtest %}
