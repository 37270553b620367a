-- Person keys that a record carries together, chained: one row per key number linked to
-- another key, with the least key number of its person.
with keys as (
    select * from {{ ref('int_person_keys_extracted') }}
),

key_ids as (
    select * from {{ ref('int_person_key_ids') }}
),

{{ key_components('keys', 'key_ids', 'person_key') }}

select * from components
