"""Connector presets (revops/presets/*.yml, `revops land --preset`).

Fast tests land the hand-written samples in tests/fixtures/connectors/<tool>/ (a few rows
each, the expected values worked out by hand in the comments): every source form, the
naming options, composition of two presets into one landing, and the errors.

End to end: the xs company of `xs_published` (seed 7) is generated again in the connectors
layout, every preset present is landed (the tables no preset fills from the contract
layout), refreshed once by the real Dagster job, and every KPI mart must equal the
contract-layout build's row for row.
"""

from __future__ import annotations

import hashlib
import json
import math
import shutil
from pathlib import Path

import duckdb
import pytest

from revops.connector_sources import register_macros
from revops.generator.connectors.ids import sf_id18 as python_sf_id18
from revops.landing_mapping import MappingError, available_presets, land, preset_path

from .conftest import FIXTURES, Workspace, run_full_refresh

SAMPLES = FIXTURES / "connectors"


def _rows(path: Path) -> list[dict[str, str]]:
    con = duckdb.connect()
    try:
        relation = con.execute(f"select * from read_csv('{path}', header=true, all_varchar=true)")
        names = [d[0] for d in relation.description]
        return [dict(zip(names, row, strict=True)) for row in relation.fetchall()]
    finally:
        con.close()


def _by_key(path: Path, key: str) -> dict[str, dict[str, str]]:
    return {row[key]: row for row in _rows(path)}


# --- Salesforce ids ------------------------------------------------------------------------


def test_sf_id18_appends_the_case_checksum_and_keeps_18_character_ids():
    con = duckdb.connect()
    register_macros(con)
    # Salesforce's own example: chunk 001A0 has an upper case letter 4th (bit 3: I),
    # 00000 none (A), 6Vm9r one 2nd (bit 1: C).
    assert con.execute("select sf_id18('001A0000006Vm9r')").fetchall() == [("001A0000006Vm9rIAC",)]
    assert con.execute("select sf_id18('001A0000006Vm9rIAC'), sf_id18(' ')").fetchall() == [
        ("001A0000006Vm9rIAC", None)
    ]
    # Against the Python implementation the generator uses, on 15-character ids of every
    # case pattern.
    ids = [
        "".join(
            c.upper() if (n >> (i % 8)) & 1 else c
            for i, c in enumerate(hashlib.md5(str(n).encode()).hexdigest()[:15])
        )
        for n in range(300)
    ]
    con.execute("create table ids as select unnest(?) as id15", [ids])
    computed = con.execute("select sf_id18(id15) from ids order by rowid").fetchall()
    assert [python_sf_id18(i) for i in ids] == [c for (c,) in computed]


# --- source forms and naming ---------------------------------------------------------------


def _land_salesforce(source: Path, out: Path, **options) -> dict[str, list[dict[str, str]]]:
    landed = land(preset_path("salesforce"), out, source, **options)
    return {t.table: _rows(t.path) for t in landed}


