"""What a nightly takes as already checked (revops/build_baseline.py) and the data tests that
check only the rows built after it (dbt_project/macros/tests_since_publish.sql)."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from revops.build_baseline import begin_build, build_baseline, record_published
from tests.conftest import Workspace, run_dbt


def _work(ws: Workspace) -> duckdb.DuckDBPyConnection:
    return duckdb.connect(str(ws.warehouse / "work.duckdb"))


def _newest_raw_row_load(con: duckdb.DuckDBPyConnection) -> int:
    """Computed from the raw rows themselves (the code reads its file manifest)."""
    tables = con.execute(
        "select table_name from duckdb_columns() where schema_name = 'raw' "
        "and column_name = '_load_id'"
    ).fetchall()
    return max(
        con.execute(f'select coalesce(max(_load_id), -1) from raw."{t}"').fetchall()[0][0]
        for (t,) in tables
    )


def test_a_publish_records_its_newest_load_and_each_build_consumes_it(published_copy):
    con = _work(published_copy)
    try:
        loads = _newest_raw_row_load(con)
        assert loads > 0

        # the nightly after a publish starts from the newest load that publish was built through
        assert begin_build(con, incremental=True) == loads
        assert build_baseline(con) == loads
        # the record is consumed: after a run that failed past its build, nothing is trusted
        assert begin_build(con, incremental=True) is None
        assert build_baseline(con) is None
    finally:
        con.close()


def test_a_full_build_trusts_nothing(published_copy):
    con = _work(published_copy)
    try:
        assert begin_build(con, incremental=False) is None
        assert build_baseline(con) is None
    finally:
        con.close()


KEY_TEST = "primary_key_stg_marketing__touchpoints_touchpoint_id"


def _touchpoint_tests(ws: Workspace, target: Path, baseline: int | None) -> str:
    ran = run_dbt(["test", "--select", KEY_TEST], ws.warehouse, target, baseline)
    return "pass" if ran.returncode == 0 else ran.stdout


@pytest.mark.extra_refreshes  # runs dbt itself
def test_nightly_key_tests_check_every_row_of_the_keys_built_since_the_baseline(
    published_copy, tmp_path
):
    ws, target = published_copy, tmp_path / "target"
    con = _work(ws)
    try:
        baseline = begin_build(con, incremental=True)
        assert baseline is not None
        # a row built after the baseline that repeats a key of an older row
        con.execute(
            "insert into staging.stg_marketing__touchpoints "
            "select * replace (? as _load_id) from staging.stg_marketing__touchpoints "
            "order by touchpoint_id limit 1",
            [baseline + 1],
        )
    finally:
        con.close()
    outcome = _touchpoint_tests(ws, target, baseline)
    assert f"FAIL 1 {KEY_TEST}" in outcome

    con = _work(ws)
    try:
        # the same repeat stamped with the baseline: the publish checked it, the nightly skips it
        con.execute(
            "update staging.stg_marketing__touchpoints set _load_id = ? where _load_id = ?",
            [baseline, baseline + 1],
        )
    finally:
        con.close()
    assert _touchpoint_tests(ws, target, baseline) == "pass"

    # no baseline (dbt run by hand, a full refresh, a nightly after a failure): every row
    assert f"FAIL 1 {KEY_TEST}" in _touchpoint_tests(ws, target, None)


@pytest.mark.extra_refreshes  # runs dbt itself
def test_a_dbt_build_by_hand_voids_the_baseline_and_the_publish_record(published_copy, tmp_path):
    ws = published_copy
    con = _work(ws)
    try:
        assert begin_build(con, incremental=True) is not None
        record_published(con)  # as if that nightly had published
    finally:
        con.close()
    ran = run_dbt(["run", "--select", "int_as_of_date"], ws.warehouse, tmp_path / "target")
    assert ran.returncode == 0, ran.stdout[-2000:]
    con = _work(ws)
    try:
        # the publish after it copies everything; the next nightly trusts nothing
        assert build_baseline(con) is None
        assert begin_build(con, incremental=True) is None
    finally:
        con.close()


PERSON_TEST = "relationships_identity_crosswalk_person_id__person_id__ref_dim_people_"


@pytest.mark.extra_refreshes  # runs dbt itself
def test_the_nightly_person_relationship_test_checks_the_people_the_crosswalk_changed(
    published_copy, tmp_path
):
    ws = published_copy
    con = _work(ws)
    try:
        baseline = begin_build(con, incremental=True)
        # a person that dim_people lost, whose crosswalk rows no build touched since
        person, rows = con.execute(
            "select min(person_id), count(*) filter (where person_id = (select min(person_id) "
            "from marts.identity_crosswalk)) from marts.identity_crosswalk"
        ).fetchall()[0]
        con.execute("delete from marts.dim_people where person_id = ?", [person])
        con.execute(
            "create or replace table meta.identity_crosswalk__changes as "
            "select 'x' as invocation_id, null as customer_id, ? as person_id",
            [person],
        )
    finally:
        con.close()

    def tested(baseline: int | None) -> str:
        ran = run_dbt(["test", "--select", PERSON_TEST], ws.warehouse, tmp_path / "t", baseline)
        return "pass" if ran.returncode == 0 else ran.stdout

    # the crosswalk changed the person: its rows are checked
    assert f"FAIL {rows} {PERSON_TEST}" in tested(baseline)
    con = _work(ws)
    try:
        con.execute("delete from meta.identity_crosswalk__changes")
    finally:
        con.close()
    # it did not: dim_people did not rebuild the person, the nightly skips its rows
    assert tested(baseline) == "pass"
    # no baseline: every row
    assert f"FAIL {rows} {PERSON_TEST}" in tested(None)
