"""What a failed Dagster run means, in the words a data engineer needs (CLI and status)."""

from __future__ import annotations

import os

# Runs started by `revops refresh` carry their process id, so a later run can tell they died.
PID_TAG = "revops/pid"


def failure_lines(events) -> list[str]:
    """The failed steps (root cause) and failed blocking checks (with rows) of a run's events."""
    from dagster import AssetCheckSeverity, DagsterEventType

    lines = []
    run_failure = None
    for event in events:
        if event.event_type == DagsterEventType.STEP_FAILURE:
            data = event.step_failure_data
            if data.error and data.error.cls_name == "DagsterAssetCheckFailedError":
                continue  # the failed check itself is reported, with its rows
            detail = (data.user_failure_data and data.user_failure_data.description) or _root_cause(
                data.error
            )
            lines.append(f"step {event.step_key} failed:\n{detail}")
        elif event.event_type == DagsterEventType.ASSET_CHECK_EVALUATION:
            evaluation = event.event_specific_data
            if not evaluation.passed and evaluation.severity == AssetCheckSeverity.ERROR:
                failures = evaluation.metadata.get("failures")
                lines.append(
                    f"check {evaluation.check_name} on {evaluation.asset_key.to_user_string()} "
                    f"failed ({evaluation.description}):\n{failures.value if failures else ''}"
                )
        elif event.event_type == DagsterEventType.RUN_FAILURE:
            run_failure = event.message
    # a run that failed outside any step (e.g. killed) says so only in its run failure event
    return lines or [run_failure or "no failed step or check was recorded"]


def _root_cause(error) -> str:
    """Dagster wraps a step's exception; the innermost cause is the one that says what happened."""
    if error is None:
        return "unknown error"
    while error.cause is not None:
        error = error.cause
    return error.message.strip()


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def fail_abandoned_runs(instance) -> list[str]:
    """Runs this CLI started whose process is gone (killed, machine crash) stay STARTED forever
    and keep their concurrency slots; mark them failed and free the slots. Returns their ids."""
    from dagster import DagsterRunStatus, RunsFilter

    abandoned = []
    active = [DagsterRunStatus.STARTED, DagsterRunStatus.STARTING, DagsterRunStatus.CANCELING]
    for run in instance.get_runs(filters=RunsFilter(statuses=active)):
        pid = run.tags.get(PID_TAG)
        if pid and not pid_alive(int(pid)):
            instance.report_run_failed(
                run, f"the process that ran it (pid {pid}) ended without finishing the run"
            )
            instance.event_log_storage.free_concurrency_slots_for_run(run.run_id)
            abandoned.append(run.run_id)
    return abandoned
