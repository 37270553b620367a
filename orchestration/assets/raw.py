"""One Dagster asset per landing table: raw/<system>/<table> -> DuckDB raw.<system>__<table>."""

from datetime import timedelta

from dagster import (
    AssetExecutionContext,
    AssetKey,
    AssetsDefinition,
    Backoff,
    Failure,
    FreshnessPolicy,
    MaterializeResult,
    MetadataValue,
    RetryPolicy,
    asset,
)

from orchestration.jobs import LOAD_MODE_TAG
from orchestration.resources import WarehouseResource
from revops.contract import TABLES, Table
from revops.loading import ContractViolation, UnreadableFile, load_table
from revops.paths import landing_dir
from revops.quality import import_in_background

WAREHOUSE_POOL = "duckdb"
# A transient error (a file still being copied, a busy disk) gets two more tries, 2 s then
# 4 s later; a contract violation is raised with allow_retries=False and never retried,
# except an unreadable file (a truncated Parquet file may still be being copied).
LOAD_RETRIES = RetryPolicy(max_retries=2, delay=2, backoff=Backoff.EXPONENTIAL)
# Refreshed every night: late after a missed night, stale after two.
NIGHTLY_FRESHNESS = FreshnessPolicy.time_window(
    fail_window=timedelta(hours=48), warn_window=timedelta(hours=26)
)
# Who to ask about a source system's export.
SYSTEM_OWNERS = {
    "marketing": "team:marketing-ops",
    "sales": "team:sales-ops",
    "success": "team:customer-success",
    "finance": "team:finance",
}


def build_raw_asset(table: Table) -> AssetsDefinition:
    @asset(
        key=AssetKey(list(table.asset_path)),
        group_name=f"raw_{table.system}",
        pool=WAREHOUSE_POOL,
        kinds={"duckdb"},
        retry_policy=LOAD_RETRIES,
        owners=[SYSTEM_OWNERS[table.system]],
        freshness_policy=NIGHTLY_FRESHNESS,
        description=(
            f"Every landed row of {table.system}/{table.name} (key: {', '.join(table.key)}), "
            "validated against the landing contract and typed."
        ),
    )
    def _raw_asset(
        context: AssetExecutionContext, warehouse: WarehouseResource
    ) -> MaterializeResult:
        import_in_background()  # the gates after the loads need it
        landing = landing_dir()
        incremental = context.run.tags.get(LOAD_MODE_TAG) == "incremental"
        try:
            with warehouse.connect() as con:
                result = load_table(con, landing, table, incremental=incremental)
        except UnreadableFile as unreadable:  # maybe a copy still in progress: retried
            raise Failure(description=str(unreadable), allow_retries=True) from None
        except ContractViolation as violation:
            raise Failure(description=str(violation), allow_retries=False) from None
        context.log.info(
            f"raw.{table.qualified}: {result.mode} load of {result.files_loaded} file(s), "
            f"{result.rows:,} rows from {len(result.files)} file(s) in total"
        )
        return MaterializeResult(
            metadata={
                "rows": MetadataValue.int(result.rows),
                "files_read": MetadataValue.int(len(result.files)),
                "files_loaded": MetadataValue.int(result.files_loaded),
                "load_mode": MetadataValue.text(result.mode),
                "files": MetadataValue.text("\n".join(result.files)),
                "bytes": MetadataValue.int(result.bytes),
                "newest_timestamp": MetadataValue.text(result.newest or "n/a"),
                "table": MetadataValue.text(f"raw.{table.qualified}"),
            }
        )

    return _raw_asset


raw_assets = [build_raw_asset(t) for t in TABLES]
