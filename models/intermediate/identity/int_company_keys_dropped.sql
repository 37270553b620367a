-- Company keys that cannot be evidence because, in this data, they would join companies
-- that are plainly different: the term-frequency guard of probabilistic linkers, learned
-- from the data rather than a list (non_company_domains and is_free_mail_typo catch the
-- known ones before a key is made). One row per dropped domain or name key, with what it
-- would have joined. Rebuilt in full each run: a key's counts depend on every record that
-- names it.
--
-- Evidence comes in tiers. Strong keys (a CRM account, a website domain) build companies;
-- weak keys (an e-mail domain, a company name) may attach records to one of them but never
-- join two that each hold a CRM account. So:
-- * a website domain is dropped when the records naming it belong to more than
--   `identity_key_max_companies_website` (3) companies, told apart by the first four
--   letters of their CRM account's normalised name, or else of the name they type (an
--   account entered twice under name variants, a typo further on, count once);
-- * an e-mail domain is dropped when its records belong to more than one strong cluster
--   holding a CRM account (CRM accounts chained by the kept website domains and names
--   their account records carry; a record belongs to the clusters of its account, website
--   and name). Two CRM accounts of the same normalised name in one country are one
--   company entered twice;
-- * any key is dropped when its records type more than `identity_key_max_company_names`
--   (3) different company names (first four letters): junk typed by many companies.
{%- set max_companies_website = var('identity_key_max_companies_website', 3) %}
{%- set max_company_names = var('identity_key_max_company_names', 3) %}
with keys as (
    select * from {{ ref('int_company_keys_extracted') }}
),

records as (
    select * from {{ ref('int_identity_records_normalized') }}
),

account_stems as (
    select account_id, left(company_name_normalized, 4) as account_stem
    from records
    where source_table = 'accounts' and company_name_normalized is not null
),

key_evidence as (
    select
        keys.source_system,
        keys.source_table,
        keys.source_record_id,
        keys.company_key,
        keys.match_rule,
        account_stems.account_stem,
        left(records.company_name_normalized, 4) as name_stem
    from keys
    inner join records using (source_system, source_table, source_record_id)
    left join account_stems on records.account_id = account_stems.account_id
    where keys.rule_rank > 1
),

key_counts as (
    select
        company_key,
        bool_or(match_rule = 'website_domain') as is_website,
        count(*) as records,
        count(distinct coalesce(account_stem, name_stem)) as companies,
        count(distinct name_stem) as company_names
    from key_evidence
    group by company_key
),

websites_dropped as (
    select company_key from key_counts
    where is_website and companies > {{ max_companies_website }}
),

junk_keys as (
    select company_key from websites_dropped
    union
    select company_key from key_counts where company_names > {{ max_company_names }}
),

-- strong clusters: each CRM account's key chained to the kept website domain and the name
-- its account record carries (an account entered twice shares one or the other)
strong_edges as (
    select account_keys.company_key as node_a, other_keys.company_key as node_b
    from keys as account_keys
    inner join keys as other_keys using (source_system, source_table, source_record_id)
    where account_keys.source_table = 'accounts'
        and account_keys.rule_rank = 1
        and other_keys.rule_rank > 1
        and other_keys.company_key not in (select company_key from junk_keys)
),

strong_components as (
    {{ connected_components('strong_edges') }}
),

-- each record's strong clusters, those that hold a CRM account: of its account key, and of
-- its website domain or company name where an account record carries it too
record_strong_clusters as (
    select
        keys.source_system,
        keys.source_table,
        keys.source_record_id,
        coalesce(strong_components.component, keys.company_key) as strong_cluster
    from keys
    left join strong_components on keys.company_key = strong_components.node
    where keys.rule_rank = 1 or strong_components.node is not null
),

weak_counts as (
    select
        key_evidence.company_key,
        count(distinct record_strong_clusters.strong_cluster) as account_clusters
    from key_evidence
    inner join record_strong_clusters
        using (source_system, source_table, source_record_id)
    where key_evidence.match_rule = 'email_domain'
    group by key_evidence.company_key
),

final as (
    select
        key_counts.company_key,
        case when key_counts.company_key like 'domain:%' then 'domain' else 'company_name' end
            as key_type,
        case when key_counts.is_website then 'strong' else 'weak' end as evidence,
        key_counts.records,
        key_counts.companies,
        coalesce(weak_counts.account_clusters, 0) as account_clusters,
        key_counts.company_names,
        case
            when key_counts.company_key in (select company_key from websites_dropped)
                then 'website domain of more than {{ max_companies_website }} companies'
            when not key_counts.is_website and weak_counts.account_clusters > 1
                then 'e-mail domain of more than one CRM account''s company'
            else 'typed with more than {{ max_company_names }} company names'
        end as drop_reason
    from key_counts
    left join weak_counts using (company_key)
    where key_counts.company_key in (select company_key from junk_keys)
        or (not key_counts.is_website and weak_counts.account_clusters > 1)
)

select * from final
