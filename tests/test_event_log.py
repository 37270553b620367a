"""The Dagster event log storage of dagster.yaml (orchestration/event_log.py) on real SQLite files:
what one process writes, another reads at once, and the UI's live view is fed."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from dagster import (
    AssetCheckResult,
    DagsterEventType,
    DagsterInstance,
    asset,
    asset_check,
    materialize,
)

from orchestration.event_log import RevopsEventLogStorage
from revops.paths import REPO_ROOT, link_dagster_config

CHECKS = 5


@asset
def numbers() -> int:
    return 3


def _check(index: int):
    @asset_check(asset=numbers, name=f"check_{index}")
    def _c() -> AssetCheckResult:
        return AssetCheckResult(passed=index != 0)

    return _c


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "dagster"
    link_dagster_config(home)
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    return home


def test_a_dagster_home_left_by_another_checkout_gets_this_checkouts_config(tmp_path: Path):
    home = tmp_path / "dagster"
    home.mkdir()
    (home / "dagster.yaml").symlink_to(tmp_path / "deleted-checkout" / "dagster.yaml")
    link_dagster_config(home)
    assert (home / "dagster.yaml").readlink() == REPO_ROOT / "dagster.yaml"

    own = tmp_path / "own"
    own.mkdir()
    (own / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    link_dagster_config(own)
    assert not (own / "dagster.yaml").is_symlink()


READER = """
import json, sys
from dagster import AssetKey, DagsterInstance
with DagsterInstance.get() as instance:
    records = instance.get_records_for_run(sys.argv[1]).records
    print(json.dumps({
        "events": len(records),
        "materialized": instance.get_latest_materialization_event(AssetKey("numbers")) is not None,
    }))
"""


def test_another_process_reads_a_run_while_its_writer_is_still_open(home: Path):
    with DagsterInstance.get() as instance:
        assert isinstance(instance.event_log_storage, RevopsEventLogStorage)
        result = materialize(
            [numbers, *(_check(i) for i in range(CHECKS))], instance=instance, raise_on_error=False
        )
        written = len(instance.get_records_for_run(result.run_id).records)
        # the writer keeps its connections open: no checkpoint, the events sit in the WAL file
        seen = subprocess.run(
            [sys.executable, "-c", READER, result.run_id],
            capture_output=True,
            text=True,
            check=True,
            cwd=REPO_ROOT,
        )
        reader = json.loads(seen.stdout.strip().splitlines()[-1])
    assert reader == {"events": written, "materialized": True}
    assert written > CHECKS
    check_results = [
        e for e in result.all_events if e.event_type == DagsterEventType.ASSET_CHECK_EVALUATION
    ]
    assert sorted(e.event_specific_data.passed for e in check_results) == [False] + [True] * (
        CHECKS - 1
    )
    # and after the writer let go, a fresh instance reads the same
    with DagsterInstance.get() as instance:
        assert len(instance.get_records_for_run(result.run_id).records) == written


def test_a_watcher_gets_every_event_of_a_run_while_its_writer_is_still_open(home: Path):
    """The UI's live run view: Dagster's own SQLite watcher waits for the .db file to change,
    which with the writer's connections open happens only at a checkpoint."""
    received: list[str] = []
    finished = threading.Event()

    def on_event(entry, _cursor) -> None:
        received.append(entry.dagster_event.event_type_value if entry.dagster_event else "log")
        if entry.dagster_event and entry.dagster_event.event_type == DagsterEventType.RUN_SUCCESS:
            finished.set()

    with DagsterInstance.get() as writer, DagsterInstance.get() as viewer:
        result = materialize([numbers], instance=writer)
        expected = len(writer.get_records_for_run(result.run_id).records)
        viewer.watch_event_logs(result.run_id, None, on_event)
        assert finished.wait(timeout=30), received
        viewer.end_watch_event_logs(result.run_id, on_event)
    assert len(received) == expected
