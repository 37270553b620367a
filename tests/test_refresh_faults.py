"""Readers never see a lock error or half a run, and a run killed mid-way loses nothing."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from .conftest import Workspace, run_full_refresh

pytestmark = pytest.mark.extra_refreshes  # each test refreshes again, with readers or a kill

REVOPS = str(Path(sys.executable).with_name("revops"))

# A reader that keeps one connection open (it must keep seeing the version it opened) or
# reopens the file in a loop (it must see the old or the new version, complete). Each
# observation: the newest refresh's run id and how many refreshes the file records.
READER = """
import json, sys, time, duckdb
path, mode, stop = sys.argv[1], sys.argv[2], sys.argv[3]
import os
seen, errors = [], []
held = duckdb.connect(path, read_only=True) if mode == "hold" else None
while not os.path.exists(stop):
    try:
        con = held or duckdb.connect(path, read_only=True)
        run_id, refreshes = con.execute(
            "select arg_max(run_id, published_at), count(*) from meta.refreshes").fetchall()[0]
        sales_rows = con.execute("select count(*) from marts.kpi_sales_monthly").fetchall()[0][0]
        seen.append([run_id, refreshes, sales_rows])
        if con is not held:
            con.close()
    except Exception as error:
        errors.append(repr(error))
    time.sleep(0.05)
print(json.dumps({"seen": seen, "errors": errors}))
"""


def _start_reader(ws: Workspace, mode: str, stop: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", READER, str(ws.serving), mode, str(stop)],
        stdout=subprocess.PIPE,
        text=True,
    )


def _published(ws: Workspace) -> tuple[str, int, int]:
    (row,) = ws.query(
        "select arg_max(run_id, published_at), count(*), "
        "(select count(*) from marts.kpi_sales_monthly) from meta.refreshes"
    )
    return row


def test_readers_during_a_refresh_see_a_complete_version_and_no_lock_error(
    published_copy: Workspace, tmp_path: Path
):
    before = _published(published_copy)
    stop = tmp_path / "stop"
    readers = {mode: _start_reader(published_copy, mode, stop) for mode in ("hold", "reopen")}
    time.sleep(1.0)
    result = run_full_refresh()
    time.sleep(0.5)
    stop.touch()
    outputs = {
        mode: json.loads(reader.communicate(timeout=60)[0]) for mode, reader in readers.items()
    }

    assert result.success
    after = _published(published_copy)
    assert after[0] != before[0] and after[1] == before[1] + 1
    for mode, output in outputs.items():
        assert output["errors"] == [], mode
        assert output["seen"], mode
        assert {tuple(s) for s in output["seen"]} <= {tuple(before), tuple(after)}, mode
    # the open connection keeps the version it opened; a new connection sees the new one
    assert {tuple(s) for s in outputs["hold"]["seen"]} == {tuple(before)}
    assert tuple(outputs["reopen"]["seen"][-1]) == tuple(after)


def _refresh_process(ws: Workspace, dagster_home: Path, log: Path) -> subprocess.Popen:
    env = {
        **os.environ,
        "REVOPS_LANDING_DIR": str(ws.landing),
        "REVOPS_WAREHOUSE_DIR": str(ws.warehouse),
        "DAGSTER_HOME": str(dagster_home),
    }
    return subprocess.Popen(
        [REVOPS, "refresh"],
        env=env,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group: SIGKILL reaches dbt as well
    )


def _wait_until_step_starts(dagster_home: Path, step_key: str, process: subprocess.Popen) -> None:
    """Poll the run's event log (the sqlite file the Dagster UI reads) until the step started.
    Read-only sqlite, not a DagsterInstance: a second instance would race the run's own
    storage set-up."""
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and process.poll() is None:
        for event_log in (dagster_home / "history" / "runs").glob("*.db"):
            try:
                with sqlite3.connect(f"file:{event_log}?mode=ro", uri=True) as con:
                    started = con.execute(
                        "select count(*) from event_logs "
                        "where dagster_event_type = 'STEP_START' and step_key = ?",
                        [step_key],
                    ).fetchone()[0]
            except sqlite3.OperationalError:  # created but no tables yet
                continue
            if started:
                return
        time.sleep(0.5)
    raise AssertionError(f"step {step_key} never started (refresh exit code {process.poll()})")


def test_a_run_killed_mid_way_keeps_the_serving_file_and_the_next_run_succeeds(
    published_copy: Workspace, tmp_path: Path
):
    before = published_copy.serving_digest()
    dagster_home = tmp_path / "dagster_home"
    killed = _refresh_process(published_copy, dagster_home, tmp_path / "killed.log")
    # mid-run: raw tables loaded, dbt rebuilding the working file
    _wait_until_step_starts(dagster_home, "dbt_models", killed)
    os.killpg(killed.pid, signal.SIGKILL)
    killed.wait(timeout=30)
    assert killed.returncode == -signal.SIGKILL
    assert published_copy.serving_digest() == before

    rerun_log = tmp_path / "rerun.log"
    rerun = _refresh_process(published_copy, dagster_home, rerun_log)
    rerun.wait(timeout=600)
    output = rerun_log.read_text()
    assert rerun.returncode == 0, output[-3000:]
    assert "marked run" in output and "its process was killed" in output, output[:3000]
    assert published_copy.serving_digest() != before
    assert not list(published_copy.warehouse.glob("*.partial"))

    status = subprocess.run(
        [REVOPS, "status"],
        env={
            **os.environ,
            "DAGSTER_HOME": str(dagster_home),
            "REVOPS_WAREHOUSE_DIR": str(published_copy.warehouse),
            "REVOPS_LANDING_DIR": str(published_copy.landing),
        },
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "SUCCESS" in status and "FAILURE" in status
    assert "last successful publish" in status
