"""The thin vertical slice: the real Dagster defs load, build, gate and publish a tmp warehouse.

Expected numbers are computed by hand from tests/fixtures/tiny_landing (see comments).
"""

from __future__ import annotations

import shutil
from datetime import date

import pytest

from .conftest import run_full_refresh

# kpi_sales_monthly on the tiny fixture, by hand. EUR is 1.10 from 2025-01-01 and 1.20 from
# 2025-02-15; GBP 1.25. O-4 is internal (Test Account), O-9 soft-deleted, O-5 open (account
# soft-deleted, still counts), O-8 won in the later extract (1000 EUR on 2025-03-10 = 1200).
EXPECTED_SALES = {
    # month: won, lost, win_rate, won_usd, median cycle, open, velocity, forecast, accuracy, bias, renewal
    date(2025, 1, 1): (1, 0, 1.0, 1000.0, 15.0, 1, 1 * 1.0 * 1000 / 15, None, None, None, None),
    # O-2: created 2025-01-10T23:30-05:00 = 01-11 UTC, closed 02-20 (40 days), 2000 EUR * 1.20.
    # Forecast for Feb: U-1's latest before Feb (2000 USD) + U-2's 1000 EUR at 1.10 = 3100.
    date(2025, 2, 1): (
        1,
        1,
        0.5,
        2400.0,
        40.0,
        1,
        1 * 0.5 * 2400 / 40,
        3100.0,
        1 - 700 / 2400,
        700 / 2400,
        None,
    ),
    # O-8: 2025-03-01 -> 03-10 (9 days). Forecast: U-2's 1000 GBP * 1.25. Renewals: O-6 won, O-7 lost.
    date(2025, 3, 1): (
        1,
        0,
        1.0,
        1200.0,
        9.0,
        1,
        1 * 1.0 * 1200 / 9,
        1250.0,
        1 - 50 / 1200,
        50 / 1200,
        0.5,
    ),
}


def _approx(row):
    return tuple(pytest.approx(v) if isinstance(v, float) else v for v in row)


def _check_evaluations(result) -> dict:
    return {
        e.event_specific_data.check_name: e.event_specific_data
        for e in result.all_events
        if e.event_type_value == "ASSET_CHECK_EVALUATION"
    }


def _succeeded_steps(result) -> set[str]:
    return {e.step_key for e in result.all_events if e.event_type_value == "STEP_SUCCESS"}


def test_full_refresh_publishes_the_hand_computed_sales_kpis(tiny_published):
    ws, result = tiny_published
    assert result.success
    rows = ws.query(
        "select month, won_count, lost_count, win_rate, won_amount_usd, sales_cycle_days_median, "
        "open_opportunities, pipeline_velocity_usd_per_day, forecast_usd, forecast_accuracy, "
        "forecast_bias, renewal_rate from marts.kpi_sales_monthly order by month"
    )
    assert [r[0] for r in rows] == list(EXPECTED_SALES)
    for row in rows:
        values = tuple(float(v) if v is not None and not isinstance(v, int) else v for v in row[1:])
        assert values == _approx(EXPECTED_SALES[row[0]]), row[0]


def test_bookings_equal_won_amount_every_month(tiny_published):
    ws, _ = tiny_published
    assert ws.query(
        "select count(*) from marts.kpi_sales_monthly where bookings_usd <> won_amount_usd"
    ) == [(0,)]


def test_publish_records_the_refresh_and_raw_volumes(tiny_published):
    ws, result = tiny_published
    assert ws.query("select run_id, as_of_date from meta.refreshes") == [
        (result.run_id, date(2025, 3, 31))
    ]
    assert ws.query(
        "select rows from meta.raw_volumes where table_name = 'sales__opportunities'"
    ) == [(10,)]
    schemas = {r[0] for r in ws.query("select distinct schema_name from duckdb_tables()")}
    assert schemas == {"marts", "meta"}


def test_every_raw_asset_reports_rows_and_files(tiny_published):
    _, result = tiny_published
    materializations = {
        e.event_specific_data.materialization.asset_key.to_user_string(): e.event_specific_data.materialization.metadata
        for e in result.get_asset_materialization_events()
    }
    assert {k for k in materializations if k.startswith("raw/")} == {
        f"raw/{t}"
        for t in (
            "marketing/campaigns",
            "marketing/ad_spend",
            "marketing/leads",
            "marketing/touchpoints",
            "sales/users",
            "sales/accounts",
            "sales/contacts",
            "sales/opportunities",
            "sales/opportunity_stage_history",
            "sales/quotes",
            "sales/forecast_submissions",
            "success/tickets",
            "success/nps_responses",
            "success/product_usage",
            "finance/customers",
            "finance/plans",
            "finance/subscription_events",
            "finance/invoices",
            "finance/invoice_lines",
            "finance/fx_rates",
            "finance/gl_expenses",
        )
    }
    opportunities = materializations["raw/sales/opportunities"]
    assert opportunities["rows"].value == 10
    assert opportunities["files_read"].value == 2
    assert opportunities["newest_timestamp"].value == "2025-03-02 10:00:00"


