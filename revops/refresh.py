"""Run a refresh job in this process and report it the way a data engineer needs."""

from __future__ import annotations

import os
import time

from revops import paths
from revops.activation.outbox_command import print_outbox_note
from revops.published_inputs import remember_check, unchanged_since_publish
from revops.run_report import PID_TAG, fail_abandoned_runs, failure_lines
from revops.summary import print_summary


def run_refresh(job_name: str = "full_refresh", engine: str | None = None) -> int:
    """Run the job; `engine` "spark" builds the dbt models on the Spark Thrift server (None:
    the resource's setting, REVOPS_ENGINE or duckdb)."""
    paths.prepare_dagster_home()
    if job_name == "nightly_refresh":
        nothing_new = unchanged_since_publish(paths.landing_dir(), paths.serving_db())
        if nothing_new:
            remember_check(paths.warehouse_dir(), nothing_new)
            print(nothing_new)
            return 0
    print(f"loading the Dagster definitions (DAGSTER_HOME={paths.dagster_home()}) ...", flush=True)
    from dagster import DagsterInstance

    from orchestration.definitions import defs

    job = defs.resolve_job_def(job_name)
    serving = paths.serving_db()
    started = time.perf_counter()
    run_config: dict = {"loggers": {"console": {"config": {"log_level": "INFO"}}}}
    if engine:
        run_config["resources"] = {"warehouse": {"config": {"engine": engine}}}
    on = " on Spark" if engine == "spark" else ""
    print(
        f"running job {job_name}: load -> dbt build{on} -> Great Expectations gates -> publish",
        flush=True,
    )
    with DagsterInstance.get() as instance:
        for run_id in fail_abandoned_runs(instance):
            print(f"marked run {run_id} failed: its process was killed before it finished")
        result = job.execute_in_process(
            instance=instance,
            tags={PID_TAG: str(os.getpid())},
            raise_on_error=False,
            run_config=run_config,
        )
        events = result.all_events
    seconds = time.perf_counter() - started
    if result.success:
        print(f"\nrun {result.run_id} succeeded in {seconds:.1f} s")
        print_summary(serving)
        print_outbox_note()
        return 0

    succeeded = {e.step_key for e in events if e.event_type_value == "STEP_SUCCESS"}
    if "serving__warehouse" in succeeded:  # only an activation step after the publish failed
        print(
            f"\nrun {result.run_id} published {serving}, then FAILED after {seconds:.1f} s "
            "in its activation (CRM files, alerts or delivery):"
        )
        for line in failure_lines(events):
            print(f"\n{line}")
        print(
            "\nFix it (docs/activation.md), then refresh again or materialize the `activation` "
            "assets in the Dagster UI: the changes since the last send go out then."
        )
        return 1

    print(f"\nrun {result.run_id} FAILED after {seconds:.1f} s; nothing was published.")
    for line in failure_lines(events):
        print(f"\n{line}")
    if serving.exists():
        print(f"\nThe published warehouse {serving} still serves the last good run.")
    else:
        print(f"\nNo warehouse has been published yet ({serving} does not exist).")
    return 1
