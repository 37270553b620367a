"""One number, one meaning: every metric of the semantic layer equals the mart column of the
same name (or, for building blocks no mart publishes, an independent SQL recomputation from
the marts), period by period, on a generated company; grouped queries add up; the manifest
passes MetricFlow's validation offline."""

from __future__ import annotations

import csv
import io
import math
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from revops.metrics import SemanticLayer, SemanticLayerError

REVOPS = str(Path(sys.executable).with_name("revops"))

# A view is one MetricFlow request: its group-by and the key columns of the reference rows.
VIEWS = {
    "month": (["metric_time__month"], ["month"]),
    "funnel": (["metric_time__month", "funnel_cell__channel"], ["month", "channel"]),
    "cohort": (
        ["metric_time__month", "funnel_cohort_cell__channel"],
        ["cohort_month", "channel"],
    ),
    "paid_cac": (["metric_time__month", "paid_cac_cell__channel"], ["month", "channel"]),
    "nps_band": (["metric_time__month", "nps_band_cell__nps_band"], ["month", "nps_band"]),
    "quarter": (["metric_time__quarter"], ["quarter"]),
    "attribution": (
        [
            "metric_time__quarter",
            "attribution_cell__channel",
            "attribution_cell__attribution_model",
        ],
        ["quarter", "channel", "attribution_model"],
    ),
}

# Reference relations that are not a mart: recomputed from the marts in SQL.
T12 = "over (order by month rows between 11 preceding and current row)"
REVENUE_T12 = f"""(
    select
        month,
        sum(invoiced_revenue_usd) {T12} as invoiced_revenue_t12_usd,
        sum(cost_of_revenue_usd) {T12} as cost_of_revenue_t12_usd,
        count(*) {T12} as revenue_months_t12,
        sum(coalesce(logo_churn_rate, 0)) {T12} as logo_churn_rate_sum_t12,
        count(logo_churn_rate) {T12} as logo_churn_rate_months_t12,
        avg(logo_churn_rate) {T12} as mean_logo_churn_rate_t12,
        1 as revenue_spine_months,
        coalesce(logo_churn_rate, 0) as logo_churn_rate_sum,
        case when logo_churn_rate is null then 0 else 1 end as logo_churn_rate_months,
        coalesce(lag(mrr_usd) over (order by month), 0) as mrr_at_start_usd,
        coalesce(lag(active_customers) over (order by month), 0) as customers_at_start
    from marts.kpi_revenue_monthly
)"""
# NRR/GRR cohorts straight from fct_mrr (not from fct_mrr_retention, which the metrics use)
RETENTION = """(
    select
        cast(before.month + interval 12 month as date) as month,
        sum(coalesce(now.mrr_usd, 0)) as cohort_mrr_now_usd,
        sum(least(coalesce(now.mrr_usd, 0), before.mrr_usd)) as cohort_mrr_capped_usd,
        sum(before.mrr_usd) as cohort_mrr_before_usd
    from marts.fct_mrr as before
    left join marts.fct_mrr as now
        on now.customer_id = before.customer_id
        and now.month = cast(before.month + interval 12 month as date)
    where before.mrr_usd > 0
        and before.month + interval 12 month
            <= (select max(month) from marts.kpi_revenue_monthly)
    group by 1
)"""
OPPORTUNITIES = """(
    select
        cast(date_trunc('month', closed_on) as date) as month,
        count(*) filter (where opportunity_type = 'renewal' and is_won) as renewals_won,
        count(*) filter (where opportunity_type = 'renewal') as renewals_closed
    from marts.fct_opportunities
    where is_closed
    group by 1
)"""
CREATED = """(
    select month, sum(o) as opportunities_created, sum(t) as tickets_created from (
        select cast(date_trunc('month', created_at) as date) as month, 1 as o, 0 as t
        from marts.fct_opportunities
        union all
        select cast(date_trunc('month', created_at) as date), 0, 1 from marts.fct_tickets
    ) group by 1
)"""
CSAT = """(
    select cast(date_trunc('month', solved_at) as date) as month,
        count(*) filter (where csat_score >= 4) as csat_satisfied
    from marts.fct_tickets where is_solved group by 1
)"""
JOURNEY = """(
    select cast(date_trunc('month', event_at) as date) as month,
        count(*) as journey_events, count(distinct customer_id) as journey_customers
    from marts.fct_customer_journey group by 1
)"""
COMPANIES = """(
    select first_paid_month as month, count(*) as companies
    from marts.dim_customers group by 1
)"""

REV, SALES, FUNNEL = (
    "marts.kpi_revenue_monthly",
    "marts.kpi_sales_monthly",
    "marts.kpi_funnel_monthly",
)
SUCCESS, PAID, ATTR = (
    "marts.kpi_success_monthly",
    "marts.kpi_paid_cac_monthly",
    "marts.kpi_marketing_attribution",
)

