-- Each distinct person key with a number in key order: int_person_key_components walks
-- the graph on these numbers.
with keys as (
    select * from {{ ref('int_person_keys_extracted') }}
),

numbered as (
    {{ key_numbers('keys', 'person_key') }}
)

select * from numbered
