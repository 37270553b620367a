"""Every metric right at every grain: each metric of the published semantic manifest, asked by
every metric_time grain (day, week, month, quarter, year) alone and by each slicing dimension
it offers (region, size band, industry, channel, plan, opportunity type), equals SQL written
here on the marts from its definition, or is refused where it has no value (a grain finer
than its data, or beyond the grains it is defined at: NRR, GRR, LTV per month).

The kind written below for each metric is this test's own reading of the definitions (the
"Coarser periods" convention of docs/metrics.md): a flow sums, a balance takes its value at
the period's end (its last month on the mart's spine, the as-of month for the period still
running) or start, a ratio is recomputed from its parts, a median or mean is taken over the
period's records. The YAML must declare the same kind (config.meta.aggregation). A metric
with no reference here, or no declared kind there, fails the test: a new metric is covered
or flagged.
"""

from __future__ import annotations

import math
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pytest

from revops.metrics import AGGREGATIONS, GRAINS, SemanticLayer, SemanticLayerError

# dimension names (the part after the entity) that slice a metric
SLICES = ("region", "size_band", "industry", "channel", "plan", "opportunity_type")

CUSTOMER = "left join marts.dim_customers as c using (customer_id)"
CUSTOMER_COLUMNS = "c.region, c.size_band, c.industry"

# Row-level relations the references aggregate: t is the date a row counts at.
# (sql, grain of t, the months or quarters a balance is read at)
BASES: dict[str, tuple[str, str, str | None]] = {
    "mrr": (
        f"select f.*, f.month as t, {CUSTOMER_COLUMNS} from marts.fct_mrr as f {CUSTOMER}",
        "month",
        "select month as t from marts.kpi_revenue_monthly",
    ),
    "retention": (
        # NRR/GRR cohorts straight from fct_mrr: customers paying at the end of M-12
        f"""select r.*, {CUSTOMER_COLUMNS} from (
            select
                before.customer_id,
                cast(before.month + interval 12 month as date) as t,
                coalesce(now.mrr_usd, 0) as now_usd,
                least(coalesce(now.mrr_usd, 0), before.mrr_usd) as capped_usd,
                before.mrr_usd as before_usd
            from marts.fct_mrr as before
            left join marts.fct_mrr as now
                on now.customer_id = before.customer_id
                and now.month = cast(before.month + interval 12 month as date)
            where before.mrr_usd > 0
                and before.month + interval 12 month
                    <= (select max(month) from marts.kpi_revenue_monthly)
        ) as r {CUSTOMER}""",
        "month",
        None,
    ),
    "companies": (
        f"select first_paid_month as t, {CUSTOMER_COLUMNS} from marts.dim_customers as c",
        "month",
        None,
    ),
    "revenue_months": (
        """select *, month as t,
            sum(invoiced_revenue_usd) over t12 as invoiced_t12,
            sum(cost_of_revenue_usd) over t12 as cost_t12,
            count(*) over t12 as months_t12,
            sum(coalesce(logo_churn_rate, 0)) over t12 as churn_rate_sum_t12,
            count(logo_churn_rate) over t12 as churn_rate_months_t12
        from marts.kpi_revenue_monthly
        window t12 as (order by month rows between 11 preceding and current row)""",
        "month",
        None,
    ),
    "closed_opportunities": (
        f"select o.*, o.closed_on as t, {CUSTOMER_COLUMNS} "
        f"from marts.fct_opportunities as o {CUSTOMER}",
        "day",
        None,
    ),
    "created_opportunities": (
        f"select o.*, o.created_on as t, {CUSTOMER_COLUMNS} "
        f"from marts.fct_opportunities as o {CUSTOMER}",
        "day",
        None,
    ),
    "sales_months": (
        "select *, month as t from marts.kpi_sales_monthly",
        "month",
        "select month as t from marts.kpi_sales_monthly",
    ),
    "solved_tickets": (
        f"select k.*, k.solved_on as t, {CUSTOMER_COLUMNS} from marts.fct_tickets as k {CUSTOMER}",
        "day",
        None,
    ),
    "created_tickets": (
        f"select k.*, k.created_on as t, {CUSTOMER_COLUMNS} from marts.fct_tickets as k {CUSTOMER}",
        "day",
        None,
    ),
    "nps_answers": (
        f"select a.*, a.responded_on as t, {CUSTOMER_COLUMNS} "
        f"from marts.fct_nps_answers as a {CUSTOMER}",
        "day",
        None,
    ),
    "upsell": (
        "select *, quarter as t from marts.kpi_upsell_quarterly",
        "quarter",
        "select quarter as t from marts.kpi_upsell_quarterly",
    ),
    "nps_bands": (
        "select *, month as t from marts.kpi_churn_by_nps_band",
        "month",
        "select month as t from marts.kpi_churn_by_nps_band",
    ),
    "funnel": ("select *, month as t from marts.kpi_funnel_monthly", "month", None),
    "paid_cac": ("select *, month as t from marts.kpi_paid_cac_monthly", "month", None),
    "attribution": ("select *, quarter as t from marts.kpi_marketing_attribution", "quarter", None),
    "cohorts": ("select *, cohort_month as t from marts.kpi_funnel_cohorts", "month", None),
    "trials": ("select *, month as t from marts.kpi_trials_monthly", "month", None),
    "churn_reasons": ("select *, month as t from marts.kpi_churn_by_reason_monthly", "month", None),
    "journey": (
        # event_at is a timestamp with time zone: its day is the UTC day (session in UTC)
        f"select j.*, cast(j.event_at as date) as t, {CUSTOMER_COLUMNS} "
        f"from marts.fct_customer_journey as j {CUSTOMER}",
        "day",
        None,
    ),
}