# metric -> (view, reference relation, column); the column is the metric's name unless given
REFERENCE: dict[str, tuple[str, str, str | None]] = {
    **{
        m: ("month", REV, None)
        for m in [
            "mrr_usd", "arr_usd", "new_mrr_usd", "expansion_mrr_usd", "reactivation_mrr_usd",
            "contraction_mrr_usd", "churned_mrr_usd", "active_customers", "new_customers",
            "churned_customers", "logo_churn_rate", "gross_mrr_churn_rate", "nrr", "grr",
            "arpa_usd", "invoiced_revenue_usd", "cost_of_revenue_usd", "gross_margin",
            "t12_gross_margin", "ltv_usd", "acquisition_cost_usd", "cac_usd",
            "cac_payback_months", "ltv_to_cac",
        ]
    },
    **{
        m: ("month", REVENUE_T12, None)
        for m in [
            "invoiced_revenue_t12_usd", "cost_of_revenue_t12_usd", "revenue_months_t12",
            "logo_churn_rate_sum_t12", "logo_churn_rate_months_t12", "mean_logo_churn_rate_t12",
            "mrr_at_start_usd", "customers_at_start", "revenue_spine_months",
            "logo_churn_rate_sum", "logo_churn_rate_months",
        ]
    },
    **{
        m: ("month", RETENTION, None)
        for m in ["cohort_mrr_now_usd", "cohort_mrr_capped_usd", "cohort_mrr_before_usd"]
    },
    "companies": ("month", COMPANIES, None),
    **{
        m: ("month", SALES, None)
        for m in [
            "won_count", "lost_count", "win_rate", "won_amount_usd", "avg_deal_size_usd",
            "bookings_usd", "sales_cycle_days_median", "sales_cycle_days_mean",
            "open_opportunities", "pipeline_velocity_usd_per_day", "forecast_usd",
            "forecast_accuracy", "forecast_bias", "renewal_rate",
        ]
    },
    "renewals_won": ("month", OPPORTUNITIES, None),
    "renewals_closed": ("month", OPPORTUNITIES, None),
    "opportunities_created": ("month", CREATED, None),
    "tickets_created": ("month", CREATED, None),
    **{
        m: ("month", SUCCESS, None)
        for m in [
            "tickets_solved", "csat_responses", "csat", "nps", "nps_answers", "nps_promoters",
            "nps_detractors", "first_response_hours_median", "resolution_hours_median",
        ]
    },
    "csat_satisfied": ("month", CSAT, None),
    "journey_events": ("month", JOURNEY, None),
    "journey_customers": ("month", JOURNEY, None),
    **{
        m: ("funnel", FUNNEL, None)
        for m in [
            "leads", "mqls", "sqls", "accepted_mqls", "opportunities", "won",
            "lead_acceptance_rate", "ad_spend_usd", "cost_per_lead_usd", "cost_per_mql_usd",
        ]
    },
    **{
        f"cohort_{c}": ("cohort", "marts.kpi_funnel_cohorts", c)
        for c in ["people", "reached_mql", "reached_sql", "reached_opportunity", "reached_won"]
    },
    **{
        f"cohort_lead_to_{s}_rate": ("cohort", "marts.kpi_funnel_cohorts", f"lead_to_{s}_rate")
        for s in ["mql", "sql", "opportunity", "won"]
    },
    "paid_ad_spend_usd": ("paid_cac", PAID, "ad_spend_usd"),
    "paid_new_customers": ("paid_cac", PAID, "new_customers"),
    "paid_cac_usd": ("paid_cac", PAID, None),
    "attributed_bookings_usd": ("attribution", ATTR, None),
    "attributed_deals": ("attribution", ATTR, None),
    "attribution_ad_spend_usd": ("attribution", ATTR, "ad_spend_usd"),
    "roi": ("attribution", ATTR, None),
    "upsell_customers_at_start": ("quarter", "marts.kpi_upsell_quarterly", "customers_at_start"),
    "upsold_customers": ("quarter", "marts.kpi_upsell_quarterly", None),
    "upsell_rate": ("quarter", "marts.kpi_upsell_quarterly", None),
    "nps_band_customers": ("nps_band", "marts.kpi_churn_by_nps_band", "customers"),
    "nps_band_churned_customers": ("nps_band", "marts.kpi_churn_by_nps_band", "churned_customers"),
    "logo_churn_rate_by_nps_band": ("nps_band", "marts.kpi_churn_by_nps_band", "logo_churn_rate"),
}  # fmt: skip


