{#- Dialect differences between DuckDB and Spark, one implementation per adapter
    (adapter.dispatch: duckdb__ / spark__, default__ = DuckDB's spelling). Models call the
    macro, never the engine's function, where the two engines differ. -#}

{#- On Spark, declare the raw Parquet files of `revops export-raw` as the sources' tables
    (external tables raw.<system>__<table>), so both engines read the same rows. -#}
{% macro register_raw_sources() -%}
    {{ return(adapter.dispatch('register_raw_sources', 'revops')()) }}
{%- endmacro %}

{% macro default__register_raw_sources() -%}
    select 1
{%- endmacro %}

{% macro spark__register_raw_sources() -%}
    {%- if execute -%}
        {%- set folder = env_var('REVOPS_RAW_PARQUET_DIR', env_var('REVOPS_WAREHOUSE_DIR', '../warehouse') ~ '/raw_parquet') -%}
        {%- set schemas = [] -%}
        {%- for source in graph.sources.values() -%}
            {%- if source.schema not in schemas -%}
                {%- do schemas.append(source.schema) -%}
                {%- do run_query('create database if not exists ' ~ source.schema) -%}
            {%- endif -%}
            {%- set name = source.schema ~ '.' ~ source.identifier -%}
            {%- do run_query('drop table if exists ' ~ name) -%}
            {%- do run_query("create table " ~ name ~ " using parquet location '" ~ folder ~ "/" ~ source.identifier ~ ".parquet'") -%}
        {%- endfor -%}
    {%- endif -%}
    select 1
{%- endmacro %}

{#- Does a regular expression match anywhere in the text? -#}
{% macro regex_matches(text, pattern) -%}
    {{ return(adapter.dispatch('regex_matches', 'revops')(text, pattern)) }}
{%- endmacro %}

{% macro default__regex_matches(text, pattern) -%}
    regexp_matches({{ text }}, {{ pattern }})
{%- endmacro %}

{% macro spark__regex_matches(text, pattern) -%}
    regexp_like({{ text }}, {{ pattern }})
{%- endmacro %}

{#- The name of the function telling whether a regular expression matches anywhere in a
    text, called as fn(text, pattern) (for macros whose arguments are SQL text). -#}
{% macro regex_matches_function() -%}
    {{ return('regexp_like' if target.type == 'spark' else 'regexp_matches') }}
{%- endmacro %}

{#- Replace every match (DuckDB replaces the first unless given 'g'; Spark replaces all). -#}
{% macro regex_replace_all(text, pattern, replacement) -%}
    {{ return(adapter.dispatch('regex_replace_all', 'revops')(text, pattern, replacement)) }}
{%- endmacro %}

{% macro default__regex_replace_all(text, pattern, replacement) -%}
    regexp_replace({{ text }}, {{ pattern }}, {{ replacement }}, 'g')
{%- endmacro %}

{% macro spark__regex_replace_all(text, pattern, replacement) -%}
    regexp_replace({{ text }}, {{ pattern }}, {{ replacement }})
{%- endmacro %}

{#- One row per date from `first_date` to `last_date` every `step` (an interval literal),
    as a DATE select-list item (a set-returning expression: use alone in its select). -#}
{% macro date_series(first_date, last_date, step) -%}
    {{ return(adapter.dispatch('date_series', 'revops')(first_date, last_date, step)) }}
{%- endmacro %}

{% macro default__date_series(first_date, last_date, step) -%}
    cast(unnest(generate_series(
        cast({{ first_date }} as date), cast({{ last_date }} as date), {{ step }}
    )) as date)
{%- endmacro %}

{#- Spark's sequence() counts down when first > last: guard for an empty series. -#}
{% macro spark__date_series(first_date, last_date, step) -%}
    explode(case
        when cast({{ first_date }} as date) <= cast({{ last_date }} as date)
            then sequence(cast({{ first_date }} as date), cast({{ last_date }} as date), {{ step }})
        else cast(array() as array<date>)
    end)
{%- endmacro %}

{#- ISO day of the week, Monday = 1 ... Sunday = 7. -#}
{% macro iso_weekday(expr) -%}
    {{ return(adapter.dispatch('iso_weekday', 'revops')(expr)) }}
{%- endmacro %}

{% macro default__iso_weekday(expr) -%}
    isodow({{ expr }})
{%- endmacro %}

{% macro spark__iso_weekday(expr) -%}
    (weekday({{ expr }}) + 1)
{%- endmacro %}

{#- Whole seconds from `start_at` to `end_at` (negative when end is earlier). -#}
{% macro seconds_between(start_at, end_at) -%}
    {{ return(adapter.dispatch('seconds_between', 'revops')(start_at, end_at)) }}
{%- endmacro %}

{% macro default__seconds_between(start_at, end_at) -%}
    date_diff('second', {{ start_at }}, {{ end_at }})
{%- endmacro %}

{% macro spark__seconds_between(start_at, end_at) -%}
    (unix_seconds(cast({{ end_at }} as timestamp)) - unix_seconds(cast({{ start_at }} as timestamp)))
{%- endmacro %}

{#- Days from one DATE to another (DuckDB: date - date is an integer; Spark: an interval). -#}
{% macro days_between(start_on, end_on) -%}
    {{ return(adapter.dispatch('days_between', 'revops')(start_on, end_on)) }}
{%- endmacro %}

{% macro default__days_between(start_on, end_on) -%}
    ({{ end_on }} - {{ start_on }})
{%- endmacro %}

{% macro spark__days_between(start_on, end_on) -%}
    datediff({{ end_on }}, {{ start_on }})
{%- endmacro %}

{#- A DATE plus a whole number of months, as a DATE. -#}
{% macro add_months(date_expr, months) -%}
    {{ return(adapter.dispatch('add_months', 'revops')(date_expr, months)) }}
{%- endmacro %}

{% macro default__add_months(date_expr, months) -%}
    cast({{ date_expr }} + to_months({{ months }}) as date)
{%- endmacro %}

{% macro spark__add_months(date_expr, months) -%}
    add_months({{ date_expr }}, {{ months }})
{%- endmacro %}

{#- A UTC wall time (TIMESTAMP) read on the clock of an IANA time zone (DST-aware). -#}
{% macro utc_to_local(ts, time_zone) -%}
    {{ return(adapter.dispatch('utc_to_local', 'revops')(ts, time_zone)) }}
{%- endmacro %}

{% macro default__utc_to_local(ts, time_zone) -%}
    timezone({{ time_zone }}, timezone('UTC', {{ ts }}))
{%- endmacro %}

{% macro spark__utc_to_local(ts, time_zone) -%}
    from_utc_timestamp({{ ts }}, {{ time_zone }})
{%- endmacro %}

{#- An instant (DuckDB TIMESTAMPTZ; Spark's TIMESTAMP is one, in the session time zone UTC). -#}
{% macro as_instant(expr) -%}
    {{ return(adapter.dispatch('as_instant', 'revops')(expr)) }}
{%- endmacro %}

{% macro default__as_instant(expr) -%}
    cast({{ expr }} as timestamptz)
{%- endmacro %}

{% macro spark__as_instant(expr) -%}
    cast({{ expr }} as timestamp)
{%- endmacro %}

{#- A timestamp as text, 2026-01-31T09:05:00. -#}
{% macro iso_timestamp_text(expr) -%}
    {{ return(adapter.dispatch('iso_timestamp_text', 'revops')(expr)) }}
{%- endmacro %}

{% macro default__iso_timestamp_text(expr) -%}
    strftime({{ expr }}, '%Y-%m-%dT%H:%M:%S')
{%- endmacro %}

{% macro spark__iso_timestamp_text(expr) -%}
    date_format({{ expr }}, 'yyyy-MM-dd') || 'T' || date_format({{ expr }}, 'HH:mm:ss')
{%- endmacro %}

{#- A composite ordering key for max_by / min_by: compared field by field. -#}
{% macro tuple_key(columns) -%}
    {{ return(adapter.dispatch('tuple_key', 'revops')(columns)) }}
{%- endmacro %}

{% macro default__tuple_key(columns) -%}
    row({{ columns | join(', ') }})
{%- endmacro %}

{% macro spark__tuple_key(columns) -%}
    struct({{ columns | join(', ') }})
{%- endmacro %}

{#- Jaro-Winkler similarity in [0, 1]. DuckDB has it built in; on Spark it is spelled out
    with higher-order functions, following DuckDB's (rapidfuzz's) definition: match window
    max(len)/2 - 1, each character of `b` taking the first unmatched equal character of `a`
    in the window, transpositions = mismatched pairs / 2 (integer), and the common prefix
    (at most 4) weighted 0.1 only when the Jaro similarity is above 0.7. -#}
{% macro jaro_winkler(a, b) -%}
    {{ return(adapter.dispatch('jaro_winkler', 'revops')(a, b)) }}
{%- endmacro %}

{% macro default__jaro_winkler(a, b) -%}
    jaro_winkler_similarity({{ a }}, {{ b }})
{%- endmacro %}

{% macro spark__jaro_winkler(a, b) -%}
    {%- set la = 'length(' ~ a ~ ')' -%}
    {%- set lb = 'length(' ~ b ~ ')' -%}
    {%- set window = 'greatest(cast(greatest(' ~ la ~ ', ' ~ lb ~ ') / 2 as int) - 1, 0)' -%}
    aggregate(
        sequence(1, greatest({{ lb }}, 1)),
        named_struct('pa', cast(array() as array<int>), 'pb', cast(array() as array<int>)),
        (acc, j) -> case
            when j > {{ lb }} then acc
            when array_min(filter(
                sequence(1, greatest({{ la }}, 1)),
                i -> i <= {{ la }} and abs(i - j) <= {{ window }}
                    and substr({{ a }}, i, 1) = substr({{ b }}, j, 1)
                    and not array_contains(acc.pa, i)
            )) is null then acc
            else named_struct(
                'pa', concat(acc.pa, array(array_min(filter(
                    sequence(1, greatest({{ la }}, 1)),
                    i -> i <= {{ la }} and abs(i - j) <= {{ window }}
                        and substr({{ a }}, i, 1) = substr({{ b }}, j, 1)
                        and not array_contains(acc.pa, i)
                )))),
                'pb', concat(acc.pb, array(j))
            )
        end,
        acc -> case
            when {{ la }} = 0 or {{ lb }} = 0 or size(acc.pa) = 0 then cast(0 as double)
            else (
                aggregate(
                    array(
                        (
                            size(acc.pa) / {{ la }} + size(acc.pa) / {{ lb }}
                            + (size(acc.pa) - floor(size(filter(
                                sequence(1, size(acc.pa)),
                                k -> substr({{ a }}, element_at(array_sort(acc.pa), k), 1)
                                    <> substr({{ b }}, element_at(acc.pb, k), 1)
                            )) / 2)) / size(acc.pa)
                        ) / 3.0
                    ),
                    cast(0 as double),
                    (s, jaro) -> case
                        when jaro > 0.7 then jaro + (
                            case
                                when array_position(transform(
                                    sequence(1, least(4, {{ la }}, {{ lb }})),
                                    k -> substr({{ a }}, k, 1) = substr({{ b }}, k, 1)
                                ), false) = 0 then least(4, {{ la }}, {{ lb }})
                                else array_position(transform(
                                    sequence(1, least(4, {{ la }}, {{ lb }})),
                                    k -> substr({{ a }}, k, 1) = substr({{ b }}, k, 1)
                                ), false) - 1
                            end
                        ) * 0.1 * (1 - jaro)
                        else jaro
                    end
                )
            )
        end
    )
{%- endmacro %}

{#- Incremental models that replace the rows of their own snapshot on each run: DuckDB
    deletes and inserts by unique key; Spark overwrites the partitions of the snapshot
    (dynamic partition overwrite; the table is partitioned by the snapshot column). -#}
{% macro replace_snapshot_strategy() -%}
    {{ return('insert_overwrite' if target.type == 'spark' else 'delete+insert') }}
{%- endmacro %}

{% macro replace_snapshot_partition(column) -%}
    {{ return([column] if target.type == 'spark' else none) }}
{%- endmacro %}

{#- The hint for a CTE read more than once that DuckDB should inline into each read instead
    of materialising it: a copy of a big relation (the crosswalk, ~22 M rows at scale l) costs
    more than reading it again with each read's own filters. Spark inlines CTEs anyway. -#}
{% macro inlined() -%}
{{ 'not materialized' if target.type == 'duckdb' }}
{%- endmacro %}

{#- Letters with accents as their base letter ('Zoë Müller' -> 'Zoe Muller'). -#}
{% macro fold_accents(text) -%}
    {{ return(adapter.dispatch('fold_accents', 'revops')(text)) }}
{%- endmacro %}

{% macro default__fold_accents(text) -%}
    strip_accents({{ text }})
{%- endmacro %}

{% macro spark__fold_accents(text) -%}
    translate(
        {{ text }},
        'àáâãäåāăąçćčďèéêëēėęěìíîïīįłñńňòóôõöøōőŕřśšşťùúûüūůűųýÿźżž',
        'aaaaaaaaacccdeeeeeeeeiiiiiilnnnoooooooorrssstuuuuuuuuyyzzz'
    )
{%- endmacro %}
