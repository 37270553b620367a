"""The dbt unit tests (hand-made inputs and expected rows for the hard cases of each KPI).

A refresh builds models and data tests only; the unit tests check the SQL itself, so they
run here, once, on a copy of the tiny fixture's work warehouse (dbt needs the parents of a
unit-tested model to exist to learn their columns).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from tests.conftest import run_dbt


def test_every_dbt_unit_test_passes(tiny_published, tmp_path: Path):
    ws, _ = tiny_published
    warehouse = tmp_path / "warehouse"
    warehouse.mkdir()
    shutil.copy(ws.warehouse / "work.duckdb", warehouse / "work.duckdb")
    target = tmp_path / "target"
    ran = run_dbt(["test", "--select", "test_type:unit"], warehouse, target)
    assert ran.returncode == 0, ran.stdout[-4000:] + ran.stderr[-2000:]

    manifest = json.loads((target / "manifest.json").read_text())
    declared = {key for key in manifest["unit_tests"]}
    results = json.loads((target / "run_results.json").read_text())["results"]
    passed = {r["unique_id"] for r in results if r["status"] == "pass"}
    assert len(declared) >= 40
    assert passed == declared, f"not run or not passed: {sorted(declared - passed)}"
