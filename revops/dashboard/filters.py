"""The header (freshness, last successful refresh) and the filter bar every page honours.

Filters: a month range, a region and a segment (dim_customers.region / size_band). Pages ask
`current()` for them; a page whose mart is pre-aggregated without region or segment calls
`note_not_split()` so the user sees the filter is not applied there.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

import pandas as pd
import streamlit as st

from revops.dashboard import data, fmt

ALL = "All"
DEFAULT_MONTHS = 12


@dataclass(frozen=True)
class Filters:
    start_month: date
    end_month: date
    region: str | None
    segment: str | None

    @property
    def split(self) -> bool:
        """True when a region or segment is chosen."""
        return self.region is not None or self.segment is not None

    def describe(self) -> str:
        parts = []
        if self.region:
            parts.append(f"region {self.region}")
        if self.segment:
            parts.append(f"segment {self.segment}")
        return " and ".join(parts)

    def customer_condition(self, alias: str) -> tuple[str, list]:
        """SQL condition on a dim_customers alias for the region and segment chosen."""
        clauses, params = ["true"], []
        if self.region:
            clauses.append(f"{alias}.region = ?")
            params.append(self.region)
        if self.segment:
            clauses.append(f"{alias}.size_band = ?")
            params.append(self.segment)
        return " and ".join(clauses), params

    def customer_filters(self) -> list[str]:
        """The region and segment chosen as semantic-layer filters on the customer."""
        chosen = {"customer__region": self.region, "customer__size_band": self.segment}
        quoted = {name: value.replace("'", "''") for name, value in chosen.items() if value}
        return [f"{{{{ Dimension('{name}') }}}} = '{value}'" for name, value in quoted.items()]


def months_available() -> list[date]:
    frame = data.query(
        "select month from marts.kpi_revenue_monthly union "
        "select month from marts.kpi_sales_monthly union "
        "select month from marts.kpi_funnel_monthly union "
        "select month from marts.kpi_success_monthly order by month"
    )
    return [pd.Timestamp(m).date() for m in frame["month"]]


def _options(sql: str) -> list[str]:
    return [ALL, *[str(v) for v in data.query(sql).iloc[:, 0].dropna()]]


def render_header() -> None:
    st.title("RevOps dashboard")
    fresh = data.freshness()
    if fresh.published_at is None:
        st.caption(f"Serving file {data.serving_path()} has no refresh recorded.")
        return
    age_hours = (datetime.now(UTC).replace(tzinfo=None) - fresh.published_at).total_seconds() / 3600
    st.caption(
        f"Data as of **{fresh.as_of_date}** · last successful refresh "
        f"**{fresh.published_at:%Y-%m-%d %H:%M} UTC** ({age_hours:,.1f} h ago, run "
        f"{fresh.run_id[:8]}) · {data.serving_path()} (read-only)"
    )


def render_filter_bar() -> Filters | None:
    months = months_available()
    if not months:
        return None
    labels = [fmt.month(m) for m in months]
    left, middle, right = st.columns([3, 1, 1])
    with left:
        start, end = st.select_slider(
            "Months",
            options=labels,
            value=(labels[max(0, len(labels) - DEFAULT_MONTHS)], labels[-1]),
            key="filter_months",
        )
    with middle:
        region = st.selectbox(
            "Region",
            _options("select distinct region from marts.dim_customers order by 1"),
            key="filter_region",
        )
    with right:
        segment = st.selectbox(
            "Segment (size band)",
            _options("select distinct size_band from marts.dim_customers order by 1"),
            key="filter_segment",
        )
    chosen = Filters(
        start_month=months[labels.index(start)],
        end_month=months[labels.index(end)],
        region=None if region == ALL else region,
        segment=None if segment == ALL else segment,
    )
    st.session_state["filters"] = chosen
    return chosen


def current() -> Filters:
    return st.session_state["filters"]


def note_not_split(what: str) -> None:
    """Say visibly that the region/segment filter does not apply to `what`."""
    chosen = current()
    if chosen.split:
        st.info(
            f"{what}: not split by region or segment in the published marts; the figures are "
            f"for all customers, not only {chosen.describe()}.",
            icon=":material/filter_alt_off:",
        )
