"""`revops status`: what the serving warehouse holds now, and how the latest runs went."""

from __future__ import annotations

from datetime import UTC, datetime

import duckdb

from revops import paths
from revops.published_inputs import last_check
from revops.run_report import failure_lines

RECENT_RUNS = 5


def run_status() -> int:
    serving = paths.serving_db()
    if serving.exists():
        _print_published(serving)
    else:
        print(f"nothing published yet: {serving} does not exist (run `make run`)")
    _print_runs()
    return 0


def _print_published(serving) -> None:
    con = duckdb.connect(str(serving), read_only=True)
    try:
        run_id, published_at, as_of = con.execute(
            "select run_id, published_at, as_of_date from meta.refreshes "
            "order by published_at desc limit 1"
        ).fetchall()[0]
        tables = con.execute(
            "select table_name from duckdb_tables() where schema_name = 'marts' order by 1"
        ).fetchall()
        counts = [
            (name, con.execute(f'select count(*) from marts."{name}"').fetchall()[0][0])
            for (name,) in tables
        ]
    finally:
        con.close()
    age = datetime.now(UTC).replace(tzinfo=None) - published_at
    print(f"serving warehouse {serving}")
    print(f"  last successful publish: run {run_id} at {published_at:%Y-%m-%d %H:%M} UTC")
    print(f"  ({age.total_seconds() / 3600:.1f} h ago); data as of {as_of}")
    for name, rows in counts:
        print(f"  marts.{name:<38} {rows:>12,} rows")
    check = last_check(paths.warehouse_dir())
    if check and datetime.fromisoformat(check["checked_at"]).replace(tzinfo=None) > published_at:
        checked_at = datetime.fromisoformat(check["checked_at"])
        print(f"  last nightly check at {checked_at:%Y-%m-%d %H:%M} UTC: {check['message']}")


def _print_runs() -> None:
    paths.prepare_dagster_home()
    from dagster import DagsterEventType, DagsterInstance, DagsterRunStatus

    with DagsterInstance.get() as instance:
        records = instance.get_run_records(limit=RECENT_RUNS)
        if not records:
            print("\nno Dagster run recorded yet")
            return
        print(f"\nlatest runs (DAGSTER_HOME={paths.dagster_home()}):")
        for record in records:
            run = record.dagster_run
            started = record.start_time and datetime.fromtimestamp(record.start_time, UTC)
            took = (
                f"{record.end_time - record.start_time:.0f} s"
                if record.start_time and record.end_time
                else "-"
            )
            when = f"{started:%Y-%m-%d %H:%M} UTC" if started else "not started"
            print(f"  {run.run_id[:8]}  {run.job_name:<16} {run.status.value:<10} {when}  {took}")
        latest = records[0].dagster_run
        if latest.status == DagsterRunStatus.FAILURE:
            events = [
                record.event_log_entry.dagster_event
                for record in instance.get_records_for_run(
                    latest.run_id,
                    of_type={
                        DagsterEventType.STEP_FAILURE,
                        DagsterEventType.ASSET_CHECK_EVALUATION,
                        DagsterEventType.RUN_FAILURE,
                    },
                ).records
            ]
            print(f"\nwhy run {latest.run_id[:8]} failed:")
            for line in failure_lines(events):
                print("  " + line.replace("\n", "\n  "))
