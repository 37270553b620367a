-- One row per resolved company (a customer or a prospect), described by its earliest CRM
-- account, else its billing customer, else its lead form; with the revenue facts of
-- kpi_definitions.md (first month with MRR, month of its churn, MRR at the end of the as-of month)
-- and its lifecycle stage now.
{{
    config(
        materialized=('table' if target.type == 'spark' else 'incremental'),
        unique_key='customer_id',
        incremental_strategy='delete+insert',
        on_schema_change='fail',
        post_hook="{{ delete_departure_markers('lifecycle_stage') }}",
    )
}}

-- Incremental (the nightly): a customer's row depends on its crosswalk records, the
-- accounts, billing customers and leads they are (a change to one is a crosswalk change:
-- the crosswalk rebuilds every record a load touched), its month-end MRR and the as-of
-- month, and the region of its country. Only customers for which one of these may have
-- changed are rebuilt (customers_changed); a customer left without records gets a
-- departure marker (a row with only its customer_id) that the delete+insert turns into a
-- deletion. When the crosswalk's changes are not known (after a failed run, or in a dbt run
-- by hand), every customer is rebuilt.
{%- set crosswalk_changed = crosswalk_changes('customer_id') if is_incremental() else none %}
with accounts as (
    select * from {{ ref('stg_sales__accounts') }}
),

billing_customers as (
    select * from {{ ref('stg_finance__customers') }}
),

leads as (
    select * from {{ ref('stg_marketing__leads') }}
),

mrr as (
    select * from {{ ref('int_customer_mrr_month_ends') }}
),

as_of as (
    select * from {{ ref('int_as_of_date') }}
),

countries as (
    select * from {{ ref('countries') }}
),

revenue_facts as (
    select
        mrr.customer_id,
        min(mrr.month) filter (where mrr.mrr_usd > 0) as first_paid_month,
        max(mrr.mrr_usd) filter (where mrr.month = as_of.as_of_month) as current_mrr_usd,
        -- the first month at 0 after the last month with MRR
        max(mrr.month) filter (where mrr.mrr_usd > 0) as last_paid_month
    from mrr
    cross join as_of
    group by mrr.customer_id
),

-- the columns of dim_customers that come from MRR alone (null and 0: never paid)
revenue as (
    select
        customer_id,
        first_paid_month,
        case
            when first_paid_month is not null and coalesce(current_mrr_usd, 0) = 0
                then cast(last_paid_month + interval 1 month as date)
        end as churned_month,
        coalesce(current_mrr_usd, 0) as current_mrr_usd
    from revenue_facts
    where first_paid_month is not null
),
{%- if crosswalk_changed %}

customers_changed as materialized (
    {{ crosswalk_changed }}
    union
    select coalesce(revenue.customer_id, built.customer_id)
    from revenue
    full join (
        select * from {{ this }} where first_paid_month is not null
    ) as built using (customer_id)
    where revenue.first_paid_month is distinct from built.first_paid_month
        or revenue.churned_month is distinct from built.churned_month
        or revenue.current_mrr_usd is distinct from built.current_mrr_usd
    union
    select built.customer_id
    from {{ this }} as built
    left join countries using (country_code)
    where built.region is distinct from countries.region
),
{%- endif %}

-- The crosswalk is read by name in each CTE below, filtered to the records it needs: a CTE
-- read several times is materialised whole by DuckDB (a copy of every record).
customer_ids as (
    select customer_id, bool_or(source_table = 'opportunities') as has_opportunity
    from {{ ref('identity_crosswalk') }}
    where customer_id is not null
    {%- if crosswalk_changed %}
        and customer_id in (select customer_id from customers_changed)
    {%- endif %}
    group by customer_id
),

account_facts as (
    select
        crosswalk.customer_id,
        min_by(accounts.account_name, (accounts.created_at, accounts.account_id)) as account_name,
        min_by(accounts.industry, (accounts.created_at, accounts.account_id)) as industry,
        min_by(accounts.employee_count, (accounts.created_at, accounts.account_id))
            as employee_count,
        min_by(accounts.billing_country, (accounts.created_at, accounts.account_id))
            as country_code
    from {{ ref('identity_crosswalk') }} as crosswalk
    inner join accounts on crosswalk.source_record_id = accounts.account_id
    where crosswalk.source_table = 'accounts' and crosswalk.customer_id is not null
    {%- if crosswalk_changed %}
        and crosswalk.customer_id in (select customer_id from customers_changed)
    {%- endif %}
    group by crosswalk.customer_id
),

billing_facts as (
    select
        crosswalk.customer_id,
        min_by(billing_customers.name, (billing_customers.created_at, billing_customers.customer_id))
            as billing_name,
        min_by(billing_customers.country_code, (billing_customers.created_at, billing_customers.customer_id))
            as country_code
    from {{ ref('identity_crosswalk') }} as crosswalk
    inner join billing_customers on crosswalk.source_record_id = billing_customers.customer_id
    where crosswalk.source_table = 'customers' and crosswalk.customer_id is not null
    {%- if crosswalk_changed %}
        and crosswalk.customer_id in (select customer_id from customers_changed)
    {%- endif %}
    group by crosswalk.customer_id
),

lead_facts as (
    select
        crosswalk.customer_id,
        min_by(leads.company_name, (leads.created_at, leads.lead_id)) as lead_company_name,
        min_by(leads.country_code, (leads.created_at, leads.lead_id)) as country_code,
        bool_or(leads.became_mql_at is not null) as has_mql,
        bool_or(leads.became_sql_at is not null) as has_sql
    from {{ ref('identity_crosswalk') }} as crosswalk
    inner join leads on crosswalk.source_record_id = leads.lead_id
    where crosswalk.source_table = 'leads' and crosswalk.customer_id is not null
    {%- if crosswalk_changed %}
        and crosswalk.customer_id in (select customer_id from customers_changed)
    {%- endif %}
    group by crosswalk.customer_id
),

final as (
    select
        customer_ids.customer_id,
        coalesce(
            account_facts.account_name, billing_facts.billing_name, lead_facts.lead_company_name
        ) as customer_name,
        account_facts.industry,
        case
            when account_facts.employee_count is null then null
            when account_facts.employee_count < 50 then '1-49'
            when account_facts.employee_count < 250 then '50-249'
            when account_facts.employee_count < 1000 then '250-999'
            else '1000+'
        end as size_band,
        countries.region,
        coalesce(account_facts.country_code, billing_facts.country_code, lead_facts.country_code)
            as country_code,
        revenue.first_paid_month,
        revenue.churned_month,
        coalesce(revenue.current_mrr_usd, 0) as current_mrr_usd,
        case
            when revenue.current_mrr_usd > 0 then 'customer'
            when revenue.first_paid_month is not null then 'churned'
            when customer_ids.has_opportunity then 'opportunity'
            when lead_facts.has_sql then 'sql'
            when lead_facts.has_mql then 'mql'
            else 'lead'
        end as lifecycle_stage,
        {{ newest_load_id(
            identity_raw_sources() + crosswalk_child_sources() + journey_price_sources()
        ) }} as _built_through_load_id
    from customer_ids
    left join account_facts using (customer_id)
    left join billing_facts using (customer_id)
    left join lead_facts using (customer_id)
    left join revenue using (customer_id)
    left join countries
        on coalesce(account_facts.country_code, billing_facts.country_code, lead_facts.country_code)
            = countries.country_code
)

select * from final
{%- if is_incremental() %}
union all by name
select customer_id from {{ this if not crosswalk_changed else 'customers_changed' }} as before
where customer_id not in (select customer_id from final)
{%- endif %}