def test_every_gx_suite_ran_and_none_blocked(tiny_published):
    _, result = tiny_published
    gx = {name: e for name, e in _check_evaluations(result).items() if name.startswith("gx_")}
    from orchestration.checks.catalog import ALL_SUITES

    assert len(gx) == len(ALL_SUITES) >= 21 + 7 + 2 + 3 + 7 + 4 + 1 + 1
    for name, evaluation in gx.items():
        assert evaluation.metadata["failed"].value == 0, name
        assert evaluation.metadata["data_docs"].value.startswith("file://")
    # The tiny fixture's sparse streams are stale: a warning, not a stop.
    stale = gx["gx_raw_finance__fx_rates"]
    assert not stale.passed and stale.severity.value == "WARN"
    assert "within 3 days" in stale.metadata["warning_details"].value


@pytest.mark.extra_refreshes
def test_a_second_run_gives_the_same_marts(published_copy, tiny_published):
    first, _ = tiny_published
    ws = published_copy  # the first run's files; this run is the second on them
    second = run_full_refresh()
    assert second.success
    sales = "select * from marts.kpi_sales_monthly order by month"
    assert ws.query(sales) == first.query(sales)
    # identity ids are hashes of the data: a rebuild gives the same ones
    crosswalk = "select * from marts.identity_crosswalk order by all"
    assert ws.query(crosswalk) == first.query(crosswalk)
    assert ws.serving_digest() != first.serving_digest()  # a new file was published
    assert ws.query("select count(*) from meta.refreshes") == [(2,)]
    # The second run had a volume baseline, and the same volume passed it.
    volume = _check_evaluations(second)["gx_raw_sales__opportunities"]
    assert (
        volume.metadata["expectations"].value
        > _check_evaluations(second)["gx_raw_sales__users"].metadata["expectations"].value - 5
    )


def _edit(ws, relative: str, old: str, new: str) -> None:
    path = ws.landing / relative
    text = path.read_text()
    assert old in text, f"fixture changed: {old!r} not in {relative}"
    path.write_text(text.replace(old, new, 1))


def _ten_times_the_touchpoints(ws) -> None:
    path = ws.landing / "marketing/touchpoints/part-00000.csv"
    header, row = path.read_text().splitlines()
    rows = [row.replace("TP-1,", f"TP-{i},", 1) for i in range(1, 11)]
    path.write_text("\n".join([header, *rows]) + "\n")


# Each bad input: how to break the landing, the step or check that must stop the run, and
# what its message must say.
BAD_INPUTS = {
    "negative_amount": (
        lambda ws: _edit(
            ws, "sales/opportunities/part-00000.csv", "closed_lost,500.00", "closed_lost,-500.00"
        ),
        "check",
        "gx_raw_sales__opportunities",
        "expect_column_values_to_be_between on amount",
    ),
    "duplicated_key": (
        lambda ws: _edit(ws, "sales/opportunities/part-00000.csv", "\nO-6,", "\nO-5,"),
        "step",
        "raw__sales__opportunities",
        "key repeated inside one file",
    ),
    "currency_outside_contract": (
        lambda ws: _edit(ws, "sales/quotes/part-00000.csv", "1000.00,USD", "1000.00,JPY"),
        "step",
        "raw__sales__quotes",
        "allowed values for currency (USD, EUR, GBP) on 1 row(s): 'JPY' (1 row)",
    ),
    "empty_file": (
        lambda ws: (ws.landing / "finance/plans/part-00000.csv").write_text(
            "plan_id,product_name,billing_interval,unit_amount,currency\n"
        ),
        "step",
        "raw__finance__plans",
        "the table is empty",
    ),
    "volume_ten_times_the_last_run": (
        _ten_times_the_touchpoints,
        "check",
        "gx_raw_marketing__touchpoints",
        "row count within 5x of the last published run (1)",
    ),
    "close_date_before_creation": (
        lambda ws: _edit(
            ws,
            "sales/opportunities/part-00000.csv",
            "2025-02-01T10:00:00+00:00,2025-02-10",
            "2025-02-01T10:00:00+00:00,2025-01-10",
        ),
        "check",
        "gx_raw_sales__opportunities",
        "close_date is on or after the date of created_at",
    ),
    "unparseable_value": (
        lambda ws: _edit(ws, "sales/opportunities/part-00001.csv", "1000.00,EUR", "1.000,00,EUR"),
        "step",
        "raw__sales__opportunities",
        "part-00001.csv",
    ),
}