def test_salesforce_sample_lands_as_worked_out_by_hand(tmp_path):
    landed = _land_salesforce(SAMPLES / "salesforce", tmp_path / "landing")
    # quote is not synced (optional): no quotes table; campaign members: one responded.
    assert sorted(landed) == [
        "marketing/campaigns",
        "marketing/leads",
        "marketing/touchpoints",
        "sales/accounts",
        "sales/contacts",
        "sales/opportunities",
        "sales/opportunity_stage_history",
        "sales/users",
    ]
    # The deleted user (_fivetran_deleted) is dropped; the title gives the role.
    assert [(u["user_id"], u["role"], u["region"]) for u in landed["sales/users"]] == [
        ("005000000000001AAA", "ae", "emea")
    ]
    accounts = {a["account_id"]: a for a in landed["sales/accounts"]}
    # 0010000000000aB (15) is 0010000000000aBAAQ: 00100 -> A, 00000 -> A, 000aB: B 5th -> Q.
    assert accounts["0010000000000aBAAQ"]["owner_user_id"] == "005000000000001AAA"
    assert accounts["0010000000000aBAAQ"]["industry"] == "professional_services"
    assert accounts["0010000000000aBAAQ"]["acquisition_channel"] == "events"
    # The second account the connector saw deleted: landed, flagged.
    assert accounts["0010000000000cDAAQ"]["is_deleted"] == "true"
    contacts = {c["contact_id"]: c for c in landed["sales/contacts"]}
    # Its account is referenced in the 15-character form; its lead converted into it.
    assert contacts["003000000000001AAA"]["account_id"] == "0010000000000aBAAQ"
    assert contacts["003000000000001AAA"]["converted_from_lead_id"] == "00Q000000000001AAA"
    # The deleted lead is dropped, the converted one kept, its lead source a channel.
    assert [
        (lead["lead_id"], lead["original_source_channel"]) for lead in landed["marketing/leads"]
    ] == [("00Q000000000001AAA", "paid_search")]
    opportunity = landed["sales/opportunities"][0]
    assert (opportunity["stage_name"], opportunity["forecast_category"]) == ("closed_won", "closed")
    assert opportunity["created_at"] == "2024-03-01T10:00:00+00:00"
    history = landed["sales/opportunity_stage_history"]
    # Three live stage changes (the deleted fourth dropped), probability 20 % -> 0.2.
    assert [(h["stage_name"], h["probability"]) for h in history] == [
        ("prospecting", "0.1"),
        ("discovery", "0.2"),
        ("closed_won", "1.0"),
    ]
    (touch,) = landed["marketing/touchpoints"]
    assert (touch["channel"], touch["touch_type"]) == ("events", "event_visit")


def _convert(source: Path, target: Path, form: str) -> Path:
    """The sample rewritten as parquet / jsonl files, folders of two files, or one DuckDB file."""
    con = duckdb.connect()
    target.mkdir(parents=True)
    database = target / "connector.duckdb"
    if form == "duckdb":
        con.execute(f"attach '{database}' as warehouse")
        con.execute("create schema warehouse.salesforce")
    for path in sorted(source.glob("*.csv")):
        read = f"read_csv('{path}', header=true, all_varchar=true)"
        if form == "parquet":
            con.execute(
                f"copy (select * from {read}) to '{target / path.stem}.parquet' (format parquet)"
            )
        elif form == "jsonl":
            con.execute(
                f"copy (select * from {read}) to '{target / path.stem}.jsonl' (format json)"
            )
        elif form == "folder":
            (target / path.stem).mkdir()
            for part in (0, 1):
                con.execute(
                    f"copy (select * from (select *, row_number() over () as n from {read}) "
                    f"where n % 2 = {part}) to '{target / path.stem / f'part-{part}.csv'}' "
                    "(header true)"
                )
        else:
            con.execute(f"create table warehouse.salesforce.{path.stem} as select * from {read}")
    con.close()
    return database if form == "duckdb" else target


@pytest.fixture(scope="module")
def salesforce_sample_landed(tmp_path_factory) -> dict[str, list[dict[str, str]]]:
    return _land_salesforce(SAMPLES / "salesforce", tmp_path_factory.mktemp("csv"))


@pytest.mark.parametrize("form", ["parquet", "jsonl", "folder", "duckdb"])
def test_every_source_form_lands_the_same_rows(tmp_path, form, salesforce_sample_landed):
    expected = salesforce_sample_landed
    source = _convert(SAMPLES / "salesforce", tmp_path / form, form)
    got = _land_salesforce(source, tmp_path / f"landed-{form}")
    # The folder form adds a column `n` the preset never reads: the landed rows are equal.
    assert {t: sorted(map(str, rows)) for t, rows in got.items()} == {
        t: sorted(map(str, rows)) for t, rows in expected.items()
    }


