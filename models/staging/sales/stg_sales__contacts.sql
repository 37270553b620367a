with contacts as (
    {{ newest_row_wins(source('sales', 'contacts'), ['contact_id'], has_updated_at=true) }}
),

final as (
    select
        contact_id,
        account_id,
        email,
        first_name,
        last_name,
        phone,
        title,
        converted_from_lead_id,
        created_at,
        updated_at,
        {{ is_internal_email('email') }} as is_internal
    from contacts
    where not coalesce(is_deleted, false)
)

select * from final
