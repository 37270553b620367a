"""`revops bench --scale xs` works end to end (CI runs only xs: benchmarks are not timed tests)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from revops.generator.connectors import TOOLS

REVOPS = str(Path(sys.executable).with_name("revops"))


@pytest.mark.beyond_tiny  # generates and refreshes an xs company
def test_bench_xs_writes_a_result_and_a_table(tmp_path: Path):
    done = subprocess.run(
        [REVOPS, "bench", "--scale", "xs", "--out", str(tmp_path)],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    result = json.loads((tmp_path / "bench-xs.json").read_text())
    stages = result["refresh"]["stages"]
    assert {"load raw", "dbt build", "gates (raw)", "gates (marts)", "publish"} <= set(stages)
    assert result["refresh"]["peak_bytes"] > 0 and result["generate"]["rows"] > 0
    assert all(seconds > 0 for seconds in result["floor"].values())
    assert {"gates (raw)", "gates (marts)"} <= set(result["floor"])
    assert len(result["slowest_models"]) == 10
    fixed = result["fixed_cost"]
    assert fixed["seconds"] > 0 and "dbt build" in fixed["stages"]
    assert result["dbt_parse_seconds"] > 0
    connectors = result["connectors"]
    assert set(connectors) == {"generate", *(f"land {tool}" for tool in TOOLS)}
    assert all(step["seconds"] > 0 and step["peak_bytes"] > 0 for step in connectors.values())
    nightly = result["nightly"]
    assert set(nightly) == {"nothing new", "after --append-days 1"}
    # nothing new since the publish: no Dagster run at all; one appended day: a real run
    assert not nightly["nothing new"]["ran"] and nightly["nothing new"]["stages"] == {}
    appended = nightly["after --append-days 1"]
    assert appended["ran"] and "dbt build" in appended["stages"]
    assert set(result["queries"]) >= {"monthly revenue KPIs", "metric query (semantic layer)"}
    table = (tmp_path / "bench-xs.md").read_text()
    assert "| **full refresh, wall** |" in table and "| after --append-days 1 |" in table
    assert "fixed cost (full refresh of the tiny fixture" in table
    assert "| land salesforce |" in table
    data_work = result["refresh"]["seconds"] - fixed["seconds"]
    assert f"the full refresh spends {data_work:.1f} s on data" in table
