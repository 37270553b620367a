{#- Post-hook of every model on DuckDB, run after its transaction commits. DuckDB cannot
    evict the blocks of a new table until a checkpoint writes them out (measured at scale l:
    ~570 MB after the journey table), and dbt's commits rarely trigger one because the
    write-ahead log stays small. At l that held memory plus a big query exceeded the
    memory_limit, and the nightly refresh failed. A checkpoint after each model frees it. -#}
{% macro checkpoint_after_build() -%}
    {{ return('checkpoint' if target.type == 'duckdb' else '') }}
{%- endmacro %}
