"""Playbooks page: upsell candidates (with the recommended plan), churn risk with its drivers,
the quote-timing heatmap with the best hour per region, revenue leakage findings with amounts;
each list downloadable as CSV. Customer lists honour region and segment (joined to
dim_customers by customer_id); quote timing honours region; leakage honours the months."""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from revops.dashboard import data, explain, filters, fmt

CUSTOMER_COLUMNS = ("customer_name", "region", "size_band", "industry")
WEEKDAYS = {1: "Mon", 2: "Tue", 3: "Wed", 4: "Thu", 5: "Fri", 6: "Sat", 7: "Sun"}
CLOCKS = {
    "utc": ("UTC", "playbook_quote_timing", "weekday", "hour_utc"),
    "local": (
        "Customer's local time",
        "playbook_quote_timing_local",
        "weekday_local",
        "hour_local",
    ),
}


def _customer_columns(table: str, alias: str) -> str:
    """dim_customers columns (name, region, segment, industry) the mart does not carry."""
    present = set(
        data.query(
            "select column_name from duckdb_columns() where schema_name = 'marts' "
            "and table_name = ?",
            (table,),
        )["column_name"]
    )
    missing = [f"{alias}.{column}" for column in CUSTOMER_COLUMNS if column not in present]
    return "".join(f", {column}" for column in missing)


def _customer_list(table: str, chosen: filters.Filters, order_by: str) -> pd.DataFrame:
    condition, params = chosen.customer_condition("c")
    return data.query(
        f"select p.*{_customer_columns(table, 'c')} "
        f"from marts.{table} as p left join marts.dim_customers as c using (customer_id) "
        f"where {condition} order by {order_by}",
        params,
    )


def upsell_candidates(chosen: filters.Filters) -> pd.DataFrame:
    return _customer_list("playbook_upsell_candidates", chosen, "p.rank, p.customer_id")


def churn_risk(chosen: filters.Filters) -> pd.DataFrame:
    return _customer_list("playbook_churn_risk", chosen, "p.risk_score desc, p.customer_id")


def leakage(chosen: filters.Filters) -> pd.DataFrame:
    condition, params = chosen.customer_condition("c")
    return data.query(
        "select l.finding_id, l.finding_type, l.detected_on, l.amount_at_risk_usd, "
        "l.customer_id, c.customer_name, c.region, c.size_band, c.industry, l.source_table, "
        "l.source_record_id "
        "from marts.revenue_leakage as l left join marts.dim_customers as c using (customer_id) "
        f"where l.detected_on >= ? and l.detected_on < ?::date + interval 1 month and {condition} "
        "order by l.amount_at_risk_usd desc, l.finding_id",
        [chosen.start_month, chosen.end_month, *params],
    )


def quote_timing(clock: str, region: str | None) -> pd.DataFrame:
    _, table, weekday, hour = CLOCKS[clock]
    where, params = ("where region = ?", [region]) if region else ("", [])
    return data.query(
        f"select region, {weekday} as weekday, {hour} as hour, quotes_sent, quotes_accepted, "
        f"acceptance_rate, is_best_hour from marts.{table} {where} order by region, weekday, hour",
        params,
    )


def best_hours(clock: str, region: str | None) -> pd.DataFrame:
    _, table, _, hour = CLOCKS[clock]
    where, params = ("and region = ?", [region]) if region else ("", [])
    return data.query(
        f"select region, {hour} as best_hour, any_value(hour_quotes_sent) as quotes_sent, "
        f"any_value(hour_acceptance_rate) as acceptance_rate from marts.{table} "
        f"where is_best_hour {where} group by all order by region",
        params,
    )


def _download(frame: pd.DataFrame, name: str) -> None:
    st.download_button(
        f"Download {name}.csv",
        frame.to_csv(index=False).encode(),
        file_name=f"{name}.csv",
        mime="text/csv",
        key=f"download_{name}",
    )


def _heatmap(frame: pd.DataFrame) -> alt.Chart:
    frame = frame.assign(day=frame["weekday"].map(WEEKDAYS))
    return (
        alt.Chart(frame)
        .mark_rect()
        .encode(
            x=alt.X("hour:O", title="hour sent"),
            y=alt.Y("day:N", sort=list(WEEKDAYS.values()), title=None),
            color=alt.Color("acceptance_rate:Q", title="acceptance", legend=alt.Legend(format="%")),
            tooltip=[
                "day",
                "hour",
                "quotes_sent",
                "quotes_accepted",
                alt.Tooltip("acceptance_rate:Q", format=".1%"),
            ],
        )
    )


def render() -> None:
    chosen = filters.current()
    as_of = data.freshness().as_of_date
    st.header("Playbooks")
    landing = explain.banner("playbooks")
    st.caption(f"Customer lists are as of {as_of} (the months filter applies to leakage only).")

    st.subheader("Upsell candidates")
    upsell = upsell_candidates(chosen)
    cols = st.columns(2)
    cols[0].metric("Upsell candidates", fmt.number(len(upsell)))
    cols[1].metric("Their MRR", fmt.money(upsell["mrr_usd"].sum()))
    explain.captions("playbooks", {"Upsell candidates": len(upsell)}, landing)
    st.dataframe(upsell, hide_index=True, width="stretch")
    _download(upsell, "upsell_candidates")

    st.subheader("Churn risk")
    risk = churn_risk(chosen)
    high = risk[risk["risk_score"] >= 50] if "risk_score" in risk else risk
    cols = st.columns(2)
    cols[0].metric("Customers scored", fmt.number(len(risk)))
    cols[1].metric("High risk (score >= 50)", fmt.number(len(high)))
    explain.captions("playbooks", {"Customers scored": len(risk)}, landing)
    st.caption(
        "Drivers beside the score: usage trend, tickets in 90 days, latest NPS band, "
        "past-due invoices, and the points each adds."
    )
    st.dataframe(risk, hide_index=True, width="stretch")
    _download(risk, "churn_risk")

    st.subheader("Quote timing")
    if chosen.segment:
        st.info(
            "Quote timing: not split by segment; the heatmap is for every segment.",
            icon=":material/filter_alt_off:",
        )
    clock = st.radio(
        "Clock",
        list(CLOCKS),
        format_func=lambda k: CLOCKS[k][0],
        horizontal=True,
        key="quote_clock",
    )
    timing = quote_timing(clock, chosen.region)
    regions = sorted(timing["region"].unique())
    if not regions:
        st.info("No quotes sent.")
    else:
        region = chosen.region or st.selectbox("Heatmap region", regions, key="heatmap_region")
        st.altair_chart(_heatmap(timing[timing["region"] == region]), width="stretch")
        best = best_hours(clock, chosen.region)
        st.caption(
            "Best hour per region: the hour with the highest acceptance rate among "
            "hours with at least 30 quotes sent."
        )
        st.table(best.assign(acceptance_rate=best["acceptance_rate"].map(fmt.rate)))
        _download(timing, "quote_timing")

    st.subheader("Revenue leakage")
    findings = leakage(chosen)
    cols = st.columns(2)
    cols[0].metric("Leakage findings", fmt.number(len(findings)))
    cols[1].metric("Amount at risk", fmt.money(findings["amount_at_risk_usd"].sum()))
    by_type = (
        findings.groupby("finding_type")["amount_at_risk_usd"].agg(["count", "sum"]).reset_index()
    )
    st.table(by_type.rename(columns={"count": "findings", "sum": "amount_at_risk_usd"}))
    st.dataframe(findings, hide_index=True, width="stretch")
    _download(findings, "revenue_leakage")


if __name__ == "__main__":
    render()
