{#- The contract's "newest row wins": within a key, the greatest updated_at (where the
    table has one), then the later file, then the later row in the file. -#}
{% macro newest_row_wins(relation, key_columns, has_updated_at=false) -%}
select ranked.*
from (
    select
        landed.*,
        row_number() over (
            partition by {{ key_columns | join(', ') }}
            order by
                {% if has_updated_at %}updated_at desc nulls last,{% endif %}
                _source_file desc,
                _source_row desc
        ) as newest_rank
    from {{ relation }} as landed
) as ranked
where newest_rank = 1
{%- endmacro %}
