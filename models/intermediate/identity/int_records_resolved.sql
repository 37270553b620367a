-- Each identity record with its own evidence: the company and the person its keys resolve
-- to, and the rules that tied them. identity_crosswalk adds children and fallbacks; as one
-- query with it, this three-way join on text keys needed DuckDB's 4 GB at scale l.
with records as (
    select * from {{ ref('int_identity_records_normalized') }}
),

companies as (
    select * from {{ ref('int_records_companies_resolved') }}
),

people as (
    select * from {{ ref('int_records_people_resolved') }}
),

final as (
    select
        records.source_system,
        records.source_table,
        records.source_record_id,
        records.is_internal,
        companies.customer_id,
        people.person_id,
        companies.match_rule,
        people.match_rule as person_match_rule
    from records
    left join companies using (source_system, source_table, source_record_id)
    left join people using (source_system, source_table, source_record_id)
)

select * from final
