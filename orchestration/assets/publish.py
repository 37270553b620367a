"""The publish step: runs only after every mart was built and every blocking check passed."""

from pathlib import Path

from dagster import AssetExecutionContext, AssetKey, MaterializeResult, MetadataValue, asset

from orchestration.assets.dbt import incremental_mart_keys, mart_keys
from orchestration.assets.raw import NIGHTLY_FRESHNESS, WAREHOUSE_POOL
from orchestration.jobs import LOAD_MODE_TAG
from orchestration.project import dbt_project
from orchestration.resources import WarehouseResource
from revops.build_baseline import build_baseline, record_published
from revops.identity_report import record_published_largest_customers
from revops.paths import serving_db, warehouse_dir, work_db
from revops.publish import publish
from revops.quality import build_docs_index

SERVING_KEY = AssetKey(["serving", "warehouse"])


@asset(
    key=SERVING_KEY,
    deps=mart_keys(),
    group_name="serving",
    pool=WAREHOUSE_POOL,
    kinds={"duckdb"},
    owners=["team:data-engineering"],
    freshness_policy=NIGHTLY_FRESHNESS,
    description=(
        "The published warehouse (warehouse/serving.duckdb): a copy of every mart, swapped in "
        "atomically. Analysts, the semantic layer and dashboards read only this file, read-only."
    ),
)
def serving_warehouse(
    context: AssetExecutionContext, warehouse: WarehouseResource
) -> MaterializeResult:
    semantic_manifest = Path(dbt_project.manifest_path).with_name("semantic_manifest.json")
    # The nightly updates the big incremental marts in a copy of the serving file, when its
    # build started from what was published (not after a failed run: then it copies them).
    nightly = context.run.tags.get(LOAD_MODE_TAG) == "incremental"
    with warehouse.connect() as con:
        from_published = build_baseline(con) is not None
    update_keys = incremental_mart_keys() if nightly and from_published else None
    result = publish(work_db(), serving_db(), context.run.run_id, semantic_manifest, update_keys)
    with warehouse.connect() as con:
        record_published(con)
        record_published_largest_customers(con)
    for name, rows in result.updated.items():
        context.log.info(f"{name}: updated in place, {rows:,} of {result.tables[name]:,} rows")
    context.log.info(f"published {len(result.tables)} tables to {result.path}")
    build_docs_index(warehouse_dir() / "data_docs")
    return MaterializeResult(
        metadata={
            "path": MetadataValue.path(str(result.path)),
            "as_of_date": MetadataValue.text(result.as_of_date or "n/a"),
            "bytes": MetadataValue.int(result.bytes),
            "tables": MetadataValue.json(result.tables),
            "updated_in_place": MetadataValue.json(result.updated),
        }
    )
