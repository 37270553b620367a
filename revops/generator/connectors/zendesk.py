"""Write a company's help-desk tickets as Fivetran's Zendesk Support connector lands them.

Reads the contract view `success_tickets` (and `sales_accounts` for organization names) and
writes `ticket`, `user`, `organization`, `ticket_field_history` (CSV) and
`satisfaction_rating` (JSONL) into `out`, as a sync has them:

- the requester is a `user` (role end-user) found by e-mail; answers come from agents;
- the CRM account is the `organization` whose `external_id` is the account id;
- response and solve times exist only as the status history: `new` at creation (by the
  requester), `pending` at the first response (by the agent: a reply that waits for the
  requester), `solved` at the solve (by the agent), then `closed` or, for a ticket the
  requester answered again, `open`; every 6th solved ticket was solved once before, then
  reopened by the requester, so only the last `solved` is the solve;
- CSAT is Zendesk's good/bad rating: a contract score of 4-5 is `good`, 1-3 `bad`, and a
  score outside 1-5 (which no KPI counts) a survey `offered` but not answered;
- records a preset must drop: deleted tickets (status `deleted`, or `_fivetran_deleted`),
  deleted ratings on tickets that have none.

Ids stay the contract's ticket ids; users and organizations get Zendesk's integer ids.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from revops.generator.connectors.ids import SYNCED_AT, copy_out

AGENTS = 5  # agents answering the tickets (user ids 1..AGENTS)
_REQUESTER_BASE = 100000  # end-user ids start above the agents
_ORGANIZATION_BASE = 360000


def _iso(ts: str) -> str:
    return f"strftime(timezone('UTC', cast({ts} as timestamptz)), '%Y-%m-%dT%H:%M:%SZ')"


def _has(con: duckdb.DuckDBPyConnection, view: str, column: str | None = None) -> bool:
    found = con.execute(
        "select count(*) from information_schema.columns where table_name = ?"
        + (" and column_name = ?" if column else ""),
        [view, column] if column else [view],
    ).fetchone()[0]
    return found > 0


def write(con: duckdb.DuckDBPyConnection, out: Path) -> None:
    """Write the Zendesk connector tables of the company in the contract views into `out`."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    con.execute("set TimeZone = 'UTC'")
    updated = (
        "cast(updated_at as timestamptz)"
        if _has(con, "success_tickets", "updated_at")
        else "cast(null as timestamptz)"
    )
    account_name = (
        "(select any_value(account_name) from sales_accounts "
        "where sales_accounts.account_id = accounts.account_id)"
        if _has(con, "sales_accounts", "account_name")
        else "accounts.account_id"
    )
    con.execute(
        f"""
        create or replace temp table _zendesk_tickets as
        with tickets as (
            select
                ticket_id, nullif(trim(account_id), '') as account_id, requester_email,
                cast(created_at as timestamptz) as created_at,
                cast(first_response_at as timestamptz) as first_response_at,
                cast(solved_at as timestamptz) as solved_at,
                priority, status, cast(csat_score as bigint) as csat_score,
                coalesce({updated}, cast(solved_at as timestamptz),
                    cast(created_at as timestamptz)) as updated_at,
                row_number() over (order by ticket_id) as n
            from success_tickets
        ),
        requesters as (
            select requester_email, {_REQUESTER_BASE} + row_number() over (
                order by requester_email) as user_id
            from (select distinct requester_email from tickets where requester_email is not null)
        ),
        accounts as (
            select account_id, {_ORGANIZATION_BASE} + row_number() over (
                order by account_id) as organization_id
            from (select distinct account_id from tickets where account_id is not null)
        )
        select
            tickets.*, requesters.user_id as requester_id, accounts.organization_id,
            1 + (tickets.n % {AGENTS}) as assignee_id
        from tickets
        left join requesters using (requester_email)
        left join accounts using (account_id)
        """
    )
    fivetran = f"'{SYNCED_AT}' as _fivetran_synced"

    copy_out(
        con,
        f"""
        with live as (
            select
                ticket_id as id, {_iso("created_at")} as created_at,
                {_iso("updated_at")} as updated_at, 'Support request' as subject,
                status, priority, requester_id, requester_id as submitter_id, assignee_id,
                organization_id, 'email' as via_channel, false as _fivetran_deleted, n
            from _zendesk_tickets
        )
        select * exclude (n), {fivetran} from live
        union all by name
        -- spam: every 15th ticket came with a copy an agent deleted (status deleted), every
        -- 40th with one deleted for good, which the connector marks _fivetran_deleted
        select * exclude (n) replace (id || '-spam' as id, 'deleted' as status), {fivetran}
        from live where n % 15 = 0
        union all by name
        select * exclude (n) replace (id || '-purged' as id, true as _fivetran_deleted),
            {fivetran}
        from live where n % 40 = 0
        order by id
        """,
        out / "ticket.csv",
    )
    copy_out(
        con,
        f"""
        select
            agent as id, 'Agent ' || agent as name, 'agent' || agent || '@helpdesk.invalid'
                as email, 'agent' as role, cast(null as bigint) as organization_id,
            false as _fivetran_deleted, {fivetran}
        from range(1, {AGENTS} + 1) as agents(agent)
        union all
        select
            requester_id, split_part(requester_email, '@', 1), requester_email, 'end-user',
            any_value(organization_id order by created_at) filter (
                where organization_id is not null),
            false, {fivetran}
        from _zendesk_tickets where requester_id is not null
        group by requester_id, requester_email
        order by id
        """,
        out / "user.csv",
    )
    copy_out(
        con,
        f"""
        select
            organization_id as id, {account_name} as name,
            -- the CRM integration writes the CRM's own account id (Salesforce first)
            coalesce((
                select arg_min(tool_id, tool <> 'salesforce') from connector_id_map
                where contract_table = 'sales/accounts' and contract_id = accounts.account_id
            ), account_id) as external_id,
            false as _fivetran_deleted, {fivetran}
        from (select distinct account_id, organization_id from _zendesk_tickets
              where account_id is not null) as accounts
        order by id
        """,
        out / "organization.csv",
    )
    copy_out(
        con,
        f"""
        with reopened as (
            -- solved an hour after the first response, reopened by the requester half an
            -- hour later: only where that fits before the final solve
            select * from _zendesk_tickets
            where n % 6 = 0 and first_response_at >= created_at
                and solved_at > first_response_at + interval 2 hour
        ),
        changes as (
            select ticket_id, 'status' as field_name, created_at as updated,
                requester_id as user_id, 'new' as value
            from _zendesk_tickets
            union all
            select ticket_id, 'priority', created_at, requester_id, priority
            from _zendesk_tickets where priority is not null
            union all
            select ticket_id, 'status', first_response_at, assignee_id, 'pending'
            from _zendesk_tickets where first_response_at is not null
            union all
            select ticket_id, 'status', first_response_at + interval 1 hour, assignee_id,
                'solved'
            from reopened
            union all
            select ticket_id, 'status', first_response_at + interval 90 minute, requester_id,
                'open'
            from reopened
            union all
            select ticket_id, 'status', solved_at, assignee_id, 'solved'
            from _zendesk_tickets where solved_at is not null
            union all
            select ticket_id, 'status', greatest(updated_at, solved_at), assignee_id, 'closed'
            from _zendesk_tickets where status = 'closed'
            union all
            select ticket_id, 'status',
                greatest(updated_at, created_at, first_response_at, solved_at), requester_id,
                'open'
            from _zendesk_tickets where status = 'open'
        )
        select ticket_id, field_name, {_iso("updated")} as updated, user_id, value, {fivetran}
        from changes
        order by ticket_id, updated, field_name, value
        """,
        out / "ticket_field_history.csv",
    )
    copy_out(
        con,
        f"""
        with rated as (
            select
                ticket_id, requester_id, assignee_id,
                coalesce(solved_at, created_at) + interval 1 hour as rated_at,
                case when csat_score between 4 and 5 then 'good'
                     when csat_score between 1 and 3 then 'bad'
                     else 'offered' end as score,
                false as _fivetran_deleted
            from _zendesk_tickets where csat_score is not null
            union all
            -- a rating later deleted (with its ticket's survey) on every 12th unrated ticket
            select ticket_id, requester_id, assignee_id, created_at + interval 2 hour, 'good',
                true
            from _zendesk_tickets where csat_score is null and n % 12 = 0
        )
        select
            7000000 + row_number() over (order by ticket_id, _fivetran_deleted) as id,
            ticket_id, score, requester_id, assignee_id,
            {_iso("rated_at")} as created_at, {_iso("rated_at")} as updated_at,
            _fivetran_deleted, {fivetran}
        from rated
        order by id
        """,
        out / "satisfaction_rating.jsonl",
    )
