"""The whole refresh on a real Spark cluster publishes what the DuckDB refresh publishes.

A standalone master, one worker and the Thrift server (revops/spark_cluster.py) start once for
the module. The real Dagster job runs with the warehouse resource's engine set to "spark":
DuckDB loads and checks the landing files, the raw tables go to Parquet, `dbt build --target
spark_thrift` builds every model and data test on the cluster, the tables it wrote are read
back into work.duckdb, the Great Expectations gates run on them and the publish swaps in a
new serving file. The generated xs company (the session fixture the DuckDB refresh already
built) is refreshed on Spark, and every mart of both serving files must hold the same rows:
matched by primary key where the mart has one in MARTS, else as multisets; floats within
1e-6 (relative), dates and midnight timestamps alike.
"""

from __future__ import annotations

import math
import os
import shutil
import time
from collections import Counter
from pathlib import Path

import duckdb
import pytest

from revops.spark import normalise
from revops.spark_cluster import ClusterStartError, running_cluster, start_cluster
from tests.conftest import TINY_LANDING, make_workspace

pytestmark = [
    pytest.mark.spark,
    pytest.mark.slow,
    pytest.mark.extra_refreshes,
    pytest.mark.skipif(
        shutil.which("java") is None and not os.environ.get("JAVA_HOME"),
        reason="Spark needs a Java runtime (`make install` installs one; CI has it)",
    ),
]

ON_SPARK = {"resources": {"warehouse": {"config": {"engine": "spark"}}}}

# published marts with their primary key (the others are compared as multisets of rows)
MARTS = {
    "dim_customers": ["customer_id"],
    "fct_customer_journey": ["journey_event_id"],
    "fct_mrr": ["customer_id", "month"],
    "kpi_revenue_monthly": ["month"],
    "kpi_sales_monthly": ["month"],
    "kpi_funnel_monthly": ["month", "channel"],
    "kpi_marketing_attribution": ["quarter", "channel", "attribution_model"],
    "kpi_success_monthly": ["month"],
    "kpi_upsell_quarterly": ["quarter"],
    "kpi_churn_by_nps_band": ["month", "nps_band"],
    "kpi_churn_by_reason_monthly": ["month", "churn_reason"],
    "kpi_trials_monthly": ["month"],
    "playbook_upsell_candidates": ["customer_id"],
    "playbook_churn_risk": ["customer_id"],
    "playbook_quote_timing": ["region", "weekday", "hour_utc"],
    "revenue_leakage": ["finding_id"],
    "revenue_forecast": ["forecast_made_on", "month", "forecast_kind"],
    "kpi_data_health": ["snapshot_date", "source_system", "source_table"],
    "identity_crosswalk": ["source_system", "source_table", "source_record_id"],
    "fct_opportunities": ["opportunity_id"],
    "fct_tickets": ["ticket_id"],
}


def refresh(job_name: str = "full_refresh"):
    """The real job of `defs`, in process, on an ephemeral instance, dbt on the cluster."""
    from dagster import DagsterInstance

    from orchestration.definitions import defs

    with DagsterInstance.ephemeral() as instance:
        return defs.resolve_job_def(job_name).execute_in_process(
            instance=instance, raise_on_error=False, run_config=ON_SPARK
        )


def failed_steps(result) -> dict[str, str]:
    return {
        e.step_key: e.step_failure_data.user_failure_data.description
        if e.step_failure_data.user_failure_data
        else str(e.step_failure_data.error)
        for e in result.all_events
        if e.event_type_value == "STEP_FAILURE"
    }


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    started = time.monotonic()
    with running_cluster(tmp_path_factory.mktemp("spark_cluster")) as running:
        print(f"Spark master + worker + Thrift server up in {time.monotonic() - started:.1f} s")
        yield running


@pytest.fixture(scope="module")
def on_cluster(cluster):
    with pytest.MonkeyPatch.context() as monkeypatch:
        for name, value in cluster.dbt_environment().items():
            monkeypatch.setenv(name, value)
        yield monkeypatch


@pytest.fixture(scope="module")
def spark_published(xs_published, on_cluster, tmp_path_factory):
    """The xs company refreshed again, its models built on the cluster: (DuckDB's, Spark's)."""
    duck, duck_result = xs_published
    assert duck_result.success
    spark = make_workspace(tmp_path_factory.mktemp("xs_on_spark"), duck.landing, on_cluster)
    started = time.monotonic()
    result = refresh()
    print(f"full refresh on Spark (xs): {time.monotonic() - started:.1f} s")
    assert result.success, failed_steps(result)
    return duck, spark


def _columns(con: duckdb.DuckDBPyConnection, table: str) -> list[str]:
    return [
        name
        for (name,) in con.execute(
            "select column_name from information_schema.columns where table_schema = 'marts' "
            "and table_name = ? order by ordinal_position",
            [table],
        ).fetchall()
    ]


def _same(a, b) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return math.isclose(a, b, rel_tol=1e-6, abs_tol=1e-6)
    return a == b


