with ad_spend as (
    {{ newest_row_wins(source('marketing', 'ad_spend'), ['campaign_id', 'spend_date']) }}
),

final as (
    select
        ad_spend.campaign_id,
        ad_spend.spend_date,
        ad_spend.channel,
        ad_spend.spend_amount,
        ad_spend.currency,
        ad_spend.spend_amount * fx.rate_to_usd as spend_usd,
        ad_spend.impressions,
        ad_spend.clicks
    from ad_spend
    {{ join_usd_rate('fx', 'ad_spend.currency', 'ad_spend.spend_date') }}
)

select * from final
