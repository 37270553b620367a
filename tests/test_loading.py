"""Raw loaders enforce the landing contract: each violation names file, column and rows."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest

from revops.contract import TABLES, table
from revops.loading import ContractViolation, load_table

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
