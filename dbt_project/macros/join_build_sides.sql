{#- DuckDB builds a hash join's table on the input its cardinality estimates say is
    smaller. In a nightly, the small inputs of the crosswalk's and the journey's joins are
    CTEs whose estimates are far off, so it built tables of 10-20 M rows instead and spilled
    (at l the crosswalk's query took 14.8 s, 7.9 s without the swap). Pre-hook of such a
    model: in an incremental build, every join keeps the build side it is written with (its
    right side). The option is global: the post-hook reset_join_build_sides puts it back. -#}
{% macro keep_join_build_sides() -%}
{%- if target.type == 'duckdb' and is_incremental() -%}
set disabled_optimizers = 'build_side_probe_side'
{%- endif -%}
{%- endmacro %}


{% macro reset_join_build_sides() -%}
{%- if target.type == 'duckdb' and is_incremental() -%}
reset disabled_optimizers
{%- endif -%}
{%- endmacro %}
