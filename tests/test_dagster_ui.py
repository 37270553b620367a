"""The Dagster UI, driven in real headless Chromium: materialize everything, read the checks.

Starts `revops ui` (dagster dev on 127.0.0.1) on the tiny fixture, opens the asset graph,
clicks "Materialize all", waits for the run through the webserver's GraphQL API, then
reads a Great Expectations check result and an asset's owner and description in the page.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import Workspace
from tests.dashboard_browser import CHROMIUM as CHROMIUM_PATH
from tests.dashboard_browser import CHROMIUM_ARGS, free_port

playwright = pytest.importorskip("playwright.sync_api")
CHROMIUM = Path(CHROMIUM_PATH)
RUNS_QUERY = "{ runsOrError { ... on Runs { results { runId status } } } }"


def _get(url: str, data: bytes | None = None) -> bytes:
    headers = {"Content-Type": "application/json"} if data else {}
    request = urllib.request.Request(url, data=data, headers=headers)
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.read()


def _runs(base: str) -> list[dict]:
    body = json.dumps({"query": RUNS_QUERY}).encode()
    return json.loads(_get(f"{base}/graphql", body))["data"]["runsOrError"]["results"]


def _wait(condition, timeout: float, what: str, log: Path):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            value = condition()
        except OSError:
            value = None
        if value:
            return value
        time.sleep(2)
    pytest.fail(
        f"timed out after {timeout:.0f} s waiting for {what}; UI log:\n{log.read_text()[-3000:]}"
    )


@pytest.mark.browser
@pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian chromium not installed (make install)")
def test_materialize_all_in_the_dagster_ui(
    tiny_workspace: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "dagster_home"))
    # The landing sensor would start a refresh by itself: keep it waiting for files to settle.
    monkeypatch.setenv("REVOPS_LANDING_SETTLE_SECONDS", "1000000000")
    log = tmp_path / "ui.log"
    revops = Path(sys.executable).with_name("revops")
    with log.open("w") as out:
        server = subprocess.Popen(
            [str(revops), "ui", "--port", str(port)],
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        _wait(lambda: _get(f"{base}/server_info"), 300, "the Dagster UI to start", log)
        with playwright.sync_playwright() as p:
            browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1600, "height": 1000})
            page.set_default_timeout(120_000)

            page.goto(f"{base}/asset-groups")
            # The graph is grouped by system (raw_<system>) and layer.
            for group in ("raw_marketing", "raw_finance", "staging", "marts", "serving"):
                page.get_by_text(group, exact=True).first.wait_for()
            page.get_by_role("button", name="Materialize all").click()
            run_id = _wait(lambda: [r["runId"] for r in _runs(base)], 120, "a run to start", log)[0]
            status = _wait(
                lambda: next(
                    (
                        r["status"]
                        for r in _runs(base)
                        if r["runId"] == run_id
                        and r["status"] in ("SUCCESS", "FAILURE", "CANCELED")
                    ),
                    None,
                ),
                900,
                "the run to finish",
                log,
            )
            page.screenshot(path=str(tmp_path / "asset-graph.png"))
            assert status == "SUCCESS", f"run {run_id} ended {status}"

            # A Great Expectations gate's result, on the asset it validates.
            page.goto(f"{base}/assets/raw/sales/accounts?view=checks")
            check = page.get_by_text("gx_raw_sales__accounts").first
            check.wait_for()
            page.get_by_text("Passed").first.wait_for()
            page.screenshot(path=str(tmp_path / "checks.png"))

            page.goto(f"{base}/assets/raw/sales/accounts")
            page.get_by_text("validated against the landing contract").first.wait_for()
            page.get_by_text("sales-ops").first.wait_for()
            browser.close()
        assert tiny_workspace.serving.exists(), "the run published no serving warehouse"
    finally:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait()
