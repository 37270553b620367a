"""Write a company's billing tables as Fivetran's Stripe connector lands them.

Reads the contract views (`finance_customers`, `finance_plans`, `finance_subscription_events`,
`finance_invoices`, `finance_invoice_lines`: the current row of each key) and writes each
connector table into `out` (CSV; invoice lines as Parquet), with the shapes and messes of a
real sync:

- lower-case API field names, `_fivetran_synced`, `_fivetran_deleted`;
- amounts as integers in the currency's minor unit, currencies as lower-case ISO codes;
- API timestamps as unix seconds, the connector's own history columns as ISO text;
- the subscription's changes as history-mode versions: `subscription_history` (status,
  customer, discount, metadata, cancellation details) and `subscription_item_history` (price
  and seats, one version per change of either); events of one subscription at one instant
  are versions a millisecond apart, in event order;
- records a preset must drop: deleted duplicate customers, deleted draft invoices, a deleted
  subscription and `incomplete` versions before a subscription's first payment.

Ids stay the contract's, except the subscription events: the connector has no event record,
so `revops/presets/stripe.yml` names each event `<subscription id>:<version start>`; the
writer adds those names and the contract's event ids to the temp table `connector_id_map`.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from revops.generator.connectors.ids import SYNCED_AT, copy_out, register

# ISO 4217 currencies Stripe bills without a minor unit (an amount of 5000 JPY is 5000 yen);
# revops/presets/stripe.yml divides by 1 for these and by 100 for every other currency.
ZERO_DECIMAL_CURRENCIES = (
    "bif",
    "clp",
    "djf",
    "gnf",
    "jpy",
    "kmf",
    "krw",
    "mga",
    "pyg",
    "rwf",
    "ugx",
    "vnd",
    "vuv",
    "xaf",
    "xof",
    "xpf",
)

# The contract's churn reasons as Stripe's cancellation feedback (the preset's inverse also
# reads Stripe's other values: low_quality and too_complex are `product`).
FEEDBACK_OF_REASON = {
    "price": "too_expensive",
    "product": "missing_features",
    "competitor": "switched_service",
    "budget": "unused",
    "support": "customer_service",
    "other": "other",
}

_ZERO_DECIMAL_SQL = ", ".join(f"'{c}'" for c in ZERO_DECIMAL_CURRENCIES)
_FEEDBACK_SQL = " ".join(f"when '{r}' then '{f}'" for r, f in FEEDBACK_OF_REASON.items())
# The last instant of an open history version, as Fivetran writes it.
_OPEN_END = "'9999-12-31T23:59:59.999Z'"


def _minor(amount: str, currency: str) -> str:
    """SQL: a decimal amount as an integer count of the currency's minor unit."""
    return (
        f"cast(round(cast({amount} as decimal(18, 2)) * case when lower({currency}) in "
        f"({_ZERO_DECIMAL_SQL}) then 1 else 100 end) as bigint)"
    )


def _unix(ts: str) -> str:
    """SQL: a timestamp as unix seconds (null stays null)."""
    return f"cast(epoch(cast({ts} as timestamptz)) as bigint)"


def _unix_date(date: str) -> str:
    """SQL: a calendar date as the unix seconds of its UTC midnight."""
    return f"cast(epoch(cast(cast({date} as date) as timestamp) at time zone 'UTC') as bigint)"


def _iso_ms(ts: str) -> str:
    return f"strftime(timezone('UTC', {ts}), '%Y-%m-%dT%H:%M:%S.%gZ')"


