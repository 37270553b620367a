"""The nightly publish updates the big incremental marts in a copy of the serving file: the
result must equal a publish that copies every mart, whatever the night changed."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb

from revops.publish import publish

KEYS = {"journey": ["customer_id"]}


def _work(path: Path, journey_rows: list[tuple], small_rows: list[tuple]) -> None:
    """A work warehouse with one incremental mart (stamped rows) and one table mart."""
    con = duckdb.connect(str(path))
    con.execute(
        "create schema if not exists marts; create schema if not exists intermediate; "
        "create or replace table intermediate.int_as_of_date as select date '2026-11-30' as as_of_date; "
        "create or replace table marts.journey (customer_id varchar, event_number integer, "
        "amount double, _built_through_load_id bigint); "
        "create or replace table marts.small (month varchar, mrr double)"
    )
    con.executemany("insert into marts.journey values (?, ?, ?, ?)", journey_rows)
    con.executemany("insert into marts.small values (?, ?)", small_rows)
    con.close()


def _served(serving: Path) -> dict[str, list[tuple]]:
    con = duckdb.connect(str(serving), read_only=True)
    try:
        return {
            table: con.execute(f"select * from marts.{table} order by all").fetchall()
            for table in ("journey", "small")
        }
    finally:
        con.close()


def _first_night(tmp_path: Path) -> tuple[Path, Path]:
    work, serving = tmp_path / "work.duckdb", tmp_path / "serving.duckdb"
    journey = [(c, n, 10.0 * n, 100) for c in "ABCDEFGHIJ" for n in (1, 2)]
    _work(work, journey, [("2026-10", 5.0)])
    publish(work, serving, "run-1")
    return work, serving


def _full_publish_of(work: Path, tmp_path: Path) -> dict[str, list[tuple]]:
    full = tmp_path / "full" / "serving.duckdb"
    publish(work, full, "run-full")
    return _served(full)


def test_a_nightly_publish_updates_rebuilt_and_departed_keys_like_a_full_publish(tmp_path):
    work, serving = _first_night(tmp_path)
    # The night: A rebuilt with one event fewer and a new amount, B gone (no row says so),
    # K new; the table mart changed too. The rest keep their stamp.
    journey = [(c, n, 10.0 * n, 100) for c in "CDEFGHIJ" for n in (1, 2)]
    journey += [("A", 1, 11.0, 200), ("K", 1, 7.0, 200)]
    _work(work, journey, [("2026-10", 5.0), ("2026-11", 6.0)])

    result = publish(work, serving, "run-2", update_keys=KEYS)

    assert result.updated == {"marts.journey": 2}  # A's one row and K's
    assert result.tables["marts.journey"] == 18
    assert _served(serving) == _full_publish_of(work, tmp_path)
    con = duckdb.connect(str(serving), read_only=True)
    try:
        assert con.execute("select count(*) from meta.refreshes").fetchall() == [(2,)]
        assert con.execute("select * from meta.published_watermarks").fetchall() == [
            ("marts.journey", 200)
        ]
        columns = con.execute(
            "select column_name from duckdb_columns() where table_name = 'journey'"
        )
        assert "_built_through_load_id" not in {name for (name,) in columns.fetchall()}
    finally:
        con.close()


def test_a_nightly_publish_copies_a_mart_when_much_changed_or_its_columns_did(tmp_path):
    work, serving = _first_night(tmp_path)
    # Three customers of ten rebuilt: 30% of the rows, more than an update is worth.
    journey = [(c, n, 10.0 * n, 200 if c in "ABC" else 100) for c in "ABCDEFGHIJ" for n in (1, 2)]
    _work(work, journey, [("2026-10", 5.0)])
    assert publish(work, serving, "run-2", update_keys=KEYS).updated == {}
    assert _served(serving) == _full_publish_of(work, tmp_path)

    con = duckdb.connect(str(work))
    con.execute("alter table marts.journey alter amount type decimal(18, 2)")
    con.execute(
        "update marts.journey set amount = 99, _built_through_load_id = 300 where customer_id = 'A'"
    )
    con.close()
    assert publish(work, serving, "run-3", update_keys=KEYS).updated == {}
    served = duckdb.connect(str(serving), read_only=True)
    try:
        kinds = served.execute(
            "select data_type from duckdb_columns() where table_name = 'journey' "
            "and column_name = 'amount'"
        ).fetchall()
    finally:
        served.close()
    assert kinds == [("DECIMAL(18,2)",)]


def test_a_publish_without_a_serving_file_or_watermarks_copies_every_mart(tmp_path):
    work = tmp_path / "work.duckdb"
    _work(work, [("A", 1, 1.0, 100)], [("2026-10", 5.0)])
    serving = tmp_path / "serving.duckdb"
    assert publish(work, serving, "run-1", update_keys=KEYS).updated == {}
    # A serving file from before watermarks were recorded: nothing to update from.
    shutil.copy(serving, tmp_path / "old.duckdb")
    con = duckdb.connect(str(tmp_path / "old.duckdb"))
    con.execute("drop table meta.published_watermarks")
    con.close()
    shutil.move(tmp_path / "old.duckdb", serving)
    assert publish(work, serving, "run-2", update_keys=KEYS).updated == {}
    assert _served(serving) == _full_publish_of(work, tmp_path)
