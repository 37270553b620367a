{#- Post-hook of an incremental model that rebuilds whole groups of rows (delete+insert on
    the group's key): a departure marker is a row with only the key of a group that has no
    rows any more, so that the delete+insert removes its old rows. Once that is done the
    markers go, in the same transaction. `marker_column` is null in a marker and never in
    a built row. -#}
{% macro delete_departure_markers(marker_column) -%}
{%- if is_incremental() -%}
delete from {{ this }} where {{ marker_column }} is null
{%- endif -%}
{%- endmacro %}


{#- The raw tables that identity records are built from: (source_system, source_table,
    raw relation, record key). -#}
{% macro identity_raw_sources() -%}
{{ return([
    ('marketing', 'leads', source('marketing', 'leads'), 'lead_id'),
    ('sales', 'accounts', source('sales', 'accounts'), 'account_id'),
    ('sales', 'contacts', source('sales', 'contacts'), 'contact_id'),
    ('sales', 'opportunities', source('sales', 'opportunities'), 'opportunity_id'),
    ('finance', 'customers', source('finance', 'customers'), 'customer_id'),
    ('success', 'tickets', source('success', 'tickets'), 'ticket_id'),
    ('success', 'nps_responses', source('success', 'nps_responses'), 'response_id'),
]) }}
{%- endmacro %}


{#- How far an identity model's build has read, as a scalar: the greatest
    _built_through_load_id of `relation`; -1 when it has no rows or (built by older code)
    no such column, so that every load counts as newer. -#}
{% macro built_through(relation) -%}
{%- set columns = adapter.get_columns_in_relation(relation) | map(attribute='name') | list -%}
{%- if '_built_through_load_id' in columns -%}
(select coalesce(max(_built_through_load_id), -1) from {{ relation }})
{%- else -%}
-1
{%- endif -%}
{%- endmacro %}


{#- The newest raw load of any of `raw_sources` (identity_raw_sources() unless given): stamped
    on every row an incremental model builds from them (_built_through_load_id), it is how
    far that build read. A raw table listed twice (the journey's lists overlap) is read once. -#}
{% macro newest_load_id(raw_sources=none) -%}
{%- set relations = [] -%}
{%- for system, table, relation, key in raw_sources or identity_raw_sources() -%}
    {%- if relation | string not in relations -%}
        {%- do relations.append(relation | string) -%}
    {%- endif -%}
{%- endfor -%}
(
    select max(_load_id) from (
        {%- for relation in relations %}
        select max(_load_id) as _load_id from {{ relation }}
        {%- if not loop.last %} union all{% endif %}
        {%- endfor %}
    ) as newest_loads
)
{%- endmacro %}


{#- The records (source_system, source_table, source_record_id) of `raw_sources` that may
    differ from what the incremental model `this` holds: every record with a raw row loaded
    after the newest load `this` was built through (new, updated or soft-deleted), and, for
    a raw table reloaded in full since (all its rows newer, or none left), every record
    `this` holds from it (a record of a file that left the landing folder has no raw row
    any more). Load ids grow with time across tables, so one watermark serves every table.
    A table built before it had _built_through_load_id is read as built through nothing:
    every record is touched, and dbt stops on the new column (on_schema_change='fail') with
    its advice to run the full refresh. The watermark is read from `built` and the records
    held from `held` (both `this` unless given). The query ends in a union: callers may
    add records. -#}
{% macro records_touched(raw_sources, built=none, held=none) -%}
{%- set records_relation = held or this -%}
with built as (
    select {{ built_through(built or this) }} as through_load_id
)
{%- for system, table, relation, key in raw_sources %}
select '{{ system }}' as source_system, '{{ table }}' as source_table,
    {{ key }} as source_record_id
from {{ relation }}
where _load_id > (select through_load_id from built)
union
select source_system, source_table, source_record_id
from {{ records_relation }}
where source_table = '{{ table }}'
    and coalesce((select min(_load_id) from {{ relation }}), {{ 2 ** 62 }})
        > (select through_load_id from built)
{%- if not loop.last %}
union
{%- endif %}
{%- endfor %}
{%- endmacro %}


{#- The identity records that may differ from what `this` holds (records_touched of the
    seven identity tables and of `other_sources`), and every opportunity of an account
    loaded since (an opportunity is internal when its account is). -#}
{% macro identity_records_touched(built=none, held=none, other_sources=[]) -%}
{{ records_touched(identity_raw_sources() + other_sources, built, held) }}
union
select 'sales', 'opportunities', opportunity_id
from {{ source('sales', 'opportunities') }}
where account_id in (
    select account_id from {{ source('sales', 'accounts') }}
    where _load_id > (select through_load_id from built)
)
{%- endmacro %}


{#- The non-internal identity records whose keys a key-extraction model builds: all of them,
    or (an incremental build) those in `records_to_build` (a relation of record ids). -#}
{% macro identity_records_to_extract(records_to_build=none) -%}
select normalized.*
from {{ ref('int_identity_records_normalized') }} as normalized
{%- if records_to_build %}
semi join {{ records_to_build }} using (source_system, source_table, source_record_id)
{%- endif %}
where not normalized.is_internal
{%- endmacro %}


{#- The previous walk of an identity clustering that this build continues (a nightly): the
    relations (clusters, resolved) of the cluster model and of the model that resolved the
    records from it. none for a full refresh, on Spark, for a first build, or when the
    clusters were built before they had _built_through_load_id (the full walk then runs,
    and the cluster model stops on its new columns with dbt's advice to run the full
    refresh). The two are read by name, not ref: they are this run's results downstream,
    read as the last run left them, like `this`. -#}
{% macro previous_identity_walk(clusters_model, resolved_model) -%}
{%- if not execute or flags.FULL_REFRESH or target.type == 'spark' -%}
    {{ return(none) }}
{%- endif -%}
{%- set clusters = adapter.get_relation(this.database, this.schema, clusters_model) -%}
{%- set resolved = adapter.get_relation(this.database, this.schema, resolved_model) -%}
{%- if clusters is none or resolved is none -%}
    {{ return(none) }}
{%- endif -%}
{%- set columns = adapter.get_columns_in_relation(clusters) | map(attribute='name') | list -%}
{{ return((clusters, resolved) if '_built_through_load_id' in columns else none) }}
{%- endmacro %}


{#- CTEs ending in `keys_to_walk` (key_text): the keys a nightly walks again. They are every
    key of each cluster of the previous walk (`walk`, from previous_identity_walk) that may
    have changed, and the new keys. A cluster may have changed when one of its records was
    rebuilt since (the record's rows in `keys`, the key extraction, carry a newer
    _built_through_load_id) or touched in the raw tables (a deleted record has no keys
    left; only the resolved records know its cluster), when a rebuilt record now names one
    of its keys, or (`fuzzy_edges`) when the fuzzy edge of one of its keys changed, which
    the clusters keep in fuzzy_match_key, or (`dropped_keys`, a relation of company_key)
    when a key its records name was dropped since the walk or kept again (the clusters
    keep is_dropped). The set is closed: a record no load touched
    names keys of one old cluster, and an unchanged fuzzy edge links two keys of one, so
    no edge leaves it. When the resolved records are not from the previous walk (a run
    failed between the two), every key is walked. -#}
{% macro keys_to_walk(keys, key_column, cluster_column, walk, fuzzy_edges=none, dropped_keys=none) -%}
{%- set clusters, resolved = walk -%}
walk_built as (
    select {{ built_through(clusters) }} as through_load_id
),

walk_resolved as (
    select {{ built_through(resolved) }} = (select through_load_id from walk_built)
        as is_consistent
),

rebuilt_keys as (
    select * from {{ keys }}
    where _built_through_load_id > (select through_load_id from walk_built)
),

{%- if dropped_keys %}

-- the keys dropped now and not when walked, or the other way round: every record naming
-- one may join or leave another company
dropped_changed_keys as (
    select company_key as key_text from {{ dropped_keys }}
    where company_key not in (select {{ key_column }} from {{ clusters }} where is_dropped)
    union
    select {{ key_column }} from {{ clusters }}
    where is_dropped and {{ key_column }} not in (select company_key from {{ dropped_keys }})
),
{%- endif %}

changed_records as (
    select source_system, source_table, source_record_id from rebuilt_keys
    union
    select * from ({{ identity_records_touched(built=clusters, held=resolved) }}) as touched
    {%- if dropped_keys %}
    union
    select source_system, source_table, source_record_id from {{ keys }}
    where {{ key_column }} in (select key_text from dropped_changed_keys)
    {%- endif %}
),
{%- if fuzzy_edges %}

-- both ends of each fuzzy edge that is new, gone or points elsewhere now
fuzzy_changed_keys as (
    select unnest([
        edges.from_key, edges.to_key, walked.{{ key_column }}, walked.fuzzy_match_key
    ]) as key_text
    from {{ fuzzy_edges }} as edges
    full join (
        select {{ key_column }}, fuzzy_match_key from {{ clusters }}
        where fuzzy_match_key is not null
    ) as walked on edges.from_key = walked.{{ key_column }}
    where edges.to_key is distinct from walked.fuzzy_match_key
),
{%- endif %}

changed_clusters as (
    select {{ cluster_column }} from {{ resolved }}
    semi join changed_records using (source_system, source_table, source_record_id)
    union
    select {{ cluster_column }} from {{ clusters }}
    where {{ key_column }} in (select {{ key_column }} from rebuilt_keys)
    {%- if fuzzy_edges %}
        or {{ key_column }} in (select key_text from fuzzy_changed_keys)
    {%- endif %}
    {%- if dropped_keys %}
        or {{ key_column }} in (select key_text from dropped_changed_keys)
    {%- endif %}
),

keys_to_walk as (
    select {{ key_column }} as key_text from {{ clusters }}
    where {{ cluster_column }} in (select {{ cluster_column }} from changed_clusters)
        or not (select is_consistent from walk_resolved)
    union
    select {{ key_column }} from rebuilt_keys
)
{%- endmacro %}


{#- CTEs ending in `numbered` (key_numbers) for the keys an identity walk takes: every key
    of `keys` in a full refresh; in a nightly (previous_identity_walk of `clusters_model`
    and `resolved_model`) the keys_to_walk, those no record names any more with records 0,
    so that the cluster model removes them. -#}
{% macro identity_key_numbers(keys, key_column, cluster_column, clusters_model, resolved_model,
    fuzzy_edges=none, dropped_keys=none) -%}
{%- set walk = previous_identity_walk(clusters_model, resolved_model) -%}
{%- if walk -%}
{{ keys_to_walk(keys, key_column, cluster_column, walk, fuzzy_edges, dropped_keys) }},

walked_keys as (
    select extracted.* from {{ keys }} as extracted
    semi join keys_to_walk on extracted.{{ key_column }} = keys_to_walk.key_text
),

numbered as (
    {{ key_numbers('walked_keys', key_column, other_keys='keys_to_walk') }}
)
{%- else -%}
numbered as (
    {{ key_numbers(keys, key_column) }}
)
{%- endif -%}
{%- endmacro %}


{#- CTEs ending in `keys_to_resolve`: the rows of `keys` (a key extraction) whose records a
    resolved-records model builds. All of them; in an incremental build, those of the
    records that name a key of the walk (`key_ids`: in a nightly, only the keys walked
    again), and `touched` (identity_records_touched), whose departure markers remove the
    records that name no key any more. -#}
{% macro identity_keys_to_resolve(keys, key_ids, key_column) -%}
{%- if is_incremental() -%}
touched as (
    {{ identity_records_touched() }}
),

records_to_resolve as (
    select distinct source_system, source_table, source_record_id
    from {{ keys }} as extracted
    semi join {{ key_ids }} as walked on extracted.{{ key_column }} = walked.key_text
),

keys_to_resolve as (
    select * from {{ keys }}
    semi join records_to_resolve using (source_system, source_table, source_record_id)
)
{%- else -%}
keys_to_resolve as (
    select * from {{ keys }}
)
{%- endif -%}
{%- endmacro %}
