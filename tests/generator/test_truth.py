"""The ground truth: planted messes and leakage exist, point at real records, obey rates."""

from __future__ import annotations

import pathlib

import duckdb
import pytest

from revops.contract import TABLES, table
from revops.generator import DEFAULT_MESS_RATES, LEAKAGE_KINDS

from .conftest import files, load, reader

IDENTITY_TABLES = [
    ("marketing", "leads"),
    ("marketing", "touchpoints"),
    ("sales", "accounts"),
    ("sales", "contacts"),
    ("sales", "opportunities"),
    ("sales", "quotes"),
    ("success", "tickets"),
    ("success", "nps_responses"),
    ("finance", "customers"),
    ("finance", "subscription_events"),
    ("finance", "invoices"),
]


@pytest.mark.parametrize("kind", sorted(DEFAULT_MESS_RATES))
def test_every_mess_kind_is_planted_on_real_records(db: duckdb.DuckDBPyConnection, kind: str):
    src = "truth_leakage" if kind in LEAKAGE_KINDS else "truth_messes"
    col = "finding_type" if kind in LEAKAGE_KINDS else "mess_type"
    groups = db.execute(
        f"select source_system, source_table, count(*) from {src} where {col} = ? group by all",
        [kind],
    ).fetchall()
    assert groups, f"{kind} not planted"
    for system, name, _n in groups:
        t = table(system, name)
        missing = db.execute(
            f"select count(*) from {src} s where {col} = ? and source_system = ? and "
            f"source_table = ? and not exists (select 1 from {name} x "
            f"where x.{t.key[0]}::varchar = s.source_record_id)",
            [kind, system, name],
        ).fetchone()
        assert missing[0] == 0, f"{kind}: {missing[0]} truth rows point nowhere in {name}"


def test_zero_rates_remove_every_mess(clean_landing: pathlib.Path):
    con = duckdb.connect()
    truth = clean_landing / "_truth"
    # trials, acquisition channels and churn reasons are the company's facts, not messes:
    # their truth rows stay in messes.csv whatever the mess rates
    facts = "('trial', 'acquisition_channel', 'churn_reason')"
    for name, where in (("messes", f"where mess_type not in {facts}"), ("leakage", "")):
        n = con.execute(
            f"select count(*) from read_csv('{truth / (name + '.csv')}') {where}"
        ).fetchone()
        assert n[0] == 0, name
    for t in TABLES:
        # trials are their own subscriptions, written to a second file of subscription events
        expected = (
            ["part-00000", "part-00001"]
            if t.qualified == "finance__subscription_events"
            else ["part-00000"]
        )
        assert [p.name[:10] for p in files(clean_landing, t)] == expected, t.qualified
    leads = reader(files(clean_landing, table("marketing", "leads"))[0])
    offsets = con.execute(f"select count(distinct right(created_at, 6)) from {leads}").fetchone()
    assert offsets[0] == 1
    assert (
        con.execute(
            f"select count(*) from {leads} where email like '%example.com' "
            f"or became_mql_at is null and became_sql_at is not null"
        ).fetchone()[0]
        == 0
    )
    cust = reader(files(clean_landing, table("finance", "customers"))[0])
    assert (
        con.execute(
            f"select count(*) from {cust} where currency <> 'USD' or crm_account_id is null"
        ).fetchone()[0]
        == 0
    )
    ev = reader(files(clean_landing, table("finance", "subscription_events"))[0])
    assert con.execute(f"select count(*) from {ev} where plan_id like '%year%'").fetchone()[0] == 0
    for name in ("accounts", "contacts"):
        t = reader(files(clean_landing, table("sales", name))[0])
        assert con.execute(f"select count(*) from {t} where is_deleted = 'true'").fetchone()[0] == 0
    inv = reader(files(clean_landing, table("finance", "invoices"))[0])
    assert (
        con.execute(
            f"select count(*) from {inv} where status in ('void', 'uncollectible') "
            f"or amount_paid::decimal < total::decimal and status = 'paid'"
        ).fetchone()[0]
        == 0
    )


