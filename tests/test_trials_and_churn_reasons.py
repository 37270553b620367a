"""Trials, churn reasons and acquisition channels (the contract's optional columns): the
generated company's planted truth (<landing>/_truth/messes.csv) against the published
marts, the customers' own words kept out of every mart, and a landing without the new
columns (the tiny fixture) still publishing both marts."""

from __future__ import annotations

import duckdb
import pandas as pd

from .recompute import read_csvs


def _truth(ws, kind: str) -> pd.DataFrame:
    messes = pd.read_csv(ws.landing / "_truth" / "messes.csv", dtype=str, keep_default_na=False)
    return messes[messes["mess_type"] == kind]


def _events(ws) -> pd.DataFrame:
    events = read_csvs(ws.landing / "finance" / "subscription_events")
    events["occurred_at"] = pd.to_datetime(events["occurred_at"], utc=True, format="ISO8601")
    return events


def _month(values: pd.Series) -> pd.Series:
    return values.dt.tz_localize(None).dt.to_period("M").dt.to_timestamp()


def test_trials_by_month_are_the_planted_ones(xs_published):
    ws, _ = xs_published
    planted = _truth(ws, "trial").merge(
        _events(ws), left_on="source_record_id", right_on="event_id"
    )
    assert len(planted) > 0 and set(planted["detail"]) == {"converted", "not converted"}
    planted["month"] = _month(planted["occurred_at"])
    expected = planted.groupby("month").agg(
        started=("detail", "size"), converted=("detail", lambda d: (d == "converted").sum())
    )
    published = pd.DataFrame(
        ws.query("select month, trials_started, trials_converted from marts.kpi_trials_monthly"),
        columns=["month", "started", "converted"],
    )
    published["month"] = pd.to_datetime(published["month"])
    published = published.set_index("month")
    assert published["started"].sum() == len(planted)
    for month, row in expected.iterrows():
        assert published.loc[month, "started"] == row["started"], month
        assert published.loc[month, "converted"] == row["converted"], month


def test_each_churn_is_split_by_the_planted_reason_of_its_latest_cancellation(xs_published):
    ws, _ = xs_published
    reasons = _truth(ws, "churn_reason").set_index("source_record_id")["detail"]
    events = _events(ws)
    canceled = events[events["event_type"] == "canceled"].copy()
    canceled["reason"] = canceled["event_id"].map(reasons).fillna("unknown")  # trials: none
    owner = dict(
        ws.query(
            "select source_record_id, customer_id from marts.identity_crosswalk "
            "where source_table = 'customers'"
        )
    )
    canceled["customer"] = canceled["customer_id"].map(owner)
    churns = ws.query(
        "select customer_id, month, movement_usd from marts.fct_mrr where movement_type = 'churn'"
    )
    rows = []
    for customer, month, movement in churns:
        end = pd.Timestamp(month, tz="UTC") + pd.offsets.MonthBegin(1)
        own = canceled[(canceled["customer"] == customer) & (canceled["occurred_at"] < end)]
        latest = own.sort_values(["occurred_at", "event_id"]).tail(1)
        rows.append((month, latest["reason"].iloc[0] if len(latest) else "unknown", movement))
    expected = pd.DataFrame(rows, columns=["month", "reason", "mrr"]).groupby(["month", "reason"])
    published = {
        (month, reason): (customers, float(mrr))
        for month, reason, customers, mrr in ws.query(
            "select month, churn_reason, churned_customers, churned_mrr_usd "
            "from marts.kpi_churn_by_reason_monthly"
        )
    }
    assert len(published) == expected.ngroups > 0
    assert {reason for _, reason in published} - {"unknown"}, "no planted reason published"
    for key, group in expected:
        customers, mrr = published[key]
        assert customers == len(group), key
        assert abs(mrr - float(group["mrr"].sum())) < 0.01, key


def test_the_customers_words_stay_out_of_every_mart(xs_published):
    ws, _ = xs_published
    events = _events(ws)
    words = events["churn_feedback"].dropna().loc[lambda s: s != ""].unique()
    assert len(words) > 0
    con = duckdb.connect(str(ws.serving), read_only=True)
    try:
        text_columns = con.execute(
            "select table_name, column_name from information_schema.columns "
            "where table_schema = 'marts' and data_type = 'VARCHAR'"
        ).fetchall()
        assert not [c for _, c in text_columns if "feedback" in c]
        found = []
        for table, column in text_columns:
            hits = con.execute(
                f'select count(*) from marts."{table}" where "{column}" in '
                "(select unnest(?::varchar[]))",
                [list(words)],
            ).fetchall()[0][0]
            if hits:
                found.append((table, column))
    finally:
        con.close()
    assert found == []


def test_a_landing_without_the_new_columns_publishes_both_marts(tiny_published):
    ws, result = tiny_published
    assert result.success
    assert ws.query("select count(*) from marts.kpi_trials_monthly") == [(0,)]
    reasons = ws.query(
        "select churn_reason, sum(churned_customers) from marts.kpi_churn_by_reason_monthly "
        "group by 1"
    )
    churned = ws.query("select coalesce(sum(churned_customers), 0) from marts.kpi_revenue_monthly")
    assert {r for r, _ in reasons} <= {"unknown"}
    assert sum(n for _, n in reasons) == churned[0][0]
