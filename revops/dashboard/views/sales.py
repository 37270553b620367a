"""Sales page: win rate, sales cycle, pipeline velocity, forecast vs actual with accuracy
(kpi_sales_monthly) and the stage-weighted pipeline (revenue_forecast, weighted_pipeline).
The sales marts are not split by region or segment."""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from revops.dashboard import data, explain, filters, fmt


def sales_rows(chosen: filters.Filters) -> pd.DataFrame:
    return data.query(
        "select month, won_count, lost_count, win_rate, won_amount_usd, avg_deal_size_usd, "
        "sales_cycle_days_median, open_opportunities, pipeline_velocity_usd_per_day, "
        "forecast_usd, bookings_usd, forecast_accuracy, forecast_bias, renewal_rate "
        "from marts.kpi_sales_monthly where month between ? and ? order by month",
        (chosen.start_month, chosen.end_month),
    )


def weighted_pipeline() -> pd.DataFrame:
    """The stage-weighted pipeline of the latest forecast kept in revenue_forecast."""
    return data.query(
        "select month, forecast_usd from marts.revenue_forecast "
        "where forecast_kind = 'weighted_pipeline' and forecast_made_on = "
        "(select max(forecast_made_on) from marts.revenue_forecast) order by month"
    )


def render() -> None:
    chosen = filters.current()
    st.header("Sales")
    landing = explain.banner("sales")
    filters.note_not_split("Sales KPIs and the weighted pipeline")
    sales = sales_rows(chosen)
    if sales.empty:
        explain.empty_table("sales", "sales months", landing)
        return
    latest = sales.iloc[-1]
    st.subheader(fmt.month(chosen.end_month))
    cols = st.columns(4)
    cols[0].metric("Win rate", fmt.rate(latest["win_rate"]))
    cols[1].metric("Sales cycle (median days)", fmt.number(latest["sales_cycle_days_median"], 1))
    cols[2].metric("Pipeline velocity", fmt.money(latest["pipeline_velocity_usd_per_day"]) + "/day")
    cols[3].metric("Open opportunities", fmt.number(latest["open_opportunities"]))
    cols = st.columns(4)
    cols[0].metric("Bookings", fmt.money(latest["bookings_usd"]))
    cols[1].metric("Forecast", fmt.money(latest["forecast_usd"]))
    cols[2].metric("Forecast accuracy", fmt.rate(latest["forecast_accuracy"]))
    cols[3].metric("Forecast bias", fmt.rate(latest["forecast_bias"]))
    explain.captions(
        "sales",
        {
            "Win rate": latest["win_rate"],
            "Sales cycle (median days)": latest["sales_cycle_days_median"],
            "Pipeline velocity": latest["pipeline_velocity_usd_per_day"],
            "Open opportunities": latest["open_opportunities"],
            "Bookings": latest["bookings_usd"],
            "Forecast": latest["forecast_usd"],
            "Forecast accuracy": latest["forecast_accuracy"],
            "Forecast bias": latest["forecast_bias"],
        },
        landing,
    )

    st.subheader("Forecast vs actual bookings")
    versus = sales[["month", "forecast_usd", "bookings_usd"]].melt("month", var_name="measure")
    st.altair_chart(
        alt.Chart(versus.dropna())
        .mark_line(point=True)
        .encode(
            x=alt.X("month:T", title=None),
            y=alt.Y("value:Q", title="USD"),
            color="measure:N",
            tooltip=["month:T", "measure", alt.Tooltip("value:Q", format="$,.0f")],
        ),
        width="stretch",
    )
    st.subheader("Win rate and cycle by month")
    table = sales.copy()
    table["month"] = pd.to_datetime(table["month"]).dt.strftime("%Y-%m")
    st.dataframe(table, hide_index=True, width="stretch")

    st.subheader("Stage-weighted pipeline (bookings forecast)")
    pipeline = weighted_pipeline()
    if pipeline.empty:
        st.info("No forecast kept yet.")
        return
    st.metric("Weighted pipeline, next months", fmt.money(pipeline["forecast_usd"].sum()))
    st.caption(
        "Each open new_business or expansion opportunity counts amount x p(stage), "
        "placed in the month of its close date (revenue_forecast, latest forecast)."
    )
    st.altair_chart(
        alt.Chart(pipeline)
        .mark_bar()
        .encode(
            x=alt.X("month:T", timeUnit="yearmonth", title=None),
            y=alt.Y("forecast_usd:Q", title="weighted pipeline (USD)"),
            tooltip=["month:T", alt.Tooltip("forecast_usd:Q", format="$,.0f")],
        ),
        width="stretch",
    )


if __name__ == "__main__":
    render()
