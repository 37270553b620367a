"""`revops generate --append-days N`: the next N days' extracts land beside the existing files.

Each simulated day writes one more file per touched table (`part-d<YYYYMMDD>.<ext>`, which
sorts after the files already there), built set-based in DuckDB from the current state of
the landing folder (newest row wins, as the warehouse reads it):
- success/product_usage: a row for the new day for every account that used the product on
  the last landed day, plus late corrections: about 5% of the rows of three days earlier
  sent again with other counts (updated rows of existing keys);
- marketing/touchpoints: new touches by recently active leads, a tenth of them late
  (occurring four days before the day they land);
- marketing/leads: new leads at known companies, and recent leads that become MQLs
  (updated rows with a later updated_at);
- sales/opportunities + opportunity_stage_history: open opportunities that move a stage on;
- success/tickets: new tickets, and open tickets solved.
Choices are a hash of the seed, the day and the row's key, so the same arguments give
byte-identical files. New leads get truth rows in `_truth/identities.csv` (a new person at
the lead's company); the other new rows inherit the truth of the row they continue.
"""

from __future__ import annotations

import csv
import datetime as dt
import shutil
import tempfile
from pathlib import Path

import duckdb

from revops.contract import Table, table
from revops.loading import _validated_select, landing_files

STAGE_ORDER = ["prospecting", "discovery", "solution", "proposal", "negotiation"]
STAGE_PROBABILITY = {"discovery": 0.2, "solution": 0.4, "proposal": 0.6, "negotiation": 0.8}


def _current(con: duckdb.DuckDBPyConnection, landing: Path, t: Table) -> str:
    """A temp table of `t`'s current rows (newest row wins); returns its name."""
    selects = [_validated_select(con, t, p, i) for i, p in enumerate(landing_files(landing, t))]
    body = " union all by name ".join(f"({s})" for s in selects if s is not None)
    newest = "updated_at desc nulls last, " if "updated_at" in t.all_columns() else ""
    keys = ", ".join(t.key)
    name = f"cur_{t.name}"
    con.execute(
        f"create or replace temp table {name} as select * exclude (_rank) from ("
        f"select *, row_number() over (partition by {keys} order by {newest}"
        f"_source_file desc, _source_row desc) as _rank from ({body})) where _rank = 1"
    )
    return name


def _columns(con: duckdb.DuckDBPyConnection, landing: Path, t: Table) -> list[str]:
    """The columns the table's existing files carry (contract plus optional ones present)."""
    present = set()
    for path in landing_files(landing, t):
        present |= {r[0] for r in con.execute(f"describe select * from '{path}'").fetchall()}
    return list(t.all_columns(present))


def _write(
    con: duckdb.DuckDBPyConnection, landing: Path, t: Table, sql: str, day: dt.date, out: Path
) -> int:
    """Write one day's rows of `t` in the format of the table's existing files."""
    rows = con.execute(f"select count(*) from ({sql})").fetchall()[0][0]
    if rows == 0:
        return 0
    columns = ", ".join(f'"{c}"' for c in _columns(con, landing, t))
    suffix = landing_files(landing, t)[-1].suffix.lower()
    target = out / t.system / t.name / f"part-d{day:%Y%m%d}{suffix}"
    target.parent.mkdir(parents=True, exist_ok=True)
    fmt = {".csv": "(format csv, header true)", ".parquet": "(format parquet)"}.get(
        suffix, "(format json)"
    )
    con.execute(f"copy (select {columns} from ({sql}) order by all) to '{target}' {fmt}")
    return rows


def _pick(seed: int, day: int, key: str, per_mille: int) -> str:
    """SQL: true for about per_mille / 1000 of the rows, fixed by seed, day and key."""
    return f"hash({seed}, {day}, {key}) % 1000 < {per_mille}"


def last_landed_day(landing: Path) -> dt.date:
    con = duckdb.connect()
    try:
        usage = _current(con, landing, table("success", "product_usage"))
        return con.execute(f"select max(usage_date) from {usage}").fetchall()[0][0]
    finally:
        con.close()


