-- Company keys chained into companies (int_company_key_components). One row per key, with
-- how many records name it and the resolved customer_id, stable across runs: a hash of the
-- company's least key ('account:' < 'domain:' < 'name:', so its first CRM account key where
-- there is one, else its first domain, else its name).
with key_ids as (
    select * from {{ ref('int_company_key_ids') }}
),

components as (
    select * from {{ ref('int_company_key_components') }}
),

clustered as (
    {{ key_clusters('key_ids', 'components', 'company_key', 'cus_') }}
),

final as (
    select company_key, cluster_id as customer_id, anchor_key, records
    from clustered
)

select * from final