def _renamed_copy(source: Path, target: Path, rename, extra: dict[str, str]) -> None:
    con = duckdb.connect()
    target.mkdir(parents=True)
    for path in sorted(source.glob("*.csv")):
        columns = [
            r[0]
            for r in con.execute(
                f"describe select * from read_csv('{path}', all_varchar=true)"
            ).fetchall()
        ]
        select = ", ".join(f'"{c}" as "{rename(c)}"' for c in columns if rename(c))
        select += "".join(f", {expression} as {name}" for name, expression in extra.items())
        con.execute(
            f"copy (select {select} from read_csv('{path}', header=true, all_varchar=true)) "
            f"to '{target / path.name}' (header true)"
        )
    con.close()


def _camel(column: str) -> str | None:
    if column == "_fivetran_synced":
        return "_airbyte_extracted_at"
    if column == "_fivetran_deleted":
        return None
    return "".join(part.capitalize() for part in column.split("_"))


def test_airbyte_and_dlt_naming_land_the_same_rows(tmp_path, salesforce_sample_landed):
    expected = salesforce_sample_landed
    # Airbyte: API names (CamelCase), deletes as _ab_cdc_deleted_at, its own columns.
    airbyte = tmp_path / "airbyte"
    _renamed_copy(
        SAMPLES / "salesforce",
        airbyte,
        _camel,
        {
            "_airbyte_raw_id": "'r'",
            "_ab_cdc_deleted_at": "case when _fivetran_deleted = 'true' then '2024-06-01' end",
        },
    )
    assert expected == _land_salesforce(airbyte, tmp_path / "a", naming="airbyte")
    # dlt: snake_case already, a load id instead of the sync time, no delete flag column
    # (dlt replaces deleted rows): drop the deleted rows of the sample first.
    dlt = tmp_path / "dlt"
    _renamed_copy(
        SAMPLES / "salesforce",
        dlt,
        lambda c: None if c.startswith("_fivetran") else c,
        {"_dlt_load_id": "'1717200000.123'", "_dlt_id": "'x'"},
    )
    got = _land_salesforce(dlt, tmp_path / "d", naming="dlt")
    # Without the flag the rows the sample marks deleted are live: more rows, never fewer.
    assert set(got) == set(expected)
    assert all(len(got[t]) >= len(expected[t]) for t in expected)


# --- composition and the manifest ------------------------------------------------------------


def test_presets_compose_into_one_landing_and_replace_only_their_own_file(tmp_path):
    landing = tmp_path / "landing"
    land(preset_path("salesforce"), landing, SAMPLES / "salesforce")
    land(preset_path("hubspot"), landing, SAMPLES / "hubspot")
    leads = landing / "marketing" / "leads"
    assert sorted(p.name for p in leads.iterdir()) == ["hubspot.csv", "salesforce.csv"]
    manifest = json.loads((landing / "_landing.json").read_text())
    entry = manifest["tables"]["marketing/leads"]
    assert sorted(entry["mappings"]) == ["hubspot", "salesforce"]
    # 1 Salesforce lead + 2 live HubSpot contacts (the deleted third dropped).
    assert entry["rows"] == 1 + 2
    # Landing Salesforce again replaces its own file only.
    before = (leads / "hubspot.csv").read_bytes()
    land(preset_path("salesforce"), landing, SAMPLES / "salesforce")
    assert (leads / "hubspot.csv").read_bytes() == before
    assert sorted(p.name for p in leads.iterdir()) == ["hubspot.csv", "salesforce.csv"]


def test_an_old_manifest_stays_readable(tmp_path):
    from revops.landing_mapping import landed_columns

    landing = tmp_path / "landing"
    landing.mkdir()
    old = {
        "partial": True,
        "tables": {
            "marketing/leads": {
                "mapping": "x.yml",
                "file": "olist.csv",
                "rows": 4,
                "columns": ["lead_id", "email"],
            }
        },
    }
    (landing / "_landing.json").write_text(json.dumps(old))
    land(preset_path("hubspot"), landing, SAMPLES / "hubspot")
    tables = json.loads((landing / "_landing.json").read_text())["tables"]
    assert sorted(tables["marketing/leads"]["mappings"]) == ["hubspot", "olist"]
    assert tables["marketing/leads"]["rows"] == 4 + 2
    assert {"lead_id", "email", "became_mql_at"} <= landed_columns(landing)["marketing/leads"]


