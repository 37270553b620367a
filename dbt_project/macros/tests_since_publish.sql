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
    {%- set baseline = build_baseline() -%}
    {%- if baseline is none -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set columns = adapter.get_columns_in_relation(relation) | map(attribute='name') | list -%}
    {%- set stamp = '_built_through_load_id' if '_built_through_load_id' in columns else '_load_id' -%}
    {{ return(stamp ~ ' > ' ~ baseline) }}
{%- endmacro %}


{#- This build's baseline (revops/build_baseline.py): the newest raw load of the last publish
    when the refresh runs a nightly right after it, passed in REVOPS_BUILD_BASELINE; none
    otherwise, and in any dbt command run by hand. -#}
{% macro build_baseline() -%}
    {%- if not execute or target.type != 'duckdb' -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set baseline = env_var('REVOPS_BUILD_BASELINE', '') -%}
    {{ return(baseline | int if baseline else none) }}
{%- endmacro %}


{#- on-run-start: a dbt run or build that the refresh did not give a baseline (one run by
    hand) changes models outside it, so the next nightly must trust nothing either: the
    publish record goes, and the baseline the publish reads is null. -#}
{% macro forget_build_baseline() -%}
{%- if execute and target.type == 'duckdb' and flags.WHICH in ('run', 'build')
    and build_baseline() is none %}
create schema if not exists meta;
drop table if exists meta.published_through;
create or replace table meta.build_baseline as select null::bigint as load_id
{%- else %}
select 1
{%- endif %}
{%- endmacro %}
