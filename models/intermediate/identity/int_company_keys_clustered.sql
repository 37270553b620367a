-- Company keys chained into companies (int_company_key_components). One row per key, with
-- how many records name it and the resolved customer_id, stable across runs: a hash of the
-- company's least key ('account:' < 'domain:' < 'name:', so its first CRM account key where
-- there is one, else its first domain, else its name).
{{
    config(
        materialized=('table' if target.type == 'spark' else 'incremental'),
        unique_key='company_key',
        incremental_strategy='delete+insert',
        on_schema_change='fail',
        post_hook="{{ delete_departure_markers('customer_id') }}",
    )
}}

-- Incremental (the nightly): the keys walked again (int_company_key_ids) replace theirs; a
-- walked key that no record names any more (records 0) comes as a departure marker
-- (customer_id null) that removes its row. Rows carry the newest raw load when walked
-- (key rows built from later loads are the next walk's), their fuzzy edge and whether
-- they were dropped (so the next nightly sees which edges changed).
with key_ids as (
    select * from {{ ref('int_company_key_ids') }}
),

components as (
    select * from {{ ref('int_company_key_components') }}
),

fuzzy as (
    select * from {{ ref('int_company_names_fuzzy_matched') }}
),

dropped as (
    select * from {{ ref('int_company_keys_dropped') }}
),

clustered as (
    {{ key_clusters('key_ids', 'components', 'company_key', 'cus_') }}
),

final as (
    select
        clustered.company_key,
        case when clustered.records > 0 then clustered.cluster_id end as customer_id,
        clustered.anchor_key,
        clustered.records,
        fuzzy.to_key as fuzzy_match_key,
        dropped.company_key is not null as is_dropped,
        {{ newest_load_id() }} as _built_through_load_id
    from clustered
    left join fuzzy on clustered.company_key = fuzzy.from_key
    left join dropped on clustered.company_key = dropped.company_key
)

select * from final
