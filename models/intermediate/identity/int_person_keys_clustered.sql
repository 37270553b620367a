-- Person keys chained into people: two keys are one person when a record carries both.
-- One row per key with the resolved person_id, a hash of the person's least key (an
-- e-mail where there is one), stable across runs, and how many records name the key.
{{
    config(
        materialized=('table' if target.type == 'spark' else 'incremental'),
        unique_key='person_key',
        incremental_strategy='delete+insert',
        on_schema_change='fail',
        post_hook="{{ delete_departure_markers('person_id') }}",
    )
}}

-- Incremental (the nightly): the keys walked again (int_person_key_ids) replace theirs; a
-- walked key that no record names any more (records 0) comes as a departure marker
-- (person_id null) that removes its row. Rows carry the newest raw load when walked:
-- key rows built from later loads are the next walk's.
with key_ids as (
    select * from {{ ref('int_person_key_ids') }}
),

components as (
    select * from {{ ref('int_person_key_components') }}
),

clustered as (
    {{ key_clusters('key_ids', 'components', 'person_key', 'per_') }}
),

final as (
    select
        person_key,
        case when records > 0 then cluster_id end as person_id,
        records,
        {{ newest_load_id() }} as _built_through_load_id
    from clustered
)

select * from final
