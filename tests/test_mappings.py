"""Bring your own exports: `revops land --mapping` (revops/landing_mapping.py).

Unit tests: each kind of mapping error names the mapping line, and a failed mapping writes
nothing. End to end: the example mappings of the four real public datasets are landed, two
per workspace (they fill disjoint contract tables, see _landed_and_refreshed), refreshed by
the real Dagster job, and the headline numbers of the published marts are compared with
pandas computations from the ORIGINAL export files that share no code with the mapping or
the models.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from revops.contract import table
from revops.landing_mapping import MappingError, land, parse_mapping
from revops.loading import ContractViolation, load_table

from .conftest import MAPPINGS, Workspace, example_data_dir

# --- unit tests: errors name the mapping line ---------------------------------------------

EXPORT = "id,kind,amount,when\nA1,Gold, 12.50,2024-01-05\nA2,Silver, ,2024-02-07\n"


def _mapping(tmp_path: Path, text: str) -> Path:
    (tmp_path / "export.csv").write_text(EXPORT)
    path = tmp_path / "test_map.yml"
    path.write_text(text)
    return path


def _plans(columns: str) -> str:
    return (
        "name: test_map\n"
        "sources:\n"
        "  export: {file: export.csv}\n"
        "tables:\n"
        "  finance/plans:\n"
        "    columns:\n" + columns
    )


GOOD_COLUMNS = (
    "      plan_id: id\n"  # line 7
    "      product_name: kind\n"  # line 8
    "      billing_interval: 'month'\n"  # line 9
    "      unit_amount: nullif(trim(amount), '')\n"  # line 10
    "      currency: 'USD'\n"  # line 11
)


def _error(tmp_path: Path, text: str, out: Path | None = None) -> str:
    with pytest.raises(MappingError) as error:
        land(_mapping(tmp_path, text), out or tmp_path / "landing")
    return str(error.value)


def test_a_good_mapping_lands_contract_shaped_files(tmp_path):
    landed = land(_mapping(tmp_path, _plans(GOOD_COLUMNS)), tmp_path / "landing")
    assert [(t.table, t.rows) for t in landed] == [("finance/plans", 2)]
    written = tmp_path / "landing/finance/plans/test_map.csv"
    assert written.read_text().splitlines() == [
        "plan_id,product_name,billing_interval,unit_amount,currency",
        "A1,Gold,month,12.50,USD",
        "A2,Silver,month,,USD",
    ]
    manifest = json.loads((tmp_path / "landing/_landing.json").read_text())
    assert manifest["partial"] and manifest["tables"]["finance/plans"]["rows"] == 2


def test_unknown_export_column_names_the_line(tmp_path):
    message = _error(
        tmp_path, _plans(GOOD_COLUMNS.replace("product_name: kind", "product_name: kinds"))
    )
    assert "test_map.yml line 8:" in message
    assert "column 'product_name' of finance/plans" in message
    assert "unknown column 'kinds'" in message and "id, kind, amount, when" in message


def test_expression_that_fails_on_the_data_names_the_line(tmp_path):
    # the Telco trap: a blank amount (" ") cast naively
    broken = GOOD_COLUMNS.replace("nullif(trim(amount), '')", "cast(amount as decimal(18,2))")
    message = _error(tmp_path, _plans(broken))
    assert "test_map.yml line 10:" in message
    assert "column 'unit_amount'" in message and "fails on the data" in message


def test_value_that_is_not_the_contract_type_names_the_line(tmp_path):
    message = _error(tmp_path, _plans(GOOD_COLUMNS.replace("nullif(trim(amount), '')", "kind")))
    assert "test_map.yml line 10:" in message
    assert "not a valid decimal(18,2)" in message and "'Gold'" in message


def test_key_that_is_not_unique_names_the_line(tmp_path):
    message = _error(tmp_path, _plans(GOOD_COLUMNS.replace("plan_id: id", "plan_id: 'same'")))
    assert "test_map.yml line 7:" in message
    assert "(plan_id) of finance/plans" in message and "is not unique" in message
    assert "same (2 rows)" in message


def test_null_key_names_the_line(tmp_path):
    nulled = GOOD_COLUMNS.replace("plan_id: id", "plan_id: nullif(id, 'A2')")
    message = _error(tmp_path, _plans(nulled))
    assert "test_map.yml line 7:" in message and "null on 1 row(s)" in message


def test_column_outside_the_contract_names_the_line(tmp_path):
    message = _error(tmp_path, _plans(GOOD_COLUMNS + "      colour: kind\n"))
    assert "test_map.yml line 12:" in message
    assert "'colour' is not a column of contract table finance/plans" in message


def test_unknown_table_and_unmapped_key_name_the_line(tmp_path):
    message = _error(tmp_path, _plans(GOOD_COLUMNS).replace("finance/plans", "finance/plan"))
    assert "test_map.yml line 5:" in message and "'finance/plan' is not a contract table" in message
    message = _error(tmp_path, _plans(GOOD_COLUMNS.replace("      plan_id: id\n", "")))
    assert "test_map.yml line 5:" in message and "key column(s) plan_id are not mapped" in message


def test_failing_where_and_missing_file_name_the_line(tmp_path):
    text = _plans(GOOD_COLUMNS).replace("    columns:\n", "    where: colour = 1\n    columns:\n")
    message = _error(tmp_path, text)
    assert "test_map.yml line 6:" in message and "unknown column 'colour'" in message
    message = _error(tmp_path, _plans(GOOD_COLUMNS).replace("export.csv}", "missing.csv}"))
    assert "test_map.yml line 3:" in message and "no such export file" in message


def test_a_failed_mapping_leaves_the_landing_as_it_was(tmp_path):
    out = tmp_path / "landing"
    land(_mapping(tmp_path, _plans(GOOD_COLUMNS)), out)
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    # a second table that is fine, then one that fails: neither may be written
    text = _plans(GOOD_COLUMNS).replace("finance/plans", "finance/plans_x")
    text = _plans(GOOD_COLUMNS.replace("id\n", "upper(id)\n", 1)) + (
        "  finance/customers:\n    columns:\n      customer_id: 'same'\n"
    )
    _error(tmp_path, text, out)
    after = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    assert after == before, "a failed mapping changed the landing folder"


def test_cli_reports_the_error_and_exits_2(tmp_path):
    mapping = _mapping(tmp_path, _plans(GOOD_COLUMNS.replace("plan_id: id", "plan_id: idx")))
    done = subprocess.run(
        [sys.executable, "-m", "revops.cli", "land", "--mapping", str(mapping)]
        + ["--out", str(tmp_path / "landing")],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 2
    assert "line 7:" in done.stderr and "unknown column 'idx'" in done.stderr
    assert "nothing was written" in done.stderr


def test_a_partial_landing_loads_missing_tables_as_empty(tmp_path):
    out = tmp_path / "landing"
    land(_mapping(tmp_path, _plans(GOOD_COLUMNS)), out)
    con = duckdb.connect()
    assert load_table(con, out, table("finance", "plans")).rows == 2
    result = load_table(con, out, table("sales", "opportunities"))
    assert result.rows == 0 and result.files == []
    columns = [r[0] for r in con.execute("describe raw.sales__opportunities").fetchall()]
    assert columns[:3] == ["opportunity_id", "account_id", "primary_contact_id"]
    # without the manifest (a normal landing) a missing table is still a contract violation
    (out / "_landing.json").unlink()
    with pytest.raises(ContractViolation, match="no landing file"):
        load_table(con, out, table("sales", "opportunities"))


def test_every_example_mapping_parses():
    names = sorted(p.stem for p in MAPPINGS.glob("*.yml"))
    assert names == ["maven_crm", "mrr_playbook", "olist_marketing", "telco_churn"]
    for path in MAPPINGS.glob("*.yml"):
        assert parse_mapping(path, example_data_dir() / path.stem).tables


# --- end to end: the public datasets through the real pipeline ---------------------------


# The two partial-landing workspaces (sales_and_churn, funnel_and_mrr) are session fixtures
# in tests/conftest.py, shared with the dashboard's "why is this n/a" tests.


def _failures(result) -> list[str]:
    lines = [
        f"{e.step_key}: {e.step_failure_data.user_failure_data.description if e.step_failure_data.user_failure_data else e.step_failure_data.error}"
        for e in result.all_events
        if e.event_type_value == "STEP_FAILURE"
    ]
    for e in result.all_events:
        if e.event_type_value == "ASSET_CHECK_EVALUATION":
            evaluation = e.event_specific_data
            if not evaluation.passed and evaluation.severity.value == "ERROR":
                lines.append(f"{evaluation.check_name}: {evaluation.metadata}")
    return lines


def _frame(ws: Workspace, sql: str) -> pd.DataFrame:
    con = duckdb.connect(str(ws.serving), read_only=True)
    try:
        return con.execute(sql).df()
    finally:
        con.close()


def test_partial_landings_refresh_and_publish(sales_and_churn, funnel_and_mrr):
    for ws, result in (sales_and_churn, funnel_and_mrr):
        assert result.success, "\n".join(_failures(result))
        assert ws.serving.exists()


def _csv(*parts: str) -> pd.DataFrame:
    return pd.read_csv(example_data_dir().joinpath(*parts), dtype=str, keep_default_na=False)


def test_maven_crm_win_rate_won_revenue_and_sales_cycle(sales_and_churn):
    ws, _ = sales_and_churn
    pipeline = _csv("maven_crm", "sales_pipeline.csv")
    closed = pipeline[pipeline["deal_stage"].isin(["Won", "Lost"])].copy()
    closed["month"] = pd.to_datetime(closed["close_date"]).dt.to_period("M").dt.to_timestamp()
    closed["won"] = closed["deal_stage"] == "Won"
    won = closed[closed["won"]].copy()
    won["value"] = won["close_value"].astype(float)
    won["cycle"] = (pd.to_datetime(won["close_date"]) - pd.to_datetime(won["engage_date"])).dt.days
    expected = pd.DataFrame(
        {
            "won_count": won.groupby("month").size(),
            "lost_count": closed[~closed["won"]].groupby("month").size(),
            "won_amount_usd": won.groupby("month")["value"].sum(),
            "sales_cycle_days_median": won.groupby("month")["cycle"].median(),
        }
    ).fillna({"lost_count": 0})
    expected["win_rate"] = expected["won_count"] / (expected["won_count"] + expected["lost_count"])

    mart = _frame(ws, "select * from marts.kpi_sales_monthly order by month")
    mart["month"] = pd.to_datetime(mart["month"])
    mart = mart.set_index("month")
    # the spine: first opportunity created (2016-10) to the as-of month
    assert mart.index.min() == pd.Timestamp("2016-10-01")
    for month, row in expected.iterrows():
        got = mart.loc[month]
        assert got["won_count"] == row["won_count"], month
        assert got["lost_count"] == row["lost_count"], month
        assert got["win_rate"] == pytest.approx(row["win_rate"]), month
        assert float(got["won_amount_usd"]) == pytest.approx(row["won_amount_usd"], abs=0.01)
        assert got["sales_cycle_days_median"] == pytest.approx(row["sales_cycle_days_median"])
    # no close outside the file's months, and the headline totals of the whole export
    assert mart["won_count"].sum() == len(won) == 4238
    assert mart["lost_count"].sum() == (pipeline["deal_stage"] == "Lost").sum()
    assert float(mart["won_amount_usd"].sum()) == pytest.approx(won["value"].sum(), abs=0.01)
    total_rate = mart["won_count"].sum() / (mart["won_count"].sum() + mart["lost_count"].sum())
    assert total_rate == pytest.approx(len(won) / len(closed))
    # GTXPro deals survive the product join (list price is only an open deal's amount)
    gtx_pro = won[won["product"] == "GTXPro"]
    assert len(gtx_pro) > 0
    # open deals (Prospecting and Engaging, 163 + 501 with an account) are open at the end
    open_deals = (~pipeline["deal_stage"].isin(["Won", "Lost"])).sum()
    assert mart["open_opportunities"].iloc[-1] == open_deals
    # agents of the team table without deals are never counted anywhere: no owner mart here,
    # but every opportunity is resolved and none is internal
    internal = ws.query(
        "select count(*) from marts.identity_crosswalk where source_table = 'opportunities' "
        "and is_internal"
    )[0][0]
    assert internal == 0


TELCO_SNAPSHOT = pd.Timestamp("2018-01-01")


def test_telco_churn_share_and_mrr(sales_and_churn):
    ws, _ = sales_and_churn
    telco = _csv("telco_churn", "Telco-Customer-Churn.csv")
    telco["tenure"] = telco["tenure"].astype(int)
    telco["charge"] = telco["MonthlyCharges"].astype(float)
    churned = telco["Churn"] == "Yes"
    paying_before = telco["tenure"] >= 1  # started before the snapshot month
    mart = _frame(ws, "select * from marts.kpi_revenue_monthly order by month")
    mart["month"] = pd.to_datetime(mart["month"])
    mart = mart.set_index("month")
    snapshot = mart.loc[TELCO_SNAPSHOT]
    assert snapshot["churned_customers"] == churned.sum() == 1869
    assert float(snapshot["churned_mrr_usd"]) == pytest.approx(-telco.loc[churned, "charge"].sum())
    assert snapshot["logo_churn_rate"] == pytest.approx(churned.sum() / paying_before.sum())
    # the file's own "churn share" counts the 11 tenure-0 customers in the denominator too
    assert churned.mean() == pytest.approx(snapshot["logo_churn_rate"], abs=0.001)
    assert float(snapshot["mrr_usd"]) == pytest.approx(telco.loc[~churned, "charge"].sum())
    assert snapshot["active_customers"] == (~churned).sum()
    assert snapshot["new_customers"] == (telco["tenure"] == 0).sum()
    # every earlier month: the customers that had started, at their current charge
    starts = telco["tenure"].map(lambda t: TELCO_SNAPSHOT - pd.DateOffset(months=t))
    for month in pd.date_range(TELCO_SNAPSHOT - pd.DateOffset(months=72), periods=72, freq="MS"):
        expected = telco.loc[starts <= month, "charge"].sum()
        assert float(mart.loc[month, "mrr_usd"]) == pytest.approx(expected, abs=0.01), month
    assert mart.index.min() == TELCO_SNAPSHOT - pd.DateOffset(months=72)


OLIST_CHANNELS = {
    "organic_search": "organic_search",
    "paid_search": "paid_search",
    "social": "paid_social",
    "display": "paid_social",
    "email": "email",
    "referral": "referral",
    "direct_traffic": "direct",
}


def test_olist_mql_to_won_conversion_by_channel(funnel_and_mrr):
    ws, _ = funnel_and_mrr
    mqls = _csv("olist_marketing", "olist_marketing_qualified_leads_dataset.csv")
    deals = _csv("olist_marketing", "olist_closed_deals_dataset.csv")
    # blank and "unknown" origins are one thing; so are other and other_publicities
    mqls["channel"] = mqls["origin"].map(OLIST_CHANNELS).fillna("unknown")
    mqls["month"] = pd.to_datetime(mqls["first_contact_date"]).dt.to_period("M").dt.to_timestamp()
    won = deals.merge(mqls, on="mql_id", validate="one_to_one")
    won["month"] = pd.to_datetime(won["won_date"]).dt.to_period("M").dt.to_timestamp()
    expected = pd.DataFrame(
        {"mqls": mqls.groupby("channel").size(), "won": won.groupby("channel").size()}
    ).fillna(0)
    expected["conversion"] = expected["won"] / expected["mqls"]

    mart = _frame(
        ws,
        "select channel, sum(leads) as leads, sum(mqls) as mqls, sum(won) as won "
        "from marts.kpi_funnel_monthly group by channel",
    ).set_index("channel")
    assert set(mart.index) == set(expected.index)
    for channel, row in expected.iterrows():
        assert mart.loc[channel, "mqls"] == row["mqls"] == mart.loc[channel, "leads"], channel
        assert mart.loc[channel, "won"] == row["won"], channel
        assert mart.loc[channel, "won"] / mart.loc[channel, "mqls"] == pytest.approx(
            row["conversion"]
        )
    assert mart["won"].sum() == len(deals) == 842
    # by month too: MQLs in the month of first contact, won deals in the month won
    by_month = _frame(ws, "select month, channel, mqls, won from marts.kpi_funnel_monthly")
    by_month["month"] = pd.to_datetime(by_month["month"])
    by_month = by_month.set_index(["month", "channel"])
    for (month, channel), count in mqls.groupby(["month", "channel"]).size().items():
        assert by_month.loc[(month, channel), "mqls"] == count
    for (month, channel), count in won.groupby(["month", "channel"]).size().items():
        assert by_month.loc[(month, channel), "won"] == count
    # the deal won before its first contact is counted, and no duration went negative
    early = won[pd.to_datetime(won["won_date"]) < pd.to_datetime(won["first_contact_date"])]
    assert len(early) == 1


EXPORTED_ON = pd.Timestamp("2019-12-02")


def _playbook_movements() -> pd.DataFrame:
    periods = _csv("mrr_playbook", "subscription_periods.csv")
    periods["start"] = pd.to_datetime(periods["start_date"])
    periods["end"] = pd.to_datetime(periods["end_date"])
    periods["amount"] = periods["monthly_amount"].astype(float)
    # as known on the export date: later periods not yet effective, later ends not yet known
    periods = periods[periods["start"] <= EXPORTED_ON]
    # as the playbook's month spine: periods billing only months before 2018 are left out
    periods = periods[periods["end"] > pd.Timestamp("2018-01-01")]
    periods.loc[periods["end"] > EXPORTED_ON, "end"] = pd.Timestamp("2200-01-01")
    months = pd.date_range(periods["start"].min(), "2019-12-01", freq="MS")
    rows = []
    for customer, own in periods.groupby("customer_id"):
        previous, had = 0.0, False
        for month in months:
            # billed in month M (end exclusive) = still active at the end of M
            current = own.loc[(own["start"] <= month) & (own["end"] > month), "amount"].sum()
            if previous == 0 and current > 0:
                kind = "reactivation" if had else "new"
            elif previous > 0 and current == 0:
                kind = "churn"
            elif 0 < previous < current:
                kind = "expansion"
            elif 0 < current < previous:
                kind = "contraction"
            else:
                kind = "unchanged"
            if previous > 0 or current > 0:
                rows.append((customer, month, current, current - previous, kind))
            had = had or current > 0
            previous = current
    return pd.DataFrame(rows, columns=["customer", "month", "mrr", "moved", "kind"])


def test_mrr_playbook_movements_by_month(funnel_and_mrr):
    ws, _ = funnel_and_mrr
    detail = _playbook_movements()
    mart = _frame(ws, "select * from marts.kpi_revenue_monthly order by month")
    mart["month"] = pd.to_datetime(mart["month"])
    mart = mart.set_index("month")
    # the spine starts at the first month with MRR: the playbook's 2018-01
    assert mart.index.min() == pd.Timestamp("2018-01-01") == detail["month"].min()
    assert mart.index.max() == pd.Timestamp("2019-12-01")
    columns = {
        "new": "new_mrr_usd",
        "expansion": "expansion_mrr_usd",
        "contraction": "contraction_mrr_usd",
        "churn": "churned_mrr_usd",
        "reactivation": "reactivation_mrr_usd",
    }
    moved = detail.pivot_table(index="month", columns="kind", values="moved", aggfunc="sum")
    counts = detail.pivot_table(index="month", columns="kind", values="moved", aggfunc="size")
    for month, row in mart.iterrows():
        assert float(row["mrr_usd"]) == pytest.approx(
            detail.loc[detail["month"] == month, "mrr"].sum()
        ), month
        for kind, column in columns.items():
            expected = moved[kind].get(month, 0) if kind in moved else 0
            assert float(row[column]) == pytest.approx(0 if pd.isna(expected) else expected), (
                month,
                kind,
            )
        expected_new = counts["new"].get(month, 0) if "new" in counts else 0
        assert row["new_customers"] == (0 if pd.isna(expected_new) else expected_new), month
        expected_churn = counts["churn"].get(month, 0)
        assert row["churned_customers"] == (0 if pd.isna(expected_churn) else expected_churn)
    # nobody churns for a period that was still running on the export date (PR #3)
    assert float(mart.loc["2019-12-01", "churned_mrr_usd"]) == pytest.approx(
        moved["churn"].get(pd.Timestamp("2019-12-01"), 0) or 0
    )
    # the published movements are the same per customer and month
    fct = _frame(ws, "select month, movement_type, count(*) as n from marts.fct_mrr group by all")
    fct["month"] = pd.to_datetime(fct["month"])
    assert fct["n"].sum() == len(detail)
    got = fct.set_index(["month", "movement_type"])["n"].sort_index()
    want = detail.groupby(["month", "kind"]).size().sort_index()
    want.index = want.index.set_names(["month", "movement_type"])
    assert got.to_dict() == want.to_dict()


def test_kpis_without_inputs_are_null_or_absent_not_a_crash(sales_and_churn, funnel_and_mrr):
    ws, _ = sales_and_churn
    # no marketing export: the funnel holds only the CRM's opportunities, channel unknown,
    # and no lead-based number (acceptance rate, cost per lead) is made up
    funnel = ws.query(
        "select channel, sum(leads), sum(mqls), sum(opportunities), sum(won), "
        "count(lead_acceptance_rate), count(cost_per_lead_usd) from marts.kpi_funnel_monthly "
        "group by channel"
    )
    assert funnel == [("unknown", 0, 0, 8800, 4238, 0, 0)]
    # no invoices, no expenses, no ad spend: gross margin, LTV, CAC and payback are null
    undefined = ws.query(
        "select count(gross_margin), count(ltv_usd), count(cac_usd), count(cac_payback_months) "
        "from marts.kpi_revenue_monthly"
    )
    assert undefined == [(0, 0, 0, 0)]
    ws, _ = funnel_and_mrr
    assert ws.query("select count(*) from marts.kpi_success_monthly where csat is not null") == [
        (0,)
    ]


def test_the_mapping_files_are_not_changed_by_landing(tmp_path):
    """`revops land` reads the exports in place: the originals are untouched."""
    datasets = example_data_dir()
    before = {p: p.stat().st_mtime_ns for p in datasets.rglob("*.csv")}
    land(MAPPINGS / "mrr_playbook.yml", tmp_path / "landing", datasets / "mrr_playbook")
    assert {p: p.stat().st_mtime_ns for p in datasets.rglob("*.csv")} == before
    shutil.rmtree(tmp_path / "landing")


# --- the contract's rules beyond types: allowed values, references, same-instant events ---

EVENTS_EXPORT = (
    "sub,plan,state,started,ended\n"
    "S1,gold,Active,2024-01-01,2024-01-01\n"  # created and canceled in the same instant
    "S2,gold,Active,2024-01-01,\n"
    "S3,silver,Active,2024-02-01,\n"
)


# The README's old pattern: 'S1:created' sorts after 'S1:canceled'.
UNORDERED_EVENT_ID = "subs.sub || ':' || kind.event_type"


def _events_mapping(
    tmp_path: Path, status: str, plans: str = "", event_id: str = UNORDERED_EVENT_ID
) -> Path:
    """A subscription export landed as created (+ canceled) events, optionally with plans."""
    (tmp_path / "subs.csv").write_text(EVENTS_EXPORT)
    text = (
        "name: subs\n"
        "sources:\n"
        "  subs: {file: subs.csv}\n"
        "tables:\n"
        "  finance/subscription_events:\n"  # line 5
        "    from: subs cross join (values ('created'), ('canceled')) as kind(event_type)\n"
        "    where: kind.event_type = 'created' or subs.ended <> ''\n"
        "    columns:\n"
        f"      event_id: {event_id}\n"  # line 9
        "      subscription_id: subs.sub\n"
        "      customer_id: subs.sub\n"
        "      occurred_at: subs.started\n"  # line 12
        "      event_type: kind.event_type\n"
        "      plan_id: subs.plan\n"  # line 14
        "      quantity: 1\n"
        f"      status: {status}\n"  # line 16
    ) + plans
    path = tmp_path / "subs.yml"
    path.write_text(text)
    return path


ORDERED_STATUS = "case kind.event_type when 'created' then 'active' else 'canceled' end"
GOLD_PLAN_ONLY = (
    "  finance/plans:\n"
    "    from: (select distinct 'gold' as plan) as p\n"
    "    columns:\n"
    "      plan_id: plan\n"
    "      billing_interval: 'month'\n"
    "      unit_amount: 10\n"
    "      currency: 'USD'\n"
)


def test_a_value_outside_the_allowed_ones_names_the_line_and_the_values(tmp_path):
    with pytest.raises(MappingError) as error:
        land(_events_mapping(tmp_path, "subs.state"), tmp_path / "landing")
    message = str(error.value)
    assert "subs.yml line 16:" in message and "column 'status'" in message
    assert "allowed values for status (active, past_due, canceled, trialing)" in message
    assert "on 4 row(s): 'Active' (4 rows)" in message and "lower()" in message
    assert not (tmp_path / "landing" / "finance").exists()


def test_a_reference_to_no_landed_row_names_the_line_the_count_and_examples(tmp_path):
    mapping = _events_mapping(tmp_path, ORDERED_STATUS, GOLD_PLAN_ONLY)
    with pytest.raises(MappingError) as error:
        land(mapping, tmp_path / "landing")
    message = str(error.value)
    assert "subs.yml line 14:" in message and "column 'plan_id'" in message
    assert "1 row(s) where plan_id of finance/subscription_events names no finance/plans" in message
    assert "(landed by this mapping)" in message and "'silver' (1 row)" in message
    assert "land the missing plans" in message


def test_references_are_checked_against_tables_landed_before_and_skipped_when_none_was(
    tmp_path,
):
    out = tmp_path / "landing"
    # no plans anywhere: a partial landing, nothing to check against
    assert land(_events_mapping(tmp_path, ORDERED_STATUS), out)
    # plans landed by another mapping before: checked against those files
    plans = tmp_path / "plans"
    plans.mkdir()
    (plans / "plans.csv").write_text("id\ngold\n")
    (plans / "plans.yml").write_text(
        "sources:\n  p: {file: plans.csv}\ntables:\n  finance/plans:\n    columns:\n"
        "      plan_id: id\n      currency: 'USD'\n"
    )
    land(plans / "plans.yml", out)
    with pytest.raises(MappingError, match=r"line 14:.*\(already in .*\): 1 value\(s\)"):
        land(_events_mapping(tmp_path, ORDERED_STATUS), out)


def test_events_at_the_same_instant_ordered_by_id_alone_warn_and_fail_under_strict(tmp_path):
    # S1 is created and canceled at once; 'S1:created' sorts after 'S1:canceled', so the
    # contract's rule (the larger event_id holds) leaves S1 active for ever
    mapping = _events_mapping(tmp_path, ORDERED_STATUS)
    (landed,) = land(mapping, tmp_path / "landing")
    (warning,) = landed.warnings
    assert "subs.yml line 9: finance/subscription_events: 1 subscription_ids" in warning
    assert "do not sort in the order of event_type (created, then updated or" in warning
    assert "subscription_id 'S1' at 2024-01-01T00:00:00+00:00: S1:canceled < S1:created" in warning
    with pytest.raises(MappingError, match="line 9: .*an error under --strict"):
        land(mapping, tmp_path / "strict", strict=True)
    # ids that sort in event order: no warning
    ordered = (
        "subs.sub || case kind.event_type when 'created' then ':1-created' else ':2-canceled' end"
    )
    (landed,) = land(_events_mapping(tmp_path, ORDERED_STATUS, event_id=ordered), tmp_path / "ok")
    assert landed.warnings == ()


def test_cli_prints_warnings_and_strict_exits_2(tmp_path):
    mapping = _events_mapping(tmp_path, ORDERED_STATUS)
    command = [sys.executable, "-m", "revops.cli", "land", "--mapping", str(mapping), "--out"]
    done = subprocess.run([*command, str(tmp_path / "a")], capture_output=True, text=True)
    assert done.returncode == 0
    assert "warning: " in done.stderr and "--strict makes this an error" in done.stderr
    done = subprocess.run(
        [*command, str(tmp_path / "b"), "--strict"], capture_output=True, text=True
    )
    assert done.returncode == 2 and "line 9:" in done.stderr
    assert not (tmp_path / "b" / "finance").exists()


def test_an_export_that_cannot_be_read_names_the_line_and_the_problem(tmp_path):
    mapping = _mapping(tmp_path, _plans(GOOD_COLUMNS))
    (tmp_path / "export.csv").write_text("")
    with pytest.raises(MappingError) as error:
        land(mapping, tmp_path / "landing")
    assert "test_map.yml line 3:" in str(error.value)
    assert "the file is empty (0 bytes" in str(error.value)


def test_shipped_mappings_build_event_ids_that_sort_in_event_order(tmp_path):
    """The larger event_id holds at one instant: every subscription's created id sorts before
    its canceled id, in the shipped mappings and in the README's example."""
    for name in ("telco_churn", "mrr_playbook"):
        (events,) = [
            t
            for t in land(MAPPINGS / f"{name}.yml", tmp_path / name, example_data_dir() / name)
            if t.table == "finance/subscription_events"
        ]
        assert events.warnings == ()
        order = duckdb.sql(
            "select count(*) filter (where created.event_id < canceled.event_id), count(*) "
            f"from read_csv('{events.path}', all_varchar=true) as created "
            f"join read_csv('{events.path}', all_varchar=true) as canceled "
            "using (subscription_id) "
            "where created.event_type = 'created' and canceled.event_type = 'canceled'"
        ).fetchall()[0]
        assert order[0] == order[1] > 0, name
    readme = (MAPPINGS.parent / "README.md").read_text()
    assert "':1-created' else ':2-canceled'" in readme
    assert "the larger event_id holds" in readme