@pytest.fixture(scope="module")
def layer(xs_published):
    ws, result = xs_published
    assert result.success
    with SemanticLayer(ws.serving) as semantic_layer:
        yield semantic_layer


def _reference_rows(serving: Path, sql: str) -> list[tuple]:
    con = duckdb.connect(str(serving), read_only=True)
    try:
        con.execute("set TimeZone = 'UTC'")
        return con.execute(sql).fetchall()
    finally:
        con.close()


def _key(value):
    """metric_time comes back as a timestamp; the marts' months are dates."""
    return value.date() if hasattr(value, "date") and hasattr(value, "hour") else value


def _close(have, want) -> bool:
    if want is None or have is None:
        # a period with no rows at all is absent from a metric query: the mart says 0 or null
        return (have is None and want in (None, 0)) or (want is None and have is None)
    # money in the marts is rounded to cents before some ratios: 1e-7 relative covers it
    return math.isclose(float(have), float(want), rel_tol=1e-7, abs_tol=1e-6)


# Trials and churn by reason (dbt_project/semantic_models/trials.yml)
VIEWS["churn_reason"] = (
    ["metric_time__month", "churn_reason_cell__churn_reason"],
    ["month", "churn_reason"],
)
REFERENCE.update(
    {
        **{
            m: ("month", "marts.kpi_trials_monthly", None)
            for m in ["trials_started", "trials_converted", "trial_to_paid_rate"]
        },
        "reason_churned_customers": (
            "churn_reason",
            "marts.kpi_churn_by_reason_monthly",
            "churned_customers",
        ),
        "reason_churned_mrr_usd": (
            "churn_reason",
            "marts.kpi_churn_by_reason_monthly",
            "churned_mrr_usd",
        ),
    }
)


def test_the_published_manifest_passes_metricflow_validation(xs_published):
    """`mf validate-configs`' semantic checks, in process and offline (the CLI looks online)."""
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
    assert {m.name for m in manifest.metrics} == set(REFERENCE)
    assert all(m.description for m in manifest.metrics)
    assert {q.name for q in manifest.saved_queries} >= {
        "revenue_by_month",
        "funnel_by_month_and_channel",
        "sales_by_month",
        "success_by_month",
    }


def test_every_metric_has_a_reference(layer):
    assert {name for name, *_ in layer.metrics()} == set(REFERENCE)


@pytest.mark.parametrize("view", list(VIEWS))
def test_each_metric_equals_the_mart_column_of_the_same_name(layer, xs_published, view):
    ws, _ = xs_published
    group_by, keys = VIEWS[view]
    metrics = sorted(m for m, (v, _, _) in REFERENCE.items() if v == view)
    table = layer.query(metrics, group_by=group_by)
    n = len(group_by)
    got = {
        tuple(_key(v) for v in row[:n]): dict(zip(table.columns[n:], row[n:], strict=True))
        for row in table.rows
    }
    relations: dict[str, list[str]] = {}
    for metric in metrics:
        relations.setdefault(REFERENCE[metric][1], []).append(metric)
    checked = 0
    for relation, names in relations.items():
        columns = ", ".join(f"{REFERENCE[m][2] or m} as {m}" for m in names)
        rows = _reference_rows(
            ws.serving,
            f"select {', '.join(keys)}, {columns} from {relation} "
            f"where {keys[0]} is not null order by {', '.join(keys)}",
        )
        assert rows, relation
        for row in rows:
            key = tuple(row[: len(keys)])
            for metric, want in zip(names, row[len(keys) :], strict=True):
                have = got.get(key, {}).get(metric)
                assert _close(have, want), (view, metric, key, have, want)
                checked += 1
    # the comparison is not vacuous: most values are present and non-zero
    non_zero = sum(1 for v in got.values() for x in v.values() if x not in (None, 0))
    assert non_zero > checked / 4, (view, non_zero, checked)


def test_a_wrong_definition_would_be_caught(layer, xs_published):
    """The comparison can fail: a neighbouring metric does not match win_rate's column."""
    ws, _ = xs_published
    table = layer.query(["renewal_rate"], group_by=["metric_time__month"])
    wanted = dict(_reference_rows(ws.serving, f"select month, win_rate from {SALES}"))
    mismatches = [row for row in table.rows if not _close(row[1], wanted.get(_key(row[0]), row[1]))]
    assert mismatches


ADDITIVE_BY_REGION = [
    "mrr_usd",
    "active_customers",
    "new_mrr_usd",
    "cohort_mrr_now_usd",
    "won_count",
    "bookings_usd",
    "tickets_solved",
    "nps_answers",
    "journey_events",
]


def _sums_by(table, n_keys: int) -> dict:
    sums: dict = {}
    for row in table.rows:
        current = sums.setdefault(row[0], [0.0] * (len(row) - n_keys))
        sums[row[0]] = [c + (v or 0) for c, v in zip(current, row[n_keys:], strict=True)]
    return sums


