-- Company keys chained into companies: two keys are one company when a record carries
-- both (a billing customer with a CRM account id and an e-mail domain) or a fuzzy name
-- match links them. One row per key, with the resolved customer_id, stable across runs:
-- a hash of the company's first CRM account key, else its first domain, else its name.
with keys as (
    select * from {{ ref('int_company_keys_extracted') }}
),

fuzzy as (
    select * from {{ ref('int_company_names_fuzzy_matched') }}
),

record_primary_key as (
    select
        source_system, source_table, source_record_id,
        min(company_key) as primary_key
    from keys
    group by all
),

edges as (
    select record_primary_key.primary_key as node_a, keys.company_key as node_b
    from keys
    inner join record_primary_key using (source_system, source_table, source_record_id)
    union
    select from_key, to_key from fuzzy
),

components as (
    {{ connected_components('edges') }}
),

anchors as (
    -- 'account:' < 'domain:' < 'name:', so the least key is the strongest kind
    select component, min(node) as anchor_key
    from components
    group by component
),

final as (
    select
        components.node as company_key,
        'cus_' || left(md5(anchors.anchor_key), 16) as customer_id,
        anchors.anchor_key
    from components
    inner join anchors using (component)
)

select * from final
