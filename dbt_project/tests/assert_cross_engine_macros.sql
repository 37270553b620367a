-- The dialect macros (macros/cross_engine.sql, usd.sql, connected_components.sql,
-- newest_row_wins.sql) give the same answers on every engine: each case renders the macro
-- on literals and compares the result, as text, with the expected value. Returns the cases
-- that differ.
with edges as (
    select node_a, node_b
    from (values ('a', 'b'), ('c', 'b'), ('d', 'e'), ('f', 'f')) as edge_list (node_a, node_b)
),

components as (
    {{ connected_components('edges') }}
),

scores as (
    select score, responded_at, response_id
    from (values
        (3, date '2026-01-02', 'r1'),
        (9, date '2026-01-05', 'r1'),
        (5, date '2026-01-05', 'r2')
    ) as answers (score, responded_at, response_id)
),

-- per key: the later updated_at wins (k1), a dated row beats an undated one (k2), a key
-- landed once stays (k3), then the later file (k4)
landed_rows as (
    select row_key, updated_at, _source_file, _source_row, row_value
    from (values
        ('k1', timestamp '2026-01-02 00:00:00', 'a.csv', 1, 'old'),
        ('k1', timestamp '2026-01-03 00:00:00', 'a.csv', 2, 'new'),
        ('k2', null, 'b.csv', 1, 'undated'),
        ('k2', timestamp '2026-01-01 00:00:00', 'a.csv', 5, 'dated'),
        ('k3', timestamp '2026-01-01 00:00:00', 'a.csv', 3, 'only'),
        ('k4', timestamp '2026-01-01 00:00:00', 'a.csv', 9, 'a9'),
        ('k4', timestamp '2026-01-01 00:00:00', 'b.csv', 1, 'b1')
    ) as landed (row_key, updated_at, _source_file, _source_row, row_value)
),

newest_rows as (
    {{ newest_row_wins('landed_rows', ['row_key'], has_updated_at=true) }}
),

cases as (
    select 'iso_weekday' as check_name,
        cast({{ iso_weekday("date '2026-03-01'") }} as string) as actual, '7' as expected
    union all
    select 'seconds_between', cast({{ seconds_between(
        "timestamp '2026-03-01 10:00:00'", "timestamp '2026-03-01 11:30:05'"
    ) }} as string), '5405'
    union all
    select 'days_between',
        cast({{ days_between("date '2026-02-01'", "date '2026-03-01'") }} as string), '28'
    union all
    select 'add_months', cast({{ add_months("date '2026-11-01'", 3) }} as string), '2027-02-01'
    union all
    select 'iso_timestamp_text',
        {{ iso_timestamp_text("timestamp '2026-01-31 09:05:00'") }}, '2026-01-31T09:05:00'
    union all
    select 'utc_to_local (summer time)', {{ iso_timestamp_text(
        utc_to_local("timestamp '2026-07-01 12:00:00'", "'Europe/Berlin'")
    ) }}, '2026-07-01T14:00:00'
    union all
    select 'as_instant', {{ iso_timestamp_text(as_instant("date '2026-05-04'")) }},
        '2026-05-04T00:00:00'
    union all
    select 'regex_matches',
        cast({{ regex_matches("'jo@mail.acme.io'", "'@([a-z]+\.)*acme\.io$'") }} as string), 'true'
    union all
    select 'regex_matches (no match)',
        cast({{ regex_matches("'jo@acme.io'", "'^acme'") }} as string), 'false'
    union all
    select 'regex_replace_all', {{ regex_replace_all("'a.b.c'", "'[.]'", "'-'") }}, 'a-b-c'
    union all
    select 'jaro_winkler martha',
        cast(round({{ jaro_winkler("'martha'", "'marhta'") }}, 4) as string), '0.9611'
    union all
    select 'jaro_winkler dixon',
        cast(round({{ jaro_winkler("'dixon'", "'dicksonx'") }}, 4) as string), '0.8133'
    union all
    select 'jaro_winkler equal', cast(round({{ jaro_winkler("'acme'", "'acme'") }}, 4) as string),
        '1.0'
    union all
    select 'jaro_winkler disjoint', cast(round({{ jaro_winkler("'abc'", "'xyz'") }}, 4) as string),
        '0.0'
    union all
    select 'date_series', cast(count(*) as string), '4'
    from (
        select {{ date_series("date '2026-01-01'", "date '2026-04-01'", 'interval 1 month') }}
            as month
    ) as series
    union all
    select 'date_series (empty)', cast(count(*) as string), '0'
    from (
        select {{ date_series("date '2026-04-01'", "date '2026-01-01'", 'interval 1 month') }}
            as month
    ) as series
    union all
    select 'tuple_key', cast(max_by(score, {{ tuple_key(['responded_at', 'response_id']) }}) as string),
        '5'
    from scores
    union all
    select 'newest_row_wins', cast(count(*) as string) || ':'
        || max(case when row_key = 'k1' then row_value end) || ','
        || max(case when row_key = 'k2' then row_value end) || ','
        || max(case when row_key = 'k3' then row_value end) || ','
        || max(case when row_key = 'k4' then row_value end), '4:new,dated,only,b1'
    from newest_rows
    union all
    select 'connected_components',
        cast(count(distinct component) as string) || ':'
        || cast(max(case when node = 'c' then component end) as string), '3:a'
    from components
)

select check_name, actual, expected
from cases
where actual is null or actual <> expected
