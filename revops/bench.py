"""`revops bench`: where the time and memory go, per stage, at a data scale.

Runs in a scratch folder (never the user's warehouse): generate, a full refresh in a child
process (wall time, peak memory of the whole process tree, per-stage times from the run's
Dagster event log, the ten slowest dbt models), the analyst queries on the serving file, an
engine floor (the same load, the same compiled dbt SQL and dbt tests, the same publish, and
every Great Expectations expectation as one SQL count per suite, as plain DuckDB statements in
this process, with no Dagster, no dbt and no GE), and two nightly refreshes (nothing new; then
after `generate --append-days 1`). Writes <out>/bench-<scale>.json (also when a stage fails,
with what was measured before it) and .md.
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import threading
import time
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path
from unittest import mock

import duckdb

from revops import paths
from revops.generator.connectors import TOOLS

ANALYST_QUERIES = {
    "monthly revenue KPIs": "select * from marts.kpi_revenue_monthly order by month",
    "journey of one customer": (
        "select * from marts.fct_customer_journey where customer_id = "
        "(select customer_id from marts.dim_customers order by current_mrr_usd desc limit 1) "
        "order by event_number"
    ),
    "funnel by channel": (
        "select channel, sum(leads), sum(mqls), sum(sqls), sum(opportunities), sum(won) "
        "from marts.kpi_funnel_monthly group by channel order by channel"
    ),
}


class TreeMemory:
    """Peak resident memory of a process and all its descendants, polled from /proc."""

    def __init__(self, pid: int, interval: float = 0.2):
        self.pid, self.interval, self.peak_bytes = pid, interval, 0
        self.samples: list[tuple[float, int]] = []  # (epoch seconds, bytes)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._poll, daemon=True)

    def __enter__(self) -> TreeMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()

    def _poll(self) -> None:
        while not self._stop.is_set():
            rss = _tree_rss(self.pid)
            self.samples.append((time.time(), rss))
            self.peak_bytes = max(self.peak_bytes, rss)
            self._stop.wait(self.interval)


def _tree_rss(pid: int) -> int:
    total, stack = 0, [pid]
    while stack:
        current = stack.pop()
        try:
            for line in Path(f"/proc/{current}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) * 1024
            for task in Path(f"/proc/{current}/task").iterdir():
                stack += [int(c) for c in (task / "children").read_text().split()]
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            continue
    return total


def _timed_child(
    command: list[str],
    env: dict,
    log: Path,
    cwd: Path | None = None,
    samples: list[tuple[float, int]] | None = None,
) -> tuple[float, int, int]:
    """(seconds, peak tree memory in bytes, exit code) of a child process; `samples` gets
    the memory samples (epoch seconds, bytes)."""
    started = time.perf_counter()
    with log.open("w") as out:
        process = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT, cwd=cwd)
        with TreeMemory(process.pid) as memory:
            code = process.wait()
    if samples is not None:
        samples.extend(memory.samples)
    return time.perf_counter() - started, memory.peak_bytes, code


def _stage_seconds(steps: list[tuple[str, float, float]]) -> dict[str, float]:
    """Summed step durations (of _stage_steps), grouped by stage."""
    stages: dict[str, float] = defaultdict(float)
    for stage, began, ended in steps:
        stages[stage] += ended - began
    return dict(stages)


def _stage_peaks(
    steps: list[tuple[str, float, float]], samples: list[tuple[float, int]]
) -> dict[str, int]:
    """Peak tree memory (bytes) sampled while each stage's steps (of _stage_steps) ran: which
    stage sets the refresh's peak."""
    peaks: dict[str, int] = defaultdict(int)
    for stage, began, ended in steps:
        during = [rss for at, rss in samples if began <= at <= ended]
        peaks[stage] = max(peaks[stage], *during, 0)
    return dict(peaks)


