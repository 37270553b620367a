"""The dashboard: page tests without a browser (streamlit AppTest) on the published xs
company and on an empty warehouse, and a real-browser test (headless Debian Chromium driven by
Playwright) against `revops dashboard` started as a subprocess.

Every headline number read from a page is compared with SQL run here directly on the serving
file, so a page showing the wrong column, month, filter or sign fails.
"""

from __future__ import annotations

import os
import re
import shutil
from datetime import date
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from revops import paths
from revops.cli import build_parser, dashboard_command

from .dashboard_browser import chromium_page, dashboard_server, metrics, wait_for_page

APP = Path(paths.REPO_ROOT) / "revops" / "dashboard" / "app.py"
PAGES = {
    "views/revenue.py": "Revenue",
    "views/funnel.py": "Funnel and marketing",
    "views/sales.py": "Sales",
    "views/success.py": "Success",
    "views/playbooks.py": "Playbooks",
}
NOT_SPLIT = "not split by region or segment"


def number(text: str) -> float | None:
    """A displayed value as a number: "$1,234" -> 1234, "12.5%" -> 0.125, "n/a" -> None."""
    if text == "n/a":
        return None
    value = float(re.sub(r"[^0-9.\-]", "", text.split("/")[0]))
    return value / 100 if text.endswith("%") else value


def close(shown: str, expected) -> bool:
    """Equal at the display's precision: within half a unit of the last digit shown."""
    value = number(shown)
    if expected is None or value is None:
        return value is None and expected is None
    digits = re.sub(r"[^0-9.]", "", shown.split("/")[0])
    decimals = len(digits.split(".")[1]) if "." in digits else 0
    tolerance = 0.5 * 10**-decimals * (0.01 if shown.endswith("%") else 1) * 1.0001
    return abs(value - float(expected)) <= tolerance


# ---------------------------------------------------------------- SQL straight on the file


def as_of_month(ws) -> date:
    return ws.query("select max(month) from marts.kpi_revenue_monthly")[0][0]


def start_month(ws) -> date:
    months = [
        m
        for (m,) in ws.query(
            "select month from marts.kpi_revenue_monthly union select month from "
            "marts.kpi_sales_monthly union select month from marts.kpi_funnel_monthly union "
            "select month from marts.kpi_success_monthly order by month"
        )
    ]
    return months[max(0, len(months) - 12)]


def expected_revenue(ws, region: str | None = None) -> dict:
    month = as_of_month(ws)
    nrr, grr, churn, cac, ltv_cac, payback, mrr, arr = ws.query(
        "select nrr, grr, logo_churn_rate, cac_usd, ltv_to_cac, cac_payback_months, mrr_usd, "
        "arr_usd from marts.kpi_revenue_monthly where month = ?",
        [month],
    )[0]
    # paying customers and net new MRR (closing - opening MRR) straight from fct_mrr
    mrr, paying, opening = ws.query(
        "select coalesce(sum(m.mrr_usd) filter (where m.month = ?), 0), "
        "count(*) filter (where m.month = ? and m.mrr_usd > 0), "
        "coalesce(sum(m.mrr_usd) filter (where m.month = ? - interval 1 month), 0) "
        "from marts.fct_mrr m join marts.dim_customers c using (customer_id) "
        "where c.region = ? or ? is null",
        [month, month, month, region, region],
    )[0]
    if region is not None:
        arr = 12 * mrr
    return {
        "MRR": mrr,
        "ARR": arr,
        "Paying customers": paying,
        "Net new MRR": mrr - opening,
        "NRR": nrr,
        "GRR": grr,
        "Logo churn": churn,
        "CAC": cac,
        "LTV:CAC": ltv_cac,
        "CAC payback": payback,
    }


def expected_sales(ws) -> dict:
    row = ws.query(
        "select win_rate, sales_cycle_days_median, pipeline_velocity_usd_per_day, bookings_usd, "
        "forecast_usd, forecast_accuracy from marts.kpi_sales_monthly where month = ?",
        [as_of_month(ws)],
    )[0]
    labels = [
        "Win rate",
        "Sales cycle (median days)",
        "Pipeline velocity",
        "Bookings",
        "Forecast",
        "Forecast accuracy",
    ]
    return dict(zip(labels, row, strict=True))


