"""Customer-success marts (kpi_definitions.md "Success") against a pandas recomputation from the
landing files of a generated xs company, and their Great Expectations suites shown able to
fail. Identity resolution is taken from marts.identity_crosswalk as input (the person and
customer of each NPS answer, the customer of each billing customer); everything else is
recomputed here without the dbt models' code."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

from .recompute import month_end_mrr_by_billing_customer, newest, read_csvs

INTERNAL_EMAIL = r"@(?:[a-z0-9-]+\.)*example\.com$"


def _frame(ws, sql: str, columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame(ws.query(sql), columns=columns)


def _utc(series: pd.Series) -> pd.Series:
    return pd.to_datetime(series, utc=True, format="ISO8601").dt.tz_localize(None)


def _month(series: pd.Series) -> pd.Series:
    return series.dt.to_period("M").dt.to_timestamp()


def _internal_accounts(landing: Path) -> set[str]:
    accounts = newest(read_csvs(landing / "sales" / "accounts"), ["account_id"])
    accounts = accounts[accounts["is_deleted"] != "true"]
    internal = accounts["account_name"].str.lower().str.contains("test", na=False) | accounts[
        "website"
    ].str.lower().str.contains("example.com", na=False)
    return set(accounts.loc[internal, "account_id"])


def _is_internal(emails: pd.Series, accounts: pd.Series, internal_accounts: set[str]):
    by_email = emails.str.strip().str.lower().str.contains(INTERNAL_EMAIL, na=False)
    return by_email | accounts.isin(internal_accounts)


def _tickets(landing: Path) -> pd.DataFrame:
    tickets = newest(read_csvs(landing / "success" / "tickets"), ["ticket_id"])
    internal = _is_internal(
        tickets["requester_email"], tickets["account_id"], _internal_accounts(landing)
    )
    tickets = tickets[~internal].copy()
    for column in ["created_at", "first_response_at", "solved_at"]:
        tickets[column] = _utc(tickets[column])
    tickets["csat_score"] = pd.to_numeric(tickets["csat_score"])
    return tickets


def _normalized_email(emails: pd.Series) -> pd.Series:
    """The address a person is reached at (lower case, no +tag, registrable domain)."""
    e = emails.fillna("").str.strip().str.lower()
    valid = e.str.match(r"^[^@\s]+@[^@\s]+\.[a-z]{2,}$")
    local = e.str.extract(r"^([^@+]+)")[0]
    host = e.str.extract(r"@([^@\s]+)$")[0].fillna("")
    three = host.str.contains(r"\.(?:co|com|org|net|ac|gov)\.[a-z]{2}$")
    domain = host.str.extract(r"([^.]+\.[^.]+\.[^.]+)$")[0].where(
        three, host.str.extract(r"([^.]+\.[^.]+)$")[0]
    )
    return (local + "@" + domain).where(valid)


def _nps_answers(ws) -> pd.DataFrame:
    """Valid, non-internal answers with respondent key and the crosswalk's customer."""
    frames = []
    for file in sorted((ws.landing / "success" / "nps_responses").glob("*.jsonl")):
        frame = pd.read_json(file, lines=True, dtype={"response_id": str, "account_id": str})
        frame["_file"] = file.name
        frame["_row"] = range(len(frame))
        frames.append(frame)
    answers = pd.concat(frames, ignore_index=True).drop_duplicates("response_id", keep="last")
    internal = _is_internal(answers["email"], answers["account_id"], _internal_accounts(ws.landing))
    answers = answers[~internal & answers["score"].between(0, 10)].copy()
    crosswalk = _frame(
        ws,
        "select source_record_id, person_id, customer_id from marts.identity_crosswalk "
        "where source_table = 'nps_responses'",
        ["response_id", "person_id", "customer_id"],
    )
    answers = answers.merge(crosswalk, on="response_id", how="left")
    answers["respondent"] = (
        ("person:" + answers["person_id"])
        .fillna("email:" + _normalized_email(answers["email"]))
        .fillna("response:" + answers["response_id"])
    )
    answers["responded_at"] = _utc(answers["responded_at"])
    answers["month"] = _month(answers["responded_at"])
    return answers


