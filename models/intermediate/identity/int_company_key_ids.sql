-- Each distinct company key (of a record or a fuzzy name match) with a number in key
-- order: int_company_key_components walks the graph on these numbers.
with keys as (
    select * from {{ ref('int_company_keys_extracted') }}
),

fuzzy as (
    select * from {{ ref('int_company_names_fuzzy_matched') }}
),

numbered as (
    {{ key_numbers('keys', 'company_key', extra_edges='fuzzy') }}
)

select * from numbered
