"""The Dagster code location: wires assets, checks, resources and jobs. Nothing imports it."""

from __future__ import annotations

from dagster import Definitions, in_process_executor

from orchestration.assets.activation import activation_assets, configured_destinations
from orchestration.assets.dbt import dbt_models
from orchestration.assets.publish import serving_warehouse
from orchestration.assets.raw import raw_assets
from orchestration.checks.gx_checks import gx_checks
from orchestration.jobs import full_refresh_job, nightly_refresh_job
from orchestration.project import DBT_EXECUTABLE, dbt_project
from orchestration.resources import RevopsDbtCliResource, WarehouseResource
from orchestration.schedules import nightly_schedule
from orchestration.sensors import landing_sensor

defs = Definitions(
    assets=[
        *raw_assets,
        dbt_models,
        serving_warehouse,
        *activation_assets(configured_destinations()),
    ],
    asset_checks=gx_checks,
    jobs=[full_refresh_job, nightly_refresh_job],
    schedules=[nightly_schedule],
    sensors=[landing_sensor],
    resources={
        "warehouse": WarehouseResource(),
        "dbt": RevopsDbtCliResource(project_dir=dbt_project, dbt_executable=DBT_EXECUTABLE),
    },
    # One process: the multiprocess executor costs ~2 s per step on 2 cores, and DuckDB
    # takes one writer at a time anyway.
    executor=in_process_executor,
)
