"""The nightly refresh: incremental raw loads, incremental staging, `generate --append-days`.

The central check: after a day of extracts lands, a nightly (incremental) refresh of a
published warehouse gives exactly the marts a full refresh of the same files gives.
"""

from __future__ import annotations

import math
import os
import shutil
from pathlib import Path

import duckdb
import pytest

from revops import paths
from revops.build_baseline import begin_build, record_published
from revops.contract import table
from revops.generator.append import append_days
from revops.loading import load_table
from tests.conftest import Workspace, make_workspace, run_dbt, run_full_refresh

# Marts that keep a history of earlier runs by design: compared on the latest run's rows,
# or (the forecast's accuracy, which scores earlier runs' forecasts) not at all.
HISTORY_COLUMNS = {"kpi_data_health": "snapshot_date", "revenue_forecast": "forecast_made_on"}
RUN_HISTORY_MARTS = {"revenue_forecast_accuracy"}
# Columns that hold the last publish by design (the identity gate compares against it):
# compared without them.
LAST_PUBLISH_COLUMNS = {"identity_largest_customers": "published_largest_records"}


def _run(job_name: str):
    from dagster import DagsterInstance

    from orchestration.definitions import defs

    with DagsterInstance.ephemeral() as instance:
        return defs.resolve_job_def(job_name).execute_in_process(
            instance=instance, raise_on_error=False
        )


def _same_rows(left: list[tuple], right: list[tuple]) -> bool:
    # Sums of doubles depend on the order rows are added in: floats agree to 1e-9 (relative).
    return len(left) == len(right) and all(
        len(a) == len(b)
        and all(
            math.isclose(x, y, rel_tol=1e-9, abs_tol=1e-9)
            if isinstance(x, float) and isinstance(y, float)
            else x == y
            for x, y in zip(a, b, strict=True)
        )
        for a, b in zip(left, right, strict=True)
    )


def _marts(serving: Path) -> dict[str, list[tuple]]:
    con = duckdb.connect(str(serving), read_only=True)
    try:
        names = [
            r[0]
            for r in con.execute(
                "select table_name from information_schema.tables "
                "where table_schema = 'marts' order by 1"
            ).fetchall()
        ]
        out = {}
        for name in names:
            if name in RUN_HISTORY_MARTS:
                continue
            where = ""
            if name in HISTORY_COLUMNS:
                col = HISTORY_COLUMNS[name]
                where = f"where {col} = (select max({col}) from marts.{name})"
            columns = "*"
            if name in LAST_PUBLISH_COLUMNS:
                columns = f"* exclude ({LAST_PUBLISH_COLUMNS[name]})"
            out[name] = con.execute(
                f"select {columns} from marts.{name} {where} order by all"
            ).fetchall()
        return out
    finally:
        con.close()


