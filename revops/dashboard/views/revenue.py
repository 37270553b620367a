"""Revenue page: MRR/ARR trend, the MRR bridge of a chosen month, NRR/GRR, logo churn, CAC,
LTV:CAC and payback from kpi_revenue_monthly; the bridge month's churn by reason
(kpi_churn_by_reason_monthly) and trials by start month (kpi_trials_monthly). With a region
or segment chosen, MRR, ARR, paying customers and the bridge are the semantic layer's metrics
of the same names filtered on the customer (the other marts are not split). No number is
computed here but net new MRR, the sum of the movements shown."""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from revops.dashboard import data, explain, filters, fmt

MOVEMENTS = [
    ("new_mrr_usd", "New"),
    ("reactivation_mrr_usd", "Reactivation"),
    ("expansion_mrr_usd", "Expansion"),
    ("contraction_mrr_usd", "Contraction"),
    ("churned_mrr_usd", "Churn"),
]
SERIES = [
    "mrr_usd",
    "arr_usd",
    *(column for column, _ in MOVEMENTS),
    "active_customers",
]
RATIO_COLUMNS = (
    "nrr, grr, logo_churn_rate, gross_mrr_churn_rate, cac_usd, ltv_usd, ltv_to_cac, "
    "cac_payback_months"
)


def mrr_series(chosen: filters.Filters) -> pd.DataFrame:
    """Month-end MRR, ARR and movements for every month of the revenue spine (all months,
    so the bridge of the first month in range still has its opening MRR): the mart's
    columns, or with a region or segment chosen the semantic layer's metrics of the same
    names filtered on the customer (one definition of each movement)."""
    spine = data.query(f"select month, {', '.join(SERIES)} from marts.kpi_revenue_monthly")
    if not chosen.split:
        return spine.sort_values("month", ignore_index=True)
    sliced = data.metrics(SERIES, ["metric_time__month"], chosen.customer_filters())
    sliced = sliced.rename(columns={"metric_time__month": "month"})
    sliced["month"] = pd.to_datetime(sliced["month"])
    months = spine[["month"]].assign(month=pd.to_datetime(spine["month"]))
    # a month without any of the slice's customers is 0 in every column
    series = months.merge(sliced, on="month", how="left").fillna(0.0)
    return series.sort_values("month", ignore_index=True)


def _in_range(frame: pd.DataFrame, chosen: filters.Filters, column: str = "month") -> pd.DataFrame:
    months = pd.to_datetime(frame[column]).dt.date
    return frame[(months >= chosen.start_month) & (months <= chosen.end_month)]


def bridge(series: pd.DataFrame, month) -> pd.DataFrame:
    """Waterfall steps of one month: opening MRR, each movement, closing MRR."""
    months = list(pd.to_datetime(series["month"]).dt.date)
    index = months.index(month)
    row = series.iloc[index]
    opening = float(series.iloc[index - 1]["mrr_usd"]) if index > 0 else 0.0
    steps, level = [("Opening MRR", 0.0, opening, opening, "total")], opening
    for column, label in MOVEMENTS:
        amount = float(row[column])
        steps.append((label, level, level + amount, amount, "up" if amount >= 0 else "down"))
        level += amount
    closing = float(row["mrr_usd"])
    steps.append(("Closing MRR", 0.0, closing, closing, "total"))
    return pd.DataFrame(steps, columns=["step", "start", "end", "amount_usd", "kind"])


def _waterfall(steps: pd.DataFrame) -> alt.Chart:
    """Bars from each step's start to its end; the axis starts near the lowest level (not at
    0) so that movements a few percent of MRR stay visible."""
    levels = pd.concat([steps["end"], steps.loc[steps["kind"] != "total", "start"]])
    low, high = float(levels.min()), float(levels.max())
    floor = max(0.0, low - 0.25 * max(high - low, 0.05 * high))
    bars = steps.assign(start=steps["start"].where(steps["kind"] != "total", floor))
    order = list(steps["step"])
    return (
        alt.Chart(bars)
        .mark_bar(clip=True)
        .encode(
            x=alt.X("step:N", sort=order, title=None, axis=alt.Axis(labelAngle=0)),
            y=alt.Y(
                "start:Q",
                title="MRR (USD)",
                scale=alt.Scale(domain=[floor, high * 1.01 if high > 0 else 1], zero=False),
                axis=alt.Axis(format="$,.3s"),
            ),
            y2="end:Q",
            color=alt.Color(
                "kind:N",
                scale=alt.Scale(
                    domain=["total", "up", "down"], range=["#4c78a8", "#54a24b", "#e45756"]
                ),
                legend=None,
            ),
            tooltip=["step", alt.Tooltip("amount_usd:Q", format="$,.0f")],
        )
    )


