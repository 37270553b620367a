with plans as (
    {{ newest_row_wins(source('finance', 'plans'), ['plan_id']) }}
),

final as (
    select
        plan_id,
        product_name,
        billing_interval,
        case billing_interval when 'year' then 12 when 'month' then 1 end as interval_months,
        unit_amount,
        currency
    from plans
)

select * from final
