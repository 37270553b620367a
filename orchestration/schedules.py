"""The nightly refresh at 02:00 in the team's time zone (REVOPS_NIGHTLY_TIMEZONE, default UTC)."""

import os

from dagster import DefaultScheduleStatus, ScheduleDefinition

from orchestration.jobs import nightly_refresh_job

NIGHTLY_TIMEZONE = os.environ.get("REVOPS_NIGHTLY_TIMEZONE", "UTC")

nightly_schedule = ScheduleDefinition(
    name="nightly_refresh_at_0200",
    job=nightly_refresh_job,
    cron_schedule="0 2 * * *",
    execution_timezone=NIGHTLY_TIMEZONE,
    default_status=DefaultScheduleStatus.RUNNING,
    description=f"Runs the nightly refresh every day at 02:00 {NIGHTLY_TIMEZONE}.",
)