def expected_funnel(ws) -> dict:
    leads, won = ws.query(
        "select sum(leads), sum(won) from marts.kpi_funnel_monthly where month between ? and ?",
        [start_month(ws), as_of_month(ws)],
    )[0]
    return {"Leads": leads, "Won": won}


def expected_success(ws) -> dict:
    csat, nps = ws.query(
        "select csat, nps from marts.kpi_success_monthly where month = ?", [as_of_month(ws)]
    )[0]
    return {"CSAT": csat, "NPS": nps}


def expected_playbooks(ws) -> dict:
    (candidates,) = ws.query("select count(*) from marts.playbook_upsell_candidates")[0]
    (scored,) = ws.query("select count(*) from marts.playbook_churn_risk")[0]
    findings, at_risk = ws.query(
        "select count(*), coalesce(sum(amount_at_risk_usd), 0) from marts.revenue_leakage "
        "where detected_on >= ? and detected_on < ?::date + interval 1 month",
        [start_month(ws), as_of_month(ws)],
    )[0]
    return {
        "Upsell candidates": candidates,
        "Customers scored": scored,
        "Leakage findings": findings,
        "Amount at risk": at_risk,
    }


EXPECTED = {
    "views/revenue.py": expected_revenue,
    "views/funnel.py": expected_funnel,
    "views/sales.py": expected_sales,
    "views/success.py": expected_success,
    "views/playbooks.py": expected_playbooks,
}


def assert_headlines(shown: dict[str, str], expected: dict, page: str) -> None:
    for label, value in expected.items():
        assert label in shown, f"{page}: no metric {label!r} in {sorted(shown)}"
        assert close(shown[label], value), f"{page}: {label} shows {shown[label]}, SQL {value}"


# ---------------------------------------------------------------- page tests (no browser)


@pytest.fixture
def xs_env(xs_published, monkeypatch):
    ws, result = xs_published
    assert result.success
    monkeypatch.setenv("REVOPS_WAREHOUSE_DIR", str(ws.warehouse))
    return ws


def _app() -> AppTest:
    return AppTest.from_file(str(APP), default_timeout=60)


def _metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def test_empty_state_without_a_serving_file(tmp_path, monkeypatch):
    monkeypatch.setenv("REVOPS_WAREHOUSE_DIR", str(tmp_path / "nothing"))
    at = _app().run()
    assert not at.exception
    assert any("Nothing published yet" in info.value for info in at.info)
    assert not at.metric  # no page is drawn


def test_every_page_shows_the_serving_numbers(xs_env):
    at = _app().run()
    assert not at.exception, at.exception
    assert any("Data as of" in c.value and "last successful refresh" in c.value for c in at.caption)
    (as_of, published_at) = xs_env.query(
        "select as_of_date, published_at from meta.refreshes order by published_at desc limit 1"
    )[0]
    header = next(c.value for c in at.caption if "Data as of" in c.value)
    assert str(as_of) in header and f"{published_at:%Y-%m-%d %H:%M}" in header
    for page, title in PAGES.items():
        at.switch_page(page).run()
        assert not at.exception, (page, at.exception)
        assert [h.value for h in at.header] == [title]
        assert_headlines(_metrics(at), EXPECTED[page](xs_env), page)
        assert not any(NOT_SPLIT in i.value for i in at.info), page  # no filter chosen yet


def test_region_filter_splits_revenue_and_says_where_it_cannot(xs_env):
    (region,) = xs_env.query(
        "select c.region from marts.fct_mrr m join marts.dim_customers c using (customer_id) "
        "where m.month = (select max(month) from marts.fct_mrr) group by 1 "
        "order by sum(m.mrr_usd) desc limit 1"
    )[0]
    at = _app().run()
    before = _metrics(at)["MRR"]
    at.selectbox(key="filter_region").select(region).run()
    assert not at.exception
    shown = _metrics(at)
    assert shown["MRR"] != before
    assert_headlines(shown, expected_revenue(xs_env, region), f"revenue, region {region}")
    assert any(NOT_SPLIT in i.value for i in at.info)  # NRR and CAC are not split

    # the filter stays on other pages: customer lists are split, pre-aggregated marts say so
    at.switch_page("views/playbooks.py").run()
    assert not at.exception
    (candidates,) = xs_env.query(
        "select count(*) from marts.playbook_upsell_candidates p join marts.dim_customers c "
        "using (customer_id) where c.region = ?",
        [region],
    )[0]
    assert number(_metrics(at)["Upsell candidates"]) == candidates
    at.switch_page("views/sales.py").run()
    assert any(NOT_SPLIT in i.value for i in at.info)


