"""The semantic layer, queried from the published serving file without dbt Cloud or the
`mf` CLI (which looks for updates online and needs a dbt profile).

Each publish stores the run's semantic manifest in `meta.semantic_manifest`, so the metric
definitions always match the data they are asked about. Queries run in an in-memory DuckDB
that attaches the serving file read-only under the name the manifest uses ("work"), so they
work while a refresh writes the working warehouse.
"""

from __future__ import annotations

import csv
import json
import sys
from dataclasses import dataclass
from pathlib import Path

import duckdb

# The database name dbt gave the models (the working file's stem): the manifest's relations
# are "work"."marts"."...".
MANIFEST_DATABASE = "work"


class SemanticLayerError(RuntimeError):
    pass


@dataclass(frozen=True)
class MetricTable:
    columns: list[str]
    rows: list[tuple]


class _ServingSqlClient:
    """MetricFlow's SqlClient protocol over a read-only DuckDB attachment."""

    def __init__(self, serving: Path):
        from metricflow.protocols.sql_client import SqlEngine
        from metricflow.sql.render.duckdb_renderer import DuckDbSqlPlanRenderer

        self.sql_engine_type = SqlEngine.DUCKDB
        self.sql_plan_renderer = DuckDbSqlPlanRenderer()
        self._con = duckdb.connect()
        self._con.execute(f"attach '{_quoted(serving)}' as {MANIFEST_DATABASE} (read_only)")
        self._con.execute("set TimeZone = 'UTC'")

    def query(self, stmt, sql_bind_parameter_set=None):
        from metricflow.data_table.mf_table import MetricFlowDataTable

        cursor = self._con.execute(stmt, _params(sql_bind_parameter_set))
        columns = [d[0] for d in cursor.description]
        return MetricFlowDataTable.create_from_rows(column_names=columns, rows=cursor.fetchall())

    def execute(self, stmt, sql_bind_parameter_set=None) -> None:
        self._con.execute(stmt, _params(sql_bind_parameter_set))

    def dry_run(self, stmt, sql_bind_parameter_set=None) -> None:
        self._con.execute(f"explain {stmt}", _params(sql_bind_parameter_set))

    def close(self) -> None:
        self._con.close()

    def render_bind_parameter_key(self, bind_parameter_key: str) -> str:
        return f"${bind_parameter_key}"


def _params(bind_parameter_set) -> dict:
    if bind_parameter_set is None or not bind_parameter_set.param_dict:
        return {}
    return {key: value.wrapped_value for key, value in bind_parameter_set.param_dict.items()}


def _quoted(path: Path) -> str:
    return str(path).replace("'", "''")


def _manifest_json(serving: Path) -> str:
    if not serving.exists():
        raise SemanticLayerError(f"{serving} does not exist: run `make run` (or `revops refresh`)")
    con = duckdb.connect(str(serving), read_only=True)
    try:
        found = con.execute(
            "select 1 from duckdb_tables() where schema_name = 'meta' "
            "and table_name = 'semantic_manifest'"
        ).fetchall()
        if not found:
            raise SemanticLayerError(
                f"{serving} was published before the semantic layer existed: run a refresh"
            )
        return con.execute("select manifest_json from meta.semantic_manifest").fetchall()[0][0]
    finally:
        con.close()


class SemanticLayer:
    """MetricFlow over the serving file: list metrics, query them."""

    def __init__(self, serving: Path):
        from metricflow.engine.metricflow_engine import MetricFlowEngine
        from metricflow_semantics.model.dbt_manifest_parser import (
            parse_manifest_from_dbt_generated_manifest,
        )
        from metricflow_semantics.model.semantic_manifest_lookup import SemanticManifestLookup

        manifest = parse_manifest_from_dbt_generated_manifest(_manifest_json(serving))
        self._client = _ServingSqlClient(serving)
        self._engine = MetricFlowEngine(
            semantic_manifest_lookup=SemanticManifestLookup(manifest),
            sql_client=self._client,
        )

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> SemanticLayer:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def metrics(self) -> list[tuple[str, str, str, list[str]]]:
        """(name, type, description, dimensions) of every metric, by name."""
        listed = self._engine.list_metrics(include_dimensions=True)
        return sorted(
            (
                m.name,
                m.type.value,
                m.description or "",
                sorted({d.dunder_name for d in m.dimensions}),
            )
            for m in listed
        )

    def query(
        self,
        metrics: list[str],
        group_by: list[str] | None = None,
        where: list[str] | None = None,
        order_by: list[str] | None = None,
        limit: int | None = None,
    ) -> MetricTable:
        from metricflow.engine.metricflow_engine import MetricFlowQueryRequest

        request = MetricFlowQueryRequest.create(
            metric_names=metrics,
            group_by_names=group_by or [],
            where_constraints=where or None,
            order_by_names=order_by or None,
            limit=limit,
        )
        try:
            result = self._engine.query(request)
        except Exception as error:  # MetricFlow's errors say which name is unknown and why
            raise SemanticLayerError(str(error).strip()) from error
        table = result.result_df
        return MetricTable(list(table.column_names), [tuple(row) for row in table.rows])


def print_table(table: MetricTable, fmt: str = "table") -> None:
    if fmt == "json":
        print(
            json.dumps(
                [dict(zip(table.columns, row, strict=True)) for row in table.rows],
                default=str,
                indent=2,
            )
        )
    elif fmt == "csv":
        writer = csv.writer(sys.stdout)
        writer.writerow(table.columns)
        writer.writerows(table.rows)
    else:
        cells = [[_cell(v) for v in row] for row in table.rows]
        widths = [max([len(c), *(len(r[i]) for r in cells)]) for i, c in enumerate(table.columns)]
        print("  ".join(c.ljust(w) for c, w in zip(table.columns, widths, strict=True)))
        for row in cells:
            print("  ".join(v.rjust(w) for v, w in zip(row, widths, strict=True)))
        print(f"({len(cells)} rows)")


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:,.4f}" if abs(value) < 10 else f"{value:,.2f}"
    if hasattr(value, "strftime"):
        return value.strftime("%Y-%m-%d")
    return str(value)