@pytest.mark.parametrize("case", list(BAD_INPUTS))
def test_bad_input_stops_the_run_at_the_right_place_and_keeps_the_published_file(
    published_copy, case
):
    ws = published_copy
    digest = ws.serving_digest()
    break_it, kind, where, message = BAD_INPUTS[case]
    break_it(ws)
    result = run_full_refresh()
    assert not result.success
    if kind == "step":
        failures = {
            e.step_key: e.step_failure_data
            for e in result.all_events
            if e.event_type_value == "STEP_FAILURE"
        }
        assert list(failures) == [where]
        assert message in failures[where].user_failure_data.description
    else:
        evaluation = _check_evaluations(result)[where]
        assert not evaluation.passed and evaluation.severity.value == "ERROR"
        assert message in evaluation.metadata["failures"].value
    succeeded = _succeeded_steps(result)
    assert "dbt_models" not in succeeded and "serving__warehouse" not in succeeded
    assert ws.serving_digest() == digest


@pytest.mark.extra_refreshes
def test_a_broken_mart_invariant_blocks_publishing(published_copy):
    """A mart check that fails (here: an invariant the data cannot meet) stops the publish step."""
    from dagster import AssetKey, DagsterInstance, Definitions

    from orchestration.checks.gx_checks import build_gx_check
    from orchestration.checks.suites import MART_SUITES, no_rows
    from orchestration.definitions import defs
    from revops.quality import Suite

    ws = published_copy
    digest = ws.serving_digest()
    good = MART_SUITES[("marts", "kpi_sales_monthly")]
    broken = Suite(
        good.name,
        good.schema,
        good.table,
        [
            *good.expectations,
            no_rows("every month has a won deal worth over $5,000", "won_amount_usd <= 5000"),
        ],
    )
    checks = [c for c in defs.asset_checks if "kpi_sales_monthly" not in str(list(c.check_keys))]
    checks.append(build_gx_check(AssetKey(["marts", "kpi_sales_monthly"]), broken))
    patched = Definitions(
        assets=list(defs.assets),
        asset_checks=checks,
        jobs=list(defs.jobs),
        resources=dict(defs.resources),
        executor=defs.executor,
    )
    with DagsterInstance.ephemeral() as instance:
        result = patched.resolve_job_def("full_refresh").execute_in_process(
            instance=instance, raise_on_error=False
        )
    assert not result.success
    evaluation = _check_evaluations(result)["gx_marts_kpi_sales_monthly"]
    assert "every month has a won deal worth over $5,000" in evaluation.metadata["failures"].value
    assert "dbt_models" in _succeeded_steps(result)
    assert "serving__warehouse" not in _succeeded_steps(result)
    # nothing is activated either: no CRM change files, alerts or deliveries (issue 41)
    assert not {s for s in _succeeded_steps(result) if s.startswith("activation__")}
    assert ws.serving_digest() == digest


def test_every_suite_can_fail(tiny_published, tmp_path):
    """A validation that fails silently is worse than none: emptied tables fail every suite,
    and the failure names the row-count expectation."""
    import duckdb

    from orchestration.checks.catalog import ALL_SUITES
    from orchestration.checks.suites_playbooks import MAY_BE_EMPTY
    from orchestration.checks.suites_semantic import SEMANTIC_MAY_BE_EMPTY
    from revops.quality import ERROR, run_suite

    source, _ = tiny_published
    database = tmp_path / "work.duckdb"
    shutil.copy(source.warehouse / "work.duckdb", database)
    # marts that may legitimately be empty are shown able to fail in tests/test_playbooks.py
    suites = {
        k: s for k, s in ALL_SUITES.items() if s.table not in MAY_BE_EMPTY | SEMANTIC_MAY_BE_EMPTY
    }
    con = duckdb.connect(str(database))
    for suite in suites.values():
        con.execute(f'delete from "{suite.schema}"."{suite.table}"')
    con.close()
    for suite in suites.values():
        result = run_suite(database, suite, tmp_path / "docs")
        assert result.severity == ERROR, suite.name
        assert any("row_count" in o.expectation for o in result.failures if o.blocking), suite.name
