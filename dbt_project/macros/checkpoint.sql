{#- Post-hook of every model on DuckDB, run after its transaction commits. DuckDB cannot
    evict the blocks of a new table until a checkpoint writes them out (measured at scale l:
    ~570 MB after the journey table), and dbt's commits rarely trigger one because the
    write-ahead log stays small. At l that held memory plus a big query exceeded the
    memory_limit, and the nightly refresh failed. A checkpoint after each big table frees
    it (and whatever smaller tables were built before it); after a small one it would only
    cost its fixed ~30 ms (84 of them were 2.7 s of the m nightly's 27 s of dbt). FORCE:
    with two dbt threads the other one may be inside a transaction, and a plain checkpoint
    then fails; FORCE waits for it to commit (DuckDB >= 1.4). -#}
{% macro checkpoint_after_build(min_rows=500000) -%}
    {%- if target.type != 'duckdb' or not execute -%}
        {{ return('') }}
    {%- endif -%}
    {%- set size_query -%}
        select coalesce(sum(estimated_size), 0) from duckdb_tables()
        where database_name = current_database()
            and schema_name = '{{ this.schema }}' and table_name = '{{ this.identifier }}'
    {%- endset -%}
    {%- set rows = run_query(size_query).columns[0].values()[0] -%}
    {{ return('force checkpoint' if rows >= min_rows else '') }}
{%- endmacro %}
