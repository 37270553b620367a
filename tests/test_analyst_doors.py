"""The analysts' other doors into the same numbers: `revops docs` (dbt docs on 127.0.0.1) and
`revops sql` (Harlequin read-only on the serving file, or one statement with -c)."""

from __future__ import annotations

import functools
import http.server
import json
import os
import pty
import select
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest

from revops.docs import generate_docs, serve_command
from revops.sql import HARLEQUIN_INIT, harlequin_command, harlequin_env

REVOPS = str(Path(sys.executable).with_name("revops"))


@pytest.fixture(scope="module")
def docs_target(xs_published, tmp_path_factory):
    ws, _ = xs_published
    return generate_docs(ws.serving, tmp_path_factory.mktemp("docs") / "target")


def test_the_docs_describe_every_mart_and_its_columns(docs_target, xs_published):
    ws, _ = xs_published
    manifest = json.loads((docs_target / "manifest.json").read_text())
    catalog = json.loads((docs_target / "catalog.json").read_text())
    assert (docs_target / "index.html").exists()
    published = {name for (name,) in ws.query(
        "select table_name from duckdb_tables() where schema_name = 'marts'"
    )}  # fmt: skip
    models = {
        node["name"]: node
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model" and node["schema"] == "marts"
    }
    assert published and published <= set(models)
    undocumented = [name for name in published if not models[name]["description"].strip()]
    assert not undocumented
    catalogued = {node["metadata"]["name"]: node for node in catalog["nodes"].values()}
    assert published <= set(catalogued)  # column types and row counts from the serving copy
    # every column of the semantic layer's facts is described, and lineage is there
    for name in ["fct_opportunities", "fct_tickets", "fct_nps_answers", "fct_mrr_retention"]:
        described = {c for c, v in models[name]["columns"].items() if v["description"]}
        assert set(catalogued[name]["columns"]) <= described, name
        assert models[name]["depends_on"]["nodes"], name
    assert manifest["semantic_models"] and manifest["metrics"]


def test_the_docs_server_answers_on_localhost(docs_target):
    # `revops docs` execs this command line: Python's static file server on 127.0.0.1.
    command = serve_command(8080, docs_target)
    assert command[1:4] == ["-m", "http.server", "--bind"] and command[4] == "127.0.0.1"
    assert command[command.index("--directory") + 1] == str(docs_target)
    # The same server, in process (a subprocess server failed only inside the full suite on
    # the CI machine, for a reason not found yet; see the issue note).
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(docs_target))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        base = f"http://127.0.0.1:{server.server_address[1]}"
        with urllib.request.urlopen(f"{base}/manifest.json", timeout=30) as r:
            assert json.loads(r.read())["nodes"]
        with urllib.request.urlopen(f"{base}/", timeout=30) as r:
            assert b"dbt" in r.read().lower()
    finally:
        server.shutdown()
        server.server_close()


def test_the_cli_docs_without_a_warehouse_still_builds(tmp_path):
    env = {
        **os.environ,
        "REVOPS_WAREHOUSE_DIR": str(tmp_path / "nowhere"),
        "DBT_TARGET_PATH": str(tmp_path / "target"),
    }
    done = subprocess.run(
        [REVOPS, "docs", "--no-serve"], env=env, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stderr
    assert "no published warehouse" in done.stderr
    assert (tmp_path / "target" / "manifest.json").exists()


def test_sql_without_a_serving_file_is_a_clear_error(tmp_path):
    env = {**os.environ, "REVOPS_WAREHOUSE_DIR": str(tmp_path)}
    for args in ([], ["-c", "select 1"]):
        done = subprocess.run([REVOPS, "sql", *args], env=env, capture_output=True, text=True)
        assert done.returncode == 2
        assert "no published warehouse" in done.stderr and "make run" in done.stderr


def test_sql_c_prints_a_result_read_only(xs_published):
    ws, _ = xs_published
    env = {**os.environ, "REVOPS_WAREHOUSE_DIR": str(ws.warehouse)}
    done = subprocess.run(
        [REVOPS, "sql", "-c", "select count(*) as n from marts.kpi_revenue_monthly"],
        env=env,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0 and "n" in done.stdout
    write = subprocess.run(
        [REVOPS, "sql", "-c", "create table marts.x as select 1"],
        env=env,
        capture_output=True,
        text=True,
    )
    assert write.returncode == 1 and "read-only" in write.stderr.lower()


def test_the_harlequin_command_line_is_read_only_and_offline(tmp_path, monkeypatch):
    serving = tmp_path / "serving.duckdb"
    command = harlequin_command(serving)
    assert Path(command[0]).name == "harlequin" and Path(command[0]).exists()
    assert "--read-only" in command and command[-1] == str(serving)
    assert command[command.index("--profile") + 1] == "None"  # no user config file
    assert command[command.index("--adapter") + 1] == "duckdb"
    assert "autoinstall_known_extensions = false" in HARLEQUIN_INIT.read_text()
    monkeypatch.setenv("motherduck_token", "x")
    monkeypatch.setenv("HARLEQUIN_CONFIG_PATH", "/elsewhere")
    env = harlequin_env()
    assert "motherduck_token" not in env and "HARLEQUIN_CONFIG_PATH" not in env
    version = subprocess.run([command[0], "--version"], capture_output=True, text=True)
    assert version.returncode == 0 and "duckdb" in version.stdout


def _read_pty(fd: int, until: float, stop: bytes | None = None) -> bytes:
    out = b""
    while time.monotonic() < until and not (stop and stop in out):
        ready, _, _ = select.select([fd], [], [], 0.5)
        if ready:
            try:
                chunk = os.read(fd, 65536)
            except OSError:
                break
            if not chunk:
                break
            out += chunk
    return out


def test_harlequin_opens_the_serving_file_in_a_terminal_and_quits(xs_published):
    """`revops sql` in a pseudo-terminal: Harlequin starts, connects, draws the serving
    database in its catalog, and exits 0 on Ctrl+Q. (What is not tested: typing a query into
    the editor and reading its result grid.)"""
    ws, _ = xs_published
    env = {
        **os.environ,
        "REVOPS_WAREHOUSE_DIR": str(ws.warehouse),
        "TERM": "xterm-256color",
        "COLUMNS": "160",
        "LINES": "48",
        "HOME": str(ws.warehouse),  # harlequin's own state files stay in the test folder
    }
    pid, fd = pty.fork()
    if pid == 0:  # the child: become `revops sql`
        os.execve(REVOPS, [REVOPS, "sql"], env)
    reaped = False
    try:
        screen = _read_pty(fd, time.monotonic() + 60, stop=b"serving")
        text = screen.decode("utf-8", "replace")
        assert "serving" in text, text[-2000:]
        time.sleep(2)  # let the app finish mounting before the key arrives
        os.write(fd, b"\x11")  # Ctrl+Q
        _read_pty(fd, time.monotonic() + 10)
        _, status = os.waitpid(pid, 0)
        reaped = True
        assert os.waitstatus_to_exitcode(status) == 0
    finally:
        if not reaped:
            os.kill(pid, 9)
            os.waitpid(pid, 0)
        os.close(fd)