@dataclass(frozen=True)
class Ref:
    """A metric's reference: an aggregate over a base's rows, or a formula of other metrics."""

    kind: str
    base: str = ""
    sql: str = ""  # an aggregate over the base's rows of the period (and dimension value)
    parts: tuple[str, ...] = ()
    formula: Callable | None = None
    grains: tuple[str, ...] = field(default=())  # only these (empty: its base's grain up)


def div(a, b):
    return None if a is None or b is None or b == 0 else a / b


def z(value):
    return 0 if value is None else value


def flow(base: str, sql: str, **kw) -> Ref:
    return Ref("sum", base, sql, **kw)


def ratio(*parts: str, formula: Callable | None = None, **kw) -> Ref:
    return Ref("ratio", parts=parts, formula=formula or (lambda a, b: div(a, b)), **kw)


MONTH = ("month",)
WON = "is_won and opportunity_type in ('new_business', 'expansion')"
LOST = "is_closed and not is_won and opportunity_type in ('new_business', 'expansion')"


def movement(kind: str) -> Ref:
    return flow("mrr", f"coalesce(sum(movement_usd) filter (where movement_type = '{kind}'), 0)")


REFERENCES: dict[str, Ref] = {
    # revenue: balances at the period's end (or start), movements sum
    "mrr_usd": Ref("period_end", "mrr", "sum(mrr_usd)"),
    "arr_usd": Ref("period_end", "mrr", "12 * sum(mrr_usd)"),
    "active_customers": Ref("period_end", "mrr", "count(*) filter (where mrr_usd > 0)"),
    "customers_at_start": Ref(
        "period_start", "mrr", "count(*) filter (where previous_mrr_usd > 0)"
    ),
    "mrr_at_start_usd": Ref("period_start", "mrr", "sum(previous_mrr_usd)"),
    "new_mrr_usd": movement("new"),
    "expansion_mrr_usd": movement("expansion"),
    "reactivation_mrr_usd": movement("reactivation"),
    "contraction_mrr_usd": movement("contraction"),
    "churned_mrr_usd": movement("churn"),
    "new_customers": flow("mrr", "count(*) filter (where movement_type = 'new')"),
    "churned_customers": flow("mrr", "count(*) filter (where movement_type = 'churn')"),
    "logo_churn_rate": ratio("churned_customers", "customers_at_start"),
    "gross_mrr_churn_rate": ratio(
        "contraction_mrr_usd",
        "churned_mrr_usd",
        "mrr_at_start_usd",
        formula=lambda c, ch, start: div(-(z(c) + z(ch)), start),
    ),
    "arpa_usd": ratio("mrr_usd", "active_customers"),
    "companies": flow("companies", "count(*)"),
    "cohort_mrr_now_usd": flow("retention", "sum(now_usd)", grains=MONTH),
    "cohort_mrr_capped_usd": flow("retention", "sum(capped_usd)", grains=MONTH),
    "cohort_mrr_before_usd": flow("retention", "sum(before_usd)", grains=MONTH),
    "nrr": ratio("cohort_mrr_now_usd", "cohort_mrr_before_usd", grains=MONTH),
    "grr": ratio("cohort_mrr_capped_usd", "cohort_mrr_before_usd", grains=MONTH),
    "invoiced_revenue_usd": flow("revenue_months", "sum(invoiced_revenue_usd)"),
    "cost_of_revenue_usd": flow("revenue_months", "sum(cost_of_revenue_usd)"),
    "acquisition_cost_usd": flow("revenue_months", "sum(acquisition_cost_usd)"),
    "gross_margin": ratio(
        "invoiced_revenue_usd",
        "cost_of_revenue_usd",
        formula=lambda revenue, cost: div(z(revenue) - z(cost), revenue),
    ),
    "revenue_spine_months": flow("revenue_months", "count(*)"),
    "logo_churn_rate_sum": flow("revenue_months", "sum(coalesce(logo_churn_rate, 0))"),
    "logo_churn_rate_months": flow("revenue_months", "count(logo_churn_rate)"),
    **{
        metric: Ref("trailing_12_months", "revenue_months", f"sum({column})", grains=MONTH)
        for metric, column in {
            "invoiced_revenue_t12_usd": "invoiced_t12",
            "cost_of_revenue_t12_usd": "cost_t12",
            "revenue_months_t12": "months_t12",
            "logo_churn_rate_sum_t12": "churn_rate_sum_t12",
            "logo_churn_rate_months_t12": "churn_rate_months_t12",
        }.items()
    },
    "t12_gross_margin": ratio(
        "invoiced_revenue_t12_usd",
        "cost_of_revenue_t12_usd",
        formula=lambda revenue, cost: div(z(revenue) - z(cost), revenue),
        grains=MONTH,
    ),
    "mean_logo_churn_rate_t12": ratio(
        "logo_churn_rate_sum_t12", "logo_churn_rate_months_t12", grains=MONTH
    ),
    # the month-only unit economics are the mart's columns of the same name
    "ltv_usd": Ref("ratio", "revenue_months", "any_value(ltv_usd)", grains=MONTH),
    "cac_usd": ratio("acquisition_cost_usd", "new_customers"),
    "cac_payback_months": Ref(
        "ratio", "revenue_months", "any_value(cac_payback_months)", grains=MONTH
    ),
    "ltv_to_cac": Ref("ratio", "revenue_months", "any_value(ltv_to_cac)", grains=MONTH),
    # sales: new_business + expansion deals by close date; open opportunities a balance
    "won_count": flow("closed_opportunities", f"count(*) filter (where {WON})"),
    "lost_count": flow("closed_opportunities", f"count(*) filter (where {LOST})"),
    "won_amount_usd": flow(
        "closed_opportunities", f"coalesce(sum(amount_usd) filter (where {WON}), 0)"
    ),
    "bookings_usd": flow(
        "closed_opportunities", f"coalesce(sum(amount_usd) filter (where {WON}), 0)"
    ),
    "win_rate": ratio(
        "won_count", "lost_count", formula=lambda won, lost: div(z(won), z(won) + z(lost))
    ),
    "avg_deal_size_usd": ratio("won_amount_usd", "won_count"),
    "sales_cycle_days_median": Ref(
        "median", "closed_opportunities", f"median(sales_cycle_days) filter (where {WON})"
    ),
    "sales_cycle_days_mean": Ref(
        "mean", "closed_opportunities", f"avg(sales_cycle_days) filter (where {WON})"
    ),
    "renewals_won": flow(
        "closed_opportunities",
        "count(*) filter (where is_won and opportunity_type = 'renewal')",
    ),
    "renewals_closed": flow(
        "closed_opportunities",
        "count(*) filter (where is_closed and opportunity_type = 'renewal')",
    ),
    "renewal_rate": ratio("renewals_won", "renewals_closed"),
    "opportunities_created": flow("created_opportunities", "count(*)"),
    "forecast_usd": flow("sales_months", "sum(forecast_usd)"),
    "forecast_accuracy": ratio(
        "forecast_usd",
        "bookings_usd",
        formula=lambda f, b: None if f is None or not b else max(0.0, 1 - abs(f - b) / b),
    ),
    "forecast_bias": ratio(
        "forecast_usd", "bookings_usd", formula=lambda f, b: div(None if f is None else f - z(b), b)
    ),
    "open_opportunities": Ref("period_end", "sales_months", "sum(open_opportunities)"),
    "pipeline_velocity_usd_per_day": ratio(
        "open_opportunities",
        "win_rate",
        "avg_deal_size_usd",
        "sales_cycle_days_mean",
        formula=lambda o, w, d, m: None if None in (o, w, d) else div(o * w * d, m),
    ),
    # success: tickets by solved (or created) day, NPS answers by day
    "tickets_solved": flow("solved_tickets", "count(*) filter (where solved_at is not null)"),
    "tickets_created": flow("created_tickets", "count(*)"),
    "csat_responses": flow(
        "solved_tickets",
        "count(*) filter (where solved_at is not null and csat_score between 1 and 5)",
    ),
    "csat_satisfied": flow(
        "solved_tickets", "count(*) filter (where solved_at is not null and csat_score >= 4)"
    ),
    "csat": ratio("csat_satisfied", "csat_responses"),
    "resolution_hours_median": Ref(
        "median", "solved_tickets", "median(resolution_hours) filter (where resolution_hours >= 0)"
    ),
    "first_response_hours_median": Ref(
        "median",
        "created_tickets",
        "median(first_response_hours) filter (where first_response_hours >= 0)",
    ),
    "nps_answers": flow("nps_answers", "count(*)"),
    "nps_promoters": flow("nps_answers", "count(*) filter (where score >= 9)"),
    "nps_detractors": flow("nps_answers", "count(*) filter (where score <= 6)"),
    "nps": ratio(
        "nps_promoters",
        "nps_detractors",
        "nps_answers",
        formula=lambda p, d, n: div(100.0 * (z(p) - z(d)), n),
    ),
    "upsell_customers_at_start": Ref(
        "period_start", "upsell", "sum(customers_at_start)", grains=("quarter",)
    ),
    "upsold_customers": flow("upsell", "sum(upsold_customers)", grains=("quarter",)),
    "upsell_rate": ratio("upsold_customers", "upsell_customers_at_start", grains=("quarter",)),
    "nps_band_customers": Ref("period_start", "nps_bands", "sum(customers)", grains=MONTH),
    "nps_band_churned_customers": flow("nps_bands", "sum(churned_customers)", grains=MONTH),
    "logo_churn_rate_by_nps_band": ratio(
        "nps_band_churned_customers", "nps_band_customers", grains=MONTH
    ),
    # marketing: the funnel's people, spend and attribution cells
    **{m: flow("funnel", f"sum({m})") for m in ["leads", "mqls", "sqls", "accepted_mqls"]},
    "opportunities": flow("funnel", "sum(opportunities)"),
    "won": flow("funnel", "sum(won)"),
    "ad_spend_usd": flow("funnel", "sum(ad_spend_usd)"),
    "lead_acceptance_rate": ratio("accepted_mqls", "mqls"),
    "cost_per_lead_usd": ratio("ad_spend_usd", "leads"),
    "cost_per_mql_usd": ratio("ad_spend_usd", "mqls"),
    "paid_ad_spend_usd": flow("paid_cac", "sum(ad_spend_usd)"),
    "paid_new_customers": flow("paid_cac", "sum(new_customers)"),
    "paid_cac_usd": ratio("paid_ad_spend_usd", "paid_new_customers"),
    "attributed_bookings_usd": flow("attribution", "sum(attributed_bookings_usd)"),
    "attributed_deals": flow("attribution", "sum(attributed_deals)"),
    "attribution_ad_spend_usd": flow("attribution", "sum(ad_spend_usd)"),
    "roi": ratio(
        "attributed_bookings_usd",
        "attribution_ad_spend_usd",
        formula=lambda booked, spend: div(None if booked is None else booked - z(spend), spend),
    ),
    "cohort_people": flow("cohorts", "sum(people)"),
    **{
        f"cohort_{stage}": flow("cohorts", f"sum({stage})")
        for stage in ["reached_mql", "reached_sql", "reached_opportunity", "reached_won"]
    },
    **{
        f"cohort_lead_to_{stage}_rate": ratio(f"cohort_reached_{stage}", "cohort_people")
        for stage in ["mql", "sql", "opportunity", "won"]
    },
    # trials by the month they started; churn by the month and reason of the churn
    "trials_started": flow("trials", "sum(trials_started)"),
    "trials_converted": flow("trials", "sum(trials_converted)"),
    "trial_to_paid_rate": ratio("trials_converted", "trials_started"),
    "reason_churned_customers": flow("churn_reasons", "sum(churned_customers)"),
    "reason_churned_mrr_usd": flow("churn_reasons", "sum(churned_mrr_usd)"),
    "journey_events": flow("journey", "count(*)"),
    "journey_customers": Ref("distinct_count", "journey", "count(distinct customer_id)"),
}

