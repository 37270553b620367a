-- Company keys chained: two keys are linked when a record carries both (a billing customer
-- with a CRM account id and an e-mail domain) or a fuzzy name match links them. One row
-- per key number linked to another key, with the least key number of its company. A
-- dropped key (int_company_keys_dropped) links nothing.
with keys as (
    select * from {{ ref('int_company_keys_extracted') }}
    where company_key not in (select company_key from {{ ref('int_company_keys_dropped') }})
),

fuzzy as (
    select * from {{ ref('int_company_names_fuzzy_matched') }}
),

key_ids as (
    select * from {{ ref('int_company_key_ids') }}
),

{{ key_components('keys', 'key_ids', 'company_key', extra_edges='fuzzy') }}

select * from components
