"""Raw loaders enforce the landing contract: each violation names file, column and rows."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest

from revops.contract import TABLES, table
from revops.loading import ContractViolation, UnreadableFile, load_table

from .conftest import TINY_LANDING

OPPORTUNITIES = table("sales", "opportunities")


@pytest.fixture
def landing(tmp_path: Path) -> Path:
    copy = tmp_path / "landing"
    shutil.copytree(TINY_LANDING, copy)
    return copy


@pytest.fixture
def con():
    connection = duckdb.connect()
    yield connection
    connection.close()


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"fixture changed: {old!r} not in {path}"
    path.write_text(text.replace(old, new, 1))


def test_every_table_of_the_fixture_loads_with_contract_types(landing, con):
    for t in TABLES:
        result = load_table(con, landing, t)
        assert result.rows >= 1
        types = dict(
            con.execute(
                f"select column_name, column_type from (describe raw.{t.qualified})"
            ).fetchall()
        )
        for column, expected in t.columns.items():
            assert types[column].lower() == expected.lower(), (t.qualified, column)


def test_raw_keeps_every_landed_row_and_where_it_came_from(landing, con):
    result = load_table(con, landing, OPPORTUNITIES)
    assert result.rows == 10  # 9 in part-00000, O-8 again in part-00001
    assert result.files == [
        "sales/opportunities/part-00000.csv",
        "sales/opportunities/part-00001.csv",
    ]
    rows = con.execute(
        "select _source_file, _source_row, amount from raw.sales__opportunities "
        "where opportunity_id = 'O-8' order by _source_file"
    ).fetchall()
    assert [(r[0], r[1], float(r[2])) for r in rows] == [
        ("part-00000.csv", 8, 800.0),
        ("part-00001.csv", 1, 1000.0),
    ]


def test_timestamps_with_offsets_become_utc(landing, con):
    load_table(con, landing, OPPORTUNITIES)
    created = con.execute(
        "select cast(created_at as varchar) from raw.sales__opportunities where opportunity_id = 'O-2'"
    ).fetchall()[0][0]
    assert created == "2025-01-11 04:30:00"  # 2025-01-10T23:30:00-05:00


def test_unparseable_value_names_file_column_and_row(landing, con):
    path = landing / "sales/opportunities/part-00000.csv"
    _edit(
        path,
        "O-3,A-1,C-1,U-1,expansion,closed_lost,500.00",
        "O-3,A-1,C-1,U-1,expansion,closed_lost,5OO",
    )
    with pytest.raises(ContractViolation) as error:
        load_table(con, landing, OPPORTUNITIES)
    message = str(error.value)
    assert str(path) in message
    assert "column:  amount" in message
    assert "row 3: '5OO'" in message
    assert "nothing was loaded" in message


def test_fractional_value_in_an_integer_column_is_rejected(landing, con):
    path = landing / "success/product_usage/part-00000.csv"
    _edit(path, "A-1,2025-02-01,8,10", "A-1,2025-02-01,8.5,10")
    with pytest.raises(ContractViolation, match="column:  active_users"):
        load_table(con, landing, table("success", "product_usage"))


def test_of_several_bad_columns_the_first_in_contract_order_is_named(landing, con):
    # one scan counts every column's bad values; the message still names the first column
    path = landing / "sales/opportunities/part-00000.csv"
    _edit(path, "2025-02-10,true,false,omitted", "2025-02-10,maybe,false,omitted")
    _edit(path, "500.00,USD,2025-02-01T10:00:00+00:00,2025-02-10", "500.00,USD,soon,2025-02-30")
    with pytest.raises(ContractViolation) as error:
        load_table(con, landing, OPPORTUNITIES)
    message = str(error.value)
    assert "column:  created_at" in message
    assert "row 3: 'soon'" in message


def test_missing_column_is_named(landing, con):
    path = landing / "sales/opportunities/part-00001.csv"
    text = path.read_text().replace(",loss_reason", ",reason_for_loss", 1)
    path.write_text(text)
    with pytest.raises(ContractViolation) as error:
        load_table(con, landing, OPPORTUNITIES)
    assert str(path) in str(error.value)
    assert "column:  loss_reason" in str(error.value)
    assert "missing contract column" in str(error.value)


def test_null_key_is_rejected(landing, con):
    path = landing / "sales/opportunities/part-00000.csv"
    _edit(path, "\nO-5,", "\n,")
    with pytest.raises(ContractViolation) as error:
        load_table(con, landing, OPPORTUNITIES)
    assert "null or empty key" in str(error.value)
    assert "row 5:" in str(error.value)


def test_key_repeated_inside_one_file_is_rejected(landing, con):
    path = landing / "sales/opportunities/part-00000.csv"
    _edit(path, "\nO-6,", "\nO-5,")
    with pytest.raises(ContractViolation) as error:
        load_table(con, landing, OPPORTUNITIES)
    assert "key repeated inside one file" in str(error.value)
    assert "row 5: 'O-5'" in str(error.value) and "row 6: 'O-5'" in str(error.value)


def test_composite_key_duplicates_are_rejected(landing, con):
    path = landing / "finance/fx_rates/part-00000.csv"
    path.write_text(path.read_text() + "2025-01-01,EUR,1.11\n")
    with pytest.raises(ContractViolation, match="rate_date, currency"):
        load_table(con, landing, table("finance", "fx_rates"))


def test_empty_table_is_rejected(landing, con):
    path = landing / "finance/plans/part-00000.csv"
    path.write_text(path.read_text().splitlines()[0] + "\n")
    with pytest.raises(ContractViolation, match="the table is empty"):
        load_table(con, landing, table("finance", "plans"))


def test_missing_folder_is_rejected(landing, con):
    shutil.rmtree(landing / "finance/plans")
    with pytest.raises(ContractViolation, match="no landing file"):
        load_table(con, landing, table("finance", "plans"))


def test_a_failed_load_keeps_the_previous_raw_table(landing, con):
    load_table(con, landing, OPPORTUNITIES)
    path = landing / "sales/opportunities/part-00001.csv"
    _edit(path, "1000.00,EUR", "lots,EUR")
    with pytest.raises(ContractViolation):
        load_table(con, landing, OPPORTUNITIES)
    assert con.execute("select count(*) from raw.sales__opportunities").fetchall()[0][0] == 10


def test_jsonl_values_parse_like_csv(landing, con):
    load_table(con, landing, table("success", "nps_responses"))
    assert con.execute("select score, account_id from raw.success__nps_responses").fetchall() == [
        (9, None)
    ]


def test_value_outside_the_allowed_ones_names_file_column_values_and_rows(landing, con):
    path = landing / "finance/subscription_events/part-00000.csv"
    _edit(path, ",active,O-1", ",Active,O-1")
    with pytest.raises(ContractViolation) as error:
        load_table(con, landing, table("finance", "subscription_events"))
    message = str(error.value)
    assert str(path) in message and "column:  status" in message
    assert "allowed values for status (active, past_due, canceled, trialing)" in message
    assert "'Active' (1 row)" in message and "row 1: 'Active'" in message


# Files DuckDB cannot read: each is named with what is wrong, never a DuckDB error.
HEADER = "plan_id,product_name,billing_interval,unit_amount,currency\n"
QUOTED_ROWS = "".join(f'P-{i},"Pro, tier {i}",month,50.00,USD\n' for i in range(40))
UNREADABLE = {
    "empty.csv": (b"", "the file is empty (0 bytes"),
    "unclosed_quote.csv": (
        (HEADER + QUOTED_ROWS + 'P-99,"Broken,month,1.00,USD\n').encode(),
        "the quoted field that starts on line 42 is never closed",
    ),
    "binary.csv": (b"\x7fELF\x02\x01\x01\x00\x00\x00" * 20, "a binary file, not CSV text"),
    "truncated.parquet": (None, "not a complete Parquet file"),
}


@pytest.mark.parametrize("name", list(UNREADABLE))
def test_a_file_that_cannot_be_read_says_what_is_wrong_and_what_to_do(landing, con, name):
    content, problem = UNREADABLE[name]
    folder = landing / "finance/plans"
    shutil.rmtree(folder)
    folder.mkdir()
    path = folder / name
    if content is None:  # a Parquet file cut in half, as by a copy still in progress
        whole = folder / "whole.parquet"
        con.execute(f"copy (select * from range(1000)) to '{whole}'")
        content = whole.read_bytes()[: whole.stat().st_size // 2]
        whole.unlink()
    path.write_bytes(content)
    with pytest.raises(UnreadableFile) as error:
        load_table(con, landing, table("finance", "plans"))
    message = str(error.value)
    assert f"file:    {path}" in message and problem in message
    assert "what to do: export the file again" in message
    assert "Error" not in message and "column0" not in message  # no DuckDB dump


def test_raw_gates_name_file_column_and_rows_of_orphans_and_same_instant_events(landing, tmp_path):
    """Files that did not come through `revops land` meet the same rules in the raw gates
    (real Great Expectations on a real DuckDB file)."""
    from orchestration.checks.suites import RAW_SUITES
    from revops.quality import ERROR, run_suite

    events = landing / "finance/subscription_events/part-00000.csv"
    events.write_text(
        events.read_text()
        # a plan nobody landed
        + "EV-0002,SUB-2,CUS-1,2025-01-22T10:00:00+00:00,created,PLAN-GONE,1,,active,\n"
        # created and canceled at once, the cancel with the smaller id: SUB-3 stays active
        + "EV-0004,SUB-3,CUS-1,2025-01-23T10:00:00+00:00,created,PLAN-PRO-M-USD,1,,active,\n"
        + "EV-0003,SUB-3,CUS-1,2025-01-23T10:00:00+00:00,canceled,PLAN-PRO-M-USD,1,,canceled,\n"
    )
    database = tmp_path / "work.duckdb"
    con = duckdb.connect(str(database))
    for name in ("customers", "plans", "subscription_events"):
        load_table(con, landing, table("finance", name))
    con.close()
    suite = RAW_SUITES[("raw", "finance", "subscription_events")]
    result = run_suite(database, suite, tmp_path / "docs")
    assert result.severity == ERROR
    (orphan,) = [o for o in result.failures if o.blocking]
    described = orphan.describe()
    assert "plan_id of finance/subscription_events names a landed finance/plans plan_id" in (
        described
    )
    assert "1 unexpected row(s)" in described
    assert "file part-00000.csv row 2: plan_id PLAN-GONE" in described
    (same_instant,) = [o for o in result.failures if not o.blocking]
    described = same_instant.describe()
    assert "subscription_ids with different states at the same occurred_at" in described
    assert "file part-00000.csv row 3: SUB-3 at 2025-01-23 10:00:00 EV-0004" in described
