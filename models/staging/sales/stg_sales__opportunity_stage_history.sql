with stage_history as (
    {{ newest_row_wins(source('sales', 'opportunity_stage_history'), ['opportunity_id', 'changed_at']) }}
),

final as (
    select
        opportunity_id,
        changed_at,
        stage_name,
        amount,
        probability
    from stage_history
)

select * from final