@pytest.mark.parametrize(("system", "name"), IDENTITY_TABLES)
def test_identities_cover_every_record_once(db: duckdb.DuckDBPyConnection, system, name):
    t = table(system, name)
    key = t.key[0]
    diff = db.execute(
        f"""
        with recs as (select distinct {key}::varchar as id from {name}),
             tr as (select source_record_id as id, count(*) as n from truth_identities
                    where source_system = ? and source_table = ? group by 1)
        select (select count(*) from recs anti join tr using (id)),
               (select count(*) from tr anti join recs using (id)),
               (select count(*) from tr where n > 1)""",
        [system, name],
    ).fetchone()
    assert diff == (0, 0, 0)


def _truth(db, system: str, name: str, alias: str) -> str:
    return (
        f"(select source_record_id, true_person_id as {alias}_person, true_company_id as "
        f"{alias}_company from truth_identities where source_system = '{system}' "
        f"and source_table = '{name}')"
    )


@pytest.mark.parametrize(
    ("child", "parent", "fk", "person"),
    [
        (("sales", "opportunities"), ("sales", "accounts"), "account_id", False),
        (("sales", "contacts"), ("sales", "accounts"), "account_id", False),
        (("sales", "quotes"), ("sales", "opportunities"), "opportunity_id", True),
        (("finance", "subscription_events"), ("finance", "customers"), "customer_id", True),
        (("finance", "invoices"), ("finance", "customers"), "customer_id", True),
        (("marketing", "touchpoints"), ("marketing", "leads"), "lead_id", True),
    ],
)
def test_child_truth_agrees_with_parent(db, landing, child, parent, fk, person):
    ct, pt = table(*child), table(*parent)
    raw = f"raw_{pt.name}"
    load(db, landing, pt, name=raw, current=False)
    cols = "c_company <> p_company" + (" or c_person <> p_person" if person else "")
    bad = db.execute(f"""
        select count(*) from {ct.name} c
        join {_truth(db, *child, "c")} tc on tc.source_record_id = c.{ct.key[0]}::varchar
        join (select distinct {pt.key[0]} from {raw}) p on p.{pt.key[0]} = c.{fk}
        join {_truth(db, *parent, "p")} tp on tp.source_record_id = p.{pt.key[0]}::varchar
        where {cols}""").fetchone()[0]
    linked = db.execute(f"select count(*) from {ct.name} where {fk} is not null").fetchone()[0]
    assert linked > 0 and bad == 0


def test_internal_records_are_marked_internal(db):
    bad = db.execute("""
        select count(*) from truth_identities i
        join leads l on l.lead_id = i.source_record_id and i.source_table = 'leads'
        where (lower(l.email) like '%@example.com%') <> (i.true_company_id = 'internal')
    """).fetchone()[0]
    assert bad == 0
    bad = db.execute("""
        select count(*) from truth_identities i
        join accounts a on a.account_id = i.source_record_id and i.source_table = 'accounts'
        where a.account_name ilike '%test%' and i.true_company_id <> 'internal'
    """).fetchone()[0]
    assert bad == 0


def test_duplicates_share_truth_and_look_alikes_do_not(db):
    same = db.execute("""
        select count(*), count(*) filter (where a.true_company_id = b.true_company_id)
        from truth_messes m
        join truth_identities a on a.source_record_id = m.source_record_id
        join truth_identities b on b.source_record_id = split_part(m.detail, ' ', -1)
        where m.mess_type = 'duplicate_account' and a.source_table = 'accounts'
          and b.source_table = 'accounts'""").fetchone()
    assert same[0] > 0 and same[0] == same[1]
    diff = db.execute("""
        select count(*), count(*) filter (where a.true_company_id <> b.true_company_id)
        from truth_messes m
        join truth_identities a on a.source_record_id = m.source_record_id
        join truth_identities b on b.source_record_id = split_part(m.detail, ' ', -1)
        where m.mess_type = 'similar_name_different_company' and a.source_table = 'accounts'
          and b.source_table = 'accounts'""").fetchone()
    assert diff[0] > 0 and diff[0] == diff[1]
    people = db.execute("""
        select count(*), count(*) filter (where a.true_person_id = b.true_person_id)
        from truth_messes m
        join truth_identities a on a.source_record_id = m.source_record_id
        join truth_identities b on b.source_record_id = split_part(m.detail, ' ', -1)
        where m.mess_type like 'duplicate_contact%' and a.source_table = 'contacts'
          and b.source_table = 'contacts'""").fetchone()
    assert people[0] > 0 and people[0] == people[1]
