"""The dashboard says why a KPI is n/a (issue 12).

The map of KPIs to raw contract tables (revops/dashboard/inputs.py) is checked against the
dbt lineage of each KPI's mart, so it cannot name a table the KPI does not read. The pages
are drawn (streamlit AppTest, no browser) on the serving file of a partial landing (Maven CRM
+ Telco churn: no marketing, success, invoice or expense table) and must name the missing
tables; on the full xs company they must not show any such explanation.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from revops import paths
from revops.contract import TABLES
from revops.dashboard import inputs

APP = Path(paths.REPO_ROOT) / "revops" / "dashboard" / "app.py"
PAGES = ["revenue", "funnel", "sales", "success", "playbooks"]
NOT_LANDED = "rows were landed in the last refresh"
BANNER = "The last refresh"


@pytest.fixture(scope="module")
def upstream_sources() -> dict[str, set[str]]:
    """mart -> the raw tables (source identifiers) anywhere upstream of it, from the manifest."""
    from orchestration.project import ensure_manifest

    manifest = json.loads(Path(ensure_manifest()).read_text())
    parents = manifest["parent_map"]
    identifiers = {
        uid: node.get("identifier") or node["name"] for uid, node in manifest["sources"].items()
    }

    def sources_of(unique_id: str) -> set[str]:
        seen, stack, found = set(), [unique_id], set()
        while stack:
            node = stack.pop()
            for parent in parents.get(node, []):
                if parent in seen:
                    continue
                seen.add(parent)
                if parent in identifiers:
                    found.add(identifiers[parent])
                stack.append(parent)
        return found

    marts = {k.mart for k in inputs.KPIS}
    return {mart: sources_of(f"model.revops.{mart}") for mart in marts}


def test_every_kpi_input_is_read_by_its_mart(upstream_sources):
    raw_tables = {f"{t.system}__{t.name}" for t in TABLES}
    for kpi in inputs.KPIS:
        upstream = upstream_sources[kpi.mart]
        assert upstream, kpi.mart
        for group in kpi.needs:
            assert group, kpi
            for table in group:
                assert table in raw_tables, (kpi.label, table)
                assert table in upstream, (
                    f"{kpi.page}/{kpi.label}: {kpi.mart} does not read {table}"
                )
    # the lineage is not "everything" (identity resolution reads most tables, but not all):
    # an entry naming a table its mart does not read would be caught
    assert "finance__gl_expenses" not in upstream_sources["kpi_funnel_monthly"]
    assert "marketing__ad_spend" not in upstream_sources["kpi_sales_monthly"]
    assert "success__product_usage" not in upstream_sources["kpi_success_monthly"]


def test_labels_are_unique_per_page_and_pages_are_known():
    assert len(inputs.BY_LABEL) == len(inputs.KPIS)
    assert {k.page for k in inputs.KPIS} == set(PAGES)


def test_why_names_the_missing_tables_then_the_honest_reason():
    cac = inputs.BY_LABEL[("revenue", "CAC")]
    both = {"finance__gl_expenses", "marketing__ad_spend"}
    text = inputs.why(cac, None, both, "0123456789abcdef")
    assert text == (
        "CAC: no finance.gl_expenses or marketing.ad_spend rows were landed in the last "
        "refresh (run 01234567), so CAC cannot be computed."
    )
    # one of the two spend tables is enough
    assert inputs.why(cac, None, {"marketing__ad_spend"}, "r") == (
        "CAC is n/a: no new customers this month (CAC divides by new customers)."
    )
    assert inputs.why(cac, 120.0, {"marketing__ad_spend"}, "r") is None
    # a count of 0 that only means "nothing landed" is explained too
    leads = inputs.BY_LABEL[("funnel", "Leads")]
    assert "marketing.leads" in inputs.why(leads, 0, {"marketing__leads"}, "r")
    assert inputs.why(leads, 0, set(), "r") is None
    # groups: every group without rows is named
    ltv = inputs.BY_LABEL[("revenue", "LTV:CAC")]
    text = inputs.why(ltv, None, both | {"finance__invoices"}, None)
    assert "finance.invoices and finance.gl_expenses or marketing.ad_spend" in text


def _app() -> AppTest:
    return AppTest.from_file(str(APP), default_timeout=60)


def _texts(at: AppTest) -> list[str]:
    return [e.value for kind in (at.caption, at.warning, at.info) for e in kind]


def test_partial_landing_pages_say_which_tables_are_missing(sales_and_churn, monkeypatch):
    ws, result = sales_and_churn
    assert result.success
    monkeypatch.setenv("REVOPS_WAREHOUSE_DIR", str(ws.warehouse))
    empty = {t for (t,) in ws.query("select table_name from meta.raw_volumes where rows = 0")}
    assert {"marketing__leads", "finance__gl_expenses", "success__tickets"} <= empty
    (run_id,) = ws.query("select run_id from meta.refreshes")[0]

    at = _app().run()
    assert not at.exception, at.exception
    # revenue: CAC is n/a because neither expenses nor ad spend were landed
    texts = _texts(at)
    assert any(BANNER in w.value and "finance.gl_expenses" in w.value for w in at.warning)
    assert any(
        "CAC: no finance.gl_expenses or marketing.ad_spend rows were landed" in t
        and run_id[:8] in t
        for t in texts
    ), texts
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["CAC"] == "n/a"

    at.switch_page("views/funnel.py").run()
    assert not at.exception, at.exception
    texts = _texts(at)
    assert {m.label: m.value for m in at.metric}["Leads"] == "0"
    assert any(t.startswith("Leads: no marketing.leads " + NOT_LANDED) for t in texts), texts
    assert not any(t.startswith("Won:") for t in texts)  # opportunities were landed

    at.switch_page("views/success.py").run()
    assert not at.exception, at.exception
    texts = _texts(at)
    assert any("success.tickets" in t and "success.nps_responses" in t for t in texts), texts


def test_full_landing_shows_no_missing_input_explanation(xs_published, monkeypatch):
    ws, result = xs_published
    assert result.success
    monkeypatch.setenv("REVOPS_WAREHOUSE_DIR", str(ws.warehouse))
    at = _app().run()
    for page in PAGES:
        at.switch_page(f"views/{page}.py").run()
        assert not at.exception, (page, at.exception)
        assert not any(BANNER in w.value for w in at.warning), page
        assert not any(NOT_LANDED in t for t in _texts(at)), page
        # every KPI of the map is a metric on its page (the map names what is shown)
        labels = {m.label for m in at.metric}
        missing = [k.label for k in inputs.KPIS if k.page == page and k.label not in labels]
        assert not missing, (page, missing)
