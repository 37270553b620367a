{#- Connected components of an undirected graph given as `edges` (a relation or CTE with
    columns node_a, node_b; a node linked only to itself is (n, n)). Returns one row per
    node: node, component = the least node of its component. -#}
{% macro connected_components(edges) -%}
    {{ return(adapter.dispatch('connected_components', 'revops')(edges)) }}
{%- endmacro %}

{#- Each node starts with the least of itself and its neighbours as its label; each round,
    the nodes whose label just dropped pass it to their neighbours, and a neighbour takes it
    if it is smaller than its own. `using key (node)` keeps one row per node (its latest
    label) instead of every (node, label) pair ever reached, so memory stays at the size of
    the graph: the walk it replaces ran out of 4 GB at 13 M person keys. It stops when no
    label drops, after as many rounds as the longest shortest path in a component. -#}
{% macro duckdb__connected_components(edges) -%}
    with recursive arcs as (
        select node_a as from_node, node_b as to_node from {{ edges }}
        union
        select node_b, node_a from {{ edges }}
    ),

    labels(node, label) using key (node) as (
        select from_node, min(least(from_node, to_node))
        from arcs
        group by from_node
        union
        select arcs.from_node, min(labels.label)
        from labels
        inner join arcs on labels.node = arcs.to_node
        inner join recurring.labels as current_labels on arcs.from_node = current_labels.node
        group by arcs.from_node
        having min(labels.label) < min(current_labels.label)
    )

    select node, label as component from labels
{%- endmacro %}

{#- Spark's recursive CTEs allow only UNION ALL, which never ends on a cycle. Instead the
    least label is propagated along the arcs a fixed number of rounds (var
    connected_components_rounds, default 12), each round reading the previous once: a
    component whose diameter is at most that many arcs is exact. The test
    `assert_identity_clusters_closed` fails if a component needed more. -#}
{% macro spark__connected_components(edges) -%}
    {%- set rounds = var('connected_components_rounds', 12) -%}
    with arcs as (
        select node_a as from_node, node_b as to_node from {{ edges }}
        union
        select node_b, node_a from {{ edges }}
        union
        select node_a, node_a from {{ edges }}
        union
        select node_b, node_b from {{ edges }}
    ),

    label_0 as (
        select distinct from_node as node, from_node as label from arcs
    ),
    {%- for round in range(1, rounds + 1) %}

    label_{{ round }} as (
        select arcs.from_node as node, min(label_{{ round - 1 }}.label) as label
        from arcs
        inner join label_{{ round - 1 }} on arcs.to_node = label_{{ round - 1 }}.node
        group by arcs.from_node
    ),
    {%- endfor %}

    final_labels as (
        select node, label as component from label_{{ rounds }}
    )

    select node, component from final_labels
{%- endmacro %}

{#- Chaining a record-to-key table into clusters of keys takes three models, each one
    query: two keys are one cluster when a record carries both, or an `extra_edges`
    relation (from_key, to_key) links them. `keys` has source_system, source_table,
    source_record_id and key_column. The graph is walked on key numbers (in key order, so
    the least number is the least key), which takes a fraction of the memory of the text
    keys. As one query, numbering, walk and naming held 13 M person keys at l in memory at
    once and needed DuckDB's 4 GB; as three they run within 2.5 GB, in less time. A nightly
    walks only the keys of the clusters that may have changed (identity_key_numbers).

    key_numbers: one row per distinct key (key_text, key_id, records: how many records name
    it) of `keys` and of `other_keys` (a relation of key_text: keys to number even where no
    record names them, with records 0). -#}
{% macro key_numbers(keys, key_column, other_keys=none) -%}
select key_text, row_number() over (order by key_text) as key_id, records
from (
    select key_text, count(named_by_record) as records
    from (
        select {{ key_column }} as key_text, 1 as named_by_record from {{ keys }}
        {%- if other_keys %}
        union all
        select key_text, null from {{ other_keys }}
        {%- endif %}
    ) as named_keys
    group by key_text
) as all_keys
{%- endmacro %}

{#- key_components: the CTEs record_key_ids, edges and components, ending in `components`:
    one row per key number linked to another key (node, component = the least key number
    of its cluster); a key no record links to another is a cluster of its own and has no
    row. `key_ids` is the key_numbers model. -#}
{% macro key_components(keys, key_ids, key_column, extra_edges=none) -%}
-- each key with its record's least key: a window, not a grouped join on the three record
-- columns, which at 13 M person keys needed most of DuckDB's 4 GB
record_key_ids as (
    select
        {{ key_ids }}.key_id,
        min({{ key_ids }}.key_id) over (
            partition by {{ keys }}.source_system, {{ keys }}.source_table,
                {{ keys }}.source_record_id
        ) as record_least_id
    from {{ keys }}
    inner join {{ key_ids }} on {{ keys }}.{{ key_column }} = {{ key_ids }}.key_text
),

-- a record links each of its keys to its least key
edges as (
    select distinct record_least_id as node_a, key_id as node_b
    from record_key_ids
    where key_id <> record_least_id
    {%- if extra_edges %}
    union
    select from_ids.key_id, to_ids.key_id
    from {{ extra_edges }}
    inner join {{ key_ids }} as from_ids on {{ extra_edges }}.from_key = from_ids.key_text
    inner join {{ key_ids }} as to_ids on {{ extra_edges }}.to_key = to_ids.key_text
    {%- endif %}
),

components as (
    {{ connected_components('edges') }}
)
{%- endmacro %}

{#- key_clusters: one row per key (key_column, cluster_id, anchor_key, records). The anchor
    is the cluster's least key; cluster_id is id_prefix plus a hash of it, so it is stable
    across runs and rebuilds. -#}
{% macro key_clusters(key_ids, components, key_column, id_prefix) -%}
select
    {{ key_ids }}.key_text as {{ key_column }},
    '{{ id_prefix }}' || left(md5(anchor_ids.key_text), 16) as cluster_id,
    anchor_ids.key_text as anchor_key,
    {{ key_ids }}.records
from {{ key_ids }}
left join {{ components }} on {{ key_ids }}.key_id = {{ components }}.node
inner join {{ key_ids }} as anchor_ids
    on coalesce({{ components }}.component, {{ key_ids }}.key_id) = anchor_ids.key_id
{%- endmacro %}
