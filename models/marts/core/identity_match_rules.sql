-- How identity resolution linked the records, per entity and rule: how many non-internal
-- evidence records each rule tied to another record ('own_record': none did; 'unlinked':
-- no company), and for company rules, how many keys the rule made and how many of them
-- were dropped as no evidence (int_company_keys_dropped) with the records that named them.
-- The identity report prints it; kpi_data_health carries the per-table totals.
with records as (
    select * from {{ ref('int_records_resolved') }}
    where not is_internal
),

company_keys as (
    select * from {{ ref('int_company_keys_extracted') }}
),

dropped as (
    select * from {{ ref('int_company_keys_dropped') }}
),

resolved as (
    select
        'company' as entity,
        coalesce(match_rule, 'unlinked') as match_rule,
        count(*) as records,
        count(distinct customer_id) as resolved_ids
    from records
    group by all
    union all
    select
        'person',
        coalesce(person_match_rule, 'no_person'),
        count(*),
        count(distinct person_id)
    from records
    group by all
),

company_key_counts as (
    select
        'company' as entity,
        company_keys.match_rule,
        count(distinct company_keys.company_key) as keys,
        count(distinct dropped.company_key) as dropped_keys,
        count(*) filter (where dropped.company_key is not null) as records_naming_dropped_keys
    from company_keys
    left join dropped using (company_key)
    group by all
),

final as (
    select
        coalesce(resolved.entity, company_key_counts.entity) as entity,
        coalesce(resolved.match_rule, company_key_counts.match_rule) as match_rule,
        coalesce(resolved.records, 0) as records,
        coalesce(resolved.resolved_ids, 0) as resolved_ids,
        company_key_counts.keys,
        company_key_counts.dropped_keys,
        company_key_counts.records_naming_dropped_keys
    from resolved
    full join company_key_counts using (entity, match_rule)
)

select * from final
