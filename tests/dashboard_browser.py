"""Start `revops dashboard` as a subprocess and drive it with headless Debian Chromium.

Used by tests/test_dashboard.py and, to regenerate the README screenshot from the current
$REVOPS_WAREHOUSE_DIR, by:  .venv/bin/python -m tests.dashboard_browser --out docs/dashboard.png
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager, suppress
from pathlib import Path

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
REVOPS = Path(sys.executable).with_name("revops")
REPO_ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def dashboard_server(warehouse: Path, log: Path, timeout: float = 60):
    """`revops dashboard` on a free port against `warehouse`; yields its base URL. The
    server's whole process group is killed at the end."""
    port = free_port()
    # PYTHONPATH: this checkout's code even if the venv's editable install points elsewhere
    env = {**os.environ, "REVOPS_WAREHOUSE_DIR": str(warehouse), "PYTHONPATH": str(REPO_ROOT)}
    with open(log, "w") as out:
        proc = subprocess.Popen(
            [str(REVOPS), "dashboard", "--port", str(port)],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                    if response.read() == b"ok":
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"dashboard did not start:\n{log.read_text()}")
            time.sleep(0.3)
        yield url
    finally:
        with suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)


@contextmanager
def chromium_page(width: int = 1400, height: int = 1000):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": width, "height": height})
            yield page
        finally:
            browser.close()


def wait_for_page(page, heading: str, labels=(), timeout: float = 30_000) -> None:
    """Wait until the page's header and the metrics `labels` are drawn and Streamlit has
    finished running the script (no status widget, no stale element left)."""
    page.get_by_role("heading", name=heading, exact=True).wait_for(timeout=timeout)
    page.wait_for_function(
        """labels => {
            if (document.querySelector('[data-testid="stStatusWidget"]')) return false;
            if (document.querySelector('[data-stale="true"]')) return false;
            const shown = Array.from(
                document.querySelectorAll('[data-testid="stMetricLabel"]'),
                e => e.innerText.trim());
            return labels.every(l => shown.includes(l));
        }""",
        arg=list(labels),
        timeout=timeout,
    )
    page.wait_for_timeout(500)


def metrics(page) -> dict[str, str]:
    """Headline numbers on the page, read in one pass: metric label -> value as displayed."""
    pairs = page.evaluate(
        """() => Array.from(document.querySelectorAll('[data-testid="stMetric"]'), m => [
            m.querySelector('[data-testid="stMetricLabel"]').innerText.trim(),
            m.querySelector('[data-testid="stMetricValue"]').innerText.trim()])"""
    )
    return dict(pairs)


def main() -> int:
    parser = argparse.ArgumentParser(description="Screenshot the dashboard's revenue page.")
    parser.add_argument("--out", default="docs/dashboard.png")
    parser.add_argument("--warehouse", default=os.environ.get("REVOPS_WAREHOUSE_DIR", "warehouse"))
    parser.add_argument("--height", type=int, default=1300, help="viewport height in pixels")
    args = parser.parse_args()
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    log = out.with_suffix(".log")
    with (
        dashboard_server(Path(args.warehouse).resolve(), log) as url,
        chromium_page(height=args.height) as page,
    ):
        page.goto(url)
        wait_for_page(page, "Revenue")
        page.wait_for_timeout(1500)  # let the charts draw
        page.screenshot(path=str(out), type="png")
    log.unlink(missing_ok=True)
    print(f"wrote {out} ({out.stat().st_size / 1024:.0f} KiB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