def test_hubspot_sample_lands_as_worked_out_by_hand(tmp_path):
    landed = {
        t.table: _by_key(t.path, _KEYS[t.table])
        for t in land(preset_path("hubspot"), tmp_path, SAMPLES / "hubspot")
    }
    leads = landed["marketing/leads"]
    assert sorted(leads) == ["101", "102"]  # 103 was deleted
    # 101: created 1709287200000 ms = 2024-03-01T10:00:00Z; OTHER_CAMPAIGNS / webinar.
    assert leads["101"]["created_at"] == "2024-03-01T10:00:00+00:00"
    assert leads["101"]["original_source_channel"] == "webinar"
    assert leads["101"]["lifecycle_stage"] == "mql"
    # Its first Salesforce campaign, 15 characters in HubSpot, in the 18-character form.
    assert leads["101"]["first_campaign_id"] == "701000000000001AAA"
    # 102: ISO text; PAID_SEARCH; MQL given in epoch milliseconds 1709460000000 = 03-03 10:00.
    assert leads["102"]["original_source_channel"] == "paid_search"
    assert leads["102"]["became_mql_at"] == "2024-03-03T10:00:00+00:00"
    touches = landed["marketing/touchpoints"]
    # Two form submissions and one e-mail click (the OPEN event is not a touch).
    assert sorted((t["touch_type"], t["channel"], t["lead_id"]) for t in touches.values()) == [
        ("demo_request", "paid_search", "102"),
        ("email_click", "email", "101"),
        ("webinar_attended", "webinar", "101"),
    ]
    opportunities = landed["sales/opportunities"]
    assert {
        k: (o["stage_name"], o["is_won"], o["account_id"]) for k, o in opportunities.items()
    } == {
        "9001": ("closed_won", "true", "501"),
        "9002": ("discovery", "false", "501"),
    }
    assert landed["sales/contacts"]["102"]["converted_from_lead_id"] == "102"


_KEYS = {
    "marketing/leads": "lead_id",
    "marketing/touchpoints": "touchpoint_id",
    "sales/accounts": "account_id",
    "sales/opportunities": "opportunity_id",
    "sales/contacts": "contact_id",
}


# --- errors --------------------------------------------------------------------------------


def test_a_missing_column_names_the_preset_table_column_and_line(tmp_path):
    source = tmp_path / "salesforce"
    shutil.copytree(SAMPLES / "salesforce", source)
    con = duckdb.connect()
    path = source / "opportunity.csv"
    con.execute(
        f"copy (select * exclude (stage_name) from read_csv('{path}', all_varchar=true)) "
        f"to '{path}' (header true)"
    )
    with pytest.raises(MappingError) as error:
        land(preset_path("salesforce"), tmp_path / "landing", source)
    message = str(error.value)
    line = next(
        n
        for n, text in enumerate(preset_path("salesforce").read_text().splitlines(), 1)
        if "table: opportunity" in text and "history" not in text
    )
    assert message.startswith("preset salesforce (") and f"line {line}:" in message
    assert "connector table 'opportunity'" in message and "stage_name" in message
    assert not (tmp_path / "landing" / "sales").exists()


def test_a_missing_table_names_the_tool_and_table_and_optional_ones_are_skipped(tmp_path):
    source = tmp_path / "salesforce"
    shutil.copytree(SAMPLES / "salesforce", source)
    (source / "campaign.csv").unlink()
    with pytest.raises(
        MappingError, match=r"preset salesforce .*connector table 'campaign'.*is missing"
    ):
        land(preset_path("salesforce"), tmp_path / "landing", source)
    assert "hubspot" in available_presets() and "salesforce" in available_presets()