# kinds whose "nothing" is 0: a period absent on one side equals a 0 on the other
ZERO_WHEN_ABSENT = {"sum", "period_end", "period_start", "distinct_count", "trailing_12_months"}
# kinds that add up across a dimension's values (all but ratios, medians, means, distincts)
ADDITIVE = {"sum", "period_end", "period_start", "trailing_12_months"}


def allowed_grains(metric: str) -> tuple[str, ...]:
    """The grains a metric has a value at, by this test's reading of its definition."""
    ref = REFERENCES[metric]
    if ref.grains:
        return ref.grains
    if ref.base:
        return GRAINS[GRAINS.index(BASES[ref.base][1]) :]
    return tuple(g for g in GRAINS if all(g in allowed_grains(p) for p in ref.parts))


class References:
    """The reference values of (metric, grain, dimension), computed on demand from the marts."""

    def __init__(self, serving: Path):
        self._con = duckdb.connect(str(serving), read_only=True)
        self._con.execute("set TimeZone = 'UTC'")
        self._cache: dict[tuple, dict] = {}

    def close(self) -> None:
        self._con.close()

    def values(self, metric: str, grain: str, dimension: str | None) -> dict:
        """{(period, dimension value or None): value}."""
        key = (metric, grain, dimension)
        if key not in self._cache:
            ref = REFERENCES[metric]
            if ref.base:
                self._cache[key] = self._aggregate(ref, grain, dimension)
            else:
                parts = [self.values(p, grain, dimension) for p in ref.parts]
                keys = set().union(*parts)
                self._cache[key] = {k: ref.formula(*(part.get(k) for part in parts)) for k in keys}
        return self._cache[key]

    def _aggregate(self, ref: Ref, grain: str, dimension: str | None) -> dict:
        sql, _, spine = BASES[ref.base]
        period = f"cast(date_trunc('{grain}', t) as date)"
        where = ""
        if ref.kind in ("period_end", "period_start"):
            # a balance is read on the last (first) month of the period on the mart's spine
            pick = "max" if ref.kind == "period_end" else "min"
            where = (
                f"where t in (select {pick}(t) from ({spine}) "
                f"group by cast(date_trunc('{grain}', t) as date))"
            )
        # the base's column of the slice: customer__region -> region
        column = dimension.split("__")[-1] if dimension else "null"
        rows = self._con.execute(
            f"with base as ({sql}) select {period}, {column}, {ref.sql} "
            f"from base {where} group by all"
        ).fetchall()
        return {(p, d): v for p, d, v in rows}


