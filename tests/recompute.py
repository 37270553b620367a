"""Independent recomputation from landing files with pandas: shares no code with the dbt
models, so a KPI that agrees with it was computed two ways."""

from __future__ import annotations

from itertools import combinations
from pathlib import Path

import pandas as pd


def read_csvs(folder: Path) -> pd.DataFrame:
    """Every file of a CSV table with its file name and row number (for newest-row-wins)."""
    frames = []
    for file in sorted(folder.glob("*.csv")):
        frame = pd.read_csv(file, dtype=str)
        frame["_file"] = file.name
        frame["_row"] = range(len(frame))
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


def newest(frame: pd.DataFrame, key: list[str]) -> pd.DataFrame:
    """docs/contract.md: the greatest updated_at wins, then the later file, then the later row."""
    frame = frame.assign(_updated=pd.to_datetime(frame["updated_at"], utc=True, format="ISO8601"))
    frame = frame.sort_values(
        ["_updated", "_file", "_row"], ascending=False, na_position="last", kind="stable"
    )
    return frame.drop_duplicates(key, keep="first")


def usd_rates(landing: Path) -> pd.DataFrame:
    rates = read_csvs(landing / "finance" / "fx_rates")
    rates["rate_date"] = pd.to_datetime(rates["rate_date"])
    rates["rate_to_usd"] = rates["rate_to_usd"].astype(float)
    return rates.sort_values("rate_date")


def to_usd(frame: pd.DataFrame, amount: str, on: str, rates: pd.DataFrame) -> pd.Series:
    """The latest rate on or before the date; before a currency's first rate, that first rate."""
    result = pd.Series(index=frame.index, dtype=float)
    for currency, rows in frame.groupby("currency"):
        if currency == "USD":
            result[rows.index] = rows[amount]
            continue
        table = rates[rates["currency"] == currency][["rate_date", "rate_to_usd"]]
        dated = rows[[on]].sort_values(on).reset_index()
        matched = pd.merge_asof(
            dated, table, left_on=on, right_on="rate_date", direction="backward"
        )
        matched["rate_to_usd"] = matched["rate_to_usd"].fillna(table["rate_to_usd"].iloc[0])
        result[matched["index"]] = (
            rows.loc[matched["index"], amount].to_numpy() * matched["rate_to_usd"].to_numpy()
        )
    return result


def month_end_mrr_by_billing_customer(landing: Path, months: list[pd.Timestamp]) -> pd.DataFrame:
    """kpi_definitions.md MRR, recomputed: each billing customer's subscriptions at each month end."""
    plans = read_csvs(landing / "finance" / "plans").drop_duplicates("plan_id", keep="last")
    plans["unit_amount"] = plans["unit_amount"].astype(float)
    plans["interval_months"] = plans["billing_interval"].map({"month": 1, "year": 12})
    events = read_csvs(landing / "finance" / "subscription_events")
    events = events.drop_duplicates("event_id", keep="last")
    events["occurred_at"] = pd.to_datetime(events["occurred_at"], utc=True, format="ISO8601")
    events["quantity"] = events["quantity"].astype(float)
    events["discount_pct"] = events["discount_pct"].astype(float).fillna(0)
    events = events.sort_values(["subscription_id", "occurred_at", "event_id"])
    events = events.merge(
        plans[["plan_id", "unit_amount", "interval_months", "currency"]],
        on="plan_id",
        how="left",
        suffixes=("_event", ""),
    )

    grouped = events.groupby("subscription_id")
    changed = (
        (events["plan_id"] != grouped["plan_id"].shift())
        | (events["quantity"] != grouped["quantity"].shift())
        | (events["discount_pct"] != grouped["discount_pct"].shift())
    )
    first = grouped.cumcount() == 0
    setting = first | (events["event_type"] == "reactivated") | changed
    events["rate_at"] = events["occurred_at"].where(setting)
    events["rate_at"] = events.groupby("subscription_id")["rate_at"].ffill()
    events["rate_on"] = events["rate_at"].dt.tz_convert(None).dt.normalize()
    live = events["status"].isin(["active", "past_due"])
    events["mrr"] = (
        events["quantity"]
        * events["unit_amount"]
        * (1 - events["discount_pct"] / 100)
        / events["interval_months"]
    ).where(live, 0.0)
    events["mrr_usd"] = to_usd(events, "mrr", "rate_on", usd_rates(landing))

    customers = newest(read_csvs(landing / "finance" / "customers"), ["customer_id"])
    internal = customers["email"].str.strip().str.lower().str.contains(
        r"@(?:[a-z0-9-]+\.)*example\.com$", na=False
    ) | customers["name"].str.lower().str.contains("test", na=False)
    internal_ids = set(customers.loc[internal, "customer_id"])
    owner = events.groupby("subscription_id")["customer_id"].last()
    events = events[~events["subscription_id"].map(owner).isin(internal_ids)]

    rows = []
    for month in months:
        end = (month + pd.offsets.MonthBegin(1)).tz_localize("UTC")
        state = events[events["occurred_at"] < end].groupby("subscription_id").last()
        state["billing_customer_id"] = state.index.map(owner)
        by_customer = state.groupby("billing_customer_id")["mrr_usd"].sum()
        rows += [(month, billing, mrr) for billing, mrr in by_customer.items()]
    return pd.DataFrame(rows, columns=["month", "billing_customer_id", "mrr_usd"])


def truth_beside_crosswalk(truth_csv: Path, crosswalk_rows: list[tuple]) -> pd.DataFrame:
    """The generator's true person and company of every identity record (internal records
    left out) beside the crosswalk's person_id and customer_id; `record` names the record.
    crosswalk_rows: (source_system, source_table, source_record_id, person_id, customer_id)."""
    truth = pd.read_csv(truth_csv, dtype=str, keep_default_na=False)
    truth = truth[truth["true_company_id"] != "internal"]
    key = ["source_system", "source_table", "source_record_id"]
    crosswalk = pd.DataFrame(crosswalk_rows, columns=[*key, "person_id", "customer_id"])
    merged = truth.merge(crosswalk, on=key, how="left")
    merged["record"] = merged["source_table"] + ":" + merged["source_record_id"]
    return merged


CROSSWALK_IDS = (
    "select source_system, source_table, source_record_id, person_id, customer_id "
    "from marts.identity_crosswalk"
)


def pair_counts(rows: pd.DataFrame, true_col: str, predicted_col: str) -> tuple[int, int, int]:
    """(true, predicted, correct) pairs of records in one cluster, counted pair by pair; a
    record without a predicted id is a cluster of its own."""

    def pairs(labels: pd.Series) -> set[tuple[str, str]]:
        clusters: dict[str, list[str]] = {}
        for record, label in zip(rows["record"], labels, strict=True):
            clusters.setdefault(label, []).append(record)
        return {pair for members in clusters.values() for pair in combinations(sorted(members), 2)}

    predicted = rows[predicted_col].where(rows[predicted_col].notna(), "own:" + rows["record"])
    true_pairs, predicted_pairs = pairs(rows[true_col]), pairs(predicted)
    return len(true_pairs), len(predicted_pairs), len(true_pairs & predicted_pairs)