def test_additive_metrics_grouped_by_region_add_up_to_the_total(layer):
    total = layer.query(ADDITIVE_BY_REGION, group_by=["metric_time__month"])
    by_region = layer.query(ADDITIVE_BY_REGION, group_by=["metric_time__month", "customer__region"])
    regions = {row[1] for row in by_region.rows}
    assert {"emea", "amer", "apac"} <= regions
    sums = _sums_by(by_region, 2)
    checked = 0
    for month, *values in total.rows:
        for i, metric in enumerate(ADDITIVE_BY_REGION):
            assert math.isclose(sums[month][i], values[i] or 0, abs_tol=0.01), (metric, month)
            checked += values[i] not in (None, 0)
    assert checked > len(total.rows)


def test_funnel_metrics_grouped_by_channel_add_up_to_the_total(layer):
    metrics = ["leads", "mqls", "sqls", "opportunities", "won", "ad_spend_usd"]
    total = layer.query(metrics, group_by=["metric_time__month"])
    by_channel = layer.query(metrics, group_by=["metric_time__month", "funnel_cell__channel"])
    assert len({row[1] for row in by_channel.rows}) > 2
    sums = _sums_by(by_channel, 2)
    for month, *values in total.rows:
        for i, metric in enumerate(metrics):
            assert math.isclose(sums[month][i], values[i] or 0, abs_tol=0.01), (metric, month)


def test_day_and_quarter_grains_agree_with_the_month(layer):
    months = layer.query(["bookings_usd", "tickets_solved"], group_by=["metric_time__month"])
    quarters = layer.query(["bookings_usd", "tickets_solved"], group_by=["metric_time__quarter"])
    days = layer.query(["bookings_usd", "tickets_solved"], group_by=["metric_time__day"])
    total = [sum(row[i] or 0 for row in months.rows) for i in (1, 2)]
    for other in (quarters, days):
        assert [sum(row[i] or 0 for row in other.rows) for i in (1, 2)] == pytest.approx(total)
    assert len(days.rows) > len(months.rows) > len(quarters.rows)


def test_win_rate_slices_by_opportunity_type(layer):
    table = layer.query(
        ["won_count", "lost_count", "win_rate"],
        group_by=["metric_time__quarter", "opportunity__opportunity_type"],
    )
    types = {row[1] for row in table.rows if row[2]}
    assert types == {"new_business", "expansion"}  # renewals count only in the renewal rate
    for _, _, won, lost, rate in table.rows:
        if won + lost:
            assert rate == pytest.approx(won / (won + lost))


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


def test_the_cli_lists_every_metric(xs_published):
    ws, _ = xs_published
    env = {**os.environ, "REVOPS_WAREHOUSE_DIR": str(ws.warehouse)}
    out = subprocess.run(
        [REVOPS, "metrics", "list"], env=env, capture_output=True, text=True, check=True
    ).stdout
    # a metric's line names it and how it reaches a longer period; its description follows
    listed = {line.split()[0]: line for line in out.splitlines() if line[:1].strip()}
    assert set(listed) == set(REFERENCE)
    assert "balance: the value at the period's end" in listed["mrr_usd"]
    assert "sums over the period" in listed["bookings_usd"]
    assert "won_amount_usd / won_count" in listed["avg_deal_size_usd"]
    assert "per month only" in listed["nrr"]


def test_the_semantic_facts_suites_pass_and_can_fail(xs_published, tmp_path):
    """The facts' GE suites pass on the generated company and fail on broken rows (the
    retention fact may be empty on short data, so it is broken, not emptied)."""
    import shutil

    from orchestration.checks.suites_semantic import SEMANTIC_SUITES
    from revops.quality import ERROR, run_suite

    ws, _ = xs_published
    database = tmp_path / "work.duckdb"
    shutil.copy(ws.warehouse / "work.duckdb", database)
    for suite in SEMANTIC_SUITES.values():
        assert run_suite(database, suite, tmp_path / "docs").severity is None, suite.name
    con = duckdb.connect(str(database))
    con.execute("update marts.fct_mrr_retention set capped_mrr_usd = capped_mrr_usd + 1")
    con.execute("insert into marts.fct_mrr_retention select * from marts.fct_mrr_retention limit 1")
    con.execute("update marts.fct_opportunities set is_won = true where is_lost")
    con.execute("update marts.fct_tickets set csat_score = 7")
    con.execute("update marts.fct_nps_answers set nps_band = 'promoter'")
    con.close()
    for suite in SEMANTIC_SUITES.values():
        result = run_suite(database, suite, tmp_path / "docs")
        assert result.severity == ERROR, suite.name
