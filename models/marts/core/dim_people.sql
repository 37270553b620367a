-- One row per resolved person (a human behind leads, contacts, billing contacts, ticket
-- requesters and survey answers). No name, e-mail or phone: analysts join on person_id.
with crosswalk as (
    select * from {{ ref('identity_crosswalk') }}
    where person_id is not null
),

-- the company most of the person's records name (ties: the least id, so reruns agree)
person_company as (
    select *
    from (
        select
            row_number() over (
                partition by person_id order by count(*) desc, customer_id
            ) as row_in_group,
            person_id, customer_id
        from crosswalk
        where customer_id is not null
        group by person_id, customer_id
    ) as ranked
    where row_in_group = 1
),

final as (
    select
        crosswalk.person_id,
        any_value(person_company.customer_id) as customer_id,
        count(*) filter (where source_table = 'leads') as lead_records,
        count(*) filter (where source_table = 'contacts') as contact_records,
        count(*) filter (where source_table = 'customers') as billing_records,
        count(*) filter (where source_table = 'tickets') as tickets,
        count(*) filter (where source_table = 'nps_responses') as nps_answers,
        count(*) as source_records
    from crosswalk
    left join person_company using (person_id)
    group by crosswalk.person_id
)

select * from final
