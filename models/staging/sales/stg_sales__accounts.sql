-- Soft-deleted accounts are dropped here; their contacts, opportunities and
-- billing records stay (docs/contract.md: deleting an account deletes nothing else).
with accounts as (
    {{ newest_row_wins(source('sales', 'accounts'), ['account_id'], has_updated_at=true) }}
),

final as (
    select
        account_id,
        account_name,
        website,
        industry,
        employee_count,
        billing_country,
        owner_user_id,
        created_at,
        updated_at,
        acquisition_channel,
        {{ is_internal_name('account_name') }} or {{ is_internal_website('website') }} as is_internal
    from accounts
    where not coalesce(is_deleted, false)
)

select * from final
