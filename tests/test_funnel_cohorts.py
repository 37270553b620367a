"""The cohort funnel (kpi_funnel_cohorts, issue 11) against a pandas recomputation from the
landing files of a generated xs company. As in tests/test_marketing.py (whose landing readers
are reused), only identity (who is which person and customer) comes from the published
crosswalk; leads, stage dates, opportunities and the as-of date are read from the landing
files and the cohort rules are written again here. Also: the invariants against
kpi_funnel_monthly and the GE suite's ability to fail."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from .test_marketing import _as_of_date, _crosswalk, _funnel_people, _leads, _month

STAGES = ["people", "reached_mql", "reached_sql", "reached_opportunity", "reached_won"]
RATES = {
    "lead_to_mql_rate": ("reached_mql", "people"),
    "lead_to_sql_rate": ("reached_sql", "people"),
    "lead_to_opportunity_rate": ("reached_opportunity", "people"),
    "lead_to_won_rate": ("reached_won", "people"),
    "mql_to_sql_rate": ("reached_sql", "reached_mql"),
    "sql_to_opportunity_rate": ("reached_opportunity", "reached_sql"),
    "opportunity_to_won_rate": ("reached_won", "reached_opportunity"),
}


def _opportunity_people(ws, leads: pd.DataFrame, people: pd.DataFrame) -> pd.DataFrame:
    """Non-internal new_business opportunities with the person whose funnel channel they take
    (primary contact's person if that person entered the funnel, else the person of the
    customer's earliest lead if they did), read from the landing files."""
    from .test_marketing import _ts, new_business_opportunities

    opps = new_business_opportunities(ws.landing)
    opps["created_on"] = _ts(opps["created_at"]).dt.tz_localize(None).dt.normalize()
    opps["close_date"] = pd.to_datetime(opps["close_date"])
    opps["won"] = (opps["is_closed"] == "true") & (opps["is_won"] == "true")

    customer_of = _crosswalk(ws, "opportunities").set_index("record_id")["customer_id"]
    opps["customer_id"] = opps["opportunity_id"].map(customer_of)
    contact_person = _crosswalk(ws, "contacts").set_index("record_id")["person_id"]
    by_contact = opps["primary_contact_id"].map(contact_person)
    by_contact = by_contact.where(by_contact.isin(people.index))

    lead_rows = leads.merge(_crosswalk(ws, "leads"), left_on="lead_id", right_on="record_id")
    lead_rows = lead_rows[lead_rows["customer_id"].notna()]
    earliest = lead_rows.sort_values(["created_at", "lead_id"]).drop_duplicates("customer_id")
    by_customer = opps["customer_id"].map(earliest.set_index("customer_id")["person_id"])
    by_customer = by_customer.where(by_customer.isin(people.index))
    opps["person_id"] = by_contact.fillna(by_customer)
    return opps


@pytest.fixture(scope="module")
def cohorts(xs_published):
    ws, result = xs_published
    assert result.success
    leads = _leads(ws.landing)
    people = _funnel_people(leads, _crosswalk(ws, "leads"))
    as_of = _as_of_date(ws.landing)
    opps = _opportunity_people(ws, leads, people)

    columns = ["cohort_month", "channel", *STAGES, *RATES]
    published = pd.DataFrame(
        ws.query(f"select {', '.join(columns)} from marts.kpi_funnel_cohorts"), columns=columns
    )
    published["cohort_month"] = pd.to_datetime(published["cohort_month"])
    return {
        "ws": ws,
        "people": people,
        "opps": opps,
        "as_of": as_of,
        "published": published.set_index(["cohort_month", "channel"]),
    }


def _expected(people: pd.DataFrame, opps: pd.DataFrame, as_of: pd.Timestamp) -> pd.DataFrame:
    """Per person the furthest stage reached by the as-of date; a stage counts when it or a
    later one was reached; summed per (lead month, channel)."""
    mine = opps[opps["person_id"].notna()]
    had_opportunity = set(mine.loc[mine["created_on"] <= as_of, "person_id"])
    won = set(mine.loc[mine["won"] & (mine["close_date"] <= as_of), "person_id"])
    on = lambda at: at.dt.tz_localize(None).dt.normalize() <= as_of  # noqa: E731
    frame = pd.DataFrame(index=people.index)
    frame["reached_won"] = people.index.isin(won)
    frame["reached_opportunity"] = frame["reached_won"] | people.index.isin(had_opportunity)
    frame["reached_sql"] = frame["reached_opportunity"] | on(people["sql_at"])
    frame["reached_mql"] = frame["reached_sql"] | on(people["mql_at"])
    frame["people"] = True
    frame["cohort_month"] = people["lead_month"]
    frame["channel"] = people["channel"]
    as_of_month = as_of.to_period("M").to_timestamp()
    frame = frame[frame["cohort_month"] <= as_of_month]
    return frame.groupby(["cohort_month", "channel"])[STAGES].sum().astype(int)


def test_cohorts_match_a_pandas_recomputation(cohorts):
    people, opps, as_of, published = (cohorts[k] for k in ["people", "opps", "as_of", "published"])
    expected = _expected(people, opps, as_of)
    as_of_month = as_of.to_period("M").to_timestamp()

    # the spine: every month from the first cohort to the as-of month, every channel with people
    months = published.index.get_level_values("cohort_month")
    channels = published.index.get_level_values("channel")
    assert published.index.is_unique
    assert months.min() == expected.index.get_level_values("cohort_month").min()
    assert months.max() == as_of_month
    assert months.nunique() == len(pd.date_range(months.min(), as_of_month, freq="MS"))
    assert set(channels) == set(expected.index.get_level_values("channel"))
    assert len(published) == months.nunique() * channels.nunique()

    # counts per cohort equal the recomputation (zeros where nobody entered)
    assert set(expected.index) <= set(published.index)
    filled = expected.reindex(published.index, fill_value=0)
    for column in STAGES:
        mismatched = published.index[published[column] != filled[column]]
        assert len(mismatched) == 0, (column, list(mismatched[:5]))
    # the test can tell stages apart: each later stage loses people somewhere
    totals = published[STAGES].sum()
    assert totals.is_monotonic_decreasing and totals["reached_won"] > 0
    assert (totals.diff().dropna() < 0).all(), totals.to_dict()
    # someone reached SQL without an MQL date and still counts as reached MQL
    skipped = people[people["sql_at"].notna() & people["mql_at"].isna()]
    assert len(skipped) > 0

    # the rates: from the counts, null exactly where the denominator is 0, in [0, 1]
    for rate, (numerator, denominator) in RATES.items():
        want = filled[numerator] / filled[denominator].where(filled[denominator] > 0)
        got = published[rate].astype(float)
        assert (got.isna() == want.isna()).all(), rate
        assert (got - want).abs().max() < 1e-9, rate
        assert got.dropna().between(0, 1).all(), rate
    assert published["lead_to_won_rate"].isna().any() or (published["people"] > 0).all()


def test_cohorts_add_up_to_the_funnel(cohorts):
    """Invariants: every funnel person is in exactly one cohort; a cohort's people are the
    leads of kpi_funnel_monthly for the same month and channel; reached opportunity never
    exceeds the funnel persons of new_business opportunities."""
    ws, published, opps = cohorts["ws"], cohorts["published"], cohorts["opps"]
    people = cohorts["people"]
    as_of_month = cohorts["as_of"].to_period("M").to_timestamp()
    assert published["people"].sum() == (people["lead_month"] <= as_of_month).sum()

    funnel = pd.DataFrame(
        ws.query("select month, channel, leads from marts.kpi_funnel_monthly"),
        columns=["cohort_month", "channel", "leads"],
    )
    funnel["cohort_month"] = pd.to_datetime(funnel["cohort_month"])
    funnel = funnel.set_index(["cohort_month", "channel"])["leads"]
    aligned = funnel.reindex(published.index, fill_value=0)
    assert (aligned == published["people"]).all()
    outside = funnel[~funnel.index.isin(published.index)]
    assert (outside == 0).all()

    # opportunity people: each funnel person of an opportunity once (deals channeled by
    # lead_source only have no person), never more than the funnel's opportunities
    (opportunities,) = ws.query("select sum(opportunities) from marts.kpi_funnel_monthly")[0]
    assert published["reached_opportunity"].sum() <= opportunities
    assert published["reached_opportunity"].sum() == opps["person_id"].nunique()


def test_cohort_suite_fails_on_broken_cohorts(xs_published, tmp_path: Path):
    from orchestration.checks.suites_cohort import COHORT_SUITES
    from revops.quality import ERROR, run_suite

    ws, _ = xs_published
    database = tmp_path / "work.duckdb"
    shutil.copy(ws.warehouse / "work.duckdb", database)
    suite = COHORT_SUITES[("marts", "kpi_funnel_cohorts")]
    assert run_suite(database, suite, tmp_path / "docs").severity is None

    breakages = [
        (
            "update marts.kpi_funnel_cohorts set reached_won = reached_opportunity + 1 "
            "where people > 0 and cohort_month = (select min(cohort_month) "
            "from marts.kpi_funnel_cohorts)",
            "the counts never grow along the stages",
        ),
        (
            "update marts.kpi_funnel_cohorts set people = people + 1, lead_to_mql_rate = "
            "reached_mql / (people + 1), lead_to_sql_rate = reached_sql / (people + 1), "
            "lead_to_opportunity_rate = reached_opportunity / (people + 1), lead_to_won_rate = "
            "reached_won / (people + 1) where people > 0 and cohort_month = "
            "(select max(cohort_month) from marts.kpi_funnel_cohorts where people > 0)",
            "every funnel person is in exactly one cohort",
        ),
        (
            "update marts.kpi_funnel_cohorts set opportunity_to_won_rate = null "
            "where reached_opportunity > 0",
            "a rate is null exactly when its denominator is 0",
        ),
        (
            "delete from marts.kpi_funnel_cohorts where cohort_month = "
            "(select max(cohort_month) from marts.kpi_funnel_cohorts) and channel = "
            "(select min(channel) from marts.kpi_funnel_cohorts)",
            "every channel has every cohort month of the spine",
        ),
    ]
    for breaking_sql, description in breakages:
        broken = tmp_path / "broken.duckdb"
        shutil.copy(database, broken)
        con = duckdb.connect(str(broken))
        con.execute(breaking_sql)
        con.close()
        result = run_suite(broken, suite, tmp_path / "docs")
        assert result.severity == ERROR, description
        assert any(description in (o.description or "") for o in result.failures), description
        broken.unlink()


def test_month_helper_is_utc_calendar_month():
    """The reused helper takes the UTC calendar month (a guard on the shared code)."""
    at = pd.Series(pd.to_datetime(["2025-01-31T23:30:00Z", "2025-02-01T00:00:00Z"], utc=True))
    assert list(_month(at)) == [pd.Timestamp("2025-01-01"), pd.Timestamp("2025-02-01")]


def test_dashboard_cohort_section_and_all_channel_acceptance(xs_published, monkeypatch):
    """The funnel page's cohort figures and the all-channel lead acceptance are sums of
    counts over the chosen months (never averaged rates), for all channels and one."""
    from streamlit.testing.v1 import AppTest

    from revops import paths

    from .test_dashboard import as_of_month, close, start_month

    ws, _ = xs_published
    monkeypatch.setenv("REVOPS_WAREHOUSE_DIR", str(ws.warehouse))
    app = Path(paths.REPO_ROOT) / "revops" / "dashboard" / "app.py"
    at = AppTest.from_file(str(app), default_timeout=60).run()
    at.switch_page("views/funnel.py").run()
    assert not at.exception, at.exception
    months = [start_month(ws), as_of_month(ws)]

    def expected(channel: str | None) -> dict:
        where = "" if channel is None else " and channel = ?"
        people, won = ws.query(
            "select sum(people), sum(reached_won) from marts.kpi_funnel_cohorts "
            f"where cohort_month between ? and ?{where}",
            months + ([channel] if channel else []),
        )[0]
        return {"Cohort people": people, "Cohort lead to won": won / people}

    shown = {m.label: m.value for m in at.metric}
    for label, value in expected(None).items():
        assert close(shown[label], value), (label, shown[label], value)
    accepted, mqls = ws.query(
        "select sum(accepted_mqls), sum(mqls) from marts.kpi_funnel_monthly "
        "where month between ? and ?",
        months,
    )[0]
    assert close(shown["Lead acceptance"], accepted / mqls)

    (channel,) = ws.query(
        "select channel from marts.kpi_funnel_cohorts group by 1 order by sum(people) limit 1"
    )[0]
    at.selectbox(key="cohort_channel").select(channel).run()
    assert not at.exception, at.exception
    shown = {m.label: m.value for m in at.metric}
    for label, value in expected(channel).items():
        assert close(shown[label], value), (channel, label, shown[label], value)