def _stage_steps(dagster_home: Path) -> list[tuple[str, float, float]]:
    """(stage, start, end) in epoch seconds of each step of the latest run."""
    from dagster import DagsterEventType, DagsterInstance
    from dagster._core.instance.ref import InstanceRef

    start, end = {}, {}
    # The event log storage (orchestration/event_log.py) finds its files under DAGSTER_HOME;
    # set only while the instance is open, not for the rest of the bench process.
    with (
        mock.patch.dict(os.environ, {"DAGSTER_HOME": str(dagster_home)}),
        DagsterInstance.from_ref(InstanceRef.from_dir(str(dagster_home))) as instance,
    ):
        run = instance.get_runs(limit=1)[0]
        for record in instance.get_records_for_run(run.run_id).records:
            entry = record.event_log_entry
            if entry.dagster_event is None:
                continue
            kind = entry.dagster_event.event_type
            if kind == DagsterEventType.STEP_START:
                start[entry.step_key] = entry.timestamp
            elif kind in (DagsterEventType.STEP_SUCCESS, DagsterEventType.STEP_FAILURE):
                end[entry.step_key] = entry.timestamp
    steps = []
    for step, began in start.items():
        if "_gx_marts" in step:
            stage = "gates (marts)"
        elif "_gx_raw" in step:
            stage = "gates (raw)"
        elif step.startswith("raw__"):
            stage = "load raw"
        elif step == "dbt_models":
            stage = "dbt build"
        elif step.startswith("activation__"):
            stage = "activation"
        else:
            stage = "publish"
        steps.append((stage, began, end.get(step, began)))
    return steps


def _dbt_run_dir(target: Path) -> Path:
    runs = [p for p in target.glob("dbt_models-*") if (p / "run_results.json").exists()]
    return max(runs, key=lambda p: p.stat().st_mtime)


def _slowest_models(run_dir: Path, count: int = 10) -> list[tuple[str, float]]:
    results = json.loads((run_dir / "run_results.json").read_text())["results"]
    models = [
        (r["unique_id"].split(".")[-1], r["execution_time"])
        for r in results
        if r["unique_id"].startswith("model.")
    ]
    return sorted(models, key=lambda m: -m[1])[:count]


def _query_seconds(serving: Path) -> dict[str, float]:
    from revops.metrics import SemanticLayer

    timings = {}
    con = duckdb.connect(str(serving), read_only=True)
    try:
        for name, sql in ANALYST_QUERIES.items():
            runs = []
            for _ in range(3):
                began = time.perf_counter()
                con.execute(sql).fetchall()
                runs.append(time.perf_counter() - began)
            timings[name] = statistics.median(runs)
    finally:
        con.close()
    with SemanticLayer(serving) as layer:
        runs = []
        for _ in range(3):
            began = time.perf_counter()
            layer.query(["mrr_usd", "logo_churn_rate"], group_by=["metric_time__month"])
            runs.append(time.perf_counter() - began)
        timings["metric query (semantic layer)"] = statistics.median(runs)
    return timings


def engine_floor(landing: Path, run_dir: Path, scratch: Path) -> dict[str, float]:
    """The same work without orchestration: load with the same loader, run every model's
    compiled SQL (a table, or a view where dbt makes one) and every dbt test in dependency
    order, copy the marts to a new file."""
    from revops.contract import TABLES
    from revops.loading import load_table

    manifest = json.loads((run_dir / "manifest.json").read_text())
    nodes = manifest["nodes"]
    order = _topological(nodes)
    database = scratch / "floor.duckdb"
    database.unlink(missing_ok=True)
    # as in the refresh: the loads keep the files' row order (the loader numbers rows by
    # it), dbt's profile lets the models' queries drop it
    con = duckdb.connect(str(database))
    # the compiled SQL names the database dbt wrote ("work"); this file answers to it
    con.execute("set TimeZone = 'UTC'")
    floor: dict[str, float] = {}
    try:
        began = time.perf_counter()
        con.execute("create schema if not exists raw")
        for table in TABLES:
            load_table(con, landing, table)
        floor["load raw"] = time.perf_counter() - began

        con.execute("set preserve_insertion_order = false")
        began = time.perf_counter()
        for unique_id in order:
            node = nodes[unique_id]
            relation = f'"{node["schema"]}"."{node["alias"]}"'
            con.execute(f'create schema if not exists "{node["schema"]}"')
            if node["resource_type"] == "seed":
                seed = paths.REPO_ROOT / "seeds" / Path(node["original_file_path"]).name
                con.execute(
                    f"create or replace table {relation} as select * from read_csv('{seed}')"
                )
            elif node["resource_type"] == "model":
                sql = node["compiled_code"].replace('"work".', "")
                kind = "view" if node["config"]["materialized"] == "view" else "table"
                con.execute(f"create or replace {kind} {relation} as {sql}")
        floor["dbt build"] = time.perf_counter() - began

        began = time.perf_counter()
        for node in nodes.values():
            if node["resource_type"] == "test" and node.get("compiled_code"):
                sql = node["compiled_code"].replace('"work".', "")
                con.execute(f"select count(*) from ({sql})").fetchall()
        floor["dbt tests"] = time.perf_counter() - began

        began = time.perf_counter()
        published = scratch / "floor-serving.duckdb"
        published.unlink(missing_ok=True)
        con.execute(f"attach '{published}' as published")
        con.execute("create schema published.marts")
        marts = con.execute(
            "select table_name from duckdb_tables() where database_name = 'floor' "
            "and schema_name = 'marts'"
        ).fetchall()
        for (table,) in marts:
            con.execute(f'create table published.marts."{table}" as select * from marts."{table}"')
        con.execute("detach published")
        floor["publish"] = time.perf_counter() - began
    finally:
        con.close()
    floor.update(gates_floor(database))
    return floor


