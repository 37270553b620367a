"""The company's Salesforce org as Fivetran syncs it (revops/presets/salesforce.yml reads it).

Salesforce is the sales CRM: users, accounts, contacts, opportunities and their stage
history, quotes and campaigns. Leads are captured in HubSpot; those sales converted were
synced to Salesforce as a lead first (created a few minutes after the HubSpot contact), so
a converted person is a HubSpot contact and a Salesforce lead at once, and the lead's
`converted_contact_id` says which contact it became.

What a real org's sync looks like: 18-character ids, references holding one in three in
the 15-character form; picklist labels ('Closed Won', 'Paid Search'); probability in
percent; soft-deleted records (`is_deleted`) and records the connector saw deleted
(`_fivetran_deleted`, half of the contract's deleted ones, plus a few stage-history rows
and leads that exist only as deleted rows).
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from .ids import SYNCED_AT, copy_out, record_ids, register

TOOL = "salesforce"
CHANNEL_LABELS = {
    "paid_search": "Paid Search",
    "paid_social": "Paid Social",
    "organic_search": "Organic Search",
    "email": "Email",
    "webinar": "Webinar",
    "events": "Event",
    "referral": "Referral",
    "direct": "Direct",
    "partner": "Partner",
}
STAGE_LABELS = {
    "prospecting": "Prospecting",
    "discovery": "Discovery",
    "solution": "Solution Design",
    "proposal": "Proposal/Price Quote",
    "negotiation": "Negotiation/Review",
    "closed_won": "Closed Won",
    "closed_lost": "Closed Lost",
}
ROLE_TITLES = {
    "sdr": "Sales Development Representative",
    "ae": "Account Executive",
    "am": "Account Manager",
    "manager": "Sales Manager",
}
TYPE_LABELS = {"new_business": "New Business", "expansion": "Expansion", "renewal": "Renewal"}
FORECAST_LABELS = {
    "omitted": "Omitted",
    "pipeline": "Pipeline",
    "best_case": "BestCase",
    "commit": "Commit",
    "closed": "Closed",
}
QUOTE_STATUSES = {
    "accepted": "Accepted",
    "rejected": "Denied",
    "expired": "Expired",
    "open": "Presented",
}
# Salesforce's key prefix of each object's ids.
PREFIXES = {
    "user": "005",
    "account": "001",
    "contact": "003",
    "lead": "00Q",
    "opportunity": "006",
    "opportunity_history": "008",
    "quote": "0Q0",
    "campaign": "701",
}


def _label(column: str, labels: dict[str, str], otherwise: str = "null") -> str:
    cases = " ".join(f"when '{code}' then '{label}'" for code, label in labels.items())
    return f"case {column} {cases} else {otherwise} end"


def lead_id_sql(contract_lead_id: str) -> str:
    """The Salesforce id of a contract lead synced to Salesforce (HubSpot's writer names it)."""
    return f"sf_new_id('{PREFIXES['lead']}', {contract_lead_id})"


def _deleted(column: str, key: str) -> tuple[str, str]:
    """(is_deleted, _fivetran_deleted) of a contract is_deleted: half of the deleted records
    the connector saw deleted (hard delete), the other half are soft-deleted in the org."""
    hard = f"(coalesce({column}, false) and md5_number({key}) % 2 = 0)"
    return f"(coalesce({column}, false) and not {hard})", hard


def write(con: duckdb.DuckDBPyConnection, out: Path) -> None:
    register(con)
    p = PREFIXES
    con.execute(
        f"""create or replace temp table sf_ids as
        select 'user' as object, user_id as contract_id, sf_new_id('{p["user"]}', user_id) as sf_id
        from sales_users
        union all select 'account', account_id, sf_new_id('{p["account"]}', account_id) from sales_accounts
        union all select 'contact', contact_id, sf_new_id('{p["contact"]}', contact_id) from sales_contacts
        union all select 'opportunity', opportunity_id, sf_new_id('{p["opportunity"]}', opportunity_id)
            from sales_opportunities
        union all select 'quote', quote_id, sf_new_id('{p["quote"]}', quote_id) from sales_quotes
        union all select 'campaign', campaign_id, sf_new_id('{p["campaign"]}', campaign_id)
            from marketing_campaigns"""
    )

    def own(obj: str, column: str) -> str:
        return f"sf_new_id('{p[obj]}', {column})"

    def ref(obj: str, column: str) -> str:
        return f"sf_ref({own(obj, column)})"

    synced = f"'{SYNCED_AT}' as _fivetran_synced"
    copy_out(
        con,
        f"""select {own("user", "user_id")} as id, full_name as name, email,
            {_label("role", ROLE_TITLES)} as title, team as department,
            upper(region) as division, iso(hired_at) as created_date, true as is_active,
            false as _fivetran_deleted, {synced}
        from sales_users order by id""",
        out / "user.csv",
    )
    industry = "upper(left(industry, 1)) || replace(substr(industry, 2), '_', ' ')"
    is_deleted, hard = _deleted("is_deleted", "account_id")
    copy_out(
        con,
        f"""select {own("account", "account_id")} as id, account_name as name, website,
            {industry} as industry, employee_count as number_of_employees,
            billing_country as billing_country_code, {ref("user", "owner_user_id")} as owner_id,
            iso(created_at) as created_date, iso(updated_at) as last_modified_date,
            {_label("acquisition_channel", CHANNEL_LABELS)} as account_source,
            {is_deleted} as is_deleted, {hard} as _fivetran_deleted, {synced}
        from sales_accounts order by id""",
        out / "account.csv",
    )
    is_deleted, hard = _deleted("is_deleted", "contact_id")
    copy_out(
        con,
        f"""select {own("contact", "contact_id")} as id, {ref("account", "account_id")} as account_id,
            email, first_name, last_name, phone, title, iso(created_at) as created_date,
            iso(updated_at) as last_modified_date, {is_deleted} as is_deleted,
            {hard} as _fivetran_deleted, {synced}
        from sales_contacts order by id""",
        out / "contact.csv",
    )
    # One lead per converted contract lead (a lead converted twice names its first contact),
    # plus three leads the connector only ever saw deleted.
    copy_out(
        con,
        f"""with converted as (
            select converted_from_lead_id as lead_id, min(contact_id) as contact_id
            from sales_contacts where converted_from_lead_id is not null group by 1
        )
        select {lead_id_sql("l.lead_id")} as id, l.email, l.first_name, l.last_name,
            l.company_name as company, l.company_domain as website, l.country_code,
            l.job_title as title, iso(l.created_at + interval 5 minute) as created_date,
            {_label("l.original_source_channel", CHANNEL_LABELS)} as lead_source,
            'Closed - Converted' as status, true as is_converted,
            {ref("contact", "c.contact_id")} as converted_contact_id,
            {ref("account", "k.account_id")} as converted_account_id,
            strftime(k.created_at, '%Y-%m-%d') as converted_date,
            iso(greatest(l.updated_at, k.created_at)) as last_modified_date,
            false as is_deleted, false as _fivetran_deleted, {synced}
        from converted as c
        join marketing_leads as l using (lead_id)
        join sales_contacts as k on k.contact_id = c.contact_id
        union all
        select sf_new_id('{p["lead"]}', 'deleted-' || n), 'gone' || n || '@example.org', 'Gone',
            'Lead', 'Deleted Co', null, 'US', null, '{SYNCED_AT}', 'Web', 'Open - Not Contacted',
            false, null, null, null, '{SYNCED_AT}', true, true, {synced}
        from range(3) as t(n)
        order by id""",
        out / "lead.csv",
    )
    is_deleted, hard = _deleted("is_deleted", "opportunity_id")
    copy_out(
        con,
        f"""select {own("opportunity", "opportunity_id")} as id,
            {ref("account", "account_id")} as account_id,
            {ref("contact", "primary_contact_id")} as contact_id,
            {ref("user", "owner_user_id")} as owner_id,
            {_label("opportunity_type", TYPE_LABELS)} as type,
            {_label("stage_name", STAGE_LABELS)} as stage_name, amount,
            currency as currency_iso_code, iso(created_at) as created_date,
            strftime(close_date, '%Y-%m-%d') as close_date, is_closed, is_won,
            {_label("forecast_category", FORECAST_LABELS)} as forecast_category,
            {_label("lead_source", CHANNEL_LABELS, "lead_source")} as lead_source,
            loss_reason as loss_reason_c, iso(updated_at) as last_modified_date,
            {is_deleted} as is_deleted, {hard} as _fivetran_deleted, {synced}
        from sales_opportunities order by id""",
        out / "opportunity.csv",
    )
    # Stage history as Parquet (connectors that write files often do), with a stray row per
    # ten opportunities that the connector saw deleted.
    copy_out(
        con,
        f"""select sf_new_id('{p["opportunity_history"]}', opportunity_id || changed_at::varchar) as id,
            {ref("opportunity", "opportunity_id")} as opportunity_id,
            iso(changed_at) as created_date, {_label("stage_name", STAGE_LABELS)} as stage_name,
            amount, round(probability * 100, 4) as probability, false as is_deleted,
            false as _fivetran_deleted, {synced}
        from sales_opportunity_stage_history
        union all
        select sf_new_id('{p["opportunity_history"]}', 'deleted-' || opportunity_id),
            {own("opportunity", "opportunity_id")}, iso(created_at + interval 1 second),
            'Closed Lost', amount, 0, true, true, {synced}
        from sales_opportunities where md5_number(opportunity_id) % 10 = 0
        order by id""",
        out / "opportunity_history.parquet",
    )
    copy_out(
        con,
        f"""select {own("quote", "quote_id")} as id,
            {ref("opportunity", "opportunity_id")} as opportunity_id,
            iso(sent_at) as created_date, amount as grand_total, currency as currency_iso_code,
            {_label("status", QUOTE_STATUSES)} as status, iso(signed_at) as signed_date_c,
            false as is_deleted, false as _fivetran_deleted, {synced}
        from sales_quotes order by id""",
        out / "quote.csv",
    )
    copy_out(
        con,
        f"""select {own("campaign", "campaign_id")} as id, campaign_name as name,
            {_label("channel", CHANNEL_LABELS)} as type,
            strftime(started_on, '%Y-%m-%d') as start_date,
            strftime(ended_on, '%Y-%m-%d') as end_date, budget_amount as budgeted_cost,
            currency as currency_iso_code, false as is_deleted, false as _fivetran_deleted,
            {synced}
        from marketing_campaigns order by id""",
        out / "campaign.csv",
    )
    for obj, table in [
        ("user", "sales/users"),
        ("account", "sales/accounts"),
        ("contact", "sales/contacts"),
        ("opportunity", "sales/opportunities"),
        ("quote", "sales/quotes"),
        ("campaign", "marketing/campaigns"),
    ]:
        record_ids(
            con,
            TOOL,
            obj,
            table,
            f"select sf_id as tool_id, contract_id from sf_ids where object = '{obj}'",
        )
    record_ids(
        con,
        TOOL,
        "lead",
        "marketing/leads",
        f"select distinct {lead_id_sql('converted_from_lead_id')} as tool_id, "
        "converted_from_lead_id as contract_id from sales_contacts "
        "where converted_from_lead_id is not null",
    )
