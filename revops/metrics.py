"""The semantic layer, queried from the published serving file without dbt Cloud or the
`mf` CLI (which looks for updates online and needs a dbt profile).

Each publish stores the run's semantic manifest in `meta.semantic_manifest`, so the metric
definitions always match the data they are asked about. Queries run in an in-memory DuckDB
that attaches the serving file read-only under the name the manifest uses ("work"), so they
work while a refresh writes the working warehouse.

How a metric reaches a coarser period is declared on it (`config: meta: {aggregation: ...}`,
docs/metrics.md): flows sum, balances take the value at the period's end (or start), ratios
are recomputed from their parts. A metric declared for some grains only (NRR, GRR, LTV: per
month) and a grain finer than a metric's data are refused here with a message, not answered
with a number.
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


# MetricFlow's time grains, finest first
GRAINS = ("day", "week", "month", "quarter", "year")

# How each declared aggregation kind reaches a longer period (shown by `revops metrics list`).
AGGREGATIONS = {
    "sum": "sums over the period",
    "period_end": "balance: the value at the period's end (its last month)",
    "period_start": "balance: the value at the period's start (the end of the month before)",
    "ratio": "ratio recomputed from its parts over the period",
    "median": "median over the period's records",
    "mean": "mean over the period's records",
    "distinct_count": "distinct count over the period",
    "trailing_12_months": "sum of the 12 months ending at the month",
}


class SemanticLayerError(RuntimeError):
    pass


@dataclass(frozen=True)
class MetricRule:
    """How a metric aggregates over time and at which metric_time grains it has a value."""

    aggregation: str | None  # a key of AGGREGATIONS; None when the YAML declares none
    parts: tuple[str, ...]  # the metrics a ratio or derived metric is computed from
    formula: str  # numerator / denominator, or the derived expression
    grains: tuple[str, ...]  # the grains it may be asked at (its own, its parts', coarser)

    @property
    def restricted(self) -> bool:
        """Declared for some grains only (not every grain from its own one up)."""
        return not self.grains or self.grains != GRAINS[GRAINS.index(self.grains[0]) :]

    def describe(self) -> str:
        how = AGGREGATIONS.get(self.aggregation or "", "aggregation not declared")
        if self.aggregation in ("ratio", "period_end", "period_start") and self.formula:
            how += f": {self.formula}"
        if self.restricted:
            how += f"; per {' / '.join(self.grains) or 'no grain'} only"
        return how


@dataclass(frozen=True)
class MetricTable:
    columns: list[str]
    rows: list[tuple]


class _ServingSqlClient:
    """MetricFlow's SqlClient protocol over a read-only DuckDB attachment, opened for each
    statement and closed after it: a layer kept between queries (the dashboard's) holds no
    connection, so a publish that replaces the file is never blocked and is seen next."""

    def __init__(self, serving: Path):
        from metricflow.protocols.sql_client import SqlEngine
        from metricflow.sql.render.duckdb_renderer import DuckDbSqlPlanRenderer

        self.sql_engine_type = SqlEngine.DUCKDB
        self.sql_plan_renderer = DuckDbSqlPlanRenderer()
        self._serving = serving

    def _run(self, stmt: str, bind_parameter_set, fetch: bool):
        con = duckdb.connect()
        try:
            con.execute(f"attach '{_quoted(self._serving)}' as {MANIFEST_DATABASE} (read_only)")
            con.execute("set TimeZone = 'UTC'")
            cursor = con.execute(stmt, _params(bind_parameter_set))
            if fetch:
                return [d[0] for d in cursor.description], cursor.fetchall()
            return None
        finally:
            con.close()

    def query(self, stmt, sql_bind_parameter_set=None):
        from metricflow.data_table.mf_table import MetricFlowDataTable

        columns, rows = self._run(stmt, sql_bind_parameter_set, fetch=True)
        return MetricFlowDataTable.create_from_rows(column_names=columns, rows=rows)

    def execute(self, stmt, sql_bind_parameter_set=None) -> None:
        self._run(stmt, sql_bind_parameter_set, fetch=False)

    def dry_run(self, stmt, sql_bind_parameter_set=None) -> None:
        self._run(f"explain {stmt}", sql_bind_parameter_set, fetch=False)

    def close(self) -> None:
        pass  # no connection is kept

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
        self._listed = self._engine.list_metrics(include_dimensions=True)
        self.rules = _rules(manifest, self._listed)

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> SemanticLayer:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def metrics(self) -> list[tuple[str, str, str, list[str]]]:
        """(name, how it aggregates, description, dimensions) of every metric, by name."""
        return sorted(
            (
                m.name,
                self.rules[m.name].describe(),
                " ".join((m.description or "").split()),
                sorted({d.dunder_name for d in m.dimensions}),
            )
            for m in self._listed
        )

    def check_grains(self, metrics: list[str], group_by: list[str]) -> None:
        """Refuse a metric_time grain a metric has no value at (see the module docstring)."""
        asked = [_grain(name) for name in group_by if name.split("__")[0] == "metric_time"]
        for metric in metrics:
            rule = self.rules.get(metric)
            if rule is None:
                continue  # MetricFlow names the unknown metric
            allowed = ", ".join(f"metric_time__{g}" for g in rule.grains)
            if rule.restricted and not asked:
                raise SemanticLayerError(
                    f"{metric} is defined per {' / '.join(rule.grains)} only: group by {allowed}"
                )
            for grain in filter(None, asked):
                if grain in rule.grains:
                    continue
                if rule.grains and GRAINS.index(grain) < GRAINS.index(rule.grains[0]):
                    why = f"its data is by {rule.grains[0]}"
                else:
                    why = f"it is defined per {' / '.join(rule.grains) or 'no grain'} only"
                raise SemanticLayerError(
                    f"{metric} has no value by {grain}: {why}; group by {allowed}"
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

        group_by = group_by or []
        self.check_grains(metrics, group_by)
        request = MetricFlowQueryRequest.create(
            metric_names=metrics,
            group_by_names=group_by,
            where_constraints=where or None,
            order_by_names=order_by or _time_first(group_by) or None,
            limit=limit,
        )
        try:
            result = self._engine.query(request)
        except Exception as error:  # MetricFlow's errors say which name is unknown and why
            raise SemanticLayerError(str(error).strip()) from error
        table = result.result_df
        return MetricTable(list(table.column_names), [tuple(row) for row in table.rows])


def _grain(group_by_name: str) -> str | None:
    """The grain of a metric_time group-by (None: bare metric_time, the metric's own)."""
    last = group_by_name.split("__")[-1]
    return last if last in GRAINS else None


def _time_first(group_by: list[str]) -> list[str]:
    """The default order: metric_time, then other time dimensions, then the rest as given."""

    def rank(name: str) -> int:
        if name.split("__")[0] == "metric_time":
            return 0
        return 1 if _grain(name) else 2

    return sorted(group_by, key=rank)


def _rules(manifest, listed) -> dict[str, MetricRule]:
    """Each metric's rule: its declared aggregation, its parts, and its grains (those its
    own data offers, coarser ones, narrowed by its declaration and by its parts' rules)."""
    by_name = {m.name: m for m in manifest.metrics}
    own_grain = {
        m.name: next(
            (d.dunder_name.split("__")[-1] for d in m.dimensions if d.name == "metric_time"),
            GRAINS[0],
        )
        for m in listed
    }
    rules: dict[str, MetricRule] = {}

    def rule(name: str) -> MetricRule:
        if name in rules:
            return rules[name]
        metric = by_name[name]
        meta = metric.config.meta if metric.config else {}
        params = metric.type_params
        if params.numerator and params.denominator:
            parts = (params.numerator.name, params.denominator.name)
            formula = " / ".join(parts)
        else:
            parts = tuple(m.name for m in params.metrics or [])
            formula = " ".join(params.expr.split()) if params.expr and parts else ""
        grains = GRAINS[GRAINS.index(own_grain.get(name, GRAINS[0])) :]
        declared = meta.get("grains")
        if declared:
            grains = tuple(g for g in grains if g in declared)
        for part in parts:
            grains = tuple(g for g in grains if g in rule(part).grains)
        rules[name] = MetricRule(meta.get("aggregation"), parts, formula, grains)
        return rules[name]

    for name in by_name:
        rule(name)
    return rules


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
