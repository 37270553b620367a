"""The landing contract in code has every landing table, and what is generated from it (the
dbt sources, docs/contract.md) is committed up to date."""

from __future__ import annotations

from revops import contract_docs, dbt_sources
from revops.contract import SYSTEMS, TABLES
from revops.paths import REPO_ROOT


def test_contract_has_every_landing_table():
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


def test_committed_contract_doc_matches_the_contract():
    committed = contract_docs.CONTRACT_DOC.read_text()
    assert committed == contract_docs.render(), (
        "docs/contract.md is stale: run `revops dbt-sources`"
    )
    for t in TABLES:  # the page names every table and every column of the contract
        assert f"| `{t.name}` |" in committed
        assert all(f"`{column}` {typ}" in committed for column, typ in t.all_columns().items())


def test_every_raw_table_has_one_staging_model():
    """stg_<system>__<table>, or a base model (base/base_<system>__<table>) where staging
    models join the table (fx rates: every USD conversion)."""
    for table in TABLES:
        folder = REPO_ROOT / "models" / "staging" / table.system
        name = f"{table.system}__{table.name}.sql"
        found = [
            p for p in (folder / f"stg_{name}", folder / "base" / f"base_{name}") if p.exists()
        ]
        assert len(found) == 1, f"want one staging model of {table.qualified}, found {found}"
        model = found[0]
        assert f"source('{table.system}', '{table.name}')" in model.read_text()
