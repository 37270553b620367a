-- Revenue leakage findings (kpi_definitions.md "Revenue leakage"): one row per finding, from the four
-- detectors in models/intermediate/playbooks (int_leakage_*), with the amount at risk in
-- USD. finding_id is a hash of the finding type and the record it is about, stable across
-- runs.
with unbilled_won_deals as (
    select * from {{ ref('int_leakage_unbilled_won_deals') }}
),

uncollected_invoices as (
    select * from {{ ref('int_leakage_uncollected_invoices') }}
),

underbilled_invoices as (
    select * from {{ ref('int_leakage_underbilled_invoices') }}
),

unapproved_discounts as (
    select * from {{ ref('int_leakage_unapproved_discounts') }}
),

findings as (
    select * from unbilled_won_deals
    union all
    select * from uncollected_invoices
    union all
    select * from underbilled_invoices
    union all
    select * from unapproved_discounts
),

final as (
    select
        md5(finding_type || '|' || source_record_id) as finding_id,
        finding_type,
        customer_id,
        source_table,
        source_record_id,
        detected_on,
        round(amount_at_risk_usd, 2) as amount_at_risk_usd
    from findings
)

select * from final
