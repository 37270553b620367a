"""A nightly with nothing new since the last publish stops at once and says so."""

from __future__ import annotations

import os
import shutil

import duckdb
from dagster import build_schedule_context

from orchestration.definitions import defs
from revops import published_inputs
from revops.published_inputs import unchanged_since_publish
from revops.refresh import run_refresh
from revops.status import run_status

from .conftest import Workspace


def _opportunities_file(ws: Workspace):
    return next((ws.landing / "sales" / "opportunities").iterdir())


def test_a_nightly_with_nothing_new_runs_nothing_and_publishes_nothing(
    published_copy: Workspace, capsys
):
    landed = sum(1 for p in published_copy.landing.glob("*/*/*") if p.is_file())
    message = unchanged_since_publish(published_copy.landing, published_copy.serving)
    assert message and message.startswith("nothing new:")
    # the publish recorded every landing file the loads read (the tiny fixture has no others)
    assert f"the {landed} landing file(s)" in message

    before = published_copy.serving_digest()
    assert run_refresh("nightly_refresh") == 0
    assert "nothing new:" in capsys.readouterr().out
    assert published_copy.serving_digest() == before

    run_status()
    assert "last nightly check at" in capsys.readouterr().out


def test_a_changed_landing_file_or_new_code_means_work_to_do(
    published_copy: Workspace, monkeypatch
):
    def check():
        return unchanged_since_publish(published_copy.landing, published_copy.serving)

    assert check()
    path = _opportunities_file(published_copy)
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    assert check() is None  # written again
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert check()  # the very file of the publish again

    extra = path.with_name(f"next_day{path.suffix}")
    shutil.copy2(path, extra)
    assert check() is None  # a new extract
    extra.unlink()
    assert check()

    monkeypatch.setattr(published_inputs, "code_digest", lambda: "another version")
    assert check() is None  # the models or the gates changed


def test_a_serving_file_without_the_record_is_never_trusted(published_copy: Workspace):
    con = duckdb.connect(str(published_copy.serving))
    con.execute("drop table meta.published_inputs")
    con.close()
    assert unchanged_since_publish(published_copy.landing, published_copy.serving) is None


def test_the_nightly_schedule_skips_a_night_with_nothing_new(published_copy: Workspace):
    schedule = defs.get_schedule_def("nightly_refresh_at_0200")

    def tick():
        with build_schedule_context() as context:
            return schedule.evaluate_tick(context)

    skipped = tick()
    assert not skipped.run_requests and skipped.skip_message.startswith("nothing new:")
    os.utime(_opportunities_file(published_copy))  # an extract written again
    ran = tick()
    assert len(ran.run_requests) == 1 and not ran.skip_message
