"""Which landed contract tables each headline KPI of the dashboard needs, and why a KPI is n/a.

The one map of the dashboard's KPIs to their raw inputs (issue 12). A KPI lists its inputs as
groups: it can be computed only when every group has at least one table with rows in the last
refresh (CAC needs new customers from subscription events, and spend from either GL expenses
or ad spend). Each entry's tables are checked against the dbt lineage of its mart in
tests/test_dashboard_inputs.py, so the map cannot name a table the KPI does not read. Raw
tables are named as in `meta.raw_volumes` (`finance__gl_expenses`) and shown as the landing
folder names them (`finance.gl_expenses`).

Pure functions only: revops/dashboard/explain.py reads the volumes and draws the text.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import pandas as pd

SUBSCRIPTIONS = ("finance__subscription_events",)
PLANS = ("finance__plans",)
SPEND = ("finance__gl_expenses", "marketing__ad_spend")
INVOICES = ("finance__invoices",)
LEADS = ("marketing__leads",)
OPPORTUNITIES = ("sales__opportunities",)
FORECASTS = ("sales__forecast_submissions",)
TICKETS = ("success__tickets",)
NPS = ("success__nps_responses",)
USAGE = ("success__product_usage",)


@dataclass(frozen=True)
class Kpi:
    page: str  # the view's module name: revenue, funnel, sales, success, playbooks
    label: str  # the metric label shown on the page
    mart: str  # the published mart (schema marts) the value comes from
    column: str
    needs: tuple[tuple[str, ...], ...]  # groups of raw tables; each needs one with rows
    when_null: str = ""  # the honest reason for an n/a when every input was landed


NEW_CUSTOMERS_NULL = "no new customers this month (CAC divides by new customers)"

KPIS: tuple[Kpi, ...] = (
    # Revenue (kpi_revenue_monthly)
    *(
        Kpi("revenue", label, "kpi_revenue_monthly", column, (SUBSCRIPTIONS, PLANS))
        for label, column in [
            ("MRR", "mrr_usd"),
            ("ARR", "arr_usd"),
            ("Paying customers", "active_customers"),
            ("Net new MRR", "new_mrr_usd"),
        ]
    ),
    *(
        Kpi(
            "revenue",
            label,
            "kpi_revenue_monthly",
            column,
            (SUBSCRIPTIONS, PLANS),
            "fewer than 12 months of MRR history before this month, or no customer paid "
            "12 months earlier",
        )
        for label, column in [("NRR", "nrr"), ("GRR", "grr")]
    ),
    Kpi(
        "revenue",
        "Logo churn",
        "kpi_revenue_monthly",
        "logo_churn_rate",
        (SUBSCRIPTIONS, PLANS),
        "no customer paid at the end of the previous month",
    ),
    Kpi(
        "revenue",
        "CAC",
        "kpi_revenue_monthly",
        "cac_usd",
        (SUBSCRIPTIONS, SPEND),
        NEW_CUSTOMERS_NULL,
    ),
    Kpi(
        "revenue",
        "LTV:CAC",
        "kpi_revenue_monthly",
        "ltv_to_cac",
        (SUBSCRIPTIONS, INVOICES, SPEND),
        "LTV needs 12 months of revenue history, invoiced revenue and some logo churn in "
        "the trailing 12 months, and CAC needs new customers this month",
    ),
    Kpi(
        "revenue",
        "CAC payback",
        "kpi_revenue_monthly",
        "cac_payback_months",
        (SUBSCRIPTIONS, INVOICES, SPEND),
        "no new customers this month, or no invoiced revenue (gross margin) in the "
        "trailing 12 months",
    ),
    # Funnel and marketing (kpi_funnel_monthly, kpi_marketing_attribution, kpi_funnel_cohorts)
    *(
        Kpi("funnel", label, "kpi_funnel_monthly", column, (LEADS,))
        for label, column in [("Leads", "leads"), ("MQLs", "mqls"), ("SQLs", "sqls")]
    ),
    *(
        Kpi("funnel", label, "kpi_funnel_monthly", column, (OPPORTUNITIES,))
        for label, column in [("Opportunities", "opportunities"), ("Won", "won")]
    ),
    Kpi(
        "funnel",
        "Lead acceptance",
        "kpi_funnel_monthly",
        "lead_acceptance_rate",
        (LEADS,),
        "nobody became an MQL in the chosen months",
    ),
    Kpi(
        "funnel",
        "Attributed bookings",
        "kpi_marketing_attribution",
        "attributed_bookings_usd",
        (OPPORTUNITIES,),
    ),
    Kpi(
        "funnel",
        "Ad spend",
        "kpi_marketing_attribution",
        "ad_spend_usd",
        (("marketing__ad_spend",),),
    ),
    Kpi("funnel", "Cohort people", "kpi_funnel_cohorts", "people", (LEADS,)),
    Kpi(
        "funnel",
        "Cohort lead to won",
        "kpi_funnel_cohorts",
        "lead_to_won_rate",
        (LEADS, OPPORTUNITIES),
        "nobody entered the funnel in the chosen cohort months",
    ),
    # Sales (kpi_sales_monthly)
    Kpi(
        "sales",
        "Win rate",
        "kpi_sales_monthly",
        "win_rate",
        (OPPORTUNITIES,),
        "no new_business or expansion opportunity closed this month",
    ),
    Kpi(
        "sales",
        "Sales cycle (median days)",
        "kpi_sales_monthly",
        "sales_cycle_days_median",
        (OPPORTUNITIES,),
        "no opportunity was won this month",
    ),
    Kpi(
        "sales",
        "Pipeline velocity",
        "kpi_sales_monthly",
        "pipeline_velocity_usd_per_day",
        (OPPORTUNITIES,),
        "no opportunity was won this month (velocity needs a win rate, a deal size and a "
        "sales cycle)",
    ),
    Kpi("sales", "Open opportunities", "kpi_sales_monthly", "open_opportunities", (OPPORTUNITIES,)),
    Kpi("sales", "Bookings", "kpi_sales_monthly", "bookings_usd", (OPPORTUNITIES,)),
    Kpi(
        "sales",
        "Forecast",
        "kpi_sales_monthly",
        "forecast_usd",
        (FORECASTS,),
        "no owner submitted a forecast for this month before it began",
    ),
    *(
        Kpi(
            "sales",
            label,
            "kpi_sales_monthly",
            column,
            (FORECASTS, OPPORTUNITIES),
            "no forecast was submitted for this month before it began, or nothing was booked "
            "in it (accuracy divides by the actual bookings)",
        )
        for label, column in [
            ("Forecast accuracy", "forecast_accuracy"),
            ("Forecast bias", "forecast_bias"),
        ]
    ),
    # Success (kpi_success_monthly)
    Kpi(
        "success",
        "CSAT",
        "kpi_success_monthly",
        "csat",
        (TICKETS,),
        "no ticket solved this month has a CSAT score (1-5)",
    ),
    Kpi("success", "NPS", "kpi_success_monthly", "nps", (NPS,), "no NPS answer this month"),
    Kpi("success", "NPS answers", "kpi_success_monthly", "nps_answers", (NPS,)),
    Kpi(
        "success",
        "First response (median h)",
        "kpi_success_monthly",
        "first_response_hours_median",
        (TICKETS,),
        "no ticket created this month has a first response",
    ),
    # Playbooks
    Kpi(
        "playbooks",
        "Upsell candidates",
        "playbook_upsell_candidates",
        "customer_id",
        (SUBSCRIPTIONS, USAGE),
    ),
    Kpi("playbooks", "Customers scored", "playbook_churn_risk", "customer_id", (SUBSCRIPTIONS,)),
)

BY_LABEL: dict[tuple[str, str], Kpi] = {(k.page, k.label): k for k in KPIS}


def shown_name(raw_table: str) -> str:
    """`finance__gl_expenses` -> `finance.gl_expenses` (the landing folder's names)."""
    return raw_table.replace("__", ".", 1)


def page_tables(page: str) -> list[str]:
    """Every raw table a page's KPIs need, in first-use order."""
    seen: dict[str, None] = {}
    for kpi in KPIS:
        if kpi.page == page:
            for group in kpi.needs:
                seen.update(dict.fromkeys(group))
    return list(seen)


def missing_groups(kpi: Kpi, empty: Iterable[str]) -> list[tuple[str, ...]]:
    """The groups of `kpi` none of whose tables had rows in the last refresh."""
    empty = set(empty)
    return [group for group in kpi.needs if all(t in empty for t in group)]


def is_missing(value) -> bool:
    """None, NaN or pandas NA (how an n/a reaches the page from a DataFrame)."""
    if value is None:
        return True
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def why(kpi: Kpi, value, empty: Iterable[str], run_id: str | None) -> str | None:
    """Why `kpi` shows `value` as n/a (or a 0 that says nothing), or None when it is real.

    Inputs not landed come first (even a value of 0 is then explained: 0 leads because no
    lead was landed is not 0 leads); then an n/a gets the KPI's honest reason.
    """
    groups = missing_groups(kpi, empty)
    if groups:
        tables = " and ".join(" or ".join(shown_name(t) for t in group) for group in groups)
        run = f" (run {run_id[:8]})" if run_id else ""
        return (
            f"{kpi.label}: no {tables} rows were landed in the last refresh{run}, so "
            f"{kpi.label} cannot be computed."
        )
    if is_missing(value) and kpi.when_null:
        return f"{kpi.label} is n/a: {kpi.when_null}."
    return None
