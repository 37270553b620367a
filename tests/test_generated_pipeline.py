"""The whole pipeline on a generated company: every landed row arrives, every gate passes on
clean-but-messy data, and the sales KPIs agree with a pandas recomputation from the landing
files that shares no code with the dbt models."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest

from revops.contract import TABLES

from .recompute import newest, read_csvs, to_usd, usd_rates


def _landed_rows(folder: Path) -> int:
    rows = 0
    for file in folder.iterdir():
        if file.suffix == ".parquet":
            rows += pq.ParquetFile(file).metadata.num_rows
        elif file.suffix == ".jsonl":
            rows += sum(1 for line in file.open() if line.strip())
        elif file.suffix == ".csv":
            rows += len(pd.read_csv(file, dtype=str, keep_default_na=False))
    return rows


def _expected_sales_kpis(landing: Path) -> pd.DataFrame:
    accounts = newest(read_csvs(landing / "sales" / "accounts"), ["account_id"])
    accounts = accounts[accounts["is_deleted"] != "true"]
    internal_ids = set(
        accounts.loc[
            accounts["account_name"].str.lower().str.contains("test", na=False)
            | accounts["website"].str.lower().str.contains("example.com", na=False),
            "account_id",
        ]
    )
    opps = newest(read_csvs(landing / "sales" / "opportunities"), ["opportunity_id"])
    opps = opps[(opps["is_deleted"] != "true") & ~opps["account_id"].isin(internal_ids)].copy()
    opps["closed"] = opps["is_closed"] == "true"
    opps["won"] = opps["closed"] & (opps["is_won"] == "true")
    opps["close_date"] = pd.to_datetime(opps["close_date"])
    opps["created_at"] = pd.to_datetime(opps["created_at"], utc=True, format="ISO8601")
    opps["created_on"] = opps["created_at"].dt.tz_localize(None).dt.normalize()
    opps["amount"] = opps["amount"].astype(float)
    opps["rate_on"] = opps["close_date"].where(opps["closed"], opps["created_on"])
    opps["amount_usd"] = to_usd(opps, "amount", "rate_on", usd_rates(landing))
    opps["month"] = opps["close_date"].dt.to_period("M").dt.to_timestamp()

    counted = opps[opps["opportunity_type"].isin(["new_business", "expansion"])]
    closed = counted[counted["closed"]]
    won = closed[closed["won"]]
    by_month = pd.DataFrame(
        {
            "won_count": won.groupby("month").size(),
            "lost_count": closed[~closed["won"]].groupby("month").size(),
            "won_amount_usd": won.groupby("month")["amount_usd"].sum(),
            "sales_cycle_days_median": (won["close_date"] - won["created_on"])
            .dt.days.groupby(won["month"])
            .median(),
        }
    )
    renewals = opps[(opps["opportunity_type"] == "renewal") & opps["closed"]]
    by_month["renewal_rate"] = renewals.groupby("month")["won"].mean()
    month_ends = by_month.index + pd.offsets.MonthBegin(1)
    by_month["open_opportunities"] = [
        int(
            (
                (counted["created_at"].dt.tz_localize(None) < end)
                & ~(counted["closed"] & (counted["close_date"] < end))
            ).sum()
        )
        for end in month_ends
    ]
    return by_month.fillna({"won_count": 0, "lost_count": 0, "won_amount_usd": 0})


def test_the_run_on_generated_data_succeeds_and_publishes(xs_published):
    ws, result = xs_published
    assert result.success
    assert ws.serving.exists()


def test_every_landed_row_reaches_its_raw_table(xs_published):
    ws, _ = xs_published
    import duckdb

    con = duckdb.connect(str(ws.warehouse / "work.duckdb"), read_only=True)
    try:
        for table in TABLES:
            expected = _landed_rows(ws.landing / table.system / table.name)
            (loaded,) = con.execute(f"select count(*) from raw.{table.qualified}").fetchall()[0]
            assert loaded == expected, table.qualified
    finally:
        con.close()


def test_every_blocking_gate_passes_on_generated_data(xs_published):
    _, result = xs_published
    evaluations = [
        event.event_specific_data
        for event in result.all_events
        if event.event_type_value == "ASSET_CHECK_EVALUATION"
    ]
    assert len(evaluations) >= len(TABLES) + 1
    blocking_failures = [
        e.check_name for e in evaluations if not e.passed and e.severity.value == "ERROR"
    ]
    assert blocking_failures == []


def test_sales_kpis_match_an_independent_pandas_computation(xs_published):
    ws, _ = xs_published
    expected = _expected_sales_kpis(ws.landing)
    rows = ws.query(
        "select month, won_count, lost_count, won_amount_usd, sales_cycle_days_median,"
        " renewal_rate, open_opportunities from marts.kpi_sales_monthly order by month"
    )
    published = pd.DataFrame(
        rows,
        columns=[
            "month",
            "won_count",
            "lost_count",
            "won_amount_usd",
            "sales_cycle_days_median",
            "renewal_rate",
            "open_opportunities",
        ],
    ).set_index("month")
    published.index = pd.to_datetime(published.index)
    # the mart's spine may hold months without closes; every closing month must agree
    assert set(expected.index) <= set(published.index)
    assert published["won_count"].sum() == expected["won_count"].sum() > 0
    for month, want in expected.iterrows():
        got = published.loc[month]
        assert got["won_count"] == want["won_count"], month
        assert got["lost_count"] == want["lost_count"], month
        assert got["won_amount_usd"] == pytest.approx(want["won_amount_usd"], rel=1e-9), month
        assert got["open_opportunities"] == want["open_opportunities"], month
        for rate in ["sales_cycle_days_median", "renewal_rate"]:
            if pd.isna(want[rate]):
                assert pd.isna(got[rate]), (month, rate)
            else:
                assert got[rate] == pytest.approx(want[rate]), (month, rate)
