-- The largest resolved customers, for the identity gate before publish and for the
-- identity report: one row per customer among the 20 with the most CRM accounts (then
-- records). A customer holding many CRM accounts with different names is almost always
-- a key that chained unrelated companies (a junk website, a shared mailbox domain), which
-- would make every per-customer number wrong; the blocking check on this mart
-- (orchestration/checks/suites.py) stops the publish when one is implausible, or when the
-- largest customer grew far beyond the largest of the last publish, naming the key.
-- Company keys only (domains, names, account ids): no person's e-mail or name.
{%- set max_account_names = var('identity_gate_max_account_names', 5) %}
{%- set max_growth = var('identity_gate_max_growth', 3) %}
{%- set min_jump_records = var('identity_gate_min_jump_records', 200) %}
{%- set published = adapter.get_relation(this.database, 'meta', 'published_identity_largest') %}
with records as (
    select * from {{ ref('int_records_resolved') }}
    where not is_internal and customer_id is not null
),

normalized as (
    select * from {{ ref('int_identity_records_normalized') }}
),

keys as (
    select * from {{ ref('int_company_keys_extracted') }}
),

-- each customer's CRM accounts with the first four letters of their normalised name (an
-- account entered twice under name variants counts once) and their website
accounts as (
    select
        records.customer_id,
        normalized.account_id,
        left(normalized.company_name_normalized, 4) as account_stem,
        normalized.website_domain
    from records
    inner join normalized using (source_system, source_table, source_record_id)
    where records.source_table = 'accounts'
),

account_counts as (
    select
        customer_id,
        count(distinct account_id) as crm_accounts,
        count(distinct account_stem) as account_names,
        count(distinct website_domain) as website_domains
    from accounts
    group by customer_id
),

customers as (
    select
        records.customer_id,
        count(*) as records,
        coalesce(any_value(account_counts.crm_accounts), 0) as crm_accounts,
        coalesce(any_value(account_counts.account_names), 0) as account_names,
        coalesce(any_value(account_counts.website_domains), 0) as website_domains
    from records
    left join account_counts using (customer_id)
    group by records.customer_id
),

ranked as (
    select
        *,
        row_number() over (order by crm_accounts desc, records desc, customer_id) as size_rank
    from customers
),

largest as (
    select * from ranked
    where size_rank <= 20
),

-- within each of them, the key (not an account id) whose records carry the most distinct
-- CRM accounts: the one that chained them
key_reach as (
    select
        records.customer_id,
        keys.company_key,
        count(distinct normalized.account_id) as key_accounts,
        count(*) as key_records
    from keys
    inner join records using (source_system, source_table, source_record_id)
    inner join normalized using (source_system, source_table, source_record_id)
    where keys.rule_rank > 1
        and records.customer_id in (select customer_id from largest)
    group by records.customer_id, keys.company_key
),

-- ties broken by the key itself, so a rebuild names the same key
chaining_ranked as (
    select
        customer_id,
        company_key,
        key_accounts,
        row_number() over (
            partition by customer_id order by key_accounts desc, key_records desc, company_key
        ) as key_rank
    from key_reach
),

chaining_keys as (
    select
        customer_id,
        company_key as chaining_key,
        key_accounts as chaining_key_accounts
    from chaining_ranked
    where key_rank = 1
),

last_publish as (
    {%- if published %}
    select max(records) as published_largest_records from {{ published }}
    {%- else %}
    select cast(null as bigint) as published_largest_records
    {%- endif %}
),

final as (
    select
        largest.customer_id,
        largest.size_rank,
        largest.records,
        largest.crm_accounts,
        largest.account_names,
        largest.website_domains,
        chaining_keys.chaining_key,
        coalesce(chaining_keys.chaining_key_accounts, 0) as chaining_key_accounts,
        last_publish.published_largest_records,
        largest.account_names > {{ max_account_names }} as is_implausible,
        largest.size_rank = 1
            and last_publish.published_largest_records is not null
            and largest.records > {{ max_growth }} * last_publish.published_largest_records
            and largest.records - last_publish.published_largest_records
                > {{ min_jump_records }}
            as is_jump
    from largest
    left join chaining_keys using (customer_id)
    cross join last_publish
)

select
    *,
    case
        when is_implausible or is_jump then
            'customer ' || customer_id || ' holds ' || crm_accounts || ' CRM accounts with '
            || account_names || ' different names and ' || website_domains
            || ' website domains (' || records || ' records'
            || coalesce(', ' || published_largest_records || ' in the largest at the last publish', '')
            || '), chained by ' || coalesce(chaining_key, 'account ids only')
            || ' (records of ' || chaining_key_accounts || ' CRM accounts name it): '
            || 'if it names no company, add the domain to seeds/non_company_domains.csv, '
            || 'or lower the vars identity_key_max_companies_website / identity_key_max_company_names'
    end as gate_message
from final
