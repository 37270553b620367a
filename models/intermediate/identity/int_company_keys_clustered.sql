-- Company keys chained into companies: two keys are one company when a record carries
-- both (a billing customer with a CRM account id and an e-mail domain) or a fuzzy name
-- match links them. One row per key, with the resolved customer_id, stable across runs:
-- a hash of the company's least key ('account:' < 'domain:' < 'name:', so its first CRM
-- account key where there is one, else its first domain, else its name).
with keys as (
    select * from {{ ref('int_company_keys_extracted') }}
),

fuzzy as (
    select * from {{ ref('int_company_names_fuzzy_matched') }}
),

{{ key_clusters('keys', 'company_key', 'cus_', extra_edges='fuzzy') }},

final as (
    select company_key, cluster_id as customer_id, anchor_key
    from clustered
)

select * from final
