"""One number, one meaning: every metric of the semantic layer equals the mart column of the
same name, month by month, on a generated company; grouped queries add up."""

from __future__ import annotations

import csv
import io
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest

from revops.metrics import SemanticLayer, SemanticLayerError

REVOPS = str(Path(sys.executable).with_name("revops"))

MART_OF_METRIC = {
    "kpi_revenue_monthly": [
        "mrr_usd",
        "arr_usd",
        "new_mrr_usd",
        "expansion_mrr_usd",
        "reactivation_mrr_usd",
        "contraction_mrr_usd",
        "churned_mrr_usd",
        "active_customers",
        "new_customers",
        "churned_customers",
        "logo_churn_rate",
        "gross_mrr_churn_rate",
        "arpa_usd",
    ],
    "kpi_sales_monthly": [
        "won_count",
        "lost_count",
        "win_rate",
        "won_amount_usd",
        "avg_deal_size_usd",
        "bookings_usd",
        "forecast_usd",
        "forecast_accuracy",
        "forecast_bias",
        "open_opportunities",
    ],
}


@pytest.fixture(scope="module")
def layer(xs_published):
    ws, result = xs_published
    assert result.success
    with SemanticLayer(ws.serving) as semantic_layer:
        yield semantic_layer


def test_the_published_manifest_passes_metricflow_validation(xs_published):
    from metricflow_semantic_interfaces.validations.semantic_manifest_validator import (
        SemanticManifestValidator,
    )
    from metricflow_semantics.model.dbt_manifest_parser import (
        parse_manifest_from_dbt_generated_manifest,
    )

    from revops.metrics import _manifest_json

    ws, _ = xs_published
    manifest = parse_manifest_from_dbt_generated_manifest(_manifest_json(ws.serving))
    results = SemanticManifestValidator().validate_semantic_manifest(manifest)
    assert not results.has_blocking_issues, results


def _day(value):
    """metric_time comes back as a timestamp; the marts' months are dates."""
    return value.date() if hasattr(value, "date") else value


def _close(a, b) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=1e-6)


@pytest.mark.parametrize("mart", list(MART_OF_METRIC))
def test_each_metric_equals_the_mart_column_of_the_same_name(layer, xs_published, mart):
    ws, _ = xs_published
    metrics = MART_OF_METRIC[mart]
    table = layer.query(metrics, group_by=["metric_time__month"])
    got = {_day(row[0]): dict(zip(table.columns[1:], row[1:], strict=True)) for row in table.rows}
    rows = ws.query(f"select month, {', '.join(metrics)} from marts.{mart} order by month")
    assert rows
    for month, *values in rows:
        for metric, want in zip(metrics, values, strict=True):
            have = got.get(month, {}).get(metric)
            # a month with no rows at all is absent from the metric query: the mart says 0
            if have is None and want == 0:
                continue
            assert _close(have, want), (mart, metric, month, have, want)


def test_additive_metrics_grouped_by_region_add_up_to_the_total(layer):
    metrics = ["mrr_usd", "active_customers", "new_mrr_usd"]
    total = layer.query(metrics, group_by=["metric_time__month"])
    by_region = layer.query(metrics, group_by=["metric_time__month", "customer__region"])
    regions = {row[1] for row in by_region.rows}
    assert {"emea", "amer", "apac"} <= regions
    sums: dict = {}
    for month, _region, *values in by_region.rows:
        current = sums.setdefault(month, [0.0] * len(metrics))
        sums[month] = [c + (v or 0) for c, v in zip(current, values, strict=True)]
    for month, *values in total.rows:
        for i, metric in enumerate(metrics):
            assert math.isclose(sums[month][i], values[i] or 0, abs_tol=0.01), (metric, month)


def test_an_unknown_metric_is_a_clear_error(layer):
    with pytest.raises(SemanticLayerError, match="no_such_metric"):
        layer.query(["no_such_metric"], group_by=["metric_time__month"])


def test_the_cli_answers_from_the_serving_file_as_csv(xs_published):
    ws, _ = xs_published
    env = {**os.environ, "REVOPS_WAREHOUSE_DIR": str(ws.warehouse)}
    out = subprocess.run(
        [
            REVOPS,
            "metrics",
            "query",
            "--metrics",
            "mrr_usd,active_customers",
            "--group-by",
            "metric_time__month,customer__region",
            "--where",
            "{{ Dimension('customer__region') }} = 'emea'",
            "--format",
            "csv",
        ],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    rows = list(csv.DictReader(io.StringIO(out)))
    assert rows and {r["customer__region"] for r in rows} == {"emea"}
    month, mrr = max((r["metric_time__month"], float(r["mrr_usd"])) for r in rows)
    expected = ws.query(
        "select sum(f.mrr_usd) from marts.fct_mrr f join marts.dim_customers c using (customer_id) "
        "where c.region = 'emea' and f.month = (select max(month) from marts.fct_mrr)"
    )[0][0]
    assert month.startswith(str(ws.query("select max(month) from marts.fct_mrr")[0][0]))
    assert mrr == pytest.approx(expected, abs=0.01)
