{#- dbt's hook for a data test's `where` config, extended with two placeholders so that a
    nightly tests only what it built on the big incremental models (their tests took ~47 s of
    a nightly at scale l, most of it re-checking rows that passed before):
      __built_since_publish__  the row was built after the last publish: its stamp
                               (_built_through_load_id, or _load_id in staging) is newer
                               than meta.build_baseline (revops/build_baseline.py);
      __this__                 the tested relation, for a key test that must see every row
                               of each key built since (a new row may repeat an old key).
    With no baseline (a full refresh, a first build, a nightly after a failed run, a dbt run
    outside the refresh) the test reads the whole relation, and the `where` is ignored. -#}
{% macro get_where_subquery(relation) -%}
    {%- set where = config.get('where') or '' -%}
    {%- if '__built_since_publish__' in where -%}
        {%- set since = built_since_publish(relation) -%}
        {%- if since is none -%}
            {%- do return(relation) -%}
        {%- endif -%}
        {%- set where = where | replace('__built_since_publish__', since)
            | replace('__this__', relation | string) -%}
    {%- endif -%}
    {%- if where -%}
        {%- do return('(select * from ' ~ relation ~ ' where ' ~ where ~ ') dbt_subquery') -%}
    {%- endif -%}
    {%- do return(relation) -%}
{%- endmacro %}


{#- The predicate "built after the baseline" on `relation`, or none without a baseline. -#}
{% macro built_since_publish(relation) -%}
    {%- if not execute or target.type != 'duckdb' -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set baseline_relation = adapter.get_relation(relation.database, 'meta', 'build_baseline') -%}
    {%- if baseline_relation is none -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set baseline = run_query('select load_id from ' ~ baseline_relation).columns[0].values() -%}
    {%- if not baseline or baseline[0] is none -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set columns = adapter.get_columns_in_relation(relation) | map(attribute='name') | list -%}
    {%- set stamp = '_built_through_load_id' if '_built_through_load_id' in columns else '_load_id' -%}
    {{ return(stamp ~ ' > ' ~ baseline[0]) }}
{%- endmacro %}
