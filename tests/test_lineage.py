"""What feeds what (revops/lineage.py): the contract's columns followed through the dbt
graph to the marts and metrics, the generated page kept in step, and what `revops land`
says a partial landing leaves null or partial."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from revops import cli
from revops.lineage import DOC_PATH, Carried, analyse, describe_gaps, kpi_gaps, load, render


@pytest.fixture(scope="module")
def lineage():
    return load()  # the manifest of `dbt parse` (parsed first when stale)


def test_a_model_carries_columns_by_alias_star_and_filter():
    parent = Carried({"a": {("t/x", "a")}, "b": {("t/x", "b")}, "c": {("t/x", "c")}})
    sql = """
        with src as (select * from {{ ref('p') }}),
        kept as (select a * 2 as doubled, b from src where c > 0)
        select * from kept
    """
    model = analyse(sql, {"__ref__p": parent})
    assert model.values == {"doubled": {("t/x", "a")}, "b": {("t/x", "b")}}
    assert model.rows == {("t/x", "c")}  # the filter decides every output's rows
    assert model.read == {("t/x", "a"), ("t/x", "b"), ("t/x", "c")}


def test_the_page_in_docs_is_generated_from_the_current_models(lineage):
    assert DOC_PATH.read_text() == render(lineage), (
        f"{DOC_PATH} is stale: run `revops lineage --write`"
    )


def test_each_column_feeds_what_its_models_compute(lineage):
    # the case: usage rows with key_events but no active users changed nothing
    assert lineage.feeds(("success/product_usage", "key_events")) == ([], [])
    marts, _ = lineage.feeds(("success/product_usage", "active_users"))
    assert marts == ["playbook_churn_risk", "playbook_upsell_candidates"]
    assert ("success/product_usage", "active_users") in lineage.kpi_inputs[
        ("playbook_churn_risk", "usage_trend")
    ]
    marts, metrics = lineage.feeds(("finance/invoices", "total"))
    assert "kpi_revenue_monthly" in marts and "gross_margin" in metrics
    assert "mrr_usd" not in metrics  # MRR comes from subscription events, not invoices
    assert "mrr_usd" in lineage.feeds(("finance/plans", "unit_amount"))[1]


def test_kpis_a_partial_landing_leaves_null_or_partial(lineage):
    usage = {"account_id", "usage_date", "licensed_seats", "key_events"}  # no active_users
    gaps = {(g.mart, g.column): g for g in kpi_gaps(lineage, {"success/product_usage": usage})}
    assert gaps[("playbook_churn_risk", "usage_trend")].is_null
    assert gaps[("kpi_revenue_monthly", "gross_margin")].is_null  # no invoices, no expenses
    seats = gaps[("playbook_upsell_candidates", "seat_utilisation")]
    assert not seats.is_null and seats.missing == (("success/product_usage", "active_users"),)
    lines = describe_gaps(list(gaps.values()))
    assert "KPIs that will be null (none of their inputs was landed):" in lines
    assert any(
        line.startswith("  playbook_churn_risk: ") and "usage_trend" in line for line in lines
    )
    assert any(
        line.startswith("  without success/product_usage.active_users: ")
        and "playbook_upsell_candidates.seat_utilisation" in line
        for line in lines
    )


def test_land_prints_the_kpis_it_leaves_null(tmp_path, capsys):
    (tmp_path / "usage.csv").write_text("acct,day,events\nA-1,2025-01-01,7\n")
    (tmp_path / "usage.yml").write_text(
        "sources:\n  usage: {file: usage.csv}\ntables:\n  success/product_usage:\n"
        "    columns:\n      account_id: acct\n      usage_date: day\n      key_events: events\n"
    )
    assert (
        cli.main(["land", "--mapping", str(tmp_path / "usage.yml"), "--out", str(tmp_path / "l")])
        == 0
    )
    printed = capsys.readouterr().out
    assert "KPIs that will be null" in printed
    assert "playbook_churn_risk: " in printed and "usage_trend" in printed
    assert cli.main(["lineage"]) == 0
    assert "| `key_events` | feeds nothing | |" in capsys.readouterr().out


def test_no_staging_model_reads_another_staging_model():
    """Staging renames, casts and dedupes one source table; a lookup several staging models
    join (fx rates) is a base model, so the staging layer has no chains."""
    from orchestration.project import ensure_manifest

    nodes = json.loads(Path(ensure_manifest()).read_text())["nodes"]
    chained = {
        node["name"]: parents
        for node in nodes.values()
        if node["resource_type"] == "model"
        and node["name"].startswith("stg_")
        and (
            parents := [
                p for p in node["depends_on"]["nodes"] if p.split(".")[-1].startswith("stg_")
            ]
        )
    }
    assert not chained, chained