def append_days(landing: Path, days: int, seed: int = 42) -> dict[str, int]:
    """Land `days` more days of extracts; returns rows written per table. All or nothing."""
    start = last_landed_day(landing)
    written: dict[str, int] = {}
    con = duckdb.connect()
    con.execute("set TimeZone = 'UTC'")
    staging = Path(tempfile.mkdtemp(prefix=".append-", dir=landing))
    new_records: list[tuple[str, str, str, str, bool]] = []
    try:
        for offset in range(1, days + 1):
            day = start + dt.timedelta(days=offset)
            for name, rows in _one_day(con, landing, staging, day, offset, seed, new_records):
                written[name] = written.get(name, 0) + rows
            # The next day builds on this one: move its files in before simulating it.
            for path in sorted(staging.rglob("*.*")):
                target = landing / path.relative_to(staging)
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.move(path, target)
        _append_truth(con, landing / "_truth" / "identities.csv", new_records)
    finally:
        con.close()
        shutil.rmtree(staging, ignore_errors=True)
    return written


def _append_truth(con: duckdb.DuckDBPyConnection, truth: Path, records: list[tuple]) -> None:
    """Truth rows for the new records: the row they continue's, a new person for a new lead."""
    if not truth.exists() or not records:
        return
    con.execute(
        "create or replace temp table new_records (source_system varchar, source_table varchar, "
        "origin_id varchar, new_id varchar, new_person boolean)"
    )
    con.executemany("insert into new_records values (?, ?, ?, ?, ?)", records)
    rows = con.execute(
        f"""
        select n.source_system, n.source_table, n.new_id,
            case when n.new_person then 'P-' || n.new_id else t.true_person_id end,
            t.true_company_id
        from new_records as n
        inner join read_csv('{truth}', all_varchar = true) as t
            on t.source_system = n.source_system and t.source_table = n.source_table
            and t.source_record_id = n.origin_id
        order by all
        """
    ).fetchall()
    with truth.open("a", newline="") as f:
        csv.writer(f, quoting=csv.QUOTE_ALL, lineterminator="\n").writerows(
            [["" if v is None else v for v in row] for row in rows]
        )


def _new_ids(
    con, system: str, name: str, key: str, source: str, where: str, tag: str, person: bool
):
    return [
        (system, name, origin, new, person)
        for origin, new in con.execute(
            f"select {key}, {key} || {tag} from {source} where {where}"
        ).fetchall()
    ]


