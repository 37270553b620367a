{#- Post-hook of every model on DuckDB, run after its transaction commits. DuckDB keeps a
    new table's blocks pinned in memory until a checkpoint writes them out, and dbt's
    commits rarely trigger one (the write-ahead log stays small), so at scale l the pinned
    tables of earlier models filled the memory_limit and a later model ran out of memory.
    A checkpoint after each model makes that memory evictable again. -#}
{% macro checkpoint_after_build() -%}
    {{ return('checkpoint' if target.type == 'duckdb' else '') }}
{%- endmacro %}
