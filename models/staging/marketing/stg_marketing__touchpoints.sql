{{
    config(
        materialized=('table' if target.type == 'spark' else 'incremental'),
        unique_key='touchpoint_id',
        incremental_strategy='delete+insert',
        pre_hook="{{ reset_if_reloaded(source('marketing', 'touchpoints')) }}",
    )
}}

-- An event table that grows every day: incremental, like product usage.
with landed as (
    {{ rows_since_last_load(
        source('marketing', 'touchpoints'),
        ['touchpoint_id'],
        ['touchpoint_id', 'lead_id', 'email', 'occurred_at', 'campaign_id', 'channel', 'touch_type']
    ) }}
),

touchpoints as (
    {{ newest_row_wins('landed', ['touchpoint_id']) }}
),

final as (
    select
        touchpoint_id,
        lead_id,
        email,
        occurred_at,
        campaign_id,
        channel,
        touch_type,
        _source_file,
        _source_row,
        _load_id
    from touchpoints
)

select * from final