def _mart_differences(duck: duckdb.DuckDBPyConnection, spark: duckdb.DuckDBPyConnection, table):
    columns = _columns(duck, table)
    if set(_columns(spark, table)) != set(columns):
        return [f"{table}: columns differ {sorted(set(_columns(spark, table)) ^ set(columns))}"]
    selected = ", ".join(f'"{c}"' for c in columns)
    duck_rows = duck.execute(f"select {selected} from marts.{table}").fetchall()
    spark_rows = spark.execute(f"select {selected} from marts.{table}").fetchall()
    key = MARTS.get(table)
    if key is None:  # no declared key: the rows as multisets, floats to 6 digits
        counted = [
            Counter(tuple(normalise(v, digits=6) for v in row) for row in rows)
            for rows in (duck_rows, spark_rows)
        ]
        if counted[0] != counted[1]:
            only_duck = list((counted[0] - counted[1]).elements())[:2]
            only_spark = list((counted[1] - counted[0]).elements())[:2]
            return [f"{table}: only on DuckDB {only_duck}, only on Spark {only_spark}"]
        return []

    def keyed(rows):
        records = [
            {c: normalise(v, digits=12) for c, v in zip(columns, row, strict=True)} for row in rows
        ]
        return {tuple(r[k] for k in key): r for r in records}

    on_duck, on_spark = keyed(duck_rows), keyed(spark_rows)
    problems = []
    if len(on_spark) != len(spark_rows):
        problems.append(f"{table}: primary key not unique on Spark")
    if set(on_duck) != set(on_spark):
        problems.append(
            f"{table}: {len(on_duck)} rows on DuckDB, {len(on_spark)} on Spark; only on DuckDB "
            f"{sorted(set(on_duck) - set(on_spark), key=str)[:3]}, only on Spark "
            f"{sorted(set(on_spark) - set(on_duck), key=str)[:3]}"
        )
    differing = [
        (k, c, on_duck[k][c], on_spark[k][c])
        for k in sorted(set(on_duck) & set(on_spark), key=str)
        for c in columns
        if not _same(on_duck[k][c], on_spark[k][c])
    ]
    if differing:
        problems.append(f"{table}: {len(differing)} values differ, e.g. {differing[:3]}")
    return problems


def test_the_spark_refresh_publishes_the_same_marts_as_the_duckdb_refresh(spark_published):
    duck_ws, spark_ws = spark_published
    duck = duckdb.connect(str(duck_ws.serving), read_only=True)
    spark = duckdb.connect(str(spark_ws.serving), read_only=True)
    try:
        listed = (
            "select table_name from information_schema.tables where table_schema = 'marts' "
            "order by table_name"
        )
        tables = [t for (t,) in duck.execute(listed).fetchall()]
        assert [t for (t,) in spark.execute(listed).fetchall()] == tables
        assert set(MARTS) <= set(tables)
        problems = [p for table in tables for p in _mart_differences(duck, spark, table)]
        assert not problems, "\n".join(problems)
        for table in MARTS:
            if table not in ("revenue_leakage", "playbook_upsell_candidates"):  # may be empty
                assert spark.execute(f"select count(*) from marts.{table}").fetchall()[0][0]
    finally:
        duck.close()
        spark.close()


def test_the_gates_read_the_tables_the_cluster_wrote(spark_published, cluster):
    """The work warehouse's marts are the cluster's Parquet tables, not a DuckDB build."""
    _, spark_ws = spark_published
    folder = cluster.warehouse_dir / "marts.db" / "fct_mrr"
    files = sorted(str(p) for p in folder.rglob("*.parquet"))
    assert files, folder
    con = duckdb.connect(str(spark_ws.warehouse / "work.duckdb"), read_only=True)
    try:
        in_work = con.execute("select count(*), sum(mrr_usd) from marts.fct_mrr").fetchall()[0]
        written = con.execute(
            "select count(*), sum(mrr_usd) from read_parquet(?, hive_partitioning = true)",
            [files],
        ).fetchall()[0]
    finally:
        con.close()
    assert in_work == written and in_work[0] > 0


def test_a_bad_landing_file_stops_the_spark_refresh_before_the_cluster_and_publishes_nothing(
    on_cluster, tmp_path: Path
):
    ws = make_workspace(tmp_path, TINY_LANDING, on_cluster)
    quotes = ws.landing / "sales/quotes/part-00000.csv"
    quotes.write_text(quotes.read_text().replace("1000.00,USD", "1000.00,JPY"))
    result = refresh()
    assert not result.success
    failures = failed_steps(result)
    assert list(failures) == ["raw__sales__quotes"], failures
    message = failures["raw__sales__quotes"]
    assert "allowed values for currency (USD, EUR, GBP) on 1 row(s): 'JPY' (1 row)" in message
    assert "part-00000.csv" in message or "sales__quotes" in message
    assert not ws.serving.exists()
    assert not (ws.warehouse / "raw_parquet").exists()  # the cluster was never asked


def test_a_cluster_that_is_not_up_in_time_is_named_with_its_log_and_stopped(tmp_path: Path):
    with pytest.raises(ClusterStartError) as error:
        start_cluster(tmp_path / "slow", timeout=1)
    message = str(error.value)
    assert "Spark master not up after 1 s" in message and "last lines of its log" in message
    assert not (tmp_path / "slow" / "cluster.json").exists()  # stopped: nothing left running
