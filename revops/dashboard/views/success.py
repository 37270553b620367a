"""Success page: CSAT and NPS by month (kpi_success_monthly) and logo churn by NPS band
(kpi_churn_by_nps_band). Neither mart is split by region or segment."""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from revops.dashboard import data, explain, filters, fmt

BANDS = ["promoter", "passive", "detractor", "none"]


def success_rows(chosen: filters.Filters) -> pd.DataFrame:
    return data.query(
        "select month, tickets_solved, csat, nps, nps_answers, first_response_hours_median, "
        "resolution_hours_median from marts.kpi_success_monthly "
        "where month between ? and ? order by month",
        (chosen.start_month, chosen.end_month),
    )


def churn_by_band(chosen: filters.Filters) -> pd.DataFrame:
    return data.query(
        "select month, nps_band, customers, churned_customers, logo_churn_rate "
        "from marts.kpi_churn_by_nps_band where month between ? and ? order by month, nps_band",
        (chosen.start_month, chosen.end_month),
    )


def render() -> None:
    chosen = filters.current()
    st.header("Success")
    landing = explain.banner("success")
    filters.note_not_split("CSAT, NPS and churn by NPS band")
    success = success_rows(chosen)
    if success.empty:
        explain.empty_table("success", "success months", landing)
        return
    latest = success.iloc[-1]
    st.subheader(fmt.month(chosen.end_month))
    cols = st.columns(4)
    cols[0].metric("CSAT", fmt.rate(latest["csat"]))
    cols[1].metric("NPS", fmt.number(latest["nps"], 1))
    cols[2].metric("NPS answers", fmt.number(latest["nps_answers"]))
    cols[3].metric(
        "First response (median h)", fmt.number(latest["first_response_hours_median"], 1)
    )
    explain.captions(
        "success",
        {
            "CSAT": latest["csat"],
            "NPS": latest["nps"],
            "NPS answers": latest["nps_answers"],
            "First response (median h)": latest["first_response_hours_median"],
        },
        landing,
    )

    st.subheader("CSAT and NPS by month")
    left, right = st.columns(2)
    left.altair_chart(
        alt.Chart(success.dropna(subset=["csat"]))
        .mark_line(point=True)
        .encode(
            x=alt.X("month:T", title=None),
            y=alt.Y("csat:Q", axis=alt.Axis(format="%"), title="CSAT"),
            tooltip=["month:T", alt.Tooltip("csat:Q", format=".1%")],
        ),
        width="stretch",
    )
    right.altair_chart(
        alt.Chart(success.dropna(subset=["nps"]))
        .mark_line(point=True)
        .encode(
            x=alt.X("month:T", title=None),
            y=alt.Y("nps:Q", title="NPS", scale=alt.Scale(domain=[-100, 100])),
            tooltip=["month:T", alt.Tooltip("nps:Q", format=".1f")],
        ),
        width="stretch",
    )

    st.subheader("Logo churn by NPS band")
    bands = churn_by_band(chosen)
    latest_bands = bands[pd.to_datetime(bands["month"]).dt.date == chosen.end_month]
    cols = st.columns(len(BANDS))
    for col, band in zip(cols, BANDS, strict=True):
        row = latest_bands[latest_bands["nps_band"] == band]
        value = row["logo_churn_rate"].iloc[0] if not row.empty else None
        col.metric(f"Churn, {band}", fmt.rate(value))
    st.altair_chart(
        alt.Chart(bands.dropna(subset=["logo_churn_rate"]))
        .mark_line(point=True)
        .encode(
            x=alt.X("month:T", title=None),
            y=alt.Y("logo_churn_rate:Q", axis=alt.Axis(format="%"), title="logo churn"),
            color=alt.Color("nps_band:N", sort=BANDS),
            tooltip=[
                "month:T",
                "nps_band",
                "customers",
                "churned_customers",
                alt.Tooltip("logo_churn_rate:Q", format=".1%"),
            ],
        ),
        width="stretch",
    )
    table = bands.copy()
    table["month"] = pd.to_datetime(table["month"]).dt.strftime("%Y-%m")
    st.dataframe(table, hide_index=True, width="stretch")


if __name__ == "__main__":
    render()