def test_the_revenue_page_splits_a_months_churn_by_reason_and_lists_trials(xs_env):
    (month, churned) = xs_env.query(
        "select month, sum(churned_customers) from marts.kpi_churn_by_reason_monthly "
        "group by month order by 2 desc, month limit 1"
    )[0]
    at = _app().run()
    at.selectbox(key="bridge_month").select(month).run()
    assert not at.exception
    tables = [t.value for t in at.table]
    by_reason = next(t for t in tables if "reason" in t.columns)
    expected = xs_env.query(
        "select churn_reason, churned_customers from marts.kpi_churn_by_reason_monthly "
        "where month = ? order by churned_mrr_usd, churn_reason",
        [month],
    )
    assert list(zip(by_reason["reason"], by_reason["customers"], strict=True)) == expected
    # the reasons add up to the month's churned logos of the revenue mart
    (logos,) = xs_env.query(
        "select churned_customers from marts.kpi_revenue_monthly where month = ?", [month]
    )[0]
    assert sum(by_reason["customers"]) == churned == logos

    trials = next(t for t in tables if "trials_started" in t.columns)
    started = dict(
        xs_env.query(
            "select strftime(month, '%Y-%m'), trials_started from marts.kpi_trials_monthly"
        )
    )
    assert len(trials) > 0
    assert all(
        started[m] == n for m, n in zip(trials["month"], trials["trials_started"], strict=True)
    )


def test_months_filter_moves_the_headline_month(xs_env):
    at = _app().run()
    months = at.select_slider(key="filter_months").options
    at.select_slider(key="filter_months").set_range(months[0], months[-2]).run()
    assert not at.exception
    previous = date.fromisoformat(months[-2] + "-01")
    (mrr,) = xs_env.query(
        "select mrr_usd from marts.kpi_revenue_monthly where month = ?", [previous]
    )[0]
    assert close(_metrics(at)["MRR"], mrr)


def test_a_new_publish_is_picked_up_without_a_restart(xs_published, tmp_path, monkeypatch):
    """The app holds no connection: a publish that os.replace-s the serving file shows on the
    next rerun (and the file is never locked by the app in between)."""
    import duckdb

    ws, _ = xs_published
    warehouse = tmp_path / "warehouse"
    warehouse.mkdir()
    shutil.copy(ws.serving, warehouse / "serving.duckdb")
    monkeypatch.setenv("REVOPS_WAREHOUSE_DIR", str(warehouse))
    at = _app().run()
    assert any("Data as of" in c.value for c in at.caption)
    # a read-write connection in this process fails while any connection to the file is open
    duckdb.connect(str(warehouse / "serving.duckdb")).close()
    staged = warehouse / ".serving.duckdb.partial"
    shutil.copy(warehouse / "serving.duckdb", staged)
    con = duckdb.connect(str(staged))
    con.execute(
        "insert into meta.refreshes values ('feedface-next-run', timestamp '2099-01-02 03:04', "
        "date '2098-12-31', 1)"
    )
    con.close()
    os.replace(staged, warehouse / "serving.duckdb")
    at.run()
    header = next(c.value for c in at.caption if "Data as of" in c.value)
    assert "2098-12-31" in header and "2099-01-02 03:04" in header and "feedface" in header


def test_dashboard_command_is_local_and_private():
    args = build_parser().parse_args(["dashboard", "--port", "8765"])
    assert args.port == 8765 and args.host == "127.0.0.1"
    command = " ".join(dashboard_command(args.port))
    for option in (
        "--server.address 127.0.0.1",
        "--server.headless true",
        "--browser.gatherUsageStats false",
        "--server.port 8765",
    ):
        assert option in command


