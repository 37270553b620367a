"""Jobs: the full refresh and the nightly refresh, both load, build, gate and publish."""

from __future__ import annotations

from dagster import AssetSelection, define_asset_job

full_refresh_job = define_asset_job(
    name="full_refresh",
    selection=AssetSelection.all(),
    description="Load every landing table, build every dbt model and test, run the Great "
    "Expectations gates, and publish the serving warehouse only if every blocking check passed.",
)

nightly_refresh_job = define_asset_job(
    name="nightly_refresh",
    selection=AssetSelection.all(),
    description="The refresh the 02:00 schedule and the landing sensor start: the same assets "
    "and gates as the full refresh; publishes only if every blocking check passed.",
)