def _key(value):
    """metric_time comes back as a timestamp; the references' periods are dates."""
    return value.date() if hasattr(value, "date") and hasattr(value, "hour") else value


def _same(have, want, kind: str) -> bool:
    if kind in ZERO_WHEN_ABSENT:
        have, want = z(have), z(want)
    if have is None or want is None:
        return have is None and want is None
    return math.isclose(float(have), float(want), rel_tol=1e-7, abs_tol=1e-6)


@dataclass
class Outcome:
    cases: int = 0
    refused_as_expected: int = 0
    failures: list[str] = field(default_factory=list)
    queries: int = 0


def check_every_metric(layer: SemanticLayer, serving: Path) -> Outcome:
    """Compare every (metric, grain, dimension) case; collect every failure."""
    out = Outcome()
    listed = {m.name: m for m in layer._listed}
    refs = References(serving)
    try:
        # declarations: a kind on every metric, the kind and grains this test reads
        for name in sorted(listed):
            rule = layer.rules[name]
            if rule.aggregation not in AGGREGATIONS:
                out.failures.append(f"{name}: no declared aggregation kind (config.meta)")
            if name not in REFERENCES:
                out.failures.append(f"{name}: no reference in tests/test_metric_grains.py")
                continue
            if rule.aggregation in AGGREGATIONS and rule.aggregation != REFERENCES[name].kind:
                out.failures.append(
                    f"{name}: declared {rule.aggregation}, the definition reads "
                    f"{REFERENCES[name].kind}"
                )
        for name in sorted(set(REFERENCES) - set(listed)):
            out.failures.append(f"{name}: referenced here but not in the manifest")

        # the cases: each metric by each grain, alone and by each slicing dimension
        slices: dict[str, list[str | None]] = {}
        for name, metric in listed.items():
            dims = {
                d.dunder_name
                for d in metric.dimensions
                if d.name in SLICES and len(d.dunder_name.split("__")) == 2
            }
            slices[name] = [None, *sorted(dims)]
        batches: dict[tuple[str, str | None], list[str]] = defaultdict(list)
        for name in sorted(set(listed) & set(REFERENCES)):
            allowed = allowed_grains(name)
            for grain in GRAINS:
                for dimension in slices[name]:
                    out.cases += 1
                    if grain in allowed:
                        batches[(grain, dimension)].append(name)
                        continue
                    group_by = [f"metric_time__{grain}", *([dimension] if dimension else [])]
                    try:
                        layer.query([name], group_by=group_by)
                    except SemanticLayerError:
                        out.refused_as_expected += 1
                    else:
                        out.failures.append(f"{name} by {grain} {dimension or ''}: a number")
        answers = {}
        for (grain, dimension), names in batches.items():
            answers.update(_ask(layer, names, grain, dimension, out))
        for (name, grain, dimension), got in answers.items():
            _compare(name, grain, dimension, got, refs, out)

        # balances and flows add up across a dimension's values (nulls included)
        for (name, grain, dimension), got in answers.items():
            if dimension is None or REFERENCES[name].kind not in ADDITIVE:
                continue
            total = answers.get((name, grain, None))
            if total is None:
                continue
            sums: dict = defaultdict(float)
            for (period, _), value in got.items():
                sums[period] += z(value)
            for (period, _), value in total.items():
                if not _same(sums.get(period, 0), value, "sum"):
                    out.failures.append(
                        f"{name} by {grain} {dimension}: {period} adds up to "
                        f"{sums.get(period)}, the total is {value}"
                    )
    finally:
        refs.close()
    return out


