"""Each Great Expectations suite as a Dagster asset check on the asset it validates.

A failed blocking expectation fails the check with ERROR severity, which stops every
downstream asset of the run, publishing included; a failed warning fails it with WARN
severity, shown in the UI, and the run goes on.
"""

from dagster import (
    AssetCheckExecutionContext,
    AssetCheckResult,
    AssetChecksDefinition,
    AssetCheckSeverity,
    AssetKey,
    MetadataValue,
    asset_check,
)

from orchestration.assets.raw import WAREHOUSE_POOL
from orchestration.checks.catalog import ALL_SUITES
from orchestration.checks.partial_landing import relax_for_partial_landing
from orchestration.checks.runtime import freshness_expectations, volume_expectations
from revops.contract import TABLES_BY_NAME
from revops.paths import landing_dir, warehouse_dir, work_db
from revops.quality import ERROR, Suite, run_suite


def _referenced_assets(suite: Suite) -> list[AssetKey]:
    """The raw tables a raw suite's references read: its check waits for their loads."""
    table = TABLES_BY_NAME.get(suite.table) if suite.schema == "raw" else None
    if table is None:
        return []
    parents = {r.parent_table.asset_path for r in table.references} - {table.asset_path}
    return [AssetKey(list(path)) for path in sorted(parents)]


def build_gx_check(asset_key: AssetKey, suite: Suite) -> AssetChecksDefinition:
    @asset_check(
        asset=asset_key,
        additional_deps=_referenced_assets(suite),
        name=f"gx_{suite.name}",
        blocking=True,
        pool=WAREHOUSE_POOL,
        description=f"Great Expectations suite {suite.name} on {suite.schema}.{suite.table}: "
        "a failed expectation stops the run before publishing; a failed warning only shows here.",
    )
    def _check(context: AssetCheckExecutionContext) -> AssetCheckResult:
        extra = []
        if suite.schema == "raw":
            extra = [*volume_expectations(suite.table), *freshness_expectations(suite.table)]
        gated, extra = relax_for_partial_landing(suite, extra, landing_dir(), work_db())
        result = run_suite(work_db(), gated, warehouse_dir() / "data_docs", extra=extra)
        for outcome in result.failures:
            log = context.log.error if outcome.blocking else context.log.warning
            log(
                f"{suite.name}: {'FAILED' if outcome.blocking else 'warning'}: {outcome.describe()}"
            )
        blocking = [o for o in result.failures if o.blocking]
        warnings = [o for o in result.failures if not o.blocking]
        metadata = {
            "expectations": MetadataValue.int(len(result.outcomes)),
            "failed": MetadataValue.int(len(blocking)),
            "warnings": MetadataValue.int(len(warnings)),
            "failures": MetadataValue.md(
                "\n".join(f"- {o.describe()}" for o in blocking) or "none"
            ),
            "warning_details": MetadataValue.md(
                "\n".join(f"- {o.describe()}" for o in warnings) or "none"
            ),
        }
        if result.docs_url:
            metadata["data_docs"] = MetadataValue.url(result.docs_url)
        return AssetCheckResult(
            passed=result.severity is None,
            severity=AssetCheckSeverity.ERROR
            if result.severity == ERROR
            else AssetCheckSeverity.WARN,
            description=(
                f"{len(blocking)} failed, {len(warnings)} warnings, "
                f"{len(result.outcomes) - len(result.failures)} of {len(result.outcomes)} passed"
            ),
            metadata=metadata,
        )

    return _check


gx_checks = [build_gx_check(AssetKey(list(key)), suite) for key, suite in ALL_SUITES.items()]
