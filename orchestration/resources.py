"""The working warehouse: one DuckDB file that only the refresh writes."""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cached_property
from importlib.metadata import version as installed_version
from pathlib import Path

import duckdb
from dagster import ConfigurableResource
from dagster_dbt import DbtCliResource
from packaging import version

from revops.paths import duckdb_memory_limit, export_environment, work_db

ENGINES = ("duckdb", "spark")


class WarehouseResource(ConfigurableResource):
    """Opens the working DuckDB file (path from REVOPS_WAREHOUSE_DIR) for one asset at a time.

    `engine` says where dbt builds the models: "duckdb" in this file, or "spark" on the Spark
    Thrift server of the `spark_thrift` dbt target (orchestration/assets/dbt.py); loads,
    gates and publish read and write this file either way."""

    memory_limit: str = ""  # empty: REVOPS_DUCKDB_MEMORY_LIMIT (revops.paths)
    engine: str = ""  # empty: REVOPS_ENGINE, default duckdb (a schedule's runs read it too)
    # How long to wait for another writer (e.g. a dbt left running by a killed run) to let go.
    lock_wait_seconds: float = 300

    def build_engine(self) -> str:
        engine = self.engine or os.environ.get("REVOPS_ENGINE", "duckdb")
        if engine not in ENGINES:
            raise ValueError(f"engine {engine!r}: choose one of {', '.join(ENGINES)}")
        return engine

    @contextmanager
    def connect(self) -> Iterator[duckdb.DuckDBPyConnection]:
        export_environment()
        limit = self.memory_limit or duckdb_memory_limit()
        con = open_when_unlocked(work_db(), limit, self.lock_wait_seconds)
        try:
            # Not in connect(): the ICU extension that owns TimeZone loads after start-up.
            con.execute("set TimeZone = 'UTC'")
            yield con
        finally:
            con.close()


def open_when_unlocked(
    path: Path, memory_limit: str, wait_seconds: float
) -> duckdb.DuckDBPyConnection:
    """Open the file for writing; while another process holds its lock, wait and retry."""
    deadline = time.monotonic() + wait_seconds
    pause = 0.5
    while True:
        try:
            return duckdb.connect(str(path), config={"memory_limit": memory_limit})
        except duckdb.IOException as error:
            if "lock" not in str(error).lower() or time.monotonic() > deadline:
                raise
            logging.getLogger(__name__).warning(
                "%s is locked by another process; retrying in %.1f s", path, pause
            )
            time.sleep(pause)
            pause = min(pause * 2, 10)


class RevopsDbtCliResource(DbtCliResource):
    """Two dbt start-ups dagster-dbt makes before each command, skipped:

    - it runs `dbt --version` (3-8 s here) to learn the version; the installed dbt-core
      package already says it;
    - it imports dbt into this process and loads the profile (~2.7 s) to hand the command an
      adapter, used only by `fetch_column_metadata` and `fetch_row_counts`, which our assets
      do not call: without one the dbt process simply starts 2.7 s sooner.
    """

    @cached_property
    def _cli_version(self) -> version.Version:
        return version.parse(installed_version("dbt-core"))

    def _initialize_dbt_core_adapter(self, args):  # noqa: ARG002 (dagster-dbt's signature)
        return None