def _ask(layer, names: list[str], grain: str, dimension: str | None, out: Outcome) -> dict:
    """One MetricFlow request for the batch; metric by metric when the batch fails."""
    group_by = [f"metric_time__{grain}", *([dimension] if dimension else [])]
    try:
        out.queries += 1
        table = layer.query(names, group_by=group_by)
    except SemanticLayerError as error:
        if len(names) == 1:
            out.failures.append(f"{names[0]} by {grain} {dimension or ''}: {error}")
            return {}
        result = {}
        for name in names:
            result.update(_ask(layer, [name], grain, dimension, out))
        return result
    n = len(group_by)
    result = {}
    for i, name in enumerate(table.columns[n:], start=n):
        result[(name, grain, dimension)] = {
            (_key(row[0]), row[1] if dimension else None): row[i] for row in table.rows
        }
    return result


def _compare(name, grain, dimension, got: dict, refs: References, out: Outcome) -> None:
    want = refs.values(name, grain, dimension)
    kind = REFERENCES[name].kind
    wrong = [
        (k, got.get(k), want.get(k))
        for k in sorted(set(got) | set(want), key=str)
        if not _same(got.get(k), want.get(k), kind)
    ]
    if wrong:
        k, have, expected = wrong[0]
        out.failures.append(
            f"{name} by {grain} {dimension or ''}: {len(wrong)} of {len(set(got) | set(want))} "
            f"rows differ, e.g. {k}: {have} instead of {expected}"
        )