def _expectation_sql(kind: str, kw: dict, batch: str) -> str:
    """The number of rows (or 0/1 for table-level checks) breaking one expectation."""
    column = f'"{kw["column"]}"' if "column" in kw else None
    if kind == "ExpectTableRowCountToBeBetween":
        return f"select (count(*) < {kw['min_value']})::int from {batch}"
    if kind == "ExpectColumnValuesToNotBeNull":
        return f"select count(*) - count({column}) from {batch}"
    if kind == "ExpectColumnValuesToBeUnique":
        return f"select count({column}) - count(distinct {column}) from {batch}"
    if kind == "ExpectColumnValuesToBeInSet":
        values = ", ".join("'" + str(v).replace("'", "''") + "'" for v in kw["value_set"])
        return f"select count(*) from {batch} where {column} not in ({values})"
    if kind == "ExpectColumnValuesToBeBetween":
        low = ">" if kw.get("strict_min") else ">="
        tests = []
        if kw.get("min_value") is not None:
            tests.append(f"{column} {low} {kw['min_value']}")
        if kw.get("max_value") is not None:
            tests.append(f"{column} <= {kw['max_value']}")
        return f"select count(*) from {batch} where not ({' and '.join(tests)})"
    if kind == "UnexpectedRowsExpectation":
        query = kw["unexpected_rows_query"].replace("{batch}", batch)
        return f"select count(*) from ({query})"
    raise ValueError(f"no SQL floor for {kind}")


def gates_floor(database: Path) -> dict[str, float]:
    """Every Great Expectations gate as plain SQL counts, one statement per suite: the cost
    of the checks themselves, without GE (no data docs, no validation results)."""
    from orchestration.checks.catalog import ALL_SUITES

    seconds: dict[str, float] = defaultdict(float)
    con = duckdb.connect(str(database), read_only=True)
    try:
        for suite in ALL_SUITES.values():
            began = time.perf_counter()
            batch = f'"{suite.schema}"."{suite.table}"'
            counts = [_expectation_sql(e.kind, e.kwargs, batch) for e in suite.expectations]
            con.execute("select " + ", ".join(f"({c})" for c in counts)).fetchall()
            stage = "gates (raw)" if suite.schema == "raw" else "gates (marts)"
            seconds[stage] += time.perf_counter() - began
    finally:
        con.close()
    return dict(seconds)


def _topological(nodes: dict) -> list[str]:
    """Models and seeds in an order where every parent comes first."""
    wanted = {k for k, n in nodes.items() if n["resource_type"] in ("model", "seed")}
    done: list[str] = []
    seen: set[str] = set()

    def visit(unique_id: str) -> None:
        if unique_id in seen or unique_id not in wanted:
            return
        seen.add(unique_id)
        for parent in nodes[unique_id].get("depends_on", {}).get("nodes", []):
            visit(parent)
        done.append(unique_id)

    for unique_id in sorted(wanted):
        visit(unique_id)
    return done


def _no_delivery_config(scratch: Path) -> Path:
    """An activation config with no destination and no alert: CRM files only."""
    config = scratch / "activation.yml"
    config.write_text("# the bench writes CRM change files and delivers nothing\n")
    return config


