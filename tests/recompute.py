"""Independent recomputation from landing files with pandas: shares no code with the dbt
models, so a KPI that agrees with it was computed two ways."""

from __future__ import annotations

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
    """sources.md: the greatest updated_at wins, then the later file, then the later row."""
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
