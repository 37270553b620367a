"""Each Great Expectations suite as a Dagster asset check on the asset it validates."""


from dagster import (
    AssetCheckExecutionContext,
    AssetCheckResult,
    AssetCheckSeverity,
    AssetChecksDefinition,
    AssetKey,
    MetadataValue,
    asset_check,
)

from orchestration.assets.raw import WAREHOUSE_POOL
from orchestration.checks.suites import RAW_SUITES
from revops.paths import warehouse_dir, work_db
from revops.quality import Suite, run_suite


def build_gx_check(asset_key: AssetKey, suite: Suite) -> AssetChecksDefinition:
    @asset_check(
        asset=asset_key,
        name=f"gx_{suite.name}",
        blocking=suite.blocking,
        pool=WAREHOUSE_POOL,
        description=f"Great Expectations suite {suite.name} on {suite.schema}.{suite.table}"
        + (" (blocking: a failure stops the run before publishing)" if suite.blocking else ""),
    )
    def _check(context: AssetCheckExecutionContext) -> AssetCheckResult:
        result = run_suite(work_db(), suite, warehouse_dir() / "gx")
        failed = result.failures
        for outcome in failed:
            context.log.error(f"{suite.name}: {outcome.describe()}")
        metadata = {
            "expectations": MetadataValue.int(len(result.outcomes)),
            "failed": MetadataValue.int(len(failed)),
            "failures": MetadataValue.md(
                "\n".join(f"- {o.describe()}" for o in failed) or "none"
            ),
        }
        if result.docs_url:
            metadata["data_docs"] = MetadataValue.url(result.docs_url)
        return AssetCheckResult(
            passed=result.success,
            severity=AssetCheckSeverity.ERROR if suite.blocking else AssetCheckSeverity.WARN,
            description=(
                f"{len(failed)} of {len(result.outcomes)} expectations failed"
                if failed
                else f"all {len(result.outcomes)} expectations passed"
            ),
            metadata=metadata,
        )

    return _check


gx_checks = [
    build_gx_check(AssetKey(["raw", system, name]), suite) for (system, name), suite in RAW_SUITES.items()
]
