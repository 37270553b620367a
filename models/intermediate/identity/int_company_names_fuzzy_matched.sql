-- Last resort for a record that names its company only by name (no CRM account, no
-- domain): link its name to the most similar known name in the same country, when the
-- Jaro-Winkler similarity is at least 0.95 and the first three letters agree (the blocking
-- key that keeps this from comparing every name with every other). Look-alike companies
-- ('Velora Analytics' / 'Velora Logistics', 0.87) stay apart.
-- The keys are read by name in each CTE: a CTE read several times is materialised whole by
-- DuckDB (a copy of every key).
with record_strength as (
    select source_system, source_table, source_record_id, min(rule_rank) as best_rank
    from {{ ref('int_company_keys_extracted') }}
    group by all
),

name_only as (
    select distinct keys.company_key
    from {{ ref('int_company_keys_extracted') }} as keys
    inner join record_strength using (source_system, source_table, source_record_id)
    where record_strength.best_rank = 4
),

names as (
    select distinct
        company_key,
        split_part(substr(company_key, 6), '|', 1) as company_name,
        split_part(company_key, '|', 2) as country_code
    from {{ ref('int_company_keys_extracted') }}
    where rule_rank = 4
),

candidates as (
    select
        unmatched.company_key as from_key,
        known.company_key as to_key,
        {{ jaro_winkler('unmatched.company_name', 'known.company_name') }} as similarity
    from name_only
    inner join names as unmatched on name_only.company_key = unmatched.company_key
    inner join names as known
        on unmatched.country_code = known.country_code
        and left(unmatched.company_name, 3) = left(known.company_name, 3)
        and unmatched.company_key <> known.company_key
),

final as (
    select from_key, to_key, similarity, match_rule
    from (
        select
            row_number() over (
                partition by from_key order by similarity desc, to_key
            ) as row_in_group,
            from_key,
            to_key,
            similarity,
            'fuzzy_company_name' as match_rule
        from candidates
        where similarity >= 0.95
    ) as ranked
    where row_in_group = 1
)

select * from final
