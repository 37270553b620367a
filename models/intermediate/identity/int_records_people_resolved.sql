-- Each evidence record's person and the strongest rule that tied it to another record of
-- the same person ('own_record' when none did).
{{
    config(
        materialized=('table' if target.type == 'spark' else 'incremental'),
        unique_key=['source_system', 'source_table', 'source_record_id'],
        incremental_strategy='delete+insert',
        on_schema_change='fail',
        post_hook="{{ delete_departure_markers('person_id') }}",
    )
}}

-- Incremental (the nightly): only the records that name a key the walk took again are
-- resolved again (identity_keys_to_resolve); a departure marker (person_id null) per
-- record a raw load touched removes one that names no person key any more.
with key_ids as (
    select * from {{ ref('int_person_key_ids') }}
),

clusters as (
    select * from {{ ref('int_person_keys_clustered') }}
),

{{ identity_keys_to_resolve(ref('int_person_keys_extracted'), 'key_ids', 'person_key') }},

final as (
    select
        keys_to_resolve.source_system,
        keys_to_resolve.source_table,
        keys_to_resolve.source_record_id,
        any_value(clusters.person_id) as person_id,
        coalesce(
            min_by(keys_to_resolve.match_rule, keys_to_resolve.rule_rank)
                filter (where clusters.records > 1),
            'own_record'
        ) as match_rule
    from keys_to_resolve
    inner join clusters using (person_key)
    group by all
),

-- the walk these records were resolved from: a nightly walks again only from it
stamped as (
    select
        *,
        (select max(_built_through_load_id) from {{ ref('int_person_keys_clustered') }})
            as _built_through_load_id
    from final
)

select * from stamped
{%- if is_incremental() %}
union all by name
select source_system, source_table, source_record_id from touched
{%- endif %}
