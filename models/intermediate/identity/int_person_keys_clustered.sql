-- Person keys chained into people: two keys are one person when a record carries both.
-- One row per key with the resolved person_id, a hash of the person's least key (an
-- e-mail where there is one), stable across runs, and how many records name the key.
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
    select person_key, cluster_id as person_id, records
    from clustered
)

select * from final
