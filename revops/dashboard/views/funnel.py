"""Funnel and marketing page: lead -> MQL -> SQL -> opportunity -> won by channel and month
(kpi_funnel_monthly), lead acceptance (per channel and all channels), the cohort view (of the
people who entered in a month, the share that reached each stage: kpi_funnel_cohorts), and
attributed bookings and ROI by channel under the chosen attribution model
(kpi_marketing_attribution). None of these marts is split by region. Totals over the chosen
months, the all-channel lines and the cohort shares are semantic-layer metrics (sums and
ratios of summed counts, defined once in dbt_project/semantic_models/), not added up here."""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from revops.dashboard import data, explain, filters, fmt, inputs

STAGES = [
    ("leads", "Leads"),
    ("mqls", "MQLs"),
    ("sqls", "SQLs"),
    ("opportunities", "Opportunities"),
    ("won", "Won"),
]
MODELS = {"first_touch": "First touch", "last_touch": "Last touch", "linear": "Linear"}
ALL_CHANNELS = "All channels"
# the cohort metric of each lead-to-stage share shown
COHORT_STAGES = [
    ("cohort_lead_to_mql_rate", "MQL"),
    ("cohort_lead_to_sql_rate", "SQL"),
    ("cohort_lead_to_opportunity_rate", "Opportunity"),
    ("cohort_lead_to_won_rate", "Won"),
]


def funnel_rows(chosen: filters.Filters) -> pd.DataFrame:
    return data.query(
        "select month, channel, leads, mqls, sqls, opportunities, won, accepted_mqls, "
        "lead_acceptance_rate, ad_spend_usd, cost_per_lead_usd, cost_per_mql_usd "
        "from marts.kpi_funnel_monthly where month between ? and ? order by month, channel",
        (chosen.start_month, chosen.end_month),
    )


def cohort_rows(chosen: filters.Filters) -> pd.DataFrame:
    return data.query(
        "select cohort_month, channel, people from marts.kpi_funnel_cohorts "
        "where cohort_month between ? and ? order by cohort_month, channel",
        (chosen.start_month, chosen.end_month),
    )


def in_months(chosen: filters.Filters, channel: str = ALL_CHANNELS) -> list[str]:
    """Semantic-layer filters: the chosen months, and a cohort channel unless all."""
    where = [data.periods_between(chosen.start_month, chosen.end_month)]
    if channel != ALL_CHANNELS:
        quoted = channel.replace("'", "''")
        where.append(f"{{{{ Dimension('funnel_cohort_cell__channel') }}}} = '{quoted}'")
    return where


def cohort_shares(chosen: filters.Filters, channel: str) -> pd.DataFrame:
    """Per cohort month: people and the lead-to-stage share of each stage, for one channel
    or all channels (shares of summed counts, never averaged rates; null without people)."""
    names = ["cohort_people", *(metric for metric, _ in COHORT_STAGES)]
    shares = data.metrics(names, ["metric_time__month"], in_months(chosen, channel))
    shares = shares.rename(
        columns={"metric_time__month": "cohort_month", "cohort_people": "people"}
        | dict(COHORT_STAGES)
    )
    return shares[["cohort_month", "people", *(label for _, label in COHORT_STAGES)]]


def acceptance_lines(chosen: filters.Filters, funnel: pd.DataFrame) -> pd.DataFrame:
    """Lead acceptance by month per channel (the mart's column) plus an all-channel line
    (the semantic layer's lead_acceptance_rate: summed accepted MQLs / summed MQLs)."""
    per_channel = funnel[["month", "channel", "lead_acceptance_rate"]].assign(
        month=pd.to_datetime(funnel["month"])
    )
    summed = data.metrics(["lead_acceptance_rate"], ["metric_time__month"], in_months(chosen))
    summed = summed.rename(columns={"metric_time__month": "month"})
    summed["month"] = pd.to_datetime(summed["month"])
    summed["channel"] = ALL_CHANNELS
    lines = pd.concat([per_channel, summed[["month", "channel", "lead_acceptance_rate"]]])
    return lines.dropna(subset=["lead_acceptance_rate"])


