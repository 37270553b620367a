"""The Stripe and Zendesk presets (revops/presets/stripe.yml, zendesk.yml) and their writers.

Hand-checked rows from the small connector tables in tests/fixtures/connectors/, and a round
trip: a generated company's contract tables -> the connector layout the writers give ->
the presets -> the same contract rows (no refresh: compared in DuckDB)."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest

from revops.contract import TABLES_BY_NAME
from revops.generator import generate
from revops.generator.connectors import ID_MAP, contract_views, write_connector_layout
from revops.generator.connectors.stripe import ZERO_DECIMAL_CURRENCIES
from revops.landing_mapping import MappingError, land, parse_mapping, preset_path

FIXTURES = Path(__file__).parent / "fixtures" / "connectors"
STRIPE_TABLES = (
    "finance/customers",
    "finance/plans",
    "finance/subscription_events",
    "finance/invoices",
    "finance/invoice_lines",
)
ZENDESK_TABLES = ("success/tickets",)


def _landed(landing: Path, table: str, preset: str) -> list[dict[str, str]]:
    """The landed rows of one table, as text, in key order."""
    con = duckdb.connect()
    relation = con.execute(
        f"select * from read_csv('{landing / table / preset}.csv', all_varchar=true)"
    )
    names = [d[0] for d in relation.description]
    return [dict(zip(names, row, strict=True)) for row in relation.fetchall()]


def test_stripe_preset_lands_hand_checked_rows(tmp_path: Path) -> None:
    landed = land(preset_path("stripe"), tmp_path, source_dir=FIXTURES / "stripe")
    assert sorted(t.table for t in landed) == sorted(STRIPE_TABLES)

    customers = {r["customer_id"]: r for r in _landed(tmp_path, "finance/customers", "stripe")}
    assert set(customers) == {"cus_A", "cus_B"}  # cus_X is _fivetran_deleted
    # from metadata, a Salesforce id pasted in its 15-character form: brought to 18, the
    # checksum saying which characters of each 5 are upper case (AbCdE: 1 + 4 + 16 = V)
    assert customers["cus_A"]["crm_account_id"] == "0015e00000AbCdEAAV"
    assert customers["cus_A"]["created_at"] == "2025-01-01T00:00:00+00:00"  # unix 1735689600
    assert customers["cus_B"]["crm_account_id"] is None
    assert customers["cus_B"]["created_at"] == "2025-01-05T11:00:00+00:00"  # ISO at +01:00
    assert customers["cus_B"]["currency"] == "EUR"

    plans = {r["plan_id"]: r for r in _landed(tmp_path, "finance/plans", "stripe")}
    assert (plans["price_pro_usd"]["unit_amount"], plans["price_pro_usd"]["billing_interval"]) == (
        "50.00",
        "month",
    )
    assert plans["price_pro_eur_year"]["billing_interval"] == "year"

    invoices = {r["invoice_id"]: r for r in _landed(tmp_path, "finance/invoices", "stripe")}
    assert set(invoices) == {"in_1", "in_2"}  # the deleted draft in_3 is left out
    # 12345 cents of USD; the discount is the sum of total_discount_amounts
    assert [invoices["in_1"][c] for c in ("subtotal", "discount_amount", "total")] == [
        "500.00",
        "376.55",
        "123.45",
    ]
    assert invoices["in_1"]["paid_at"] == "2025-01-20T08:00:00+00:00"
    assert invoices["in_1"]["period_end"] == "2025-02-01"
    assert [invoices["in_2"][c] for c in ("total", "amount_paid", "status", "paid_at")] == [
        "1152.00",
        "1000.00",
        "open",
        None,
    ]
    lines = {r["invoice_line_id"]: r for r in _landed(tmp_path, "finance/invoice_lines", "stripe")}
    assert set(lines) == {"il_1", "il_2"}  # il_3 belongs to the deleted invoice
    assert (lines["il_2"]["unit_amount"], lines["il_2"]["amount"]) == ("480.00", "1440.00")

    events = [
        (
            r["event_id"],
            r["occurred_at"],
            r["event_type"],
            r["status"],
            r["quantity"],
            r["discount_pct"],
            r["churn_reason"],
        )
        for r in _landed(tmp_path, "finance/subscription_events", "stripe")
    ]
    # sub_1: the incomplete version is skipped; the seat upgrade (item 10 -> 15) and the
    # failed payment share one second, in version order; sub_3 is deleted
    assert events == [
        ("sub_1:20250101000005000", "2025-01-01T00:00:05+00:00", "created", "active", "10", None, None),
        ("sub_1:20250301000000000", "2025-03-01T00:00:00+00:00", "updated", "active", "15", None, None),
        ("sub_1:20250301000000001", "2025-03-01T00:00:00+00:00", "updated", "past_due", "15", None, None),
        ("sub_1:20250601000000000", "2025-06-01T00:00:00+00:00", "canceled", "canceled", "15", None, "price"),
        ("sub_1:20250701000000000", "2025-07-01T00:00:00+00:00", "reactivated", "active", "15", None, None),
        ("sub_2:20250105110000000", "2025-01-05T11:00:00+00:00", "created", "trialing", "3", None, None),
        ("sub_2:20250119110000000", "2025-01-19T11:00:00+00:00", "updated", "active", "3", "20.0000", None),
    ]  # fmt: skip
    by_id = {r["event_id"]: r for r in _landed(tmp_path, "finance/subscription_events", "stripe")}
    assert by_id["sub_1:20250601000000000"]["churn_feedback"] == "We found a cheaper tool"
    assert by_id["sub_1:20250701000000000"]["crm_opportunity_id"] == "006Y"
    # the two events of one second are ordered by their ids alone: the landing says so
    (events_landed,) = [t for t in landed if t.table == "finance/subscription_events"]
    assert events_landed.warnings


def test_stripe_preset_reads_zero_decimal_currencies_without_a_minor_unit() -> None:
    """The invoice amounts of the preset on JPY and the other zero-decimal currencies (which
    the contract's currency list would then refuse to land): 5000 JPY is 5000."""
    mapping = parse_mapping(preset_path("stripe"))
    (invoices,) = [t for t in mapping.tables if t.table.name == "invoices"]
    con = duckdb.connect()
    rows = [("jpy", "5000"), ("usd", "12345"), ("EUR", "99")] + [
        (c, "700") for c in ZERO_DECIMAL_CURRENCIES
    ]
    con.execute(
        "create table invoice as select * from (values "
        + ", ".join(f"('{c}', '{a}', 'false')" for c, a in rows)
        + ") as t(currency, total, _fivetran_deleted)"
    )
    totals = con.execute(
        f"select currency, cast({invoices.columns['total'].value} as double) "
        f"from {invoices.from_clause.value}"
    ).fetchall()
    assert totals[:3] == [("jpy", 5000.0), ("usd", 123.45), ("EUR", 0.99)]
    assert {t for c, t in totals[3:]} == {700.0}


def test_a_quarterly_stripe_price_is_refused_by_name_and_nothing_lands(tmp_path: Path) -> None:
    source = tmp_path / "stripe"
    shutil.copytree(FIXTURES / "stripe", source)
    prices = (source / "price.csv").read_text().replace("month,1,", "month,3,")
    (source / "price.csv").write_text(prices)
    with pytest.raises(MappingError) as error:
        land(preset_path("stripe"), tmp_path / "landing", source_dir=source)
    message = str(error.value)
    assert "preset stripe" in message and "billing_interval" in message
    assert "month x3" in message
    assert not (tmp_path / "landing" / "finance").exists()


def test_zendesk_preset_lands_hand_checked_rows(tmp_path: Path) -> None:
    land(preset_path("zendesk"), tmp_path, source_dir=FIXTURES / "zendesk")
    tickets = {r["ticket_id"]: r for r in _landed(tmp_path, "success/tickets", "zendesk")}
    assert set(tickets) == {"T1", "T2", "T3"}  # T4 status deleted, T5 _fivetran_deleted
    t1, t2, t3 = tickets["T1"], tickets["T2"], tickets["T3"]
    # T1: the agent's move to open at 10:30 is an assignment, pending at 12:00 the reply
    assert (t1["account_id"], t1["requester_email"]) == ("001A", "ann@acme.com")
    assert (t1["first_response_at"], t1["solved_at"]) == (
        "2025-02-01T12:00:00+00:00",
        "2025-02-03T10:00:00+00:00",
    )
    assert (t1["status"], t1["csat_score"]) == ("closed", "5")  # good
    # T2: solved without a reply first (the solve is the response), reopened, solved again
    assert (t2["first_response_at"], t2["solved_at"]) == (
        "2025-02-02T09:45:00+00:00",
        "2025-02-04T09:00:00+00:00",
    )
    assert (t2["account_id"], t2["csat_score"]) == (None, "1")  # bad
    # T3: only the requester touched it; the survey offered, a good rating deleted
    assert (t3["first_response_at"], t3["solved_at"], t3["csat_score"]) == (None, None, None)
    # CSAT as the KPI counts it: share of scores 4-5 among solved tickets with a score
    scores = [int(t["csat_score"]) for t in tickets.values() if t["solved_at"] and t["csat_score"]]
    assert sum(s >= 4 for s in scores) / len(scores) == 0.5


def _contract_rows(con: duckdb.DuckDBPyConnection, table: str) -> str:
    """SQL over a contract view: the contract columns the KPIs read, normalised the way
    staging reads them (no discount = 0; a CSAT score as satisfied or not)."""
    contract = TABLES_BY_NAME[table.replace("/", "__")]
    view = f"{contract.system}_{contract.name}"
    present = {r[0] for r in con.execute(f"describe {view}").fetchall()}
    select = []
    for column in contract.all_columns():
        value = column if column in present else "null"
        if column == "updated_at":
            continue  # the connectors keep their own update stamps
        if column == "discount_pct":
            value = f"coalesce({value}, 0)"
        if column == "csat_score":
            value = f"case when {value} between 1 and 5 then {value} >= 4 end"
        select.append(f"{value} as {column}")
    return f"select {', '.join(select)} from {view}"


@pytest.fixture(scope="module")
def round_trip(tmp_path_factory: pytest.TempPathFactory):
    """A generated xs company, its connector layout, and that layout landed by the presets:
    (connector folder, a connection holding the contract rows of both in `original.*` and
    `relanded.*`, one table per contract table)."""
    root = tmp_path_factory.mktemp("billing_round_trip")
    generate(root / "contract", scale="xs", seed=11)
    write_connector_layout(root / "contract", root / "connectors")
    for tool in ("stripe", "zendesk"):
        land(preset_path(tool), root / "landed", source_dir=root / "connectors" / tool)
    con = duckdb.connect()
    for database, landing in (("original", root / "contract"), ("relanded", root / "landed")):
        con.execute(f"attach ':memory:' as {database}")
        con.execute(f"use {database}")
        contract_views(con, landing)
        for table in STRIPE_TABLES + ZENDESK_TABLES:
            name = table.replace("/", "__")
            con.execute(f"create table {name} as {_contract_rows(con, table)}")
    # Back to contract ids where the tools have their own: the connector has no event
    # record (the preset names events by version), and the CRM references are the CRM
    # tool's ids; the writers recorded which contract record each id is.
    con.execute(
        f"create table id_map as select * from read_csv('{root / 'connectors' / ID_MAP}', "
        "all_varchar=true)"
    )
    for table, column, contract_table in (
        ("finance__subscription_events", "event_id", "finance/subscription_events"),
        ("finance__subscription_events", "crm_opportunity_id", "sales/opportunities"),
        ("finance__customers", "crm_account_id", "sales/accounts"),
        ("success__tickets", "account_id", "sales/accounts"),
    ):
        con.execute(
            f"update relanded.{table} as t set {column} = id_map.contract_id from id_map "
            f"where id_map.contract_table = '{contract_table}' and id_map.tool_id = t.{column}"
        )
    yield root / "connectors", con
    con.close()


@pytest.mark.parametrize("table", STRIPE_TABLES + ZENDESK_TABLES)
def test_writer_then_preset_gives_back_the_contract_rows(round_trip, table: str) -> None:
    connectors, con = round_trip
    name = table.replace("/", "__")
    expected = con.execute(f"select count(*) from original.{name}").fetchone()[0]
    missing = con.execute(
        f"select * from original.{name} except all select * from relanded.{name} limit 5"
    ).fetchall()
    extra = con.execute(
        f"select * from relanded.{name} except all select * from original.{name} limit 5"
    ).fetchall()
    assert expected > 0
    assert (missing, extra) == ([], [])


def test_connector_layout_holds_the_messes_the_presets_remove(round_trip) -> None:
    connectors, con = round_trip

    def count(path: Path, where: str) -> int:
        return con.execute(
            f"select count(*) from read_csv('{path}', all_varchar=true) where {where}"
        ).fetchone()[0]

    stripe, zendesk = connectors / "stripe", connectors / "zendesk"
    assert count(stripe / "customer.csv", "_fivetran_deleted = 'true'") > 0
    assert count(stripe / "invoice.csv", "_fivetran_deleted = 'true'") > 0
    assert count(stripe / "subscription_history.csv", "status = 'incomplete'") > 0
    assert count(stripe / "invoice.csv", "currency <> lower(currency)") == 0
    assert count(zendesk / "ticket.csv", "status = 'deleted'") > 0
    # reopened tickets: solved more than once in the status history
    assert (
        count(
            zendesk / "ticket_field_history.csv",
            "value = 'solved' and ticket_id in (select ticket_id from read_csv("
            f"'{zendesk / 'ticket_field_history.csv'}', all_varchar=true) "
            "where value = 'solved' group by ticket_id having count(*) > 1)",
        )
        > 0
    )
