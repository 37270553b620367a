-- Amounts convert at the close_date rate; open opportunities at the rate of the
-- date of created_at (kpi_definitions.md).
with opportunities as (
    {{ newest_row_wins(source('sales', 'opportunities'), ['opportunity_id'], has_updated_at=true) }}
),

dated as (
    select
        *,
        case when is_closed then close_date else cast(created_at as date) end as rate_date
    from opportunities
    where not coalesce(is_deleted, false)
),

final as (
    select
        dated.opportunity_id,
        dated.account_id,
        dated.primary_contact_id,
        dated.owner_user_id,
        dated.opportunity_type,
        dated.stage_name,
        dated.amount,
        dated.currency,
        dated.amount * fx.rate_to_usd as amount_usd,
        dated.created_at,
        cast(dated.created_at as date) as created_on,
        dated.close_date,
        coalesce(dated.is_closed, false) as is_closed,
        coalesce(dated.is_closed and dated.is_won, false) as is_won,
        dated.forecast_category,
        dated.lead_source,
        dated.loss_reason,
        dated.updated_at
    from dated
    {{ join_usd_rate('fx', 'dated.currency', 'dated.rate_date') }}
)

select * from final
