-- One row per current, non-internal new_business opportunity with its funnel channel
-- (kpi_definitions.md "Funnel"): the funnel channel of its primary contact's person, else of the
-- customer's earliest-lead person (the person of the customer's earliest non-internal
-- lead; ties on created_at: the smaller lead_id as text), else the customer's acquisition
-- channel (of its earliest CRM account that has one, else of its earliest billing customer
-- that has one; ties: the smaller id), else its lead_source if that is a contract
-- channel, else 'unknown'. channel_rule says which one applied; funnel_person_id is the
-- person whose channel it took (null under the other rules).
with opportunities as (
    select * from {{ ref('stg_sales__opportunities') }}
),

classified as (
    select * from {{ ref('int_opportunities_classified') }}
),

crosswalk as {{ inlined() }} (
    select * from {{ ref('identity_crosswalk') }}
),

leads as (
    select * from {{ ref('stg_marketing__leads') }}
),

funnel_people as (
    select * from {{ ref('int_funnel_people_entered') }}
),

accounts as (
    select * from {{ ref('stg_sales__accounts') }}
),

billing_customers as (
    select * from {{ ref('stg_finance__customers') }}
),

contract_channels as (
    select * from {{ ref('marketing_channels') }}
),

new_business as (
    select opportunities.*
    from opportunities
    inner join classified using (opportunity_id)
    where opportunities.opportunity_type = 'new_business'
        and not classified.is_internal
),

opportunity_customers as (
    select source_record_id as opportunity_id, customer_id
    from crosswalk
    where source_system = 'sales' and source_table = 'opportunities'
),

contact_people as (
    select source_record_id as contact_id, person_id
    from crosswalk
    where source_system = 'sales' and source_table = 'contacts'
        and person_id is not null
),

-- the person of each customer's earliest non-internal lead
customer_first_lead_people as (
    select *
    from (
        select
            row_number() over (
                partition by crosswalk.customer_id
                order by leads.created_at, cast(leads.lead_id as string)
            ) as row_in_group,
            crosswalk.customer_id,
            crosswalk.person_id
        from crosswalk
        inner join leads on crosswalk.source_record_id = leads.lead_id
        where crosswalk.source_system = 'marketing'
            and crosswalk.source_table = 'leads'
            and crosswalk.customer_id is not null
            and not leads.is_internal
    ) as ranked
    where row_in_group = 1
),

acquisition_channels as (
    select
        crosswalk.customer_id,
        accounts.acquisition_channel as channel,
        1 as source_rank,
        accounts.created_at,
        accounts.account_id as record_id
    from crosswalk
    inner join accounts on crosswalk.source_record_id = accounts.account_id
    where crosswalk.source_system = 'sales' and crosswalk.source_table = 'accounts'
        and accounts.acquisition_channel is not null
    union all
    select
        crosswalk.customer_id,
        billing_customers.acquisition_channel as channel,
        2 as source_rank,
        billing_customers.created_at,
        billing_customers.customer_id as record_id
    from crosswalk
    inner join billing_customers
        on crosswalk.source_record_id = billing_customers.customer_id
    where crosswalk.source_system = 'finance' and crosswalk.source_table = 'customers'
        and billing_customers.acquisition_channel is not null
),

-- the account's channel before the billing customer's, the earliest record first
customer_acquisition_channels as (
    select customer_id, channel
    from (
        select
            row_number() over (
                partition by customer_id
                order by source_rank, created_at, cast(record_id as string)
            ) as row_in_group,
            customer_id,
            channel
        from acquisition_channels
        where customer_id is not null
    ) as ranked
    where row_in_group = 1
),

channeled as (
    select
        new_business.opportunity_id,
        opportunity_customers.customer_id,
        new_business.created_at,
        new_business.close_date,
        new_business.is_closed,
        new_business.is_won,
        new_business.amount_usd,
        contact_funnel.channel as primary_contact_channel,
        contact_funnel.person_id as primary_contact_person_id,
        customer_funnel.channel as customer_first_lead_channel,
        customer_funnel.person_id as customer_first_lead_person_id,
        customer_acquisition_channels.channel as customer_acquisition_channel,
        contract_channels.channel as lead_source_channel
    from new_business
    left join opportunity_customers using (opportunity_id)
    left join contact_people
        on new_business.primary_contact_id = contact_people.contact_id
    left join funnel_people as contact_funnel
        on contact_people.person_id = contact_funnel.person_id
    left join customer_first_lead_people
        on opportunity_customers.customer_id = customer_first_lead_people.customer_id
    left join funnel_people as customer_funnel
        on customer_first_lead_people.person_id = customer_funnel.person_id
    left join customer_acquisition_channels
        on opportunity_customers.customer_id = customer_acquisition_channels.customer_id
    left join contract_channels on new_business.lead_source = contract_channels.channel
),

final as (
    select
        opportunity_id,
        customer_id,
        created_at,
        {{ month_of('created_at') }} as created_month,
        close_date,
        {{ month_of('close_date') }} as close_month,
        is_closed,
        is_won,
        amount_usd,
        coalesce(
            primary_contact_channel,
            customer_first_lead_channel,
            customer_acquisition_channel,
            lead_source_channel,
            'unknown'
        ) as channel,
        case
            when primary_contact_channel is not null then 'primary_contact'
            when customer_first_lead_channel is not null then 'customer_earliest_lead'
            when customer_acquisition_channel is not null then 'customer_acquisition_channel'
            when lead_source_channel is not null then 'lead_source'
            else 'unknown'
        end as channel_rule,
        case
            when primary_contact_channel is not null then primary_contact_person_id
            when customer_first_lead_channel is not null then customer_first_lead_person_id
        end as funnel_person_id
    from channeled
)

select * from final
