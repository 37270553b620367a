"""Every dbt model, seed and data test as Dagster assets and checks, built by one `dbt build`."""

import json
from collections.abc import Mapping
from contextlib import nullcontext
from typing import Any

from dagster import AssetExecutionContext, AssetKey
from dagster_dbt import DagsterDbtTranslator, DbtCliResource, dbt_assets

from orchestration.assets.raw import WAREHOUSE_POOL
from orchestration.jobs import LOAD_MODE_TAG
from orchestration.project import dbt_project, ensure_manifest
from orchestration.resources import WarehouseResource
from revops.build_baseline import begin_build, passed_to_dbt
from revops.paths import dbt_threads, export_environment, work_db
from revops.spark import (
    copy_spark_build,
    export_raw,
    raw_parquet_dir,
    spark_target_environment,
    thrift_settings,
)


class RevopsTranslator(DagsterDbtTranslator):
    """Models become <schema>/<model> (staging/..., intermediate/..., marts/...), grouped by schema."""

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> AssetKey:
        if dbt_resource_props["resource_type"] in ("model", "seed", "snapshot"):
            schema = dbt_resource_props["config"].get("schema") or "main"
            return AssetKey([schema, dbt_resource_props["name"]])
        return super().get_asset_key(dbt_resource_props)

    def get_owners(self, dbt_resource_props: Mapping[str, Any]) -> list[str]:
        return ["team:analytics-engineering"]

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        if dbt_resource_props["resource_type"] in ("model", "seed", "snapshot"):
            return dbt_resource_props["config"].get("schema") or "main"
        return super().get_group_name(dbt_resource_props)


translator = RevopsTranslator()


@dbt_assets(
    manifest=ensure_manifest(),
    project=dbt_project,
    dagster_dbt_translator=translator,
    pool=WAREHOUSE_POOL,
)
def dbt_models(context: AssetExecutionContext, dbt: DbtCliResource, warehouse: WarehouseResource):
    export_environment()
    # Only the nightly builds incremental models incrementally; any other run (the full
    # refresh, a materialization from the UI) rebuilds them, so a changed model never
    # needs a manual --full-refresh.
    incremental = context.run.tags.get(LOAD_MODE_TAG) == "incremental"
    with warehouse.connect() as con:
        # a subset (some models re-run from the UI) leaves the others as they were: the
        # next nightly must not take them as built against the last publish
        baseline = begin_build(con, incremental and not context.is_subset)
    if baseline is not None:
        context.log.info(
            f"tests of big incremental models check the rows built after load {baseline} "
            "(the last publish), and the dims rebuild what the crosswalk changed; everything "
            "else is tested and built in full"
        )
    # Unit tests check the SQL, not the data: they run in CI (tests/test_dbt_unit_tests.py)
    # and during development, not on every refresh (dbt's own advice for production).
    args = ["build", "--exclude-resource-type", "unit_test"]
    if not incremental:
        args.append("--full-refresh")
    on_spark = warehouse.build_engine() == "spark"
    if on_spark:  # the profile's threads: a cluster's queries wait on scheduling, not a core
        args += ["--target", "spark_thrift"]
        export_raw_for_spark(context)
    else:
        args += ["--threads", str(dbt_threads())]
    # the dbt process starts inside
    with passed_to_dbt(baseline), spark_target_environment() if on_spark else nullcontext():
        invocation = dbt.cli(args, context=context)
    yield from invocation.stream()
    if on_spark:  # only after a build whose every model and blocking test passed
        with warehouse.connect() as con:
            copied = copy_spark_build(con)
        context.log.info(
            f"read {len(copied)} tables ({sum(copied.values()):,} rows) the Spark cluster built "
            f"into {work_db()}: the gates and the publish read them there"
        )


def export_raw_for_spark(context: AssetExecutionContext) -> None:
    """The raw tables DuckDB loaded and checked, as the Parquet files the cluster reads."""
    raw_dir = raw_parquet_dir()
    exported = export_raw(work_db(), raw_dir)
    server = thrift_settings()
    context.log.info(
        f"exported {len(exported)} raw tables ({sum(exported.values()):,} rows) to {raw_dir} "
        f"for the Spark Thrift server at {server['REVOPS_SPARK_HOST']}:"
        f"{server['REVOPS_SPARK_PORT']}"
    )


def mart_keys() -> list[AssetKey]:
    """Every published mart: the dbt models in the `marts` schema."""
    return sorted(
        (key for key in dbt_models.keys if key.path[0] == "marts"), key=lambda k: k.to_user_string()
    )


def incremental_mart_keys() -> dict[str, list[str]]:
    """Each incremental mart's unique_key, as its dbt config declares it (a nightly publish
    replaces the rows of the keys the mart rebuilt)."""
    keys: dict[str, list[str]] = {}
    for node in json.loads(ensure_manifest().read_text())["nodes"].values():
        config = node.get("config") or {}
        if (
            node["resource_type"] == "model"
            and config.get("schema") == "marts"
            and config.get("materialized") == "incremental"
            and config.get("unique_key")
        ):
            key = config["unique_key"]
            keys[node["name"]] = [key] if isinstance(key, str) else list(key)
    return keys