def test_success_kpis_match_a_pandas_recomputation(xs_published):
    ws, _ = xs_published
    published = _frame(
        ws,
        "select month, tickets_solved, csat, nps, nps_answers, first_response_hours_median, "
        "resolution_hours_median from marts.kpi_success_monthly order by month",
        ["month", "solved", "csat", "nps", "answers", "first_response", "resolution"],
    )
    published["month"] = pd.to_datetime(published["month"])
    tickets = _tickets(ws.landing)
    answers = _nps_answers(ws)

    # a solve before creation is a negative duration: the duration is ignored (it leaves the
    # resolution median), not the ticket, which is solved in its month with its CSAT score
    solved = tickets[tickets["solved_at"].notna()]
    assert (tickets["solved_at"] < tickets["created_at"]).any(), "the generator plants these"
    solved = solved.assign(
        month=_month(solved["solved_at"]),
        hours=(solved["solved_at"] - solved["created_at"]).dt.total_seconds() / 3600,
    )
    scored = solved[solved["csat_score"].between(1, 5)]
    assert (~tickets["csat_score"].dropna().between(1, 5)).any(), "the generator plants these"
    responded = tickets[tickets["first_response_at"] >= tickets["created_at"]]
    responded = responded.assign(
        month=_month(responded["created_at"]),
        hours=(responded["first_response_at"] - responded["created_at"]).dt.total_seconds() / 3600,
    )
    latest = answers.sort_values(["responded_at", "response_id"]).drop_duplicates(
        ["respondent", "month"], keep="last"
    )
    assert len(latest) < len(answers), "some people answer twice in a month"

    first_month = min(_month(tickets["created_at"]).min(), answers["month"].min())
    last_month = ws.query("select max(month) from marts.kpi_revenue_monthly")[0][0]
    assert list(published["month"]) == list(
        pd.date_range(first_month, pd.Timestamp(last_month), freq="MS")
    )
    assert published["solved"].sum() > 0 and published["answers"].sum() > 0
    for row in published.itertuples():
        m = row.month
        s = solved[solved["month"] == m]
        assert row.solved == len(s), m
        c = scored[scored["month"] == m]["csat_score"]
        if len(c):
            assert row.csat == pytest.approx((c >= 4).mean()), m
        else:
            assert pd.isna(row.csat), m
        a = latest[latest["month"] == m]["score"]
        assert row.answers == len(a), m
        if len(a):
            expected_nps = 100 * ((a >= 9).mean() - (a <= 6).mean())
            assert row.nps == pytest.approx(expected_nps), m
        else:
            assert pd.isna(row.nps), m
        r = responded[responded["month"] == m]["hours"]
        assert (pd.isna(row.first_response) and r.empty) or row.first_response == pytest.approx(
            r.median()
        ), m
        h = s["hours"][s["hours"] >= 0]
        assert (pd.isna(row.resolution) and h.empty) or row.resolution == pytest.approx(
            h.median()
        ), m


@pytest.fixture(scope="module")
def month_end_mrr(xs_published) -> pd.DataFrame:
    """Month-end MRR per resolved customer (rows) and month (columns), from the landing
    files; the month before the revenue spine is included as 0s."""
    ws, _ = xs_published
    months = [pd.Timestamp(m) for (m,) in ws.query("select month from marts.kpi_revenue_monthly")]
    months.sort()
    all_months = [months[0] - pd.DateOffset(months=1), *months]
    billing = month_end_mrr_by_billing_customer(ws.landing, all_months)
    owner = dict(
        ws.query(
            "select source_record_id, customer_id from marts.identity_crosswalk "
            "where source_table = 'customers' and customer_id is not null"
        )
    )
    billing["customer_id"] = billing["billing_customer_id"].map(owner)
    return (
        billing.dropna(subset=["customer_id"])
        .groupby(["customer_id", "month"])["mrr_usd"]
        .sum()
        .round(2)
        .unstack("month", fill_value=0.0)
        .reindex(columns=all_months, fill_value=0.0)
    )


def test_upsell_rate_matches_a_pandas_recomputation(xs_published, month_end_mrr):
    ws, _ = xs_published
    mrr = month_end_mrr
    published = _frame(
        ws,
        "select quarter, customers_at_start, upsold_customers, upsell_rate "
        "from marts.kpi_upsell_quarterly order by quarter",
        ["quarter", "at_start", "upsold", "rate"],
    )
    months = list(mrr.columns)
    expanded = pd.DataFrame(
        {m: (mrr[p] > 0) & (mrr[m] > mrr[p]) for p, m in zip(months, months[1:], strict=False)}
    )
    quarters = pd.date_range(months[1].to_period("Q").to_timestamp(), months[-1], freq="QS")
    assert [pd.Timestamp(q) for q in published["quarter"]] == list(quarters)
    assert published["upsold"].sum() > 0
    for row, quarter in zip(published.itertuples(), quarters, strict=True):
        before = quarter - pd.DateOffset(months=1)
        at_start = mrr[before] > 0 if before in mrr.columns else pd.Series(False, mrr.index)
        in_quarter = [
            m for m in expanded.columns if quarter <= m < quarter + pd.DateOffset(months=3)
        ]
        upsold = at_start & expanded[in_quarter].any(axis=1)
        assert row.at_start == at_start.sum(), quarter
        assert row.upsold == upsold.sum(), quarter
        if at_start.sum():
            assert row.rate == pytest.approx(upsold.sum() / at_start.sum()), quarter
        else:
            assert pd.isna(row.rate), quarter


