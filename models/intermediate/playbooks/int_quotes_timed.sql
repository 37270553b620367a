-- One row per current quote of a non-internal opportunity, with when it was sent: weekday
-- (ISO, 1 = Monday) and hour in UTC and in the time zone of the customer's country (seed
-- countries, IANA zone), the customer's region, and whether the quote was accepted.
-- A quote whose customer has no known country has no local time and region 'unknown'.
with quotes as (
    select * from {{ ref('stg_sales__quotes') }}
),

crosswalk as (
    select * from {{ ref('identity_crosswalk') }}
    where source_system = 'sales' and source_table = 'quotes'
),

customers as (
    select * from {{ ref('dim_customers') }}
),

countries as (
    select * from {{ ref('countries') }}
),

located as (
    select
        quotes.quote_id,
        crosswalk.customer_id,
        coalesce(countries.region, 'unknown') as region,
        countries.time_zone,
        quotes.sent_at,
        quotes.status = 'accepted' as is_accepted
    from quotes
    inner join crosswalk on quotes.quote_id = crosswalk.source_record_id
    left join customers on crosswalk.customer_id = customers.customer_id
    left join countries on customers.country_code = countries.country_code
    where not crosswalk.is_internal
        and quotes.sent_at is not null
),

-- sent_at is a UTC wall time (TIMESTAMP): make it an instant, then read it on the
-- customer's clock (DST-aware, ICU)
local_times as (
    select
        *,
        sent_at as sent_at_utc,
        case
            when time_zone is not null then {{ utc_to_local('sent_at', 'time_zone') }}
        end as sent_at_local
    from located
),

final as (
    select
        quote_id,
        customer_id,
        region,
        time_zone,
        sent_at,
        cast({{ iso_weekday('sent_at_utc') }} as integer) as weekday_utc,
        cast(hour(sent_at_utc) as integer) as hour_utc,
        cast({{ iso_weekday('sent_at_local') }} as integer) as weekday_local,
        cast(hour(sent_at_local) as integer) as hour_local,
        is_accepted
    from local_times
)

select * from final
