{#- Connected components of an undirected graph given as `edges` (a relation or CTE with
    columns node_a, node_b; a node linked only to itself is (n, n)). Returns one row per
    node: node, component = the least node of its component. The walk starts only from the
    nodes with no smaller neighbour (the least node of each component is one of them), and
    each reaches every node of its component, so it costs the component sizes times the
    number of such starting nodes: run it on keys (a company has a handful), not on records. -#}
{% macro connected_components(edges) -%}
    {{ return(adapter.dispatch('connected_components', 'revops')(edges)) }}
{%- endmacro %}

{% macro default__connected_components(edges) -%}
    with recursive arcs as (
        select node_a as from_node, node_b as to_node from {{ edges }}
        union
        select node_b, node_a from {{ edges }}
    ),

    roots as (
        select from_node as node
        from arcs
        group by from_node
        having min(to_node) >= from_node
    ),

    reach(node, root) as (
        select node, node from roots
        union
        select arcs.to_node, reach.root
        from reach
        inner join arcs on reach.node = arcs.from_node
    )

    select node, min(root) as component
    from reach
    group by node
{%- endmacro %}

{#- Spark's recursive CTEs allow only UNION ALL, which never ends on a cycle. Instead the
    least label is propagated along the arcs a fixed number of rounds (var
    connected_components_rounds, default 12), each round reading the previous once: a
    component whose diameter is at most that many arcs is exact. The test
    `keys_share_one_cluster` on the clustered models fails if a component needed more. -#}
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

{#- The CTEs that chain a record-to-key table into clusters of keys, ending in `clustered`
    (key_column, cluster_id, anchor_key): two keys are one cluster when a record carries
    both, or an `extra_edges` CTE (from_key, to_key) links them. cluster_id is id_prefix
    plus a hash of the cluster's least key, so it is stable across runs and rebuilds.
    `keys` is a CTE with source_system, source_table, source_record_id and key_column. -#}
{% macro key_clusters(keys, key_column, id_prefix, extra_edges=none) -%}
record_primary_key as (
    select
        source_system, source_table, source_record_id,
        min({{ key_column }}) as primary_key
    from {{ keys }}
    group by source_system, source_table, source_record_id
),

edges as (
    select record_primary_key.primary_key as node_a, {{ keys }}.{{ key_column }} as node_b
    from {{ keys }}
    inner join record_primary_key using (source_system, source_table, source_record_id)
    {%- if extra_edges %}
    union
    select from_key, to_key from {{ extra_edges }}
    {%- endif %}
),

components as (
    {{ connected_components('edges') }}
),

-- the component's id is its least key
clustered as (
    select
        node as {{ key_column }},
        '{{ id_prefix }}' || left(md5(component), 16) as cluster_id,
        component as anchor_key
    from components
)
{%- endmacro %}