def test_every_metric_at_every_grain_and_dimension_equals_its_definition(xs_published):
    ws, result = xs_published
    assert result.success
    started = time.monotonic()
    with SemanticLayer(ws.serving) as layer:
        out = check_every_metric(layer, ws.serving)
    took = time.monotonic() - started
    assert not out.failures, f"{len(out.failures)} failures:\n" + "\n".join(out.failures)
    # not vacuous: most cases are answered, and the refusals are the month-only and the
    # too-fine ones
    assert out.cases > 1000 and out.refused_as_expected < out.cases / 2, out
    print(
        f"{out.cases} cases, {out.refused_as_expected} refused, {out.queries} queries, {took:.1f} s"
    )


def test_a_quarter_of_mrr_is_its_last_month_not_the_sum(xs_published):
    """By hand: the quarter holding the as-of month ends at the as-of month; a closed quarter at
    its third month; a year at December (or the as-of month)."""
    ws, _ = xs_published
    monthly = dict(ws.query("select month, mrr_usd from marts.kpi_revenue_monthly"))
    as_of = max(monthly)
    with SemanticLayer(ws.serving) as layer:
        quarters = layer.query(["mrr_usd"], group_by=["metric_time__quarter"])
        years = layer.query(["mrr_usd", "active_customers"], group_by=["metric_time__year"])
    got = {_key(q): v for q, v in quarters.rows}
    for quarter, value in got.items():
        ends = [m for m in monthly if quarter <= m < _add_months(quarter, 3)]
        assert value == pytest.approx(monthly[max(ends)]), quarter
    assert got[_add_months(as_of, -((as_of.month - 1) % 3))] == pytest.approx(monthly[as_of])
    assert [_key(row[0]) for row in years.rows] == sorted(_key(row[0]) for row in years.rows)
    paying_now = ws.query("select count(*) from marts.dim_customers where current_mrr_usd > 0")
    assert years.rows[-1][2] == paying_now[0][0]


