-- Each person key to walk with a number in key order: int_person_key_components walks the
-- graph on these numbers. A full refresh walks every key; a nightly only the keys of the
-- people who may have changed since the last walk (identity_key_numbers).
with
{{ identity_key_numbers(
    ref('int_person_keys_extracted'), 'person_key', 'person_id',
    'int_person_keys_clustered', 'int_records_people_resolved'
) }}

select * from numbered