def run_bench(scale: str, out: Path, keep: bool = False) -> dict:
    out.mkdir(parents=True, exist_ok=True)
    scratch = Path(os.environ.get("TMPDIR", "/tmp")) / f"revops-bench-{scale}-{os.getpid()}"
    shutil.rmtree(scratch, ignore_errors=True)
    scratch.mkdir(parents=True)
    landing, warehouse, home = scratch / "landing", scratch / "warehouse", scratch / "dagster"
    target = f"target-bench-{os.getpid()}"
    env = {
        **os.environ,
        "REVOPS_LANDING_DIR": str(landing),
        "REVOPS_WAREHOUSE_DIR": str(warehouse),
        "DAGSTER_HOME": str(home),
        "DBT_TARGET_PATH": target,
        "DBT_PROFILES_DIR": str(paths.PROFILES_DIR),
        # synthetic changes must never reach the destinations of a real activation.yml
        "REVOPS_ACTIVATION_CONFIG": str(_no_delivery_config(scratch)),
    }
    revops = str(Path(sys.executable).with_name("revops"))
    result: dict = {
        "scale": scale,
        "measured_at": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "cpus": os.cpu_count(),
    }
    finished = False
    try:
        print(f"[bench {scale}] generate ...", flush=True)
        seconds, peak, code = _timed_child(
            [revops, "generate", "--scale", scale, "--out", str(landing)], env, scratch / "gen.log"
        )
        if code:
            raise RuntimeError(f"generate failed, see {scratch / 'gen.log'}")
        landed_rows = _landed_rows(landing)
        result["generate"] = {"seconds": seconds, "peak_bytes": peak, "rows": landed_rows}

        print(f"[bench {scale}] the same company as connector tables, landed by the presets ...")
        result["connectors"] = _connectors(scale, env, scratch, revops)

        # A deployment parses dbt once per code change, not per refresh: parse before timing.
        print(f"[bench {scale}] dbt parse (once per code change, not timed in refreshes) ...")
        result["dbt_parse_seconds"] = _parse(env, scratch / "parse.log")

        print(f"[bench {scale}] fixed cost: full refresh of the tiny fixture ...", flush=True)
        result["fixed_cost"] = _fixed_cost(env, scratch, revops)

        print(f"[bench {scale}] full refresh ({landed_rows:,} landed rows) ...", flush=True)
        samples: list[tuple[float, int]] = []
        seconds, peak, code = _timed_child(
            [revops, "refresh"], env, scratch / "refresh.log", samples=samples
        )
        if code:
            raise RuntimeError(f"refresh failed, see {scratch / 'refresh.log'}")
        steps = _stage_steps(home)
        result["refresh"] = {
            "seconds": seconds,
            "peak_bytes": peak,
            "peak_bytes_by_stage": _stage_peaks(steps, samples),
            "rows_per_second": landed_rows / seconds,
            "stages": _stage_seconds(steps),
        }
        run_dir = _dbt_run_dir(paths.DBT_PROJECT_DIR / target)
        result["slowest_models"] = _slowest_models(run_dir)

        print(f"[bench {scale}] analyst queries ...", flush=True)
        result["queries"] = _query_seconds(warehouse / "serving.duckdb")

        print(f"[bench {scale}] engine floor (same SQL, no Dagster, no dbt) ...", flush=True)
        began = time.perf_counter()
        result["floor"] = engine_floor(landing, run_dir, scratch)
        result["floor_seconds"] = time.perf_counter() - began

        result["nightly"] = {}
        for label, append in (("nothing new", False), ("after --append-days 1", True)):
            if append:
                _timed_child(
                    [revops, "generate", "--append-days", "1", "--out", str(landing)],
                    env,
                    scratch / "append.log",
                )
            print(f"[bench {scale}] nightly refresh, {label} ...", flush=True)
            log = scratch / f"nightly-{int(append)}.log"
            seconds, peak, code = _timed_child(
                [revops, "refresh", "--job", "nightly_refresh"], env, log
            )
            if code:
                raise RuntimeError(f"nightly refresh failed, see {log}")
            # With nothing new the refresh stops before Dagster: no run, no stages.
            ran = "nothing new:" not in log.read_text()
            result["nightly"][label] = {
                "seconds": seconds,
                "peak_bytes": peak,
                "ran": ran,
                "stages": _stage_seconds(_stage_steps(home)) if ran else {},
            }
        finished = True
    except Exception as exc:
        result["failed"] = str(exc)
        raise
    finally:
        shutil.rmtree(paths.DBT_PROJECT_DIR / target, ignore_errors=True)
        shutil.rmtree(paths.DBT_PROJECT_DIR / f"{target}-tiny", ignore_errors=True)
        if keep or not finished:
            print(f"[bench {scale}] scratch folder kept: {scratch}", flush=True)
        else:
            shutil.rmtree(scratch, ignore_errors=True)
        # written on failure too: the stages measured before it are kept
        (out / f"bench-{scale}.json").write_text(json.dumps(result, indent=2))
    markdown = to_markdown(result)
    (out / f"bench-{scale}.md").write_text(markdown)
    print(markdown)
    return result


