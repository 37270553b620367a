-- Each evidence record's company: the customer_id of its keys, and the strongest rule that
-- tied it to another record of the same company ('own_record' when nothing else shares
-- any of its keys: a company known from this record alone).
with keys as (
    select * from {{ ref('int_company_keys_extracted') }}
),

clusters as (
    select * from {{ ref('int_company_keys_clustered') }}
),

fuzzy as (
    select * from {{ ref('int_company_names_fuzzy_matched') }}
),

record_keys as (
    select
        keys.*,
        clusters.customer_id,
        clusters.records > 1 as is_shared,
        fuzzy.match_rule as fuzzy_rule
    from keys
    inner join clusters using (company_key)
    left join fuzzy on keys.company_key = fuzzy.from_key
),

final as (
    select
        source_system,
        source_table,
        source_record_id,
        any_value(customer_id) as customer_id,
        coalesce(
            min_by(match_rule, rule_rank) filter (where is_shared),
            any_value(fuzzy_rule),
            'own_record'
        ) as match_rule
    from record_keys
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