# ---------------------------------------------------------------- real browser


@pytest.mark.browser
@pytest.mark.skipif(not Path("/usr/bin/chromium").exists(), reason="needs Debian chromium")
def test_browser_every_page_and_a_region_filter(xs_published, tmp_path):
    ws, _ = xs_published
    shots = tmp_path / "screenshots"
    shots.mkdir()
    with dashboard_server(ws.warehouse, tmp_path / "server.log") as url, chromium_page() as page:
        page.goto(url)
        for path, title in PAGES.items():
            slug = Path(path).stem
            # through the sidebar, as a user does (one session, filters kept)
            page.get_by_test_id("stSidebarNav").get_by_role("link", name=title).click()
            expected = EXPECTED[path](ws)
            wait_for_page(page, title, list(expected))
            assert page.locator('[data-testid="stException"]').count() == 0, title
            assert_headlines(metrics(page), expected, f"browser {title}")
            page.screenshot(path=str(shots / f"{slug}.png"), full_page=True)

        # choose a region on the revenue page: MRR becomes that region's MRR
        page.get_by_test_id("stSidebarNav").get_by_role("link", name="Revenue").click()
        wait_for_page(page, "Revenue", ["MRR"])
        before = metrics(page)["MRR"]
        (region,) = ws.query(
            "select region from marts.dim_customers where current_mrr_usd > 0 "
            "group by 1 order by sum(current_mrr_usd) desc limit 1"
        )[0]
        page.locator('[data-testid="stSelectbox"]').filter(has_text="Region").click()
        page.get_by_role("option", name=region, exact=True).click()
        page.get_by_text(NOT_SPLIT).first.wait_for(timeout=30_000)
        wait_for_page(page, "Revenue", ["MRR"])
        shown = metrics(page)
        assert shown["MRR"] != before
        assert_headlines(shown, expected_revenue(ws, region), f"browser revenue, region {region}")
        assert page.locator('[data-testid="stException"]').count() == 0
        page.screenshot(path=str(shots / f"revenue_{region}.png"), full_page=True)
    assert len(list(shots.glob("*.png"))) == len(PAGES) + 1


# What a page may add up itself: totals of the rows it lists, each named with why. Any other
# sum, mean, median, count or group-by in a page is a metric computed outside the marts and
# the semantic layer (one definition per number), and fails the test below.
PAGE_TOTALS = {
    "revenue.py": {
        "sum(float(latest[c]) for c, _ in MOVEMENTS)": "net new MRR: the movements shown",
    },
    "playbooks.py": {
        'upsell["mrr_usd"].sum()': "the MRR of the candidates listed",
        'findings["amount_at_risk_usd"].sum()': "the amount at risk of the findings listed",
        'findings.groupby("finding_type")': "the findings listed, counted by type",
    },
    "sales.py": {
        'pipeline["forecast_usd"].sum()': "the weighted pipeline of the months listed",
    },
    # not a KPI: messages waiting in the outbox folder, counted over the destinations
    "activation.py": {
        "sum(len(outbox.pending(n)) for n in names)": "messages waiting for delivery",
        "sum(len(outbox.dead_letters(n)) for n in names)": "messages in the dead letter",
    },
}
AGGREGATION = re.compile(
    r"\.(sum|mean|median|count|agg)\(|groupby\(|\b(sum|avg|median|count)\(", re.IGNORECASE
)


def test_pages_take_every_number_from_a_mart_column_or_the_semantic_layer():
    views = APP.parent / "views"
    found = []
    for page in sorted(views.glob("*.py")):
        allowed = PAGE_TOTALS.get(page.name, {})
        source = page.read_text()
        for snippet in allowed:
            assert snippet in source, f"{page.name}: {snippet!r} is gone, drop it from the list"
        for number, line in enumerate(source.splitlines(), start=1):
            code = line.split("#")[0]
            if AGGREGATION.search(code) and not any(s in code for s in allowed):
                found.append(f"{page.name}:{number}: {line.strip()}")
    assert not found, "computed in a page, not read from a mart or a metric:\n" + "\n".join(found)
