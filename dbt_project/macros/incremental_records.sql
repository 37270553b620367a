{#- Post-hook of an incremental model that rebuilds whole groups of rows (delete+insert on
    the group's key): a departure marker is a row with only the key of a group that has no
    rows any more, so that the delete+insert removes its old rows. Once that is done the
    markers go, in the same transaction. `marker_column` is null in a marker and never in
    a built row. -#}
{% macro delete_departure_markers(marker_column) -%}
{%- if is_incremental() -%}
delete from {{ this }} where {{ marker_column }} is null
{%- endif -%}
{%- endmacro %}


{#- The raw tables that identity records are built from: (source_system, source_table,
    raw relation, record key). -#}
{% macro identity_raw_sources() -%}
{{ return([
    ('marketing', 'leads', source('marketing', 'leads'), 'lead_id'),
    ('sales', 'accounts', source('sales', 'accounts'), 'account_id'),
    ('sales', 'contacts', source('sales', 'contacts'), 'contact_id'),
    ('sales', 'opportunities', source('sales', 'opportunities'), 'opportunity_id'),
    ('finance', 'customers', source('finance', 'customers'), 'customer_id'),
    ('success', 'tickets', source('success', 'tickets'), 'ticket_id'),
    ('success', 'nps_responses', source('success', 'nps_responses'), 'response_id'),
]) }}
{%- endmacro %}


{#- The newest raw load of any identity source table: stamped on every row an identity
    model builds (_built_through_load_id), it is how far that build read. -#}
{% macro identity_newest_load_id() -%}
(
    select max(_load_id) from (
        {%- for system, table, relation, key in identity_raw_sources() %}
        select max(_load_id) as _load_id from {{ relation }}
        {%- if not loop.last %} union all{% endif %}
        {%- endfor %}
    ) as newest_loads
)
{%- endmacro %}


{#- The identity records (source_system, source_table, source_record_id) that may differ
    from what the incremental model `this` holds: every record with a raw row loaded after
    the newest load `this` was built through (new, updated or soft-deleted), every
    opportunity of an account loaded since (an opportunity is internal when its account
    is), and, for a raw table reloaded in full since (all its rows newer, or none left),
    every record `this` holds from it (a record of a file that left the landing folder has
    no raw row any more). Load ids grow with time across tables, so one watermark serves
    all seven tables. A table built before it had _built_through_load_id is read as built
    through nothing: every record is touched, and dbt stops on the new column
    (on_schema_change='fail') with its advice to run the full refresh. -#}
{% macro identity_records_touched() -%}
{%- set columns = adapter.get_columns_in_relation(this) | map(attribute='name') | list -%}
with built as (
    {%- if '_built_through_load_id' in columns %}
    select coalesce(max(_built_through_load_id), -1) as through_load_id from {{ this }}
    {%- else %}
    select -1 as through_load_id
    {%- endif %}
)
{%- for system, table, relation, key in identity_raw_sources() %}
select '{{ system }}' as source_system, '{{ table }}' as source_table,
    {{ key }} as source_record_id
from {{ relation }}
where _load_id > (select through_load_id from built)
union
select source_system, source_table, source_record_id
from {{ this }}
where source_table = '{{ table }}'
    and coalesce((select min(_load_id) from {{ relation }}), {{ 2 ** 62 }})
        > (select through_load_id from built)
union
{%- endfor %}
select 'sales', 'opportunities', opportunity_id
from {{ source('sales', 'opportunities') }}
where account_id in (
    select account_id from {{ source('sales', 'accounts') }}
    where _load_id > (select through_load_id from built)
)
{%- endmacro %}


{#- The non-internal identity records whose keys a key-extraction model builds: all of them,
    or (an incremental build) those in `records_to_build` (a relation of record ids). -#}
{% macro identity_records_to_extract(records_to_build=none) -%}
select normalized.*
from {{ ref('int_identity_records_normalized') }} as normalized
{%- if records_to_build %}
semi join {{ records_to_build }} using (source_system, source_table, source_record_id)
{%- endif %}
where not normalized.is_internal
{%- endmacro %}
