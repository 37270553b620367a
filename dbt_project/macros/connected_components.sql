{#- Connected components of an undirected graph given as `edges` (a relation or CTE with
    columns node_a, node_b; a node linked only to itself is (n, n)). Returns one row per
    node: node, component = the least node of its component. The walk repeats each root
    for each node it reaches, so it costs the sum of squared component sizes: run it on
    keys (a company has a handful), not on records. -#}
{% macro connected_components(edges) -%}
    with recursive arcs as (
        select node_a as from_node, node_b as to_node from {{ edges }}
        union
        select node_b, node_a from {{ edges }}
    ),

    reach(node, root) as (
        select from_node, from_node from arcs
        union
        select arcs.to_node, reach.root
        from reach
        inner join arcs on reach.node = arcs.from_node
    )

    select node, min(root) as component
    from reach
    group by node
{%- endmacro %}
