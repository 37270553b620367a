"""What starts a refresh: the 02:00 schedule and the landing sensor, on the real definitions."""

from __future__ import annotations

import json
import os
import shutil
import time

from dagster import (
    DefaultScheduleStatus,
    DefaultSensorStatus,
    RunRequest,
    SkipReason,
    build_sensor_context,
)

from orchestration.definitions import defs
from orchestration.sensors import SETTLE_SECONDS

from .conftest import Workspace


def _age(path, seconds: float) -> None:
    """Backdate a file so the sensor sees it as settled."""
    then = time.time() - seconds
    os.utime(path, (then, then))


def _settle_all(ws: Workspace) -> None:
    for path in ws.landing.rglob("*"):
        if path.is_file():
            _age(path, SETTLE_SECONDS + 60)


def test_the_nightly_schedule_runs_at_two_and_is_on_by_default():
    schedule = defs.get_schedule_def("nightly_refresh_at_0200")
    assert schedule.cron_schedule == "0 2 * * *"
    assert schedule.execution_timezone == os.environ.get("REVOPS_NIGHTLY_TIMEZONE", "UTC")
    assert schedule.default_status == DefaultScheduleStatus.RUNNING
    assert schedule.job_name == "nightly_refresh"


def test_the_landing_sensor_remembers_what_it_saw_and_fires_on_new_files(
    tiny_workspace: Workspace,
):
    sensor = defs.get_sensor_def("landing_sensor")
    assert sensor.default_status == DefaultSensorStatus.RUNNING
    _settle_all(tiny_workspace)
    tiny_workspace.serving.write_bytes(b"")  # something is already published

    def tick(cursor):
        context = build_sensor_context(cursor=cursor, definitions=defs)
        result = sensor(context)
        return result, context.cursor

    # first look with a published warehouse: remember the files, start nothing
    result, cursor = tick(None)
    assert isinstance(result, SkipReason) and "first look" in result.skip_message
    files = json.loads(cursor)
    assert "sales/opportunities" in {os.path.dirname(f) for f in files}

    result, cursor = tick(cursor)
    assert isinstance(result, SkipReason) and "no new" in result.skip_message

    # a new extract lands: wait while it is fresh, fire once it has settled
    folder = tiny_workspace.landing / "sales" / "opportunities"
    original = next(folder.iterdir())
    new_file = folder / f"next_day{original.suffix}"
    shutil.copy(original, new_file)
    result, still = tick(cursor)
    assert isinstance(result, SkipReason) and "settle" in result.skip_message
    assert still == cursor

    _age(new_file, SETTLE_SECONDS + 1)
    result, cursor = tick(cursor)
    assert isinstance(result, RunRequest)
    assert result.tags["revops/changed_files"] == "1"

    # the same files again: nothing new; a file written again (new mtime) counts as new
    result, cursor = tick(cursor)
    assert isinstance(result, SkipReason)
    _age(new_file, SETTLE_SECONDS + 5)
    result, cursor = tick(cursor)
    assert isinstance(result, RunRequest)