def write(con: duckdb.DuckDBPyConnection, out: Path) -> None:
    """Write the Stripe connector tables of the company in the contract views into `out`."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    con.execute("set TimeZone = 'UTC'")
    fivetran = f"'{SYNCED_AT}' as _fivetran_synced"
    register(con)
    _crm_ids(con)

    acquisition = _column_or_null(con, "finance_customers", "acquisition_channel")
    account_ref = _crm_ref("crm_account_id", "sales/accounts")
    copy_out(
        con,
        f"""
        with live as (
            select
                customer_id as id, email, name, lower(currency) as currency,
                {_unix("created_at")} as created, country_code as address_country,
                to_json({{
                    'salesforce_account_id': {account_ref},
                    'acquisition_channel': nullif(trim({acquisition}), '')
                }}) as metadata,
                false as _fivetran_deleted,
                row_number() over (order by customer_id) as n
            from finance_customers
        )
        select * exclude (n), {fivetran} from live
        union all by name
        -- every 20th customer was also created twice by mistake and the copy deleted
        select * exclude (n) replace (
                'cus_deleted_' || lpad(cast(n as varchar), 5, '0') as id,
                true as _fivetran_deleted
            ), {fivetran}
        from live where n % 20 = 0
        order by id
        """,
        out / "customer.csv",
    )
    copy_out(
        con,
        f"""
        select distinct
            'prod_' || regexp_replace(lower(product_name), '[^a-z0-9]+', '_', 'g') as id,
            product_name as name, true as active, false as _fivetran_deleted, {fivetran}
        from finance_plans
        order by id
        """,
        out / "product.csv",
    )
    copy_out(
        con,
        f"""
        select
            plan_id as id,
            'prod_' || regexp_replace(lower(product_name), '[^a-z0-9]+', '_', 'g') as product_id,
            lower(currency) as currency, {_minor("unit_amount", "currency")} as unit_amount,
            'recurring' as type, billing_interval as recurring_interval,
            1 as recurring_interval_count, true as active,
            false as _fivetran_deleted, {fivetran}
        from finance_plans
        order by id
        """,
        out / "price.csv",
    )
    _write_subscriptions(con, out, fivetran)
    copy_out(
        con,
        f"""
        with invoices as (
            select *, row_number() over (order by invoice_id) as n from finance_invoices
        ),
        live as (
            select
                invoice_id as id, customer_id, subscription_id, lower(currency) as currency,
                {_unix("issued_at")} as created, {_unix("due_at")} as due_date,
                {_unix_date("period_start")} as period_start,
                {_unix_date("period_end")} as period_end,
                {_minor("subtotal", "currency")} as subtotal,
                {_minor("total", "currency")} as total,
                {_minor("total", "currency")} as amount_due,
                {_minor("amount_paid", "currency")} as amount_paid,
                {_minor("total", "currency")} - {_minor("amount_paid", "currency")}
                    as amount_remaining,
                case when coalesce(cast(discount_amount as decimal(18, 2)), 0) = 0 then '[]'
                    else to_json([{{
                        'amount': {_minor("discount_amount", "currency")},
                        'discount': 'di_' || invoice_id
                    }}])
                end as total_discount_amounts,
                status, {_unix("paid_at")} as status_transitions_paid_at,
                n
            from invoices
        )
        select * exclude (n), false as _fivetran_deleted, {fivetran} from live
        union all by name
        -- every 25th invoice had a draft that was deleted before it was finalized
        select * exclude (n) replace (
                id || '_draft' as id, 'draft' as status, 0 as amount_paid,
                total as amount_remaining, null as status_transitions_paid_at
            ), true as _fivetran_deleted, {fivetran}
        from live where n % 25 = 0
        order by id
        """,
        out / "invoice.csv",
    )
    copy_out(
        con,
        f"""
        select
            lines.invoice_line_id as id, lines.invoice_id, lines.subscription_id,
            lines.plan_id as price_id, lines.plan_id, cast(lines.quantity as bigint) as quantity,
            {_minor("lines.amount", "invoices.currency")} as amount,
            lower(invoices.currency) as currency,
            {_unix_date("lines.period_start")} as period_start,
            {_unix_date("lines.period_end")} as period_end,
            cast(lines.is_proration as boolean) as proration,
            'subscription' as type, false as _fivetran_deleted, {fivetran}
        from finance_invoice_lines as lines
        left join finance_invoices as invoices on lines.invoice_id = invoices.invoice_id
        order by id
        """,
        out / "invoice_line_item.parquet",
    )


def _crm_ids(con: duckdb.DuckDBPyConnection) -> None:
    """The CRM tool's id of each contract account and opportunity, where a CRM writer ran
    before (Salesforce first): Stripe metadata holds the CRM's ids, not the contract's."""
    con.execute(
        """
        create or replace temp table _stripe_crm_ids as
        select contract_table, contract_id, arg_min(tool_id, tool <> 'salesforce') as tool_id
        from connector_id_map
        where contract_table in ('sales/accounts', 'sales/opportunities')
        group by all
        """
    )


def _crm_ref(column: str, contract_table: str) -> str:
    """SQL: the CRM id a Stripe metadata field holds for the contract id in `column`: the
    CRM's own id (one in three pasted in Salesforce's 15-character form), else the
    contract id as it is."""
    return (
        f"coalesce((select sf_ref(tool_id) from _stripe_crm_ids where contract_table = "
        f"'{contract_table}' and contract_id = {column}), nullif(trim({column}), ''))"
    )


def _column_or_null(con: duckdb.DuckDBPyConnection, view: str, column: str) -> str:
    """The column where the view has it (an optional contract column), else null."""
    present = {row[0] for row in con.execute(f"describe {view}").fetchall()}
    return column if column in present else "cast(null as varchar)"


def _write_subscriptions(con: duckdb.DuckDBPyConnection, out: Path, fivetran: str) -> None:
    churn_reason = _column_or_null(con, "finance_subscription_events", "churn_reason")
    churn_feedback = _column_or_null(con, "finance_subscription_events", "churn_feedback")
    opportunity_ref = _crm_ref("crm_opportunity_id", "sales/opportunities")
    # Each event is a version of the subscription; events at one instant are spread a
    # millisecond apart in event_id order, so the versions keep the contract's order.
    con.execute(
        """
        create or replace temp table _stripe_versions as
        with events as (
            select
                *,
                cast(occurred_at as timestamptz) as occurred,
                row_number() over (partition by subscription_id order by
                    cast(occurred_at as timestamptz), event_id) as version_no,
                row_number() over (partition by subscription_id, cast(occurred_at as timestamptz)
                    order by event_id) - 1 as same_instant_no
            from finance_subscription_events
        ),
        versions as (
            select
                *,
                occurred + to_milliseconds(same_instant_no) as valid_from,
                lead(occurred + to_milliseconds(same_instant_no)) over by_sub as valid_to,
                lag(plan_id) over by_sub as previous_plan_id,
                lag(quantity) over by_sub as previous_quantity,
                min(occurred) over (partition by subscription_id) as first_at
            from events
            window by_sub as (partition by subscription_id order by version_no)
        )
        select * from versions
        """
    )
    copy_out(
        con,
        f"""
        with live as (
            select
                subscription_id as id, customer_id, status,
                {_unix("first_at")} as created, {_unix("first_at")} as start_date,
                case when status = 'canceled' then {_unix("occurred")} end as canceled_at,
                case when status = 'canceled' then {_unix("occurred")} end as ended_at,
                false as cancel_at_period_end,
                to_json({{
                    'salesforce_opportunity_id': {opportunity_ref}
                }}) as metadata,
                case when coalesce(cast(discount_pct as decimal(9, 4)), 0) <> 0
                    then to_json({{
                        'id': 'di_' || subscription_id,
                        'coupon': {{'id': 'co_' || cast(cast(discount_pct as decimal(9, 4))
                            as varchar), 'percent_off': cast(discount_pct as double)}}
                    }})
                end as discount,
                case when status = 'canceled' then case {churn_reason} {_FEEDBACK_SQL} end
                end as cancellation_details_feedback,
                case when status = 'canceled' then {churn_feedback} end
                    as cancellation_details_comment,
                {_iso_ms("valid_from")} as _fivetran_start,
                coalesce({_iso_ms("valid_to - interval 1 millisecond")}, {_OPEN_END})
                    as _fivetran_end,
                valid_to is null as _fivetran_active,
                false as _fivetran_deleted,
                version_no,
                dense_rank() over (order by subscription_id) as sub_no
            from _stripe_versions
        )
        select * exclude (version_no, sub_no), {fivetran} from live
        union all by name
        -- every 10th subscription waited a few seconds in `incomplete` for its first payment
        select * exclude (version_no, sub_no) replace (
                'incomplete' as status,
                {_iso_ms("to_timestamp(created) - interval 5 second")} as _fivetran_start,
                {_iso_ms("to_timestamp(created) - interval 1 millisecond")} as _fivetran_end,
                false as _fivetran_active
            ), {fivetran}
        from live where version_no = 1 and sub_no % 10 = 0
        union all by name
        -- and one subscription was created against a test customer and deleted
        select * exclude (version_no, sub_no) replace (
                'sub_deleted_' || id as id, true as _fivetran_deleted
            ), {fivetran}
        from live where sub_no = 1
        order by id, _fivetran_start
        """,
        out / "subscription_history.csv",
    )
    # The item changes only with price or seats: a status, discount or metadata change is a
    # subscription version with no item version at that instant.
    copy_out(
        con,
        f"""
        with changes as (
            select
                *,
                lead(valid_from) over (partition by subscription_id order by valid_from)
                    as next_from
            from _stripe_versions
            where version_no = 1
                or plan_id is distinct from previous_plan_id
                or quantity is distinct from previous_quantity
        )
        select
            'si_' || subscription_id as id, subscription_id, plan_id as price_id, plan_id,
            cast(quantity as bigint) as quantity, {_unix("first_at")} as created,
            {_iso_ms("valid_from")} as _fivetran_start,
            coalesce({_iso_ms("next_from - interval 1 millisecond")}, {_OPEN_END})
                as _fivetran_end,
            next_from is null as _fivetran_active,
            false as _fivetran_deleted, {fivetran}
        from changes
        order by id, _fivetran_start
        """,
        out / "subscription_item_history.csv",
    )
    con.execute(
        """
        insert into connector_id_map
        select
            'stripe', 'subscription_history',
            subscription_id || ':' || strftime(timezone('UTC', valid_from), '%Y%m%d%H%M%S%g'),
            'finance/subscription_events', event_id
        from _stripe_versions
        order by all
        """
    )
