"""The landing contract in code agrees with the spec's tables and with the dbt sources."""

from __future__ import annotations

from revops import dbt_sources
from revops.contract import SYSTEMS, TABLES
from revops.paths import REPO_ROOT


def test_contract_has_every_table_of_the_spec():
    expected = {
        "marketing": {"campaigns", "ad_spend", "leads", "touchpoints"},
        "sales": {
            "users",
            "accounts",
            "contacts",
            "opportunities",
            "opportunity_stage_history",
            "quotes",
            "forecast_submissions",
        },
        "success": {"tickets", "nps_responses", "product_usage"},
        "finance": {
            "customers",
            "plans",
            "subscription_events",
            "invoices",
            "invoice_lines",
            "fx_rates",
            "gl_expenses",
        },
    }
    actual = {s: {t.name for t in TABLES if t.system == s} for s in SYSTEMS}
    assert actual == expected


def test_committed_dbt_sources_match_the_contract():
    for system in SYSTEMS:
        committed = dbt_sources.sources_path(system).read_text()
        assert committed == dbt_sources.render(system), (
            f"{dbt_sources.sources_path(system)} is stale: run `revops dbt-sources`"
        )


def test_every_raw_table_has_one_staging_model():
    for table in TABLES:
        model = (
            REPO_ROOT
            / "models"
            / "staging"
            / table.system
            / f"stg_{table.system}__{table.name}.sql"
        )
        assert model.exists(), f"missing staging model {model}"
        assert f"source('{table.system}', '{table.name}')" in model.read_text()
