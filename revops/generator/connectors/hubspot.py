"""The company's HubSpot portal as Fivetran syncs it (revops/presets/hubspot.yml reads it).

HubSpot is the marketing tool: every lead is a contact, with its properties as
`property_<name>` text columns (timestamps as epoch milliseconds or ISO text, as the API
returns them), its original source as HubSpot's analytics source, and the Salesforce lead id
(`property_salesforceleadid`) once sales took it over. Touches are form submissions
(`contact_form_submission`, the page URL carrying utm_medium = channel and utm_campaign =
the Salesforce campaign id) and e-mail clicks (`email_event` of type CLICK, among the OPEN
events the preset must skip). The company's CRM is Salesforce: no company or deal tables.

Messes: three contacts the connector saw deleted (`_fivetran_deleted`), campaign ids in
either Salesforce form, timestamps in two text forms, `contact` as a folder of two files.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from .ids import SYNCED_AT, copy_out, record_ids, register
from .salesforce import lead_id_sql

TOOL = "hubspot"
ANALYTICS_SOURCES = {
    "paid_search": ("PAID_SEARCH", None),
    "paid_social": ("PAID_SOCIAL", None),
    "organic_search": ("ORGANIC_SEARCH", None),
    "email": ("EMAIL_MARKETING", None),
    "referral": ("REFERRALS", None),
    "direct": ("DIRECT_TRAFFIC", None),
    "webinar": ("OTHER_CAMPAIGNS", "webinar"),
    "events": ("OTHER_CAMPAIGNS", "event"),
    "partner": ("OTHER_CAMPAIGNS", "partner"),
}
LIFECYCLE_STAGES = {"mql": "marketingqualifiedlead", "sql": "salesqualifiedlead"}
FORMS = {
    "ad_click": ("Ad landing page", "get-started"),
    "content_download": ("Content download", "resources"),
    "demo_request": ("Demo request", "demo"),
    "webinar_attended": ("Webinar attendance", "webinars"),
    "event_visit": ("Event badge scan", "events"),
}


def _text_instant(column: str, key: str) -> str:
    """A timestamp as a HubSpot property holds it: epoch milliseconds or ISO text."""
    return (
        f"case when md5_number({key} || {_q(column)}) % 2 = 0 "
        f"then cast(epoch_ms({column}) as varchar) else iso({column}) end"
    )


def _q(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _case(column: str, pairs: dict[str, str], otherwise: str = "null") -> str:
    cases = " ".join(f"when {_q(k)} then {_q(v)}" for k, v in pairs.items())
    return f"case {column} {cases} else {otherwise} end"


def _form_guid(touch_type: str) -> str:
    return f"md5('form-' || {touch_type})"


def write(con: duckdb.DuckDBPyConnection, out: Path) -> None:
    register(con)
    con.execute(
        "create or replace temp table hs_contact_ids as select lead_id, "
        "cast(1000000 + row_number() over (order by lead_id) as varchar) as hs_id "
        "from marketing_leads"
    )
    source = _case("l.original_source_channel", {k: v[0] for k, v in ANALYTICS_SOURCES.items()})
    drill = _case(
        "l.original_source_channel", {k: v[1] for k, v in ANALYTICS_SOURCES.items() if v[1]}
    )
    stage = _case("l.lifecycle_stage", LIFECYCLE_STAGES, "l.lifecycle_stage")
    campaign = "sf_ref(sf_new_id('701', l.first_campaign_id))"
    contacts = f"""
        select i.hs_id as id, l.email as property_email, l.first_name as property_firstname,
            l.last_name as property_lastname, l.company_name as property_company,
            l.company_domain as property_website, l.country_code as property_country,
            l.job_title as property_jobtitle,
            {_text_instant("l.created_at", "l.lead_id")} as property_createdate,
            coalesce({source}, 'OFFLINE') as property_hs_analytics_source,
            coalesce({drill}, case when l.original_source_channel is null then 'CRM_UI' end)
                as property_hs_analytics_source_data_1,
            {campaign} as property_salesforcecampaignids,
            {stage} as property_lifecyclestage,
            {_text_instant("l.became_mql_at", "l.lead_id")}
                as property_hs_lifecyclestage_marketingqualifiedlead_date,
            {_text_instant("l.became_sql_at", "l.lead_id")}
                as property_hs_lifecyclestage_salesqualifiedlead_date,
            {_text_instant("l.updated_at", "l.lead_id")} as property_lastmodifieddate,
            case when l.lead_id in (select converted_from_lead_id from sales_contacts)
                then {lead_id_sql("l.lead_id")} end as property_salesforceleadid,
            false as _fivetran_deleted, '{SYNCED_AT}' as _fivetran_synced
        from marketing_leads as l join hs_contact_ids as i using (lead_id)
        union all
        select cast(9000000 + n as varchar), 'removed' || n || '@example.org', 'Removed',
            'Contact', 'Deleted Co', null, 'US', null, '{SYNCED_AT}', 'OFFLINE', 'CRM_UI', null,
            'lead', null, null, '{SYNCED_AT}', null, true, '{SYNCED_AT}'
        from range(3) as t(n)"""
    folder = out / "contact"
    folder.mkdir(parents=True, exist_ok=True)
    for part in (0, 1):
        copy_out(
            con,
            f"select * from ({contacts}) where cast(id as bigint) % 2 = {part} order by id",
            folder / f"part-{part}.csv",
        )

    forms = " union all ".join(
        f"select {_form_guid(_q(kind))} as guid, {_q(name)} as name, 'page' as form_type, "
        f"false as _fivetran_deleted, '{SYNCED_AT}' as _fivetran_synced"
        for kind, (name, _) in FORMS.items()
    )
    copy_out(con, f"select * from ({forms}) order by name", out / "form.csv")

    slug = _case("t.touch_type", {k: v[1] for k, v in FORMS.items()})
    url = (
        "'https://www.lumenfold.io/' || {slug} || '?utm_medium=' || t.channel || "
        "coalesce('&utm_campaign=' || sf_ref(sf_new_id('701', t.campaign_id)), '')"
    )
    uuid = (
        "regexp_replace(md5('conversion-' || t.touchpoint_id), "
        "'(.{8})(.{4})(.{4})(.{4})(.{12})', '\\1-\\2-\\3-\\4-\\5')"
    )
    copy_out(
        con,
        f"""select i.hs_id as contact_id, {uuid} as conversion_id, iso(t.occurred_at) as timestamp,
            {_form_guid("t.touch_type")} as form_id, {url.format(slug=slug)} as page_url,
            {_case("t.touch_type", {k: v[0] for k, v in FORMS.items()})} as title,
            '{SYNCED_AT}' as _fivetran_synced
        from marketing_touchpoints as t join hs_contact_ids as i using (lead_id)
        where t.touch_type <> 'email_click'
        order by contact_id, conversion_id""",
        out / "contact_form_submission.csv",
    )
    # Each click follows its open half a minute earlier; the preset keeps the clicks.
    copy_out(
        con,
        f"""with clicks as (
            select row_number() over (order by touchpoint_id) as n, *
            from marketing_touchpoints where touch_type = 'email_click'
        )
        select cast(5000000000 + 2 * n as varchar) as id, iso(occurred_at) as created,
            'CLICK' as type, email as recipient,
            'https://www.lumenfold.io/blog?utm_medium=' || channel ||
                coalesce('&utm_campaign=' || sf_ref(sf_new_id('701', campaign_id)), '') as url,
            '{SYNCED_AT}' as _fivetran_synced
        from clicks
        union all
        select cast(5000000000 + 2 * n + 1 as varchar), iso(occurred_at - interval 30 second),
            'OPEN', email, null, '{SYNCED_AT}'
        from clicks
        order by id""",
        out / "email_event.jsonl",
    )

    record_ids(
        con,
        TOOL,
        "contact",
        "marketing/leads",
        "select hs_id as tool_id, lead_id as contract_id from hs_contact_ids",
    )
    record_ids(
        con,
        TOOL,
        "contact_form_submission",
        "marketing/touchpoints",
        f"select {uuid} as tool_id, t.touchpoint_id as contract_id "
        "from marketing_touchpoints as t where t.touch_type <> 'email_click'",
    )
    record_ids(
        con,
        TOOL,
        "email_event",
        "marketing/touchpoints",
        "select cast(5000000000 + 2 * row_number() over (order by touchpoint_id) as varchar) "
        "as tool_id, touchpoint_id as contract_id from marketing_touchpoints "
        "where touch_type = 'email_click'",
    )