def test_cli_explains_a_preset_without_source_and_lists_the_options(tmp_path, capsys):
    from revops.cli import build_parser, main

    assert main(["land", "--preset", "hubspot", "--out", str(tmp_path)]) == 2
    assert "--source" in capsys.readouterr().err
    assert not (tmp_path / "marketing").exists()
    usage = build_parser()._subparsers._group_actions[0].choices["land"].format_help()
    assert all(word in usage for word in ("--preset", "--source", "--schema", "--naming"))


# --- end to end: the xs company through the connectors and the presets ----------------------

# Marts of KPIs without ids; and marts compared once their ids are mapped back to the
# contract's (a resolved customer stands for its smallest contract record, other ids
# through the generator's id map).
KPI_MARTS_EXTRA = ("revenue_forecast", "playbook_quote_timing")
MARTS_WITH_IDS = {
    "dim_customers": {},
    "fct_mrr": {},
    "fct_opportunities": {"opportunity_id": "sales/opportunities", "owner_user_id": "sales/users"},
    "fct_tickets": {"ticket_id": "success/tickets"},
    "playbook_churn_risk": {},
}
# Values a tool keeps coarser than the contract, compared as the KPIs read them: Zendesk
# rates a ticket good or bad (landed as 5 or 1), and CSAT counts the scores of 4 or 5.
COARSER = {("fct_tickets", "csat_score"): "t.csat_score >= 4"}


@pytest.fixture(scope="session")
def xs_connectors(tmp_path_factory: pytest.TempPathFactory):
    """The xs company of xs_published (seed 7) in the connectors layout, each present preset
    landed and the rest copied from the contract layout, refreshed once:
    (workspace, run result, generator summary, connectors folder)."""
    from revops import paths
    from revops.generator.connectors import generate_connectors

    root = tmp_path_factory.mktemp("xs_connectors")
    summary = generate_connectors(root / "connectors", scale="xs", seed=7)
    landing, warehouse = root / "landing", root / "warehouse"
    warehouse.mkdir()
    for tool in summary["tools"]:
        land(preset_path(tool), landing, root / "connectors" / tool)
    shutil.copytree(root / "connectors" / "contract", landing, dirs_exist_ok=True)
    with pytest.MonkeyPatch.context() as monkeypatch:
        monkeypatch.setenv("REVOPS_LANDING_DIR", str(landing))
        monkeypatch.setenv("REVOPS_WAREHOUSE_DIR", str(warehouse))
        paths.export_environment()
        result = run_full_refresh()
    return Workspace(landing, warehouse), result, summary, root / "connectors"


def _differences(con: duckdb.DuckDBPyConnection, contract_sql: str, connectors_sql: str):
    """(rows only in the contract-layout build, rows only in the connectors build, examples).
    Rows are paired in sorted order; doubles are equal within 1e-9 relative (sums taken in
    another order differ in the last bits, which rounding would not always hide)."""

    def rows(sql: str) -> list[tuple]:
        return sorted(con.execute(sql).fetchall(), key=_sort_key)

    contract, connectors = rows(contract_sql), rows(connectors_sql)
    unequal = [(a, b) for a, b in zip(contract, connectors, strict=False) if not _same_row(a, b)]
    extra = abs(len(contract) - len(connectors))
    return len(unequal) + extra, len(unequal) + extra, unequal[:2]


def _sort_key(row: tuple) -> tuple:
    # nulls first, doubles coarsened so that last-bit differences sort alike
    return tuple(
        (v is not None, round(v, 6) if isinstance(v, float) else v if v is not None else 0)
        for v in row
    )


def _same_row(a: tuple, b: tuple) -> bool:
    return all(
        math.isclose(x, y, rel_tol=1e-9, abs_tol=1e-9)
        if isinstance(x, float) and isinstance(y, float)
        else x == y
        for x, y in zip(a, b, strict=True)
    )