def _connectors(scale: str, env: dict, scratch: Path, revops: str) -> dict:
    """Generate the company in the connectors' layouts, then land each tool's tables with its
    preset into one landing folder: seconds and peak memory of each step."""
    tables, landing = scratch / "connectors", scratch / "connectors-landing"
    seconds, peak, code = _timed_child(
        [revops, "generate", "--scale", scale, "--layout", "connectors", "--out", str(tables)],
        env,
        scratch / "connectors-generate.log",
    )
    if code:
        raise RuntimeError(f"generate --layout connectors failed, see {scratch}")
    steps = {"generate": {"seconds": seconds, "peak_bytes": peak}}
    for tool in TOOLS:
        log = scratch / f"land-{tool}.log"
        command = [revops, "land", "--preset", tool, "--source", str(tables / tool)]
        seconds, peak, code = _timed_child([*command, "--out", str(landing)], env, log)
        if code:
            raise RuntimeError(f"land --preset {tool} failed, see {log}")
        steps[f"land {tool}"] = {"seconds": seconds, "peak_bytes": peak}
    shutil.rmtree(tables, ignore_errors=True)
    shutil.rmtree(landing, ignore_errors=True)
    return steps


def _fixed_cost(env: dict, scratch: Path, revops: str) -> dict:
    """A full refresh of the tiny hand-made fixture (21 tables, a few rows each): what starting
    Dagster, dbt and the gates costs with almost no data."""
    tiny = scratch / "fixed_cost"
    shutil.copytree(paths.REPO_ROOT / "tests" / "fixtures" / "tiny_landing", tiny / "landing")
    tiny_env = {
        **env,
        "REVOPS_LANDING_DIR": str(tiny / "landing"),
        "REVOPS_WAREHOUSE_DIR": str(tiny / "warehouse"),
        "DAGSTER_HOME": str(tiny / "dagster"),
        # dbt's partial parse is keyed on the profile, which holds the warehouse path: the tiny
        # fixture gets its own target folder, parsed before timing like the main one.
        "DBT_TARGET_PATH": f"{env['DBT_TARGET_PATH']}-tiny",
    }
    _parse(tiny_env, tiny / "parse.log")
    seconds, peak, code = _timed_child([revops, "refresh"], tiny_env, tiny / "refresh.log")
    if code:
        raise RuntimeError(f"fixed-cost refresh failed, see {tiny / 'refresh.log'}")
    return {
        "seconds": seconds,
        "peak_bytes": peak,
        "stages": _stage_seconds(_stage_steps(tiny / "dagster")),
    }


def _parse(env: dict, log: Path) -> float:
    """`dbt parse` with the environment of the refreshes to come; returns its seconds."""
    seconds, _, code = _timed_child(
        [str(Path(sys.executable).with_name("dbt")), "parse", "--quiet"],
        env,
        log,
        cwd=paths.DBT_PROJECT_DIR,
    )
    if code:
        raise RuntimeError(f"dbt parse failed, see {log}")
    return seconds


def _landed_rows(landing: Path) -> int:
    con = duckdb.connect()
    try:
        total = 0
        for file in landing.glob("*/*/*"):
            if file.parts[-3] == "_truth":
                continue
            reader = {".csv": "read_csv", ".parquet": "read_parquet", ".jsonl": "read_json"}
            if file.suffix in reader:
                sql = f"select count(*) from {reader[file.suffix]}('{file}')"
                total += con.execute(sql).fetchall()[0][0]
        return total
    finally:
        con.close()


