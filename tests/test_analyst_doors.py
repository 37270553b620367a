"""The analysts' other doors into the same numbers: `revops docs` (dbt docs on 127.0.0.1) and
`revops sql` (Harlequin read-only on the serving file, or one statement with -c)."""

from __future__ import annotations

import json
import os
import pty
import select
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from revops import paths
from revops.docs import generate_docs, serve_command
from revops.sql import HARLEQUIN_INIT, harlequin_command, harlequin_env

REVOPS = str(Path(sys.executable).with_name("revops"))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


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
    port = _free_port()
    command = serve_command(port, docs_target)
    assert command[command.index("--bind") + 1] == "127.0.0.1"
    env = {**os.environ, "DBT_PROFILES_DIR": str(paths.PROFILES_DIR), "DO_NOT_TRACK": "1"}
    server = subprocess.Popen(
        command,
        cwd=paths.DBT_PROJECT_DIR,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 180
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/manifest.json") as r:
                    assert json.loads(r.read())["nodes"]
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/") as r:
                    assert b"dbt" in r.read().lower()
                break
            except OSError:
                assert server.poll() is None, "the docs server exited"
                assert time.monotonic() < deadline, "the docs server did not answer in 180 s"
                time.sleep(0.5)
    finally:
        os.killpg(server.pid, 15)
        server.wait(timeout=30)


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
