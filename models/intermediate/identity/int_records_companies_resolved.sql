-- Each evidence record's company: the customer_id of its keys, and the strongest rule that
-- tied it to another record of the same company ('own_record' when nothing else shares
-- any of its keys: a company known from this record alone). A dropped key
-- (int_company_keys_dropped) is no evidence: a record whose keys are all dropped is a
-- company of its own, with an id from its own record.
{{
    config(
        materialized=('table' if target.type == 'spark' else 'incremental'),
        unique_key=['source_system', 'source_table', 'source_record_id'],
        incremental_strategy='delete+insert',
        on_schema_change='fail',
        post_hook="{{ delete_departure_markers('customer_id') }}",
    )
}}

-- Incremental (the nightly): only the records that name a key the walk took again are
-- resolved again (identity_keys_to_resolve); a departure marker (customer_id null) per
-- record a raw load touched removes one that names no company key any more.
with key_ids as (
    select * from {{ ref('int_company_key_ids') }}
),

clusters as (
    select * from {{ ref('int_company_keys_clustered') }}
),

fuzzy as (
    select * from {{ ref('int_company_names_fuzzy_matched') }}
),

{{ identity_keys_to_resolve(ref('int_company_keys_extracted'), 'key_ids', 'company_key') }},

record_keys as (
    select
        keys_to_resolve.*,
        clusters.is_dropped,
        case
            when clusters.is_dropped
                then 'cus_' || left(md5(
                    'record:' || source_system || '|' || source_table || '|' || source_record_id
                ), 16)
            else clusters.customer_id
        end as customer_id,
        clusters.records > 1 and not clusters.is_dropped as is_shared,
        fuzzy.match_rule as fuzzy_rule
    from keys_to_resolve
    inner join clusters using (company_key)
    left join fuzzy on keys_to_resolve.company_key = fuzzy.from_key
),

final as (
    select
        source_system,
        source_table,
        source_record_id,
        -- a kept key's company (false sorts first), else the record's own
        min_by(customer_id, is_dropped) as customer_id,
        coalesce(
            min_by(match_rule, rule_rank) filter (where is_shared),
            any_value(fuzzy_rule),
            'own_record'
        ) as match_rule
    from record_keys
    group by all
),

-- the walk these records were resolved from: a nightly walks again only from it
stamped as (
    select
        *,
        (select max(_built_through_load_id) from {{ ref('int_company_keys_clustered') }})
            as _built_through_load_id
    from final
)

select * from stamped
{%- if is_incremental() %}
union all by name
select source_system, source_table, source_record_id from touched
{%- endif %}
