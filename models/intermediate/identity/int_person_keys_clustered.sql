-- Person keys chained into people: two keys are one person when a record carries both.
-- One row per key with the resolved person_id, a hash of the person's least key (an
-- e-mail where there is one), stable across runs.
with keys as (
    select * from {{ ref('int_person_keys_extracted') }}
),

record_primary_key as (
    select
        source_system, source_table, source_record_id,
        min(person_key) as primary_key
    from keys
    group by all
),

edges as (
    select record_primary_key.primary_key as node_a, keys.person_key as node_b
    from keys
    inner join record_primary_key using (source_system, source_table, source_record_id)
),

components as (
    {{ connected_components('edges') }}
),

anchors as (
    select component, min(node) as anchor_key
    from components
    group by component
),

final as (
    select
        components.node as person_key,
        'per_' || left(md5(anchors.anchor_key), 16) as person_id
    from components
    inner join anchors using (component)
)

select * from final