def _one_day(con, landing: Path, out: Path, day: dt.date, offset: int, seed: int, new_records):
    d = f"date '{day.isoformat()}'"
    tag = f"'-d{day:%Y%m%d}'"

    usage_t = table("success", "product_usage")
    usage = _current(con, landing, usage_t)
    usage_sql = f"""
        select account_id, {d} as usage_date,
            least(licensed_seats, greatest(0, active_users + cast(hash({seed}, {offset},
                account_id) % 3 as integer) - 1)) as active_users,
            licensed_seats,
            greatest(0, key_events + cast(hash({seed}, {offset}, account_id, 'e') % 5 as integer) - 2)
                as key_events
        from {usage} where usage_date = {d} - 1
        union all
        select account_id, usage_date, least(licensed_seats, active_users + 1), licensed_seats,
            key_events + 1
        from {usage}
        where usage_date = {d} - 4 and {_pick(seed, offset, "account_id", 50)}
    """
    yield "product_usage", _write(con, landing, usage_t, usage_sql, day, out)

    touch_t = table("marketing", "touchpoints")
    touches = _current(con, landing, touch_t)
    late = _pick(seed, offset, "touchpoint_id || 'late'", 100)
    new_touch = f"occurred_at >= {d} - 15 and {_pick(seed, offset, 'touchpoint_id', 70)}"
    new_records += _new_ids(
        con, "marketing", "touchpoints", "touchpoint_id", touches, new_touch, tag, False
    )
    touch_sql = f"""
        select touchpoint_id || {tag} as touchpoint_id, lead_id, email,
            case when {late} then {d} - 4 else {d} end
                + (occurred_at - date_trunc('day', occurred_at)) as occurred_at,
            campaign_id, channel, touch_type
        from {touches}
        where {new_touch}
    """
    yield "touchpoints", _write(con, landing, touch_t, touch_sql, day, out)

    leads_t = table("marketing", "leads")
    leads = _current(con, landing, leads_t)
    new_lead = f"created_at >= {d} - 31 and {_pick(seed, offset, 'lead_id', 25)}"
    becomes_mql = (
        f"lifecycle_stage = 'lead' and created_at >= {d} - 31 "
        f"and {_pick(seed, offset, 'lead_id || ' + repr('mql'), 40)}"
    )
    leads_sql = f"""
        select lead_id || {tag} as lead_id,
            'n{day:%m%d}.' || email as email, first_name, last_name, company_name,
            company_domain, country_code, job_title,
            {d} + (created_at - date_trunc('day', created_at)) as created_at,
            original_source_channel, first_campaign_id, 'lead' as lifecycle_stage,
            null::timestamptz as became_mql_at, null::timestamptz as became_sql_at,
            {d} + (created_at - date_trunc('day', created_at)) as updated_at
        from {leads} where {new_lead}
        union all
        select lead_id, email, first_name, last_name, company_name, company_domain,
            country_code, job_title, created_at, original_source_channel, first_campaign_id,
            'mql', {d} + interval 10 hour, became_sql_at, {d} + interval 10 hour
        from {leads} where {becomes_mql}
    """
    yield "leads", _write(con, landing, leads_t, leads_sql, day, out)
    new_records += _new_ids(con, "marketing", "leads", "lead_id", leads, new_lead, tag, True)

    opps_t = table("sales", "opportunities")
    opps = _current(con, landing, opps_t)
    stages = ", ".join(f"'{s}'" for s in STAGE_ORDER)
    moving = f"not is_closed and {_pick(seed, offset, 'opportunity_id', 100)}"
    next_stage = f"list_extract([{stages}], list_position([{stages}], stage_name) + 1)"
    opp_cols = [c for c in _columns(con, landing, opps_t)]
    opp_select = ", ".join(
        f"{next_stage} as stage_name"
        if c == "stage_name"
        else f"{d} + interval 12 hour as updated_at"
        if c == "updated_at"
        else c
        for c in opp_cols
    )
    opps_sql = f"select {opp_select} from {opps} where {moving} and stage_name != 'negotiation'"
    yield "opportunities", _write(con, landing, opps_t, opps_sql, day, out)
    probability = "case stage_name " + " ".join(
        f"when '{s}' then {p}" for s, p in STAGE_PROBABILITY.items()
    )
    history_sql = f"""
        select opportunity_id, {d} + interval 12 hour as changed_at, stage_name, amount,
            {probability} end as probability
        from ({opps_sql})
    """
    yield (
        "opportunity_stage_history",
        _write(con, landing, table("sales", "opportunity_stage_history"), history_sql, day, out),
    )

    tickets_t = table("success", "tickets")
    tickets = _current(con, landing, tickets_t)
    ticket_cols = _columns(con, landing, tickets_t)
    new_ticket = {
        "ticket_id": f"ticket_id || {tag}",
        "created_at": f"{d} + (created_at - date_trunc('day', created_at))",
        "first_response_at": f"{d} + (created_at - date_trunc('day', created_at)) + interval 1 hour",
        "solved_at": "null::timestamptz",
        "status": "'open'",
        "csat_score": "null::integer",
        "updated_at": f"{d} + (created_at - date_trunc('day', created_at)) + interval 1 hour",
    }
    solved = {
        "solved_at": f"{d} + interval 15 hour",
        "status": "'solved'",
        "updated_at": f"{d} + interval 15 hour",
    }
    new_ticket_rows = f"created_at >= {d} - 61 and {_pick(seed, offset, 'ticket_id', 30)}"
    new_records += _new_ids(
        con, "success", "tickets", "ticket_id", tickets, new_ticket_rows, tag, False
    )
    tickets_sql = f"""
        select {", ".join(f"{new_ticket.get(c, c)} as {c}" for c in ticket_cols)}
        from {tickets}
        where {new_ticket_rows}
        union all
        select {", ".join(f"{solved.get(c, c)} as {c}" for c in ticket_cols)}
        from {tickets}
        where status in ('open', 'new', 'pending') and created_at < {d}
            and {_pick(seed, offset, "ticket_id || 'solve'", 200)}
    """
    yield "tickets", _write(con, landing, tickets_t, tickets_sql, day, out)
