"""The nightly refresh at 02:00 in the team's time zone (REVOPS_NIGHTLY_TIMEZONE, default UTC).

A night with nothing new (the landing files and the code of the last publish) starts no run:
the tick is skipped with the reason, which the Dagster UI shows in the schedule's history."""

import os

from dagster import (
    DefaultScheduleStatus,
    RunRequest,
    ScheduleEvaluationContext,
    SkipReason,
    schedule,
)

from orchestration.jobs import nightly_refresh_job
from revops import paths
from revops.published_inputs import remember_check, unchanged_since_publish

NIGHTLY_TIMEZONE = os.environ.get("REVOPS_NIGHTLY_TIMEZONE", "UTC")


@schedule(
    name="nightly_refresh_at_0200",
    job=nightly_refresh_job,
    cron_schedule="0 2 * * *",
    execution_timezone=NIGHTLY_TIMEZONE,
    default_status=DefaultScheduleStatus.RUNNING,
    description=f"Runs the nightly refresh every day at 02:00 {NIGHTLY_TIMEZONE}, unless the "
    "landing files and the code are still those of the last publish.",
)
def nightly_schedule(context: ScheduleEvaluationContext):
    nothing_new = unchanged_since_publish(paths.landing_dir(), paths.serving_db())
    if nothing_new:
        remember_check(paths.warehouse_dir(), nothing_new)
        return SkipReason(nothing_new)
    return RunRequest()