def test_churn_by_nps_band_matches_a_pandas_recomputation(xs_published, month_end_mrr):
    ws, _ = xs_published
    mrr = month_end_mrr
    published = _frame(
        ws,
        "select month, nps_band, customers, churned_customers, logo_churn_rate "
        "from marts.kpi_churn_by_nps_band",
        ["month", "band", "customers", "churned", "rate"],
    )
    published["month"] = pd.to_datetime(published["month"])
    published = published.set_index(["month", "band"]).sort_index()
    answers = _nps_answers(ws).dropna(subset=["customer_id"])
    answers = answers.sort_values(["responded_at", "response_id"])
    bands = np.select(
        [answers["score"] >= 9, answers["score"] >= 7], ["promoter", "passive"], "detractor"
    )
    answers = answers.assign(band=bands)
    months = list(mrr.columns)
    assert sorted(published.index.get_level_values("month").unique()) == months[1:]
    counted = set()
    for previous, month in zip(months, months[1:], strict=False):
        paying = mrr.index[mrr[previous] > 0]
        window = answers[
            (answers["responded_at"] >= month - pd.Timedelta(hours=90 * 24))
            & (answers["responded_at"] < month)
        ]
        latest = window.drop_duplicates("customer_id", keep="last").set_index("customer_id")
        band = latest["band"].reindex(paying).fillna("none")
        churned = mrr.loc[paying, month] == 0
        for name in ["promoter", "passive", "detractor", "none"]:
            row = published.loc[(month, name)]
            members = band.index[band == name]
            assert row["customers"] == len(members), (month, name)
            assert row["churned"] == churned[members].sum(), (month, name)
            if len(members):
                assert row["rate"] == pytest.approx(churned[members].mean()), (month, name)
                counted.add(name)
            else:
                assert pd.isna(row["rate"]), (month, name)
    assert counted == {"promoter", "passive", "detractor", "none"}
    # detractors churn more than promoters (the generator ties NPS to churn)
    totals = published.groupby(level="band")[["customers", "churned"]].sum()
    rates = totals["churned"] / totals["customers"]
    assert rates["detractor"] > rates["promoter"]


CORRUPTIONS = {
    "kpi_success_monthly": "update marts.kpi_success_monthly set tickets_solved = "
    "tickets_solved + 1 where month = (select max(month) from marts.kpi_success_monthly)",
    "kpi_upsell_quarterly": "update marts.kpi_upsell_quarterly set customers_at_start = "
    "customers_at_start + 1",
    "kpi_churn_by_nps_band": "update marts.kpi_churn_by_nps_band set churned_customers = "
    "churned_customers + 1 where nps_band = 'none' and customers > churned_customers",
}


def test_success_suites_pass_and_can_fail(xs_published, tmp_path: Path):
    from orchestration.checks.suites_success import SUCCESS_SUITES
    from revops.quality import ERROR, run_suite

    ws, _ = xs_published
    database = tmp_path / "work.duckdb"
    shutil.copy(ws.warehouse / "work.duckdb", database)
    for suite in SUCCESS_SUITES.values():
        assert run_suite(database, suite, tmp_path / "docs").severity is None, suite.name
    con = duckdb.connect(str(database))
    for sql in CORRUPTIONS.values():
        con.execute(sql)
    con.close()
    for suite in SUCCESS_SUITES.values():
        result = run_suite(database, suite, tmp_path / "docs")
        assert result.severity == ERROR, suite.name
        assert any("unexpected_rows" in o.expectation.lower() for o in result.failures), (
            suite.name,
            [o.describe() for o in result.failures],
        )
    con = duckdb.connect(str(database))
    for table in CORRUPTIONS:
        con.execute(f"delete from marts.{table}")
    con.close()
    for suite in SUCCESS_SUITES.values():
        result = run_suite(database, suite, tmp_path / "docs")
        assert any("row_count" in o.expectation for o in result.failures if o.blocking)


def test_a_negative_duration_leaves_the_medians_not_the_ticket(xs_published):
    """Tickets stamped solved (or answered) before their creation: each still counts as
    solved in its solved month with its CSAT score; only its duration is missing."""
    ws, _ = xs_published
    tickets = _tickets(ws.landing)
    early = tickets[tickets["solved_at"] < tickets["created_at"]]
    assert len(early) > 0, "the generator plants these"
    published = {
        row[0]: row[1:]
        for row in ws.query(
            "select ticket_id, is_solved, solved_on, csat_score, resolution_hours "
            "from marts.fct_tickets"
        )
    }
    for ticket in early.itertuples():
        is_solved, solved_on, csat, hours = published[ticket.ticket_id]
        assert is_solved and solved_on == ticket.solved_at.date(), ticket.ticket_id
        assert csat == (ticket.csat_score if 1 <= ticket.csat_score <= 5 else None)
        assert hours is None, ticket.ticket_id
    # a response before creation (none planted at xs; the dbt unit test has one)
    responded_early = tickets[tickets["first_response_at"] < tickets["created_at"]]
    hours = dict(ws.query("select ticket_id, first_response_hours from marts.fct_tickets"))
    assert all(hours[t] is None for t in responded_early["ticket_id"])
