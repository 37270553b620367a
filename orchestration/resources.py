"""The working warehouse: one DuckDB file that only the refresh writes."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import cached_property
from importlib.metadata import version as installed_version

import duckdb
from dagster import ConfigurableResource
from dagster_dbt import DbtCliResource
from packaging import version

from revops.paths import export_environment, work_db


class WarehouseResource(ConfigurableResource):
    """Opens the working DuckDB file (path from REVOPS_WAREHOUSE_DIR) for one asset at a time."""

    memory_limit: str = "4GB"

    @contextmanager
    def connect(self) -> Iterator[duckdb.DuckDBPyConnection]:
        export_environment()
        con = duckdb.connect(str(work_db()), config={"memory_limit": self.memory_limit})
        try:
            # Not in connect(): the ICU extension that owns TimeZone loads after start-up.
            con.execute("set TimeZone = 'UTC'")
            yield con
        finally:
            con.close()


class RevopsDbtCliResource(DbtCliResource):
    """dagster-dbt starts `dbt --version` (a whole dbt start-up, 3-8 s here) to learn the
    version before each command; the installed dbt-core package already says it."""

    @cached_property
    def _cli_version(self) -> version.Version:
        return version.parse(installed_version("dbt-core"))
