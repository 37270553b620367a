"""Jobs: the full refresh and the nightly refresh, both load, build, gate and publish.

The nightly refresh loads only the landing files that are new since the last load (the
`revops/load` tag) and builds the dbt incremental models incrementally (a big event
staging model rebuilds in full when its raw table was reloaded in full); the full refresh
rebuilds them (dbt --full-refresh, see orchestration/assets/dbt.py)."""

from __future__ import annotations

from dagster import AssetSelection, define_asset_job

LOAD_MODE_TAG = "revops/load"

full_refresh_job = define_asset_job(
    name="full_refresh",
    selection=AssetSelection.all(),
    tags={LOAD_MODE_TAG: "full"},
    description="Load every landing table, build every dbt model and test, run the Great "
    "Expectations gates, and publish the serving warehouse only if every blocking check passed.",
)

nightly_refresh_job = define_asset_job(
    name="nightly_refresh",
    selection=AssetSelection.all(),
    tags={LOAD_MODE_TAG: "incremental"},
    description="The refresh the 02:00 schedule and the landing sensor start: loads only the "
    "landing files added since the last load (a table whose loaded files changed is reloaded "
    "in full), then the same build and gates as the full refresh; publishes only if every "
    "blocking check passed.",
)
