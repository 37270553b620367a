"""Jobs: the full refresh materialises every asset (load, build, gate, publish)."""

from __future__ import annotations

from dagster import AssetSelection, define_asset_job

full_refresh_job = define_asset_job(
    name="full_refresh",
    selection=AssetSelection.all(),
    description="Load every landing table, build every dbt model and test, run the Great "
    "Expectations gates, and publish the serving warehouse only if every blocking check passed.",
)
