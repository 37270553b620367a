with customers as (
    {{ newest_row_wins(source('finance', 'customers'), ['customer_id'], has_updated_at=true) }}
),

final as (
    select
        customer_id,
        email,
        name,
        crm_account_id,
        country_code,
        currency,
        created_at,
        updated_at,
        acquisition_channel,
        {{ is_internal_email('email') }} or {{ is_internal_name('name') }} as is_internal
    from customers
)

select * from final
