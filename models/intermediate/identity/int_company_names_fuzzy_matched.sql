-- Last resort for a company name that only records with no CRM account and no domain carry
-- (name-only records): link it to the most similar name that a record with stronger
-- evidence (an account or a domain) carries, in the same country, when the Jaro-Winkler
-- similarity is at least 0.95 or one letter is added, dropped or replaced in a name of
-- eight or more (a doubled letter scores below 0.95). Names are compared only within a
-- block: the same first three letters, or the same first letter and last four (so a typo
-- early in the name is still compared), never every name with every other. An exact match needs no fuzzy
-- link: the name key is then shared already, so a name some stronger record carries is
-- never a from_key. Each from_key gets one link, to an anchored name, so a fuzzy link
-- attaches name-only records to one company and never joins two companies. Look-alike
-- companies ('Velora Analytics' / 'Velora Logistics', 0.87) stay apart; dropped keys
-- (int_company_keys_dropped) take no part.
-- The keys are read by name in each CTE: a CTE read several times is materialised whole by
-- DuckDB (a copy of every key).
with record_strength as (
    select source_system, source_table, source_record_id, min(rule_rank) as best_rank
    from {{ ref('int_company_keys_extracted') }}
    group by all
),

name_keys as (
    select
        keys.company_key,
        bool_or(record_strength.best_rank < 4) as is_anchored
    from {{ ref('int_company_keys_extracted') }} as keys
    inner join record_strength using (source_system, source_table, source_record_id)
    where keys.rule_rank = 4
        and keys.company_key not in (
            select company_key from {{ ref('int_company_keys_dropped') }}
        )
    group by keys.company_key
),

names as (
    select
        company_key,
        is_anchored,
        split_part(substr(company_key, 6), '|', 1) as company_name,
        split_part(company_key, '|', 2) as country_code
    from name_keys
),

blocked as (
    select unmatched.company_key as from_key, unmatched.company_name as from_name,
        known.company_key as to_key, known.company_name as to_name
    from names as unmatched
    inner join names as known
        on unmatched.country_code = known.country_code
        and left(unmatched.company_name, 3) = left(known.company_name, 3)
    where not unmatched.is_anchored and known.is_anchored
    union
    select unmatched.company_key, unmatched.company_name, known.company_key, known.company_name
    from names as unmatched
    inner join names as known
        on unmatched.country_code = known.country_code
        and left(unmatched.company_name, 1) = left(known.company_name, 1)
        and right(unmatched.company_name, 4) = right(known.company_name, 4)
    where not unmatched.is_anchored and known.is_anchored
),

candidates as (
    select
        from_key,
        to_key,
        {{ jaro_winkler('from_name', 'to_name') }} as similarity,
        length(from_name) >= 8 and levenshtein(from_name, to_name) <= 1 as is_one_edit
    from blocked
),

final as (
    select from_key, to_key, similarity, match_rule
    from (
        select
            row_number() over (
                partition by from_key order by is_one_edit desc, similarity desc, to_key
            ) as row_in_group,
            from_key,
            to_key,
            similarity,
            'fuzzy_company_name' as match_rule
        from candidates
        where similarity >= 0.95 or is_one_edit
    ) as ranked
    where row_in_group = 1
)

select * from final