def render_cohorts(chosen: filters.Filters, landing: explain.LastLanding) -> None:
    st.subheader("Cohorts: share of each month's new people that reached each stage")
    if not data.has_table("kpi_funnel_cohorts"):
        st.info("This serving file has no kpi_funnel_cohorts yet: run a refresh.")
        return
    cohorts = cohort_rows(chosen)
    if cohorts.empty:
        explain.empty_table("funnel", "cohorts", landing, inputs.LEADS)
        return
    channel = st.selectbox(
        "Cohort channel",
        [ALL_CHANNELS, *sorted(cohorts["channel"].unique())],
        key="cohort_channel",
    )
    shares = cohort_shares(chosen, channel)
    totals = data.metrics(
        ["cohort_people", "cohort_lead_to_won_rate"], [], in_months(chosen, channel)
    )
    people = int(totals["cohort_people"].iat[0] or 0) if not totals.empty else 0
    lead_to_won = totals["cohort_lead_to_won_rate"].iat[0] if people else None
    cols = st.columns(2)
    cols[0].metric("Cohort people", fmt.number(people))
    cols[1].metric("Cohort lead to won", fmt.rate(lead_to_won))
    explain.captions(
        "funnel", {"Cohort people": people, "Cohort lead to won": lead_to_won}, landing
    )
    cells = shares.melt("cohort_month", [label for _, label in COHORT_STAGES], var_name="stage")
    cells["cohort"] = pd.to_datetime(cells["cohort_month"]).dt.strftime("%Y-%m")
    st.altair_chart(
        alt.Chart(cells)
        .mark_rect()
        .encode(
            x=alt.X("stage:N", sort=[label for _, label in COHORT_STAGES], title=None),
            y=alt.Y("cohort:O", title="cohort (lead month)"),
            color=alt.Color("value:Q", title="share", scale=alt.Scale(domain=[0, 1])),
            tooltip=["cohort", "stage", alt.Tooltip("value:Q", format=".1%", title="share")],
        ),
        width="stretch",
    )
    st.caption(
        "Of the people whose earliest lead was in the month (through the channel), the share "
        "that reached each stage (or a later one) by the as-of date "
        "(kpi_funnel_cohorts); all channels: summed counts. Recent cohorts had less time."
    )
    table = shares.copy()
    table["cohort_month"] = pd.to_datetime(table["cohort_month"]).dt.strftime("%Y-%m")
    st.dataframe(table, hide_index=True, width="stretch")


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
    landing = explain.banner("funnel")
    filters.note_not_split("The funnel and attribution")
    funnel = funnel_rows(chosen)
    period = f"{fmt.month(chosen.start_month)} to {fmt.month(chosen.end_month)}"
    st.subheader(f"Funnel, {period}")
    cols = st.columns(len(STAGES))
    shown = {}
    names = [column for column, _ in STAGES]
    totals = data.metrics([*names, "lead_acceptance_rate"], [], in_months(chosen))
    for col, (column, label) in zip(cols, STAGES, strict=True):
        shown[label] = totals[column].iat[0] or 0 if not funnel.empty else 0
        col.metric(label, fmt.number(shown[label]))
    explain.captions("funnel", shown, landing)
    if funnel.empty:
        explain.empty_table("funnel", "funnel rows", landing)
    else:
        by_channel = data.metrics(
            [*names, "ad_spend_usd"], ["funnel_cell__channel"], in_months(chosen)
        ).rename(columns={"funnel_cell__channel": "channel"})
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
        acceptance = totals["lead_acceptance_rate"].iat[0]
        st.metric("Lead acceptance", fmt.rate(acceptance))
        explain.captions("funnel", {"Lead acceptance": acceptance}, landing)
        st.caption(
            "People whose MQL month is the month and who became SQL / people whose MQL "
            "month is the month (kpi_funnel_monthly.lead_acceptance_rate); the "
            f"'{ALL_CHANNELS}' line and the figure above: summed accepted MQLs / summed MQLs."
        )
        st.altair_chart(
            alt.Chart(acceptance_lines(chosen, funnel))
            .mark_line(point=True)
            .encode(
                x=alt.X("month:T", title=None),
                y=alt.Y("lead_acceptance_rate:Q", axis=alt.Axis(format="%"), title="acceptance"),
                color="channel:N",
                tooltip=["month:T", "channel", alt.Tooltip("lead_acceptance_rate:Q", format=".1%")],
            ),
            width="stretch",
        )

    render_cohorts(chosen, landing)

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
        explain.empty_table(
            "funnel",
            "attributed bookings or ad spend",
            landing,
            inputs.OPPORTUNITIES + ("marketing__ad_spend",),
        )
        return
    cols = st.columns(2)
    summed = data.metrics(
        ["attributed_bookings_usd", "attribution_ad_spend_usd"],
        [],
        [
            data.periods_between(_quarter_start(chosen.start_month), chosen.end_month, "quarter"),
            f"{{{{ Dimension('attribution_cell__attribution_model') }}}} = '{model}'",
        ],
    )
    totals = {
        "Attributed bookings": summed["attributed_bookings_usd"].iat[0],
        "Ad spend": summed["attribution_ad_spend_usd"].iat[0],
    }
    cols[0].metric("Attributed bookings", fmt.money(totals["Attributed bookings"]))
    cols[1].metric("Ad spend", fmt.money(totals["Ad spend"]))
    explain.captions("funnel", totals, landing)
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


def _quarter_start(month):
    return month.replace(month=(month.month - 1) // 3 * 3 + 1)


if __name__ == "__main__":
    render()