def _add_months(month, n: int):
    index = month.year * 12 + month.month - 1 + n
    return month.replace(year=index // 12, month=index % 12 + 1, day=1)


def test_month_only_metrics_and_too_fine_grains_are_refused_with_a_message(xs_published):
    ws, _ = xs_published
    with SemanticLayer(ws.serving) as layer:
        with pytest.raises(SemanticLayerError, match="nrr has no value by quarter.*per month only"):
            layer.query(["nrr"], group_by=["metric_time__quarter"])
        with pytest.raises(SemanticLayerError, match="ltv_usd is defined per month only"):
            layer.query(["ltv_usd"], group_by=["customer__region"])
        with pytest.raises(SemanticLayerError, match="mrr_usd has no value by week: its data"):
            layer.query(["mrr_usd"], group_by=["metric_time__week"])


def test_rows_come_in_time_order_then_dimension_order(xs_published):
    ws, _ = xs_published
    with SemanticLayer(ws.serving) as layer:
        table = layer.query(
            ["won_count", "mrr_usd"], group_by=["customer__region", "metric_time__quarter"]
        )
    time_at = table.columns.index("metric_time__quarter")
    region_at = table.columns.index("customer__region")
    keys = [(_key(row[time_at]), row[region_at]) for row in table.rows]
    assert len(keys) > 10 and len({k[0] for k in keys}) > 3
    # nulls (opportunities not closed yet, customers without a region) come last
    assert keys == sorted(keys, key=lambda k: (k[0] is None, k[0], k[1] is None, k[1] or ""))
