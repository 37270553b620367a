"""The thin vertical slice: the real Dagster defs load, build, gate and publish a tmp warehouse.

Expected numbers are computed by hand from tests/fixtures/tiny_landing (see comments).
"""

from __future__ import annotations

from datetime import date

import pytest

from .conftest import make_workspace, run_full_refresh, TINY_LANDING

# kpi_sales_monthly on the tiny fixture, by hand. EUR is 1.10 from 2025-01-01 and 1.20 from
# 2025-02-15; GBP 1.25. O-4 is internal (Test Account), O-9 soft-deleted, O-5 open (account
# soft-deleted, still counts), O-8 won in the later extract (1000 EUR on 2025-03-10 = 1200).
EXPECTED_SALES = {
    # month: won, lost, win_rate, won_usd, median cycle, open, velocity, forecast, accuracy, bias, renewal
    date(2025, 1, 1): (1, 0, 1.0, 1000.0, 15.0, 1, 1 * 1.0 * 1000 / 15, None, None, None, None),
    # O-2: created 2025-01-10T23:30-05:00 = 01-11 UTC, closed 02-20 (40 days), 2000 EUR * 1.20.
    # Forecast for Feb: U-1's latest before Feb (2000 USD) + U-2's 1000 EUR at 1.10 = 3100.
    date(2025, 2, 1): (1, 1, 0.5, 2400.0, 40.0, 1, 1 * 0.5 * 2400 / 40, 3100.0,
                       1 - 700 / 2400, 700 / 2400, None),
    # O-8: 2025-03-01 -> 03-10 (9 days). Forecast: U-2's 1000 GBP * 1.25. Renewals: O-6 won, O-7 lost.
    date(2025, 3, 1): (1, 0, 1.0, 1200.0, 9.0, 1, 1 * 1.0 * 1200 / 9, 1250.0,
                       1 - 50 / 1200, 50 / 1200, 0.5),
}


def _approx(row):
    return tuple(pytest.approx(v) if isinstance(v, float) else v for v in row)


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
    assert ws.query("select count(*) from marts.kpi_sales_monthly where bookings_usd <> won_amount_usd") == [(0,)]


def test_publish_records_the_refresh_and_only_marts_are_served(tiny_published):
    ws, result = tiny_published
    assert ws.query("select run_id, as_of_date from meta.refreshes") == [(result.run_id, date(2025, 3, 31))]
    schemas = {r[0] for r in ws.query("select distinct schema_name from duckdb_tables()")}
    assert schemas == {"marts", "meta"}


def test_every_raw_asset_reports_rows_and_files(tiny_published):
    _, result = tiny_published
    materializations = {
        m.asset_key.to_user_string(): m.metadata for m in result.get_asset_materialization_events()
        and [e.event_specific_data.materialization for e in result.get_asset_materialization_events()]
    }
    opportunities = materializations["raw/sales/opportunities"]
    assert opportunities["rows"].value == 10
    assert opportunities["files_read"].value == 2
    assert opportunities["newest_timestamp"].value == "2025-03-02 10:00:00"


def test_the_gx_gate_passed_with_data_docs(tiny_published):
    _, result = tiny_published
    evaluations = [
        e.event_specific_data for e in result.all_events if e.event_type_value == "ASSET_CHECK_EVALUATION"
    ]
    gx = [e for e in evaluations if e.check_name == "gx_raw_sales_opportunities"]
    assert len(gx) == 1 and gx[0].passed
    assert gx[0].metadata["failed"].value == 0
    assert gx[0].metadata["data_docs"].value.startswith("file://")


def test_a_second_run_gives_the_same_marts(tmp_path, monkeypatch, tiny_published):
    first, _ = tiny_published
    ws = make_workspace(tmp_path, TINY_LANDING, monkeypatch)
    assert run_full_refresh().success
    before = ws.query("select * from marts.kpi_sales_monthly order by month")
    assert run_full_refresh().success
    assert ws.query("select * from marts.kpi_sales_monthly order by month") == before
    assert before == first.query("select * from marts.kpi_sales_monthly order by month")
    assert ws.query("select count(*) from meta.refreshes") == [(2,)]


def _break_and_refresh(ws, relative: str, old: str, new: str):
    path = ws.landing / relative
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))
    return run_full_refresh()


def test_contract_violation_stops_the_run_and_keeps_the_published_file(tmp_path, monkeypatch):
    ws = make_workspace(tmp_path, TINY_LANDING, monkeypatch)
    assert run_full_refresh().success
    digest = ws.serving_digest()
    result = _break_and_refresh(ws, "sales/opportunities/part-00001.csv", "1000.00,EUR", "1.000,00,EUR")
    assert not result.success
    failures = [e for e in result.all_events if e.event_type_value == "STEP_FAILURE"]
    assert [e.step_key for e in failures] == ["raw__sales__opportunities"]
    description = failures[0].step_failure_data.user_failure_data.description
    assert "part-00001.csv" in description and "column:" in description
    assert ws.serving_digest() == digest


def test_failing_gx_expectation_blocks_publishing(tmp_path, monkeypatch):
    ws = make_workspace(tmp_path, TINY_LANDING, monkeypatch)
    assert run_full_refresh().success
    digest = ws.serving_digest()
    # A negative amount parses fine (the contract holds) but breaks the GE suite.
    result = _break_and_refresh(ws, "sales/opportunities/part-00000.csv", "expansion,closed_lost,500.00", "expansion,closed_lost,-500.00")
    assert not result.success
    evaluation = next(
        e.event_specific_data for e in result.all_events
        if e.event_type_value == "ASSET_CHECK_EVALUATION" and e.event_specific_data.check_name == "gx_raw_sales_opportunities"
    )
    assert not evaluation.passed
    assert "expect_column_values_to_be_between on amount" in evaluation.metadata["failures"].value
    executed = {e.step_key for e in result.all_events if e.event_type_value == "STEP_SUCCESS"}
    assert "dbt_models" not in executed and "serving__warehouse" not in executed
    assert ws.serving_digest() == digest