def _peaks_by_stage(refresh: dict) -> str:
    peaks = refresh.get("peak_bytes_by_stage")
    if not peaks:
        return ""
    by_stage = ", ".join(f"{stage} {peak / 2**20:,.0f}" for stage, peak in sorted(peaks.items()))
    return f"; by stage: {by_stage}"


def to_markdown(r: dict) -> str:
    mib = 2**20
    refresh, floor = r["refresh"], r["floor"]
    lines = [
        f"### Scale {r['scale']} ({r['generate']['rows']:,} landed rows, {r['cpus']} CPUs, "
        f"{r['measured_at']})",
        "",
        "| stage | pipeline s | floor s | pipeline / floor |",
        "|---|---:|---:|---:|",
    ]
    floor_of = {
        "load raw": floor["load raw"],
        "dbt build": floor["dbt build"] + floor["dbt tests"],
        "publish": floor["publish"],
        "gates (raw)": floor.get("gates (raw)"),
        "gates (marts)": floor.get("gates (marts)"),
    }
    for stage, seconds in sorted(refresh["stages"].items()):
        base = floor_of.get(stage)
        ratio = f"{seconds / base:.1f}x" if base else "-"
        lines.append(f"| {stage} | {seconds:.1f} | {base or 0:.1f} | {ratio} |")
    total_floor = sum(floor.values())
    lines += [
        f"| **full refresh, wall** | **{refresh['seconds']:.1f}** | **{total_floor:.1f}** "
        f"| **{refresh['seconds'] / total_floor:.1f}x** |",
        "",
        f"generate {r['generate']['seconds']:.1f} s (peak {r['generate']['peak_bytes'] / mib:,.0f}"
        f" MiB); refresh peak memory {refresh['peak_bytes'] / mib:,.0f} MiB (process tree"
        f"{_peaks_by_stage(refresh)}), {refresh['rows_per_second']:,.0f} landed rows/s",
        "",
        *_fixed_cost_lines(r),
        *_connector_lines(r),
        "| nightly refresh | wall s | share of full | load raw s | dbt build s | gates s |",
        "|---|---:|---:|---:|---:|---:|",
        *[
            f"| {label} | {n['seconds']:.1f} | {n['seconds'] / refresh['seconds']:.0%} "
            f"| {n['stages'].get('load raw', 0):.1f} | {n['stages'].get('dbt build', 0):.1f} "
            f"| {n['stages'].get('gates (raw)', 0) + n['stages'].get('gates (marts)', 0):.1f} |"
            for label, n in r.get("nightly", {}).items()
        ],
        "",
        "| analyst query | median s |",
        "|---|---:|",
        *[f"| {name} | {seconds:.3f} |" for name, seconds in r["queries"].items()],
        "",
        "slowest dbt models: "
        + ", ".join(f"{name} {seconds:.1f} s" for name, seconds in r["slowest_models"]),
        "",
    ]
    return "\n".join(lines)


def _fixed_cost_lines(r: dict) -> list[str]:
    fixed = r.get("fixed_cost")
    if not fixed:
        return []
    stages = ", ".join(
        f"{name} {seconds:.1f} s" for name, seconds in sorted(fixed["stages"].items())
    )
    data_work = r["refresh"]["seconds"] - fixed["seconds"]
    floor = sum(r["floor"].values())
    return [
        f"fixed cost (full refresh of the tiny fixture, almost no data): {fixed['seconds']:.1f} s"
        f" ({stages}); dbt parse after a code change {r.get('dbt_parse_seconds', 0):.1f} s "
        "(not part of any refresh)",
        "",
        f"beyond the fixed cost the full refresh spends {data_work:.1f} s on data, "
        f"{data_work / floor:.1f}x the floor's {floor:.1f} s: a full refresh needs about "
        f"the fixed cost plus the floor ({fixed['seconds'] + floor:.1f} s here)",
        "",
    ]


def _connector_lines(r: dict) -> list[str]:
    steps = r.get("connectors")
    if not steps:
        return []
    mib = 2**20
    return [
        "| connector layout | wall s | peak MiB |",
        "|---|---:|---:|",
        *[
            f"| {step} | {m['seconds']:.1f} | {m['peak_bytes'] / mib:,.0f} |"
            for step, m in steps.items()
        ],
        "",
    ]
