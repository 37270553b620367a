-- Each evidence record's person and the strongest rule that tied it to another record of
-- the same person ('own_record' when none did).
with keys as (
    select * from {{ ref('int_person_keys_extracted') }}
),

clusters as (
    select * from {{ ref('int_person_keys_clustered') }}
),

final as (
    select
        keys.source_system,
        keys.source_table,
        keys.source_record_id,
        any_value(clusters.person_id) as person_id,
        coalesce(
            min_by(keys.match_rule, keys.rule_rank) filter (where clusters.records > 1),
            'own_record'
        ) as match_rule
    from keys
    inner join clusters using (person_key)
    group by all
),

-- the walk these records were resolved from: a nightly walks again only from that walk
stamped as (
    select
        *,
        (select max(_built_through_load_id) from clusters) as _clusters_through_load_id
    from final
)

select * from stamped