def render() -> None:
    chosen = filters.current()
    st.header("Revenue")
    landing = explain.banner("revenue")
    series = mrr_series(chosen)
    shown = _in_range(series, chosen)
    if shown.empty:
        explain.empty_table("revenue", "revenue months", landing)
        return
    ratios = data.query(
        f"select month, {RATIO_COLUMNS} from marts.kpi_revenue_monthly "
        "where month between ? and ? order by month",
        (chosen.start_month, chosen.end_month),
    )
    latest = shown.iloc[-1]
    latest_ratios = ratios.iloc[-1] if not ratios.empty else pd.Series(dtype=float)
    end_label = fmt.month(chosen.end_month)
    scope = f" ({chosen.describe()})" if chosen.split else ""
    st.subheader(f"{end_label}{scope}")
    cols = st.columns(4)
    cols[0].metric("MRR", fmt.money(latest["mrr_usd"]))
    cols[1].metric("ARR", fmt.money(latest["arr_usd"]))
    cols[2].metric("Paying customers", fmt.number(latest["active_customers"]))
    net_new = sum(float(latest[c]) for c, _ in MOVEMENTS)
    cols[3].metric("Net new MRR", fmt.money(net_new))
    headline = {
        "MRR": latest["mrr_usd"],
        "ARR": latest["arr_usd"],
        "Paying customers": latest["active_customers"],
        "Net new MRR": net_new,
    }
    explain.captions("revenue", headline, landing)
    filters.note_not_split("NRR, GRR, logo churn, CAC, LTV:CAC and payback")
    cols = st.columns(6)
    cols[0].metric("NRR", fmt.rate(latest_ratios.get("nrr")))
    cols[1].metric("GRR", fmt.rate(latest_ratios.get("grr")))
    cols[2].metric("Logo churn", fmt.rate(latest_ratios.get("logo_churn_rate")))
    cols[3].metric("CAC", fmt.money(latest_ratios.get("cac_usd")))
    cols[4].metric("LTV:CAC", fmt.ratio(latest_ratios.get("ltv_to_cac")))
    cols[5].metric("CAC payback", fmt.ratio(latest_ratios.get("cac_payback_months"), " mo"))
    ratio_labels = {
        "NRR": "nrr",
        "GRR": "grr",
        "Logo churn": "logo_churn_rate",
        "CAC": "cac_usd",
        "LTV:CAC": "ltv_to_cac",
        "CAC payback": "cac_payback_months",
    }
    explain.captions("revenue", {k: latest_ratios.get(c) for k, c in ratio_labels.items()}, landing)

    st.subheader("MRR and ARR trend")
    left, right = st.columns(2)
    for col, column, title in ((left, "mrr_usd", "MRR"), (right, "arr_usd", "ARR")):
        col.altair_chart(
            alt.Chart(shown)
            .mark_line(point=True)
            .encode(
                x=alt.X("month:T", title=None),
                y=alt.Y(f"{column}:Q", title=f"{title} (USD)", axis=alt.Axis(format="$,.3s")),
                tooltip=["month:T", alt.Tooltip(f"{column}:Q", format="$,.0f", title=title)],
            ),
            width="stretch",
        )

    st.subheader("MRR bridge")
    months = list(pd.to_datetime(shown["month"]).dt.date)
    month = st.columns(4)[0].selectbox(
        "Month", months, index=len(months) - 1, format_func=fmt.month, key="bridge_month"
    )
    steps = bridge(series, month)
    st.altair_chart(_waterfall(steps), width="stretch")
    st.caption(
        "Opening MRR (end of the previous month) + movements = closing MRR; the axis "
        "does not start at 0."
    )
    st.table(steps[["step", "amount_usd"]].assign(amount_usd=steps["amount_usd"].map(fmt.money)))

    st.subheader(f"Churn by reason, {fmt.month(month)}")
    filters.note_not_split("Churn by reason and trials")
    reasons = data.query(
        "select churn_reason, churned_customers, churned_mrr_usd "
        "from marts.kpi_churn_by_reason_monthly where month = ? "
        "order by churned_mrr_usd, churn_reason",
        (month,),
    )
    if reasons.empty:
        st.caption(f"No customer churned in {fmt.month(month)}.")
    else:
        st.table(
            reasons.rename(
                columns={
                    "churn_reason": "reason",
                    "churned_customers": "customers",
                    "churned_mrr_usd": "churned MRR",
                }
            ).assign(**{"churned MRR": reasons["churned_mrr_usd"].map(fmt.money)})
        )
        st.caption(
            "The reason of each churned customer's latest cancellation ('unknown' without "
            "one); the rows add up to the month's churn in the bridge above."
        )

    st.subheader("Trials by the month they started")
    trials = data.query(
        "select month, trials_started, trials_converted, trial_to_paid_rate "
        "from marts.kpi_trials_monthly where month between ? and ? order by month",
        (chosen.start_month, chosen.end_month),
    )
    if trials.empty or not trials["trials_started"].any():
        st.caption("No trial started in these months (no subscription landed as trialing).")
    else:
        trials["month"] = pd.to_datetime(trials["month"]).dt.strftime("%Y-%m")
        trials["trial_to_paid_rate"] = trials["trial_to_paid_rate"].map(fmt.rate)
        st.table(trials)

    st.subheader("Retention and unit economics by month")
    table = ratios.copy()
    table["month"] = pd.to_datetime(table["month"]).dt.strftime("%Y-%m")
    st.dataframe(table, hide_index=True, width="stretch")


if __name__ == "__main__":
    render()