def test_a_nightly_refresh_after_one_day_equals_a_full_refresh(
    xs_published, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    source, _ = xs_published
    nightly = Workspace(tmp_path / "nightly" / "landing", tmp_path / "nightly" / "warehouse")
    shutil.copytree(source.landing, nightly.landing)  # copy2 keeps mtimes: files look unchanged
    shutil.copytree(source.warehouse, nightly.warehouse)
    written = append_days(nightly.landing, 1, seed=7)
    assert written["product_usage"] > 0 and written["leads"] > 0

    monkeypatch.setenv("REVOPS_LANDING_DIR", str(nightly.landing))
    monkeypatch.setenv("REVOPS_WAREHOUSE_DIR", str(nightly.warehouse))
    paths.export_environment()
    result = _run("nightly_refresh")
    assert result.success
    modes = {
        m.asset_key.to_user_string(): m.metadata["load_mode"].value
        for m in result.asset_materializations_for_node("raw__success__product_usage")
        + result.asset_materializations_for_node("raw__finance__plans")
    }
    assert modes == {"raw/success/product_usage": "incremental", "raw/finance/plans": "unchanged"}
    (published,) = result.asset_materializations_for_node("serving__warehouse")
    # The journey, the crosswalk and the dims were updated in the copied serving file, not
    # rewritten.
    assert set(published.metadata["updated_in_place"].value) == {
        "marts.dim_customers",
        "marts.dim_people",
        "marts.fct_customer_journey",
        "marts.identity_crosswalk",
    }

    full = make_workspace(tmp_path / "full", nightly.landing, monkeypatch)
    assert run_full_refresh().success

    incremental_marts, full_marts = _marts(nightly.serving), _marts(full.serving)
    assert incremental_marts.keys() == full_marts.keys()
    for name, rows in full_marts.items():
        assert _same_rows(incremental_marts[name], rows), (
            f"marts.{name} differs after the nightly refresh"
        )
    # The appended day moved the as-of date on, so the comparison covers the new day.
    as_of = full.query("select max(snapshot_date) from marts.kpi_data_health")[0][0]
    assert as_of > source.query("select max(snapshot_date) from marts.kpi_data_health")[0][0]


def test_the_nightly_journey_rebuilds_exactly_the_customers_whose_events_changed(
    xs_published, tmp_path: Path
):
    ws, _ = xs_published
    warehouse = tmp_path / "warehouse"
    warehouse.mkdir()
    shutil.copy(ws.warehouse / "work.duckdb", warehouse / "work.duckdb")
    journey = "marts.fct_customer_journey"
    con = duckdb.connect(str(warehouse / "work.duckdb"))
    try:
        # how far a build read (_built_through_load_id) is not part of the journey
        rows = f"select * exclude (_built_through_load_id) from {journey} order by all"
        expected = con.execute(rows).fetchall()
        new, changed, moved_from, moved_to, untouched = (
            row[0]
            for row in con.execute(
                f"select customer_id from {journey} group by 1 order by count(*) desc, 1 limit 5"
            ).fetchall()
        )
        first_event = f"(select min(journey_event_id) from {journey} where customer_id = ?)"
        # The journey as an earlier build left it: a customer not built yet, an event whose
        # amount has changed since, an event that has moved to another customer, a customer
        # that has no events any more (merged into another), and one stale column of a
        # customer whose events did not change (not an input: the nightly leaves it).
        con.execute(f"delete from {journey} where customer_id = ?", [new])
        con.execute(
            f"update {journey} set amount_usd = coalesce(amount_usd, 0) + 1 "
            f"where journey_event_id = {first_event}",
            [changed],
        )
        con.execute(
            f"update {journey} set customer_id = ? where journey_event_id = {first_event}",
            [moved_to, moved_from],
        )
        con.execute(
            f"insert into {journey} select * replace ('cus_merged_away' as customer_id, "
            f"'gone-' || journey_event_id as journey_event_id) "
            f"from {journey} where customer_id = ?",
            [untouched],
        )
        con.execute(
            f"update {journey} set lifecycle_stage = 'stale' where customer_id = ?", [untouched]
        )
        # exchange rates loaded since (the same rates again): the nightly compares every
        # customer's events with its rows, which is what this test checks
        con.execute(
            "insert into raw.finance__fx_rates select * replace ('nightly.csv' as _source_file, "
            "(select max(load_id) + 1 from raw._landed_files) as _load_id) "
            "from raw.finance__fx_rates"
        )
    finally:
        con.close()

    ran = run_dbt(["run", "--select", "fct_customer_journey"], warehouse, tmp_path / "target")
    assert ran.returncode == 0, ran.stdout[-3000:] + ran.stderr[-2000:]

    con = duckdb.connect(str(warehouse / "work.duckdb"), read_only=True)
    try:
        rebuilt = con.execute(rows).fetchall()
    finally:
        con.close()
    stage = 5  # lifecycle_stage
    assert {row[stage] for row in rebuilt if row[1] == untouched} == {"stale"}
    assert _same_rows(
        [row for row in rebuilt if row[1] != untouched],
        [row for row in expected if row[1] != untouched],
    )


# The identity models a nightly updates record by record or cluster by cluster, the
# crosswalk, the journey and the dims. Their rows record how far their build read (columns starting with "_"), which
# differs between a nightly and a full rebuild, so that is not compared.
IDENTITY_MODELS = (
    "intermediate.int_identity_records_normalized",
    "intermediate.int_company_keys_extracted",
    "intermediate.int_person_keys_extracted",
    "intermediate.int_company_keys_clustered",
    "intermediate.int_person_keys_clustered",
    "intermediate.int_records_companies_resolved",
    "intermediate.int_records_people_resolved",
    "intermediate.int_records_resolved",
    "marts.identity_crosswalk",
    "marts.fct_customer_journey",
    "marts.dim_customers",
    "marts.dim_people",
)
IDENTITY_BUILD = ["run", "--select", "+fct_customer_journey", "+dim_customers", "+dim_people"]


def _rows_without_stamps(con: duckdb.DuckDBPyConnection, table: str) -> list[tuple]:
    schema, name = table.split(".")
    columns = [
        r[0]
        for r in con.execute(
            "select column_name from information_schema.columns where table_schema = ? "
            "and table_name = ? and column_name not like '\\_%' escape '\\' "
            "order by ordinal_position",
            [schema, name],
        ).fetchall()
    ]
    return con.execute(f"select {', '.join(columns)} from {table} order by all").fetchall()


def _nightly_equals_full_rebuild(
    nightly: Path, tmp_path: Path, night: int, after_publish: bool = True
) -> None:
    """Build the identity models, the crosswalk, the journey and the dims of `nightly`
    incrementally and of a copy in full; compare. `after_publish`: the run before built
    everything and published (the dims rebuild only what the crosswalk changed), else it
    failed half-way (they rebuild everyone)."""
    full = tmp_path / f"full-{night}"
    shutil.copytree(nightly, full)
    con = duckdb.connect(str(nightly / "work.duckdb"))
    try:
        if after_publish:
            record_published(con)
        baseline = begin_build(con, incremental=True)
        assert (baseline is not None) == after_publish
    finally:
        con.close()
    ran = run_dbt(IDENTITY_BUILD, nightly, tmp_path / "target-nightly", baseline)
    assert ran.returncode == 0, ran.stdout[-3000:] + ran.stderr[-2000:]
    for model in (
        "intermediate.int_person_keys_extracted",
        "intermediate.int_company_keys_clustered",
        "intermediate.int_records_resolved",
        "marts.identity_crosswalk",
        "marts.fct_customer_journey",
        "marts.dim_customers",
        "marts.dim_people",
    ):
        assert f"incremental model {model}" in ran.stdout
    ran = run_dbt([*IDENTITY_BUILD, "--full-refresh"], full, tmp_path / "target-full")
    assert ran.returncode == 0, ran.stdout[-3000:] + ran.stderr[-2000:]
    nightly_con = duckdb.connect(str(nightly / "work.duckdb"), read_only=True)
    full_con = duckdb.connect(str(full / "work.duckdb"), read_only=True)
    try:
        for dim in ("marts.dim_customers", "marts.dim_people"):
            rebuilt, rows = nightly_con.execute(
                "select count(*) filter (where _built_through_load_id = "
                f"(select max(_built_through_load_id) from {dim})), count(*) from {dim}"
            ).fetchall()[0]
            # after a publish only the groups that changed; else every one
            assert 0 < rebuilt < rows if after_publish else rebuilt == rows, (night, dim)
        for table in IDENTITY_MODELS:
            assert _rows_without_stamps(nightly_con, table) == _rows_without_stamps(
                full_con, table
            ), f"night {night}: {table} differs from a full rebuild after the nightly"
    finally:
        nightly_con.close()
        full_con.close()


def _insert_touchpoint(con: duckdb.DuckDBPyConnection, touchpoint_id: str, email: str, load: int):
    """A touchpoint of no lead: the crosswalk knows it by its e-mail."""
    con.execute(
        "insert into raw.marketing__touchpoints select * replace (? as touchpoint_id, "
        "null as lead_id, ? as email, 'nightly.csv' as _source_file, ? as _load_id) "
        "from raw.marketing__touchpoints limit 1",
        [touchpoint_id, email, load],
    )


def _crosswalk_row(con: duckdb.DuckDBPyConnection, source_table: str, record_id: str) -> tuple:
    """(customer_id, person_id, match_rule, person_match_rule) of a record in the crosswalk."""
    return con.execute(
        "select customer_id, person_id, match_rule, person_match_rule from "
        "marts.identity_crosswalk where source_table = ? and source_record_id = ?",
        [source_table, record_id],
    ).fetchall()[0]


def _company_of(con: duckdb.DuckDBPyConnection, source_table: str, record_id: str) -> str | None:
    rows = con.execute(
        "select customer_id from intermediate.int_records_companies_resolved "
        "where source_table = ? and source_record_id = ?",
        [source_table, record_id],
    ).fetchall()
    return rows[0][0] if rows else None


def test_the_nightly_identity_equals_a_full_rebuild_after_updates_deletes_merges_and_splits(
    xs_published, tmp_path: Path
):
    ws, _ = xs_published
    nightly = tmp_path / "nightly"
    nightly.mkdir()
    shutil.copy(ws.warehouse / "work.duckdb", nightly / "work.duckdb")
    con = duckdb.connect(str(nightly / "work.duckdb"))
    try:
        load = con.execute("select max(load_id) + 1 from raw._landed_files").fetchall()[0][0]
        later = f"'nightly.csv' as _source_file, {load} as _load_id, now() as updated_at"
        deleted, internal = (
            r[0]
            for r in con.execute(
                "select account_id from raw.sales__accounts where account_id in "
                "(select account_id from raw.sales__opportunities) group by 1 order by 1 limit 2"
            ).fetchall()
        )
        # a primary contact: its opportunities take its person
        contact = con.execute(
            "select min(primary_contact_id) from raw.sales__opportunities "
            "where primary_contact_id in (select contact_id from raw.sales__contacts)"
        ).fetchall()[0][0]
        lead = con.execute("select min(lead_id) from raw.marketing__leads").fetchall()[0][0]
        gone = con.execute("select min(customer_id) from raw.finance__customers").fetchall()[0][0]
        # two companies whose contacts have names, the second with a website
        merged_into, merged, merged_domain = con.execute(
            "select min(account_id), max(account_id), arg_max(website_domain, account_id) "
            "from intermediate.int_identity_records_normalized as accounts "
            "where source_table = 'accounts' and not is_internal and website_domain is not null "
            "and account_id not in (?, ?) and account_id in (select account_id from "
            "intermediate.int_identity_records_normalized where source_table = 'contacts' "
            "and first_name_normalized is not null and last_name_normalized is not null)",
            [deleted, internal],
        ).fetchall()[0]
        # A soft-deleted account, an account renamed to a test one (its opportunities become
        # internal), a contact whose e-mail changed (it sorts first among its person's keys,
        # so the person's id, the hash of the least key, changes with it), a new lead, the billing customers
        # reloaded in full without one of them (its file left the landing folder), a new
        # billing customer that ties two companies together (the name keys of the merged
        # company's people, records no load touched, now name the other company), and a
        # lead known only by a misspelt company name, fuzzy-matched to a new account.
        con.execute(
            f"insert into raw.sales__accounts select * replace (true as is_deleted, {later}) "
            "from raw.sales__accounts where account_id = ?",
            [deleted],
        )
        con.execute(
            "insert into raw.sales__accounts select * replace "
            f"('Test ' || account_name as account_name, {later}) "
            "from raw.sales__accounts where account_id = ?",
            [internal],
        )
        con.execute(
            "insert into raw.sales__contacts select * replace "
            f"('aaa.moved@new-employer.io' as email, {later}) from raw.sales__contacts "
            "where contact_id = ?",
            [contact],
        )
        con.execute(
            "insert into raw.marketing__leads select * replace ('LEAD-NEW' as lead_id, "
            f"'new.lead@fresh-company.io' as email, {later}) from raw.marketing__leads "
            "where lead_id = ?",
            [lead],
        )
        con.execute(
            f"create or replace table raw.finance__customers as select * replace ({load} as "
            "_load_id) from raw.finance__customers where customer_id <> ?",
            [gone],
        )
        con.execute(
            "insert into raw.finance__customers select * replace ('cus_merger' as customer_id, "
            f"? as crm_account_id, 'ap@' || ? as email, {later}) from raw.finance__customers "
            "limit 1",
            [merged_into, merged_domain],
        )
        _insert_account(con, "ACC-FUZZY-1", "Zyxwv Analytics", later)
        # crosswalk: a touchpoint known by the contact's new e-mail, one by an e-mail no
        # record has yet, and a new quote of an opportunity that is internal now
        _insert_touchpoint(con, "TP-EMAIL", "aaa.moved@new-employer.io", load)
        _insert_touchpoint(con, "TP-LATE", "late.person@later-company.io", load)
        con.execute(
            "insert into raw.sales__quotes select * replace ('Q-NEW' as quote_id, "
            "(select min(opportunity_id) from raw.sales__opportunities where account_id = ?) "
            "as opportunity_id, 'nightly.csv' as _source_file, ? as _load_id) "
            "from raw.sales__quotes limit 1",
            [internal, load],
        )
        con.execute(
            "insert into raw.marketing__leads select * replace ('LEAD-FUZZY' as lead_id, "
            "'zyx.lead@gmail.com' as email, 'Zyxwv Analytixs' as company_name, "
            f"null as company_domain, 'DE' as country_code, {later}) from raw.marketing__leads "
            "where lead_id = ?",
            [lead],
        )
    finally:
        con.close()

    _nightly_equals_full_rebuild(nightly, tmp_path, night=1)

    con = duckdb.connect(str(nightly / "work.duckdb"))
    try:
        records = _rows_without_stamps(con, "intermediate.int_identity_records_normalized")
        ids = {(r[1], r[2]): r for r in records}
        keys = {
            (r[0], r[1])
            for r in con.execute(
                "select source_record_id, company_key from intermediate.int_company_keys_extracted"
            ).fetchall()
        }
        internal_opportunities = con.execute(
            "select count(*), count(*) filter (where is_internal) from "
            "intermediate.int_identity_records_normalized where source_table = 'opportunities' "
            "and account_id = ?",
            [internal],
        ).fetchall()[0]
        # the changes reached the tables (so the comparison above compared something)
        assert ("accounts", deleted) not in ids and ("customers", gone) not in ids
        assert ("leads", "LEAD-NEW") in ids and ("LEAD-NEW", "domain:fresh-company.io") in keys
        assert ids[("accounts", internal)][3] is True  # is_internal
        assert 0 < internal_opportunities[0] == internal_opportunities[1]
        assert (contact, "domain:new-employer.io") in keys
        assert con.execute(
            "select count(*) from intermediate.int_company_keys_clustered "
            "where company_key = 'domain:new-employer.io'"
        ).fetchall()[0][0]
        assert _company_of(con, "accounts", merged_into) == _company_of(con, "accounts", merged)
        assert _company_of(con, "leads", "LEAD-FUZZY") == _company_of(
            con, "accounts", "ACC-FUZZY-1"
        )
        contact_person = _crosswalk_row(con, "contacts", contact)[1]
        assert _crosswalk_row(con, "touchpoints", "TP-EMAIL")[1:] == (
            contact_person,
            "via_person",
            "email",
        )
        assert _crosswalk_row(con, "touchpoints", "TP-LATE")[1:] == (None, "unlinked", "no_person")
        assert _crosswalk_row(con, "quotes", "Q-NEW")[2] == "internal_excluded"

        # Night 2: the merger leaves (the companies split again), the contact moves again
        # (its last domain key is named by nothing now), and an account appears whose name ties
        # with the fuzzy lead's match but sorts first: the lead's fuzzy edge moves to it,
        # though no load touched the lead.
        load += 1
        later = f"'nightly-2.csv' as _source_file, {load} as _load_id, now() as updated_at"
        con.execute(
            f"create or replace table raw.finance__customers as select * replace ({load} as "
            "_load_id) from raw.finance__customers where customer_id <> 'cus_merger'"
        )
        con.execute(
            "insert into raw.sales__contacts select * replace "
            f"('aaa.moved.again@other-employer.io' as email, {later}) from raw.sales__contacts "
            "where contact_id = ?",
            [contact],
        )
        _insert_account(con, "ACC-FUZZY-2", "Zyxwv Analytias", later)
        con.execute(
            "insert into raw.marketing__leads select * replace ('LEAD-LATE' as lead_id, "
            f"'late.person@later-company.io' as email, {later}) from raw.marketing__leads "
            "where lead_id = ?",
            [lead],
        )
        # journey: a stage change and a paid invoice of companies nothing else changed
        con.execute(
            "insert into raw.sales__opportunity_stage_history select * replace "
            "(changed_at + interval 1 hour as changed_at, 'nightly-2.csv' as _source_file, "
            "? as _load_id) from raw.sales__opportunity_stage_history "
            "where opportunity_id in (select opportunity_id from raw.sales__opportunities "
            "where account_id not in (?, ?, ?, ?)) order by opportunity_id desc limit 1",
            [load, deleted, internal, merged_into, merged],
        )
        con.execute(
            "insert into raw.finance__invoices select * replace ('paid' as status, "
            f"issued_at + interval 3 day as paid_at, total as amount_paid, {later}) "
            "from raw.finance__invoices where status = 'open' and customer_id not in "
            "(select customer_id from raw.finance__customers where crm_account_id in (?, ?)) "
            "order by invoice_id desc limit 1",
            [merged_into, merged],
        )
    finally:
        con.close()

    _nightly_equals_full_rebuild(nightly, tmp_path, night=2)

    con = duckdb.connect(str(nightly / "work.duckdb"))
    try:
        assert _company_of(con, "accounts", merged_into) != _company_of(con, "accounts", merged)
        assert (
            _company_of(con, "leads", "LEAD-FUZZY")
            == _company_of(con, "accounts", "ACC-FUZZY-2")
            != _company_of(con, "accounts", "ACC-FUZZY-1")
        )
        assert not con.execute(
            "select count(*) from intermediate.int_company_keys_clustered "
            "where company_key = 'domain:new-employer.io'"
        ).fetchall()[0][0]
        # the contact's old e-mail names nobody now; the late e-mail names the new lead
        assert _crosswalk_row(con, "touchpoints", "TP-EMAIL")[1:] == (None, "unlinked", "no_person")
        assert (
            _crosswalk_row(con, "touchpoints", "TP-LATE")[1]
            == _crosswalk_row(con, "leads", "LEAD-LATE")[1]
        )

        # Night 3, a run that failed after the company walk, before the records were
        # resolved from it: an account ties the two companies again (its name is one's, its
        # website the other's) and only the walk is built. The next night deletes that
        # account, which the stale resolved records never saw: the nightly must walk every
        # key, or the two companies stay merged.
        load += 1
        later = f"'nightly-3.csv' as _source_file, {load} as _load_id, now() as updated_at"
        con.execute(
            "insert into raw.sales__accounts select * replace ('ACC-BRIDGE' as account_id, "
            f"'https://www.' || ? as website, {later}) from raw.sales__accounts "
            "where account_id = ? order by _load_id desc limit 1",
            [merged_domain, merged_into],
        )
    finally:
        con.close()
    ran = run_dbt(
        ["run", "--select", "+int_company_keys_clustered"], nightly, tmp_path / "target-nightly"
    )
    assert ran.returncode == 0, ran.stdout[-3000:] + ran.stderr[-2000:]
    con = duckdb.connect(str(nightly / "work.duckdb"))
    try:
        load += 1
        later = f"'nightly-4.csv' as _source_file, {load} as _load_id, now() as updated_at"
        con.execute(
            f"insert into raw.sales__accounts select * replace (true as is_deleted, {later}) "
            "from raw.sales__accounts where account_id = 'ACC-BRIDGE'"
        )
    finally:
        con.close()

    _nightly_equals_full_rebuild(nightly, tmp_path, night=3, after_publish=False)


def _insert_account(con: duckdb.DuckDBPyConnection, account_id: str, name: str, later: str):
    """A new German account named `name`, copied from the first account."""
    con.execute(
        f"insert into raw.sales__accounts select * replace ('{account_id}' as account_id, "
        f"'{name}' as account_name, 'https://' || lower(replace('{name}', ' ', '')) || "
        f"'-{account_id.lower()}.de' as website, 'DE' as billing_country, false as is_deleted, "
        f"{later}) from raw.sales__accounts order by account_id limit 1"
    )


@pytest.fixture
def tiny_con(tiny_workspace: Workspace):
    con = duckdb.connect(str(tiny_workspace.warehouse / "work.duckdb"))
    yield tiny_workspace, con
    con.close()


def test_incremental_load_appends_new_files_and_reloads_when_a_loaded_file_changes(tiny_con):
    ws, con = tiny_con
    usage = table("success", "product_usage")
    first = load_table(con, ws.landing, usage, incremental=True)
    assert first.mode == "full"  # nothing loaded before
    assert load_table(con, ws.landing, usage, incremental=True).mode == "unchanged"

    folder = ws.landing / "success" / "product_usage"
    [original] = sorted(folder.iterdir())  # the tiny fixture has one usage file
    extra = folder / ("zz-later" + original.suffix)
    shutil.copy(original, extra)  # a later file repeating every key: allowed across files
    appended = load_table(con, ws.landing, usage, incremental=True)
    assert (appended.mode, appended.files_loaded, appended.rows) == (
        "incremental",
        1,
        2 * first.rows,
    )
    load_ids = con.execute(
        "select count(distinct _load_id) from raw.success__product_usage"
    ).fetchall()[0][0]
    assert load_ids == 2

    # A loaded file that changes (or goes away) makes the incremental load a full one.
    stat = original.stat()
    os.utime(original, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    reloaded = load_table(con, ws.landing, usage, incremental=True)
    assert (reloaded.mode, reloaded.rows) == ("full", 2 * first.rows)
    extra.unlink()
    assert load_table(con, ws.landing, usage, incremental=True).rows == first.rows
    # Without incremental=True a load is always full.
    assert load_table(con, ws.landing, usage).mode == "full"


def test_append_days_is_deterministic_and_lands_new_updated_and_late_rows(tmp_path: Path):
    from revops.generator import generate

    generate(tmp_path / "a", scale="xs", seed=3)
    shutil.copytree(tmp_path / "a", tmp_path / "b")
    for landing in (tmp_path / "a", tmp_path / "b"):
        append_days(landing, 2, seed=3)
    new_files = sorted(p.relative_to(tmp_path / "a") for p in (tmp_path / "a").rglob("part-d*"))
    assert len(new_files) == 2 * 6  # six tables, two days
    for rel in new_files:
        assert (tmp_path / "a" / rel).read_bytes() == (tmp_path / "b" / rel).read_bytes()

    con = duckdb.connect()
    usage = tmp_path / "a" / "success" / "product_usage"
    # Late corrections: rows for days already landed, repeating existing keys.
    late = con.execute(
        f"select count(*) from '{usage}/part-d*.parquet' as new "
        f"inner join '{usage}/part-0*.parquet' as old using (account_id, usage_date)"
    ).fetchall()[0][0]
    assert late > 0
    leads = tmp_path / "a" / "marketing" / "leads"
    updated = con.execute(
        f"select count(*) from read_csv('{leads}/part-d*.csv', all_varchar = true) as new "
        f"inner join read_csv('{leads}/part-0*.csv', all_varchar = true) as old using (lead_id)"
    ).fetchall()[0][0]
    assert updated > 0
    truth = con.execute(
        f"select count(*) from read_csv('{tmp_path}/a/_truth/identities.csv') "
        "where source_record_id like '%-d%'"
    ).fetchall()[0][0]
    assert truth > 0
