"""`revops validate`: run every Great Expectations gate alone against the working warehouse."""

from __future__ import annotations

import sys
import time

from revops import paths
from revops.quality import ERROR, WARN, build_docs_index, run_suite


def run_validate() -> int:
    from orchestration.checks.catalog import ALL_SUITES
    from orchestration.checks.partial_landing import relax_for_partial_landing
    from orchestration.checks.runtime import freshness_expectations, volume_expectations

    work = paths.work_db()
    if not work.exists():
        print(
            f"no working warehouse at {work}: run `make run` (or `revops refresh`) first",
            file=sys.stderr,
        )
        return 2
    docs = paths.warehouse_dir() / "data_docs"
    started = time.perf_counter()
    blocking = warnings = 0
    for suite in ALL_SUITES.values():
        extra = []
        if suite.schema == "raw":
            extra = [*volume_expectations(suite.table), *freshness_expectations(suite.table)]
        suite, extra = relax_for_partial_landing(suite, extra, paths.landing_dir(), work)
        result = run_suite(work, suite, docs, extra=extra)
        label = {None: "ok", WARN: "WARN", ERROR: "FAILED"}[result.severity]
        print(f"{label:<7} {suite.schema}.{suite.table} ({len(result.outcomes)} expectations)")
        for outcome in result.failures:
            print(f"          {'x' if outcome.blocking else '!'} {outcome.describe()}")
        blocking += result.severity == ERROR
        warnings += result.severity == WARN
    build_docs_index(docs)
    print(
        f"\n{blocking} suite(s) failed, {warnings} with warnings, in {time.perf_counter() - started:.1f} s; "
        f"Data Docs: {docs / 'index.html'}"
    )
    return 1 if blocking else 0
