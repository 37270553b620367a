-- Each company key to walk with a number in key order: int_company_key_components walks the
-- graph on these numbers. A full refresh walks every key; a nightly only the keys of the
-- companies that may have changed since the last walk (identity_key_numbers). Fuzzy links
-- add no keys: both ends are name keys of records. A key dropped since the last walk, or
-- kept again, has its records' companies walked again (int_company_keys_dropped).
with fuzzy as (
    select * from {{ ref('int_company_names_fuzzy_matched') }}
),

dropped as (
    select * from {{ ref('int_company_keys_dropped') }}
),

{{ identity_key_numbers(
    ref('int_company_keys_extracted'), 'company_key', 'customer_id',
    'int_company_keys_clustered', 'int_records_companies_resolved', fuzzy_edges='fuzzy',
    dropped_keys='dropped'
) }}

select * from numbered
