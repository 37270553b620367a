-- No fan-out, nothing dropped: every event-bearing source record the crosswalk links to a
-- customer appears in the journey exactly as often as it has events of that type.
-- Returns (table, expected, actual) where they differ; a table without events expects 0.
with crosswalk as {{ inlined() }} (
    select * from {{ ref('identity_crosswalk') }}
    where customer_id is not null
),

journey as (
    select * from {{ ref('fct_customer_journey') }}
),

expected as (
    select 'touchpoints' as source_table, count(*) as expected_events
    from {{ ref('stg_marketing__touchpoints') }} as t
    inner join crosswalk as c
        on c.source_table = 'touchpoints' and c.source_record_id = t.touchpoint_id
    where t.occurred_at is not null
    union all
    select 'leads', count(*) + count(l.became_mql_at) + count(l.became_sql_at)
    from {{ ref('stg_marketing__leads') }} as l
    inner join crosswalk as c on c.source_table = 'leads' and c.source_record_id = l.lead_id
    union all
    select 'opportunities', count(*) + count(*) filter (where o.is_closed) + (
        select count(*)
        from {{ ref('stg_sales__opportunity_stage_history') }} as h
        inner join crosswalk as hc
            on hc.source_table = 'opportunities' and hc.source_record_id = h.opportunity_id
    )
    from {{ ref('stg_sales__opportunities') }} as o
    inner join crosswalk as c
        on c.source_table = 'opportunities' and c.source_record_id = o.opportunity_id
    union all
    select 'tickets', count(*)
    from {{ ref('stg_success__tickets') }} as t
    inner join crosswalk as c on c.source_table = 'tickets' and c.source_record_id = t.ticket_id
    union all
    select 'nps_responses', count(*)
    from {{ ref('stg_success__nps_responses') }} as n
    inner join crosswalk as c
        on c.source_table = 'nps_responses' and c.source_record_id = n.response_id
    union all
    select 'invoices', count(*)
    from {{ ref('stg_finance__invoices') }} as i
    inner join crosswalk as c on c.source_table = 'invoices' and c.source_record_id = i.invoice_id
    where i.status = 'paid' and i.paid_at is not null
),

actual as (
    select source_table, count(*) as actual_events
    from journey
    group by source_table
)

select
    expected.source_table,
    expected.expected_events,
    coalesce(actual.actual_events, 0) as actual_events
from expected
left join actual using (source_table)
where expected.expected_events is distinct from coalesce(actual.actual_events, 0)
