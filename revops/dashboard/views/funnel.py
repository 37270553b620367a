"""Funnel and marketing page: lead -> MQL -> SQL -> opportunity -> won by channel and month
(kpi_funnel_monthly), lead acceptance, and attributed bookings and ROI by channel under the
chosen attribution model (kpi_marketing_attribution). Neither mart is split by region."""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from revops.dashboard import data, filters, fmt

STAGES = [
    ("leads", "Leads"),
    ("mqls", "MQLs"),
    ("sqls", "SQLs"),
    ("opportunities", "Opportunities"),
    ("won", "Won"),
]
MODELS = {"first_touch": "First touch", "last_touch": "Last touch", "linear": "Linear"}


def funnel_rows(chosen: filters.Filters) -> pd.DataFrame:
    return data.query(
        "select month, channel, leads, mqls, sqls, opportunities, won, accepted_mqls, "
        "lead_acceptance_rate, ad_spend_usd, cost_per_lead_usd, cost_per_mql_usd "
        "from marts.kpi_funnel_monthly where month between ? and ? order by month, channel",
        (chosen.start_month, chosen.end_month),
    )


def attribution_rows(chosen: filters.Filters, model: str) -> pd.DataFrame:
    return data.query(
        "select quarter, channel, attributed_bookings_usd, ad_spend_usd, roi "
        "from marts.kpi_marketing_attribution where attribution_model = ? "
        "and quarter between date_trunc('quarter', ?::date) and ? order by quarter, channel",
        (model, chosen.start_month, chosen.end_month),
    )


def render() -> None:
    chosen = filters.current()
    st.header("Funnel and marketing")
    filters.note_not_split("The funnel and attribution")
    funnel = funnel_rows(chosen)
    period = f"{fmt.month(chosen.start_month)} to {fmt.month(chosen.end_month)}"
    st.subheader(f"Funnel, {period}")
    cols = st.columns(len(STAGES))
    for col, (column, label) in zip(cols, STAGES, strict=True):
        col.metric(label, fmt.number(funnel[column].sum() if not funnel.empty else 0))
    if funnel.empty:
        st.info("No funnel rows in the chosen months.")
    else:
        by_channel = (
            funnel.groupby("channel")[[c for c, _ in STAGES] + ["ad_spend_usd"]].sum().reset_index()
        )
        stages = by_channel.melt("channel", [c for c, _ in STAGES], var_name="stage")
        st.altair_chart(
            alt.Chart(stages)
            .mark_bar()
            .encode(
                x=alt.X("stage:N", sort=[c for c, _ in STAGES], title=None),
                y=alt.Y("value:Q", title="people / opportunities"),
                color="channel:N",
                tooltip=["channel", "stage", "value"],
            ),
            width="stretch",
        )
        st.caption(
            "Stage counts by channel, summed over the chosen months (each stage counts "
            "in the month it was reached)."
        )
        st.dataframe(by_channel, hide_index=True, width="stretch")

        st.subheader("By month (cohort) and channel")
        monthly = funnel.copy()
        monthly["month"] = pd.to_datetime(monthly["month"]).dt.strftime("%Y-%m")
        st.dataframe(monthly, hide_index=True, width="stretch")

        st.subheader("Lead acceptance rate")
        st.caption(
            "People whose MQL month is the month and who became SQL / people whose MQL "
            "month is the month (kpi_funnel_monthly.lead_acceptance_rate)."
        )
        st.altair_chart(
            alt.Chart(funnel.dropna(subset=["lead_acceptance_rate"]))
            .mark_line(point=True)
            .encode(
                x=alt.X("month:T", title=None),
                y=alt.Y("lead_acceptance_rate:Q", axis=alt.Axis(format="%"), title="acceptance"),
                color="channel:N",
                tooltip=["month:T", "channel", alt.Tooltip("lead_acceptance_rate:Q", format=".1%")],
            ),
            width="stretch",
        )

    st.subheader("Attribution and ROI by channel")
    model = st.radio(
        "Attribution model",
        list(MODELS),
        format_func=MODELS.get,
        horizontal=True,
        key="attribution_model",
    )
    attribution = attribution_rows(chosen, model)
    if attribution.empty:
        st.info("No attributed bookings or ad spend in the chosen quarters.")
        return
    cols = st.columns(2)
    cols[0].metric("Attributed bookings", fmt.money(attribution["attributed_bookings_usd"].sum()))
    cols[1].metric("Ad spend", fmt.money(attribution["ad_spend_usd"].sum()))
    st.altair_chart(
        alt.Chart(attribution)
        .mark_bar()
        .encode(
            x=alt.X("quarter:T", timeUnit="yearquarter", title=None),
            y=alt.Y("attributed_bookings_usd:Q", title="attributed bookings (USD)"),
            color="channel:N",
            tooltip=["channel", alt.Tooltip("attributed_bookings_usd:Q", format="$,.0f")],
        ),
        width="stretch",
    )
    roi = attribution.copy()
    roi["quarter"] = pd.to_datetime(roi["quarter"]).dt.to_period("Q").astype(str)
    st.caption(
        "ROI = (attributed bookings - ad spend) / ad spend per channel and quarter "
        "(kpi_marketing_attribution.roi; empty without spend)."
    )
    st.dataframe(
        roi.pivot(index="channel", columns="quarter", values="roi").reset_index(),
        hide_index=True,
        width="stretch",
    )


if __name__ == "__main__":
    render()
