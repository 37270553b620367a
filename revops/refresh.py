"""Run a refresh job in this process and report it the way a data engineer needs."""

from __future__ import annotations

import time

from revops import paths
from revops.summary import print_summary


def run_refresh(job_name: str = "full_refresh") -> int:
    paths.prepare_dagster_home()
    print(f"loading the Dagster definitions (DAGSTER_HOME={paths.dagster_home()}) ...", flush=True)
    from dagster import AssetCheckSeverity, DagsterEventType, DagsterInstance

    from orchestration.definitions import defs

    job = defs.resolve_job_def(job_name)
    serving = paths.serving_db()
    started = time.perf_counter()
    print(
        f"running job {job_name}: load -> dbt build -> Great Expectations gates -> publish",
        flush=True,
    )
    with DagsterInstance.get() as instance:
        result = job.execute_in_process(
            instance=instance,
            raise_on_error=False,
            run_config={"loggers": {"console": {"config": {"log_level": "INFO"}}}},
        )
        events = result.all_events
    seconds = time.perf_counter() - started
    if result.success:
        print(f"\nrun {result.run_id} succeeded in {seconds:.1f} s")
        print_summary(serving)
        return 0

    print(f"\nrun {result.run_id} FAILED after {seconds:.1f} s; nothing was published.")
    for event in events:
        if event.event_type == DagsterEventType.STEP_FAILURE:
            data = event.step_failure_data
            if data.error and data.error.cls_name == "DagsterAssetCheckFailedError":
                continue  # the failed check itself is reported below, with its rows
            detail = (data.user_failure_data and data.user_failure_data.description) or _root_cause(
                data.error
            )
            print(f"\nstep {event.step_key} failed:\n{detail}")
        elif event.event_type == DagsterEventType.ASSET_CHECK_EVALUATION:
            evaluation = event.event_specific_data
            if not evaluation.passed and evaluation.severity == AssetCheckSeverity.ERROR:
                failures = evaluation.metadata.get("failures")
                print(
                    f"\ncheck {evaluation.check_name} on {evaluation.asset_key.to_user_string()} "
                    f"failed ({evaluation.description}):\n{failures.value if failures else ''}"
                )
    if serving.exists():
        print(f"\nThe published warehouse {serving} still serves the last good run.")
    else:
        print(f"\nNo warehouse has been published yet ({serving} does not exist).")
    return 1


def _root_cause(error) -> str:
    """Dagster wraps a step's exception; the innermost cause is the one that says what happened."""
    if error is None:
        return "unknown error"
    while error.cause is not None:
        error = error.cause
    return error.message.strip()
