-- The keys by which a record names a person, one row per (record, key), with the rule and
-- its strength: the normalised e-mail (case, spaces, +tags, mail. subdomains removed), the
-- lead a contact was converted from (the address may differ), and first + last name
-- within one resolved company. Role addresses (billing@) and internal records name nobody.
-- Each rule gives a record at most one key (one company per record) and the rules' prefixes
-- differ, so no record names a key twice: no group by is needed.
with records as (
    select * from {{ ref('int_identity_records_normalized') }}
    where not is_internal
),

companies as (
    select * from {{ ref('int_records_companies_resolved') }}
),

final as (
    select
        source_system, source_table, source_record_id,
        'email:' || person_email as person_key, 'email' as match_rule, 1 as rule_rank
    from records
    where person_email is not null
    union all
    select
        source_system, source_table, source_record_id,
        'lead:' || lead_id, 'lead_conversion', 2
    from records
    where lead_id is not null and source_table in ('leads', 'contacts')
    union all
    select
        records.source_system, records.source_table, records.source_record_id,
        'name:' || records.first_name_normalized || '|' || records.last_name_normalized
            || '|' || companies.customer_id,
        'name_and_company', 3
    from records
    inner join companies using (source_system, source_table, source_record_id)
    where records.first_name_normalized is not null
        and records.last_name_normalized is not null
)

select * from final
