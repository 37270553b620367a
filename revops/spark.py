"""The same dbt project on Apache Spark: raw tables as Parquet for the cluster, and the tables
it built read back for the gates and the publish.

DuckDB loads and checks the landing files (revops/loading.py). `export_raw` writes each
raw table of work.duckdb as one Parquet file; on a Spark dbt target the on-run-start hook
`register_raw_sources` declares them as external tables `raw.<system>__<table>`, so both
engines read the very same rows. dbt on Spark writes every model as a Parquet table, which
`copy_spark_build` reads back into work.duckdb (docs/spark.md); `normalise` makes values of
both engines comparable.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import duckdb

from revops import paths


def raw_parquet_dir() -> Path:
    """Where the raw Parquet files live (REVOPS_RAW_PARQUET_DIR, default <warehouse>/raw_parquet)."""
    default = paths.warehouse_dir() / "raw_parquet"
    return Path(os.environ.get("REVOPS_RAW_PARQUET_DIR", default)).resolve()


def export_raw(work_db: Path, out_dir: Path) -> dict[str, int]:
    """Write every table of schema `raw` in work_db to out_dir/<table>.parquet; rows per table."""
    out_dir.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(work_db), read_only=True)
    try:
        tables = [
            name
            for (name,) in con.execute(
                "select table_name from information_schema.tables "
                "where table_schema = 'raw' order by table_name"
            ).fetchall()
        ]
        counts = {}
        for table in tables:
            target = out_dir / f"{table}.parquet"
            literal = "'" + str(target).replace("'", "''") + "'"
            con.execute(f'copy (select * from raw."{table}") to {literal} (format parquet)')
            counts[table] = con.execute(f'select count(*) from raw."{table}"').fetchall()[0][0]
        return counts
    finally:
        con.close()


def normalise(value, digits: int = 6):
    """A value both engines can agree on: floats to `digits` significant digits, timestamps at
    midnight and dates alike as dates, decimals as floats."""
    if value is None:
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, Decimal):
        value = float(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if value == 0:
            return 0.0
        return float(f"{value:.{digits - 1}e}")
    if isinstance(value, int):
        return float(value) if abs(value) < 2**53 else value
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.replace(tzinfo=None)
        if value.time() == datetime.min.time():
            return value.date()
        return value
    if isinstance(value, date):
        return value
    return value


# --- the refresh on a Spark cluster (`revops refresh --engine spark`) ------------------------

# every schema dbt builds (seeds in `reference`); the gates and the publish read all of them
BUILT_SCHEMAS = ("reference", "staging", "intermediate", "marts")
LOCAL_CLUSTER_DIR = "spark_cluster"  # under the warehouse folder: `revops spark-cluster start`


def thrift_settings() -> dict[str, str]:
    """Where the Thrift server is: REVOPS_SPARK_HOST / _PORT / _USER (the `spark_thrift` dbt
    target reads the same variables); without a port, the cluster `revops spark-cluster
    start` runs under the warehouse folder."""
    host = os.environ.get("REVOPS_SPARK_HOST", "127.0.0.1")
    port = os.environ.get("REVOPS_SPARK_PORT")
    if port is None:
        from revops.spark_cluster import STATE_FILE, SparkCluster

        local = paths.warehouse_dir() / LOCAL_CLUSTER_DIR
        if not (local / STATE_FILE).exists():
            raise RuntimeError(
                "no Spark Thrift server: set REVOPS_SPARK_HOST and REVOPS_SPARK_PORT, or start "
                "a local cluster with `revops spark-cluster start`"
            )
        port = str(SparkCluster.load(local).thrift_port)
    return {
        "REVOPS_SPARK_HOST": host,
        "REVOPS_SPARK_PORT": port,
        "REVOPS_SPARK_USER": os.environ.get("REVOPS_SPARK_USER", "revops"),
    }


@contextmanager
def spark_target_environment() -> Iterator[None]:
    """What the dbt process started inside needs for `--target spark_thrift`: the Thrift
    server and the raw Parquet folder (this process's environment is restored after)."""
    settings = {**thrift_settings(), "REVOPS_RAW_PARQUET_DIR": str(raw_parquet_dir())}
    previous = {name: os.environ.get(name) for name in settings}
    os.environ.update(settings)
    try:
        yield
    finally:
        for name, value in previous.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _thrift_cursor():
    from pyhive import hive  # dbt-spark[PyHive]: only the Spark engine needs it

    settings = thrift_settings()
    con = hive.connect(
        host=settings["REVOPS_SPARK_HOST"],
        port=int(settings["REVOPS_SPARK_PORT"]),
        username=settings["REVOPS_SPARK_USER"],
    )
    return con, con.cursor()


def _parquet_location(cursor, schema: str, table: str) -> str | None:
    """A table's folder as DuckDB reads it (None for a view: it holds no rows of its own)."""
    cursor.execute(f"describe formatted `{schema}`.`{table}`")
    details = {(row[0] or "").strip(): (row[1] or "").strip() for row in cursor.fetchall()}
    if details.get("Type") == "VIEW":
        return None
    location = details["Location"]
    if location.startswith("file:"):
        return location.removeprefix("file:").replace("///", "/", 1)
    return location.replace("s3a://", "s3://", 1)  # DuckDB's httpfs spelling


def copy_spark_build(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Replace the dbt schemas of the work warehouse (`con`) with the tables the cluster built,
    read from their Parquet files, in one transaction; rows per schema.table.

    Views are left out (Spark keeps only their SQL), so no table of a DuckDB build survives
    beside the Spark build's."""
    spark_con, cursor = _thrift_cursor()
    try:
        sources: dict[tuple[str, str], str] = {}
        for schema in BUILT_SCHEMAS:
            cursor.execute(f"show tables in `{schema}`")
            for _, table, is_temporary in cursor.fetchall():
                location = None if is_temporary else _parquet_location(cursor, schema, table)
                if location is not None:
                    sources[(schema, table)] = location
    finally:
        spark_con.close()
    counts: dict[str, int] = {}
    con.execute("begin")
    try:
        for schema in BUILT_SCHEMAS:
            con.execute(f'drop schema if exists "{schema}" cascade')
            con.execute(f'create schema "{schema}"')
        for (schema, table), location in sorted(sources.items()):
            files = f"'{location}/**/*.parquet'"
            con.execute(
                f'create table "{schema}"."{table}" as select * from '
                f"read_parquet({files}, hive_partitioning = true, union_by_name = true)"
            )
            counts[f"{schema}.{table}"] = con.execute(
                f'select count(*) from "{schema}"."{table}"'
            ).fetchall()[0][0]
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
    return counts
