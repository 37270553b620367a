-- The CRM hygiene report (kpi_definitions.md): one row per snapshot date and source table
-- of the identity-bearing tables, kept over time (incremental: each run replaces the rows of
-- its own snapshot date, so history accumulates and a rerun on the same data is a no-op).
-- snapshot_date is the as-of date of the data, not the run's clock, so a rebuild of the
-- same landing files gives the same rows.
--   records                 current, non-deleted records, internal ones included
--   duplicate_records       records that identity resolution found to be another record of
--                           the same table: people for leads, contacts and billing
--                           customers (by person), companies for accounts (by customer)
--   invalid_emails          addresses present but failing the syntax and domain check
--   unlinked_records        billing customers whose company has no CRM account; tickets and
--                           survey answers whose company has neither a CRM account nor a
--                           billing customer; other records with no customer at all
--   test_records_excluded   internal/test records left out of every KPI
--   junk_key_records        records whose website, e-mail domain or company name is a key
--                           identity resolution dropped as no evidence (a website or domain
--                           typed for many companies: int_company_keys_dropped)
-- full_refresh=false: the history survives a full refresh (dbt --full-refresh); a column
-- added later is appended, null in the snapshots before it
{{ config(
    materialized='incremental',
    on_schema_change='append_new_columns',
    unique_key=['snapshot_date', 'source_system', 'source_table'],
    incremental_strategy=replace_snapshot_strategy(),
    partition_by=replace_snapshot_partition('snapshot_date'),
    full_refresh=false,
) }}

with records as (
    select * from {{ ref('int_identity_records_normalized') }}
    where source_table <> 'opportunities'
),

as_of as (
    select * from {{ ref('int_as_of_date') }}
),

-- the records naming a key dropped as no evidence
junk_key_records as (
    select distinct source_system, source_table, source_record_id
    from {{ ref('int_company_keys_extracted') }}
    where company_key in (select company_key from {{ ref('int_company_keys_dropped') }})
),

-- whether each company holds a CRM account or a billing customer (a company with neither
-- has no row). The crosswalk is read by name here and below: a CTE read twice is
-- materialised whole by DuckDB (a copy of every record)
company_holds as (
    select
        customer_id,
        bool_or(source_table = 'accounts') as has_account,
        bool_or(source_table = 'customers') as has_billing_customer
    from {{ ref('identity_crosswalk') }}
    where customer_id is not null and source_table in ('accounts', 'customers')
    group by customer_id
),

scored as (
    select
        records.source_system,
        records.source_table,
        records.is_internal,
        -- what a duplicate of this record is a duplicate by: its person for people's
        -- records, its company for accounts (one distinct count below, not two)
        case
            when records.source_table in ('leads', 'contacts', 'customers') then crosswalk.person_id
            when records.source_table = 'accounts' then crosswalk.customer_id
        end as resolved_id,
        records.has_invalid_email as is_invalid_email,
        junk_key_records.source_record_id is not null as names_junk_key,
        case
            when records.is_internal then false
            when records.source_table = 'customers' then not coalesce(company_holds.has_account, false)
            when records.source_table in ('tickets', 'nps_responses')
                then not coalesce(company_holds.has_account or company_holds.has_billing_customer, false)
            else crosswalk.customer_id is null
        end as is_unlinked
    from records
    inner join {{ ref('identity_crosswalk') }} as crosswalk
        using (source_system, source_table, source_record_id)
    left join company_holds on crosswalk.customer_id = company_holds.customer_id
    left join junk_key_records
        on records.source_system = junk_key_records.source_system
        and records.source_table = junk_key_records.source_table
        and records.source_record_id = junk_key_records.source_record_id
),

final as (
    select
        as_of.as_of_date as snapshot_date,
        scored.source_system,
        scored.source_table,
        count(*) as records,
        count(scored.resolved_id) - count(distinct scored.resolved_id) as duplicate_records,
        case
            when count(*) filter (where not scored.is_internal) > 0
                then duplicate_records / count(*) filter (where not scored.is_internal)
        end as duplicate_rate,
        count(*) filter (where scored.is_invalid_email) as invalid_emails,
        count(*) filter (where scored.is_unlinked) as unlinked_records,
        count(*) filter (where scored.is_internal) as test_records_excluded,
        count(*) filter (where scored.names_junk_key) as junk_key_records
    from scored
    cross join as_of
    group by as_of.as_of_date, scored.source_system, scored.source_table
)

select * from final
