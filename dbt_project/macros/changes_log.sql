{#- The incremental strategy 'delete+insert_logged': dbt's delete+insert on the unique key,
    after recording which values of the config `changes_logged` (columns) the rows it
    replaces or removes held, and the new rows hold, in changes_log(this) with the dbt
    invocation that wrote it. A model that groups this one by such a column (dim_customers
    by customer_id, dim_people by person_id) rebuilds only those groups (crosswalk_changes).
    The log holds one build: each build replaces it. -#}
{% macro get_incremental_delete_insert_logged_sql(arg_dict) -%}
{%- set target = arg_dict['target_relation'] -%}
{%- set source = arg_dict['temp_relation'] -%}
{%- set key = arg_dict['unique_key'] -%}
{%- set key = [key] if key is string else key -%}
{%- set logged = config.get('changes_logged') -%}
{%- set columns = logged | join(', ') -%}
create schema if not exists {{ target.database }}.meta;
create or replace table {{ changes_log(target) }} as
select distinct '{{ invocation_id }}' as invocation_id, {{ columns }}
from (
    -- the record ids first (one column, pushed into the scan), then the whole key
    select {{ columns }} from (
        select * from {{ target }}
        where {{ key[-1] }} in (select {{ key[-1] }} from {{ source }})
    ) as replaced
    semi join {{ source }} using ({{ key | join(', ') }})
    union all
    select {{ columns }} from {{ source }}
    -- a row of nulls: an empty build still says which invocation wrote the log
    union all
    select {% for c in logged %}null{% if not loop.last %}, {% endif %}{% endfor %}
) as changed;
{{ get_incremental_delete_insert_sql(arg_dict) }}
{%- endmacro %}


{#- Where the changes of `relation`'s latest incremental build are logged. -#}
{% macro changes_log(relation) -%}
{{ relation.database }}.meta.{{ relation.identifier }}__changes
{%- endmacro %}


{#- A query of the values of `column` whose identity_crosswalk rows changed since this model
    was built, or none when that is not known. It is known in a nightly right after a
    publish (the refresh passed a build baseline: the previous run built every model, this
    one included, and the crosswalk was built since only in this dbt invocation): the
    crosswalk's log of this invocation. Otherwise (a failed run before, a dbt run by hand)
    the caller rebuilds every group. -#}
{% macro crosswalk_changes(column) -%}
{%- if build_baseline() is none -%}
    {{ return(none) }}
{%- endif -%}
{%- set crosswalk = ref('identity_crosswalk') -%}
{#- asked of DuckDB, not of dbt's relation cache: the crosswalk's build wrote the log after
    dbt listed the schema -#}
{%- set logged = run_query(
    "select count(*) from duckdb_tables() where database_name = '" ~ crosswalk.database
    ~ "' and schema_name = 'meta' and table_name = '" ~ crosswalk.identifier ~ "__changes'"
).columns[0].values()[0] -%}
{%- if not logged -%}
    {{ return(none) }}
{%- endif -%}
{%- set log = changes_log(crosswalk) -%}
{%- set written_by = run_query('select any_value(invocation_id) from ' ~ log).columns[0].values() -%}
{%- if written_by[0] != invocation_id -%}
    {{ return(none) }}
{%- endif -%}
{{ return('select ' ~ column ~ ' from ' ~ log ~ ' where ' ~ column ~ ' is not null') }}
{%- endmacro %}