def _select(con, catalog: str, mart: str, id_columns: dict[str, str] | None = None) -> str:
    """The mart's rows, ids mapped back to the contract's when `id_columns` is given."""
    columns = con.execute(
        "select column_name from information_schema.columns where table_catalog = ? "
        "and table_schema = 'marts' and table_name = ? order by ordinal_position",
        [catalog, mart],
    ).fetchall()
    parts = []
    for (name,) in columns:
        value = f't."{name}"'
        if id_columns is not None and name == "customer_id":
            value = (
                f"(select k.customer_key from canon_{catalog} as k where k.customer_id = {value})"
            )
        elif id_columns and name in id_columns:
            value = (
                f"coalesce((select m.contract_id from id_map as m where m.tool_id = {value} "
                f"and m.contract_table = '{id_columns[name]}'), {value})"
            )
        elif id_columns is not None and (mart, name) in COARSER:
            value = COARSER[mart, name]
        parts.append(f'{value} as "{name}"')
    return f"select {', '.join(parts)} from {catalog}.marts.{mart} as t"


@pytest.mark.extra_refreshes
def test_kpi_marts_equal_the_contract_layout_build(xs_published, xs_connectors):
    contract_ws, contract_run = xs_published
    connectors_ws, run, summary, connectors = xs_connectors
    assert contract_run.success and run.success
    assert {"salesforce", "hubspot"} <= set(summary["tools"])
    con = duckdb.connect()
    con.execute(f"attach '{contract_ws.serving}' as contract (read_only)")
    con.execute(f"attach '{connectors_ws.serving}' as connectors (read_only)")
    marts = [
        r[0]
        for r in con.execute(
            "select table_name from information_schema.tables where table_catalog = 'contract' "
            "and table_schema = 'marts' and (table_name like 'kpi\\_%' escape '\\' "
            f"or table_name in {KPI_MARTS_EXTRA}) and table_name <> 'kpi_data_health' order by 1"
        ).fetchall()
    ]
    assert len(marts) >= 12
    differences = {}
    for mart in marts:
        found = _differences(con, _select(con, "contract", mart), _select(con, "connectors", mart))
        if found[:2] != (0, 0):
            differences[mart] = found
    assert differences == {}

    # Marts with ids, once mapped back.
    con.execute(
        f"create table id_map as select * from read_csv('{connectors / 'id_map.csv'}', "
        "all_varchar=true)"
    )
    for catalog in ("contract", "connectors"):
        con.execute(
            f"""create table canon_{catalog} as
            select c.customer_id, min(c.source_system || '/' || c.source_table || ':'
                || coalesce(m.contract_id, c.source_record_id)) as customer_key
            from {catalog}.marts.identity_crosswalk as c
            left join id_map as m on m.tool_id = c.source_record_id
                and m.contract_table = c.source_system || '/' || c.source_table
            where c.customer_id is not null group by 1"""
        )
    for mart, id_columns in MARTS_WITH_IDS.items():
        found = _differences(
            con,
            _select(con, "contract", mart, id_columns),
            _select(con, "connectors", mart, id_columns),
        )
        if found[:2] != (0, 0):
            differences[mart] = found
    assert differences == {}


@pytest.mark.extra_refreshes
def test_data_health_counts_the_salesforce_copies_of_hubspot_leads(xs_published, xs_connectors):
    """Data health counts records: a person synced from HubSpot to Salesforce is a lead in
    each, so marketing/leads has the Salesforce leads more (duplicates of a HubSpot
    contact), every other source table the same."""
    contract_ws, _ = xs_published
    connectors_ws, _, _, _ = xs_connectors
    salesforce_leads = len(_rows(connectors_ws.landing / "marketing/leads/salesforce.csv"))
    assert salesforce_leads > 0
    query = (
        "select source_system || '/' || source_table, records, duplicate_records "
        "from marts.kpi_data_health order by 1"
    )
    contract = {t: (r, d) for t, r, d in contract_ws.query(query)}
    connectors = {t: (r, d) for t, r, d in connectors_ws.query(query)}
    leads = "marketing/leads"
    assert connectors[leads][0] == contract[leads][0] + salesforce_leads
    assert connectors[leads][1] > contract[leads][1]
    assert {t: v for t, v in connectors.items() if t != leads} == {
        t: v for t, v in contract.items() if t != leads
    }
