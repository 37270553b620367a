"""The marketing marts against a pandas recomputation from the landing files of a generated
xs company (kpi_definitions.md "Marketing"). Only identity (who is which person and customer) is taken
from the published crosswalk and dim_people; leads, stages, opportunities, touchpoints, ad
spend, FX and the as-of date are read from the landing files and the rules are written again
here, sharing no code with the dbt models. Also: the GE suites of the marketing marts can fail."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from revops.contract import CHANNELS

from .recompute import month_end_mrr_by_billing_customer, newest, read_csvs, to_usd, usd_rates

MODELS = ["first_touch", "last_touch", "linear"]


def _read(folder: Path) -> pd.DataFrame:
    """Every file of a landing table (CSV, Parquet or JSONL) as text, in file-name order."""
    frames = []
    for file in sorted(folder.iterdir()):
        if file.suffix == ".csv":
            frame = pd.read_csv(file, dtype=str)
        elif file.suffix == ".parquet":
            frame = pd.read_parquet(file)
        elif file.suffix == ".jsonl":
            frame = pd.read_json(file, lines=True, dtype=False)
        else:
            continue
        frame["_file"] = file.name
        frame["_row"] = range(len(frame))
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


def _ts(values: pd.Series) -> pd.Series:
    return pd.to_datetime(values, utc=True, format="ISO8601")


def _month(values: pd.Series) -> pd.Series:
    return values.dt.tz_localize(None).dt.to_period("M").dt.to_timestamp()


def _last_wins(frame: pd.DataFrame, key: list[str]) -> pd.DataFrame:
    return frame.sort_values(["_file", "_row"]).drop_duplicates(key, keep="last")


def _not_deleted(frame: pd.DataFrame) -> pd.DataFrame:
    return frame[frame["is_deleted"].astype(str).str.lower() != "true"]


def _crosswalk(ws, table: str) -> pd.DataFrame:
    return pd.DataFrame(
        ws.query(
            "select source_record_id, person_id, customer_id from marts.identity_crosswalk "
            "where source_table = ?",
            [table],
        ),
        columns=["record_id", "person_id", "customer_id"],
    )


def _as_of_date(landing: Path) -> pd.Timestamp:
    """kpi_definitions.md: the UTC date of the newest occurred_at / created_at of the current rows."""
    newest_at = []
    for system, table, column, key, deletable in [
        ("marketing", "leads", "created_at", ["lead_id"], False),
        ("marketing", "touchpoints", "occurred_at", ["touchpoint_id"], False),
        ("sales", "accounts", "created_at", ["account_id"], True),
        ("sales", "contacts", "created_at", ["contact_id"], True),
        ("sales", "opportunities", "created_at", ["opportunity_id"], True),
        ("success", "tickets", "created_at", ["ticket_id"], False),
        ("finance", "customers", "created_at", ["customer_id"], False),
        ("finance", "subscription_events", "occurred_at", ["event_id"], False),
    ]:
        frame = _read(landing / system / table)
        frame = newest(frame, key) if "updated_at" in frame else _last_wins(frame, key)
        if deletable:
            frame = _not_deleted(frame)
        newest_at.append(_ts(frame[column]).max())
    return max(newest_at).tz_localize(None).normalize()


def _leads(landing: Path) -> pd.DataFrame:
    leads = newest(read_csvs(landing / "marketing" / "leads"), ["lead_id"])
    internal = (
        leads["email"]
        .str.strip()
        .str.lower()
        .str.contains(r"@(?:[a-z0-9-]+\.)*example\.com$", na=False)
        | leads["company_name"].str.lower().str.contains("test", na=False)
        | leads["company_domain"]
        .str.strip()
        .str.lower()
        .str.contains(r"(?:^|[/.@])example\.com(?:/|$)", na=False)
    )
    leads = leads[~internal].copy()
    for column in ["created_at", "became_mql_at", "became_sql_at"]:
        leads[column] = _ts(leads[column])
    leads["original_source_channel"] = leads["original_source_channel"].fillna("unknown")
    return leads


def _funnel_people(leads: pd.DataFrame, lead_people: pd.DataFrame) -> pd.DataFrame:
    """One row per person: channel and month of the earliest lead, earliest MQL and SQL."""
    people = leads.merge(lead_people, left_on="lead_id", right_on="record_id")
    people = people[people["person_id"].notna()]
    first = people.sort_values(["created_at", "lead_id"]).drop_duplicates("person_id")
    first = first.set_index("person_id")
    result = pd.DataFrame(
        {
            "channel": first["original_source_channel"],
            "lead_month": _month(first["created_at"]),
            "mql_at": people.groupby("person_id")["became_mql_at"].min(),
            "sql_at": people.groupby("person_id")["became_sql_at"].min(),
        }
    )
    result["mql_month"] = _month(result["mql_at"])
    result["sql_month"] = _month(result["sql_at"])
    return result


def new_business_opportunities(landing: Path) -> pd.DataFrame:
    """Current new_business opportunities of accounts that are not test accounts (a name
    with "test" or an example.com website)."""
    accounts = _not_deleted(newest(read_csvs(landing / "sales" / "accounts"), ["account_id"]))
    internal = accounts["account_name"].str.lower().str.contains("test", na=False) | accounts[
        "website"
    ].str.lower().str.contains(r"(?:^|[/.@])example\.com(?:/|$)", na=False)
    opps = _not_deleted(newest(read_csvs(landing / "sales" / "opportunities"), ["opportunity_id"]))
    return opps[
        (opps["opportunity_type"] == "new_business")
        & ~opps["account_id"].isin(set(accounts.loc[internal, "account_id"]))
    ].copy()


def _new_business(landing: Path, ws, leads: pd.DataFrame, people: pd.DataFrame) -> pd.DataFrame:
    """Non-internal new_business opportunities with their funnel channel and USD amount."""
    opps = new_business_opportunities(landing)
    opps["created_at"] = _ts(opps["created_at"])
    opps["close_date"] = pd.to_datetime(opps["close_date"])
    opps["won"] = (opps["is_closed"] == "true") & (opps["is_won"] == "true")
    opps["amount"] = opps["amount"].astype(float)
    opps["rate_on"] = opps["close_date"].where(
        opps["is_closed"] == "true", opps["created_at"].dt.tz_localize(None).dt.normalize()
    )
    opps["amount_usd"] = to_usd(opps, "amount", "rate_on", usd_rates(landing))

    customer_of = _crosswalk(ws, "opportunities").set_index("record_id")["customer_id"]
    opps["customer_id"] = opps["opportunity_id"].map(customer_of)
    contact_person = _crosswalk(ws, "contacts").set_index("record_id")["person_id"]
    contact_channel = opps["primary_contact_id"].map(contact_person).map(people["channel"])

    lead_rows = leads.merge(_crosswalk(ws, "leads"), left_on="lead_id", right_on="record_id")
    lead_rows = lead_rows[lead_rows["customer_id"].notna()]
    earliest = lead_rows.sort_values(["created_at", "lead_id"]).drop_duplicates("customer_id")
    customer_person = earliest.set_index("customer_id")["person_id"]
    customer_channel = opps["customer_id"].map(customer_person).map(people["channel"])

    acquisition_channel = opps["customer_id"].map(_acquisition_channels(landing, ws))
    source_channel = opps["lead_source"].where(opps["lead_source"].isin(CHANNELS))
    opps["channel"] = (
        contact_channel.fillna(customer_channel)
        .fillna(acquisition_channel)
        .fillna(source_channel)
        .fillna("unknown")
    )
    return opps


def _acquisition_channels(landing: Path, ws) -> pd.Series:
    """customer_id -> the acquisition channel of its earliest CRM account that has one, else
    of its earliest billing customer that has one (ties: the smaller id)."""
    records = []
    for system, table, key, deletable in (
        ("sales", "accounts", "account_id", True),
        ("finance", "customers", "customer_id", False),
    ):
        rows = newest(read_csvs(landing / system / table), [key])
        if deletable:
            rows = _not_deleted(rows)
        if "acquisition_channel" not in rows:
            continue
        rows = rows[rows["acquisition_channel"].fillna("") != ""].rename(columns={key: "record"})
        rows = rows.merge(_crosswalk(ws, table), left_on="record", right_on="record_id")
        rows["rank"] = 1 if table == "accounts" else 2
        rows["created_at"] = _ts(rows["created_at"])
        records.append(rows[["customer_id", "rank", "created_at", "record", "acquisition_channel"]])
    if not records:
        return pd.Series(dtype=object)
    ranked = pd.concat(records).dropna(subset=["customer_id"])
    ranked = ranked.sort_values(["rank", "created_at", "record"])
    return ranked.drop_duplicates("customer_id").set_index("customer_id")["acquisition_channel"]


def _ad_spend(landing: Path) -> pd.DataFrame:
    spend = _last_wins(read_csvs(landing / "marketing" / "ad_spend"), ["campaign_id", "spend_date"])
    spend = spend.copy()
    spend["spend_date"] = pd.to_datetime(spend["spend_date"])
    spend["spend_amount"] = spend["spend_amount"].astype(float)
    spend["spend_usd"] = to_usd(spend, "spend_amount", "spend_date", usd_rates(landing))
    return spend


@pytest.fixture(scope="module")
def marketing(xs_published):
    ws, result = xs_published
    assert result.success
    leads = _leads(ws.landing)
    lead_people = _crosswalk(ws, "leads")
    people = _funnel_people(leads, lead_people)
    opps = _new_business(ws.landing, ws, leads, people)
    return {
        "ws": ws,
        "as_of": _as_of_date(ws.landing),
        "people": people,
        "opps": opps,
        "spend": _ad_spend(ws.landing),
        "lead_records": int(leads["lead_id"].isin(lead_people["record_id"]).sum()),
    }


def test_funnel_matches_a_pandas_recomputation(marketing):
    ws, people, opps, spend, as_of = (
        marketing[k] for k in ["ws", "people", "opps", "spend", "as_of"]
    )
    as_of_month = as_of.to_period("M").to_timestamp()
    accepted = people[people["mql_at"].notna() & people["sql_at"].notna()]
    won = opps[opps["won"]]
    expected = pd.DataFrame(
        {
            "leads": people.groupby(["lead_month", "channel"]).size(),
            "mqls": people.groupby(["mql_month", "channel"]).size(),
            "sqls": people.groupby(["sql_month", "channel"]).size(),
            "accepted_mqls": accepted.groupby(["mql_month", "channel"]).size(),
            "opportunities": opps.groupby([_month(opps["created_at"]), "channel"]).size(),
            "won": won.groupby(
                [won["close_date"].dt.to_period("M").dt.to_timestamp(), "channel"]
            ).size(),
            "ad_spend_usd": spend.groupby(
                [spend["spend_date"].dt.to_period("M").dt.to_timestamp(), "channel"]
            )["spend_usd"].sum(),
        }
    ).fillna(0)
    expected.index.names = ["month", "channel"]
    expected = expected[expected.index.get_level_values("month") <= as_of_month]

    columns = [
        "month", "channel", "leads", "mqls", "sqls", "accepted_mqls", "opportunities", "won",
        "ad_spend_usd", "lead_acceptance_rate", "cost_per_lead_usd", "cost_per_mql_usd",
    ]  # fmt: skip
    published = pd.DataFrame(
        ws.query(f"select {', '.join(columns)} from marts.kpi_funnel_monthly"), columns=columns
    )
    published["month"] = pd.to_datetime(published["month"])
    published = published.set_index(["month", "channel"])

    # the spine: every month from the first with data to the as-of month, every channel
    months = published.index.get_level_values("month")
    assert months.max() == as_of_month
    assert months.min() == expected.index.get_level_values("month").min()
    assert published.index.is_unique
    assert set(published.index.get_level_values("channel")) == set(
        expected.index.get_level_values("channel")
    )
    assert (
        len(published) == months.nunique() * published.index.get_level_values("channel").nunique()
    )
    # (month, channel) rows without anything are zeros; the others match the recomputation
    assert set(expected.index) <= set(published.index)
    filled = expected.reindex(published.index, fill_value=0)
    for column in ["leads", "mqls", "sqls", "accepted_mqls", "opportunities", "won"]:
        mismatched = (published[column] != filled[column].astype(int)).sum()
        assert mismatched == 0, column
    assert (published["ad_spend_usd"] - filled["ad_spend_usd"]).abs().max() < 0.01

    # the rates, recomputed from the counts; null exactly where the denominator is 0
    rate = filled["accepted_mqls"] / filled["mqls"].where(filled["mqls"] > 0)
    cpl = filled["ad_spend_usd"] / filled["leads"].where(filled["leads"] > 0)
    cpm = filled["ad_spend_usd"] / filled["mqls"].where(filled["mqls"] > 0)
    for column, want in [
        ("lead_acceptance_rate", rate),
        ("cost_per_lead_usd", cpl),
        ("cost_per_mql_usd", cpm),
    ]:
        got = published[column].astype(float)
        assert (got.isna() == want.isna()).all(), column
        assert (got - want).abs().max() < 1e-6, column
    assert published["lead_acceptance_rate"].dropna().between(0, 1).all()

    # people, not lead records: a person with several leads counts once
    assert published["leads"].sum() == len(people[people["lead_month"] <= as_of_month])
    assert marketing["lead_records"] > len(people)


def _attribution(marketing) -> pd.DataFrame:
    ws, opps, as_of = marketing["ws"], marketing["opps"], marketing["as_of"]
    deals = opps[opps["won"] & (opps["close_date"] <= as_of)]
    touches = _read(ws.landing / "marketing" / "touchpoints")
    touches = _last_wins(touches, ["touchpoint_id"])
    touches["occurred_at"] = _ts(touches["occurred_at"])
    touches = touches.merge(
        _crosswalk(ws, "touchpoints"), left_on="touchpoint_id", right_on="record_id"
    )
    company = dict(ws.query("select person_id, customer_id from marts.dim_people"))
    touches["customer_id"] = touches["person_id"].map(company)
    touches = touches[touches["customer_id"].notna()]
    by_customer = {c: t for c, t in touches.groupby("customer_id")}

    rows = []
    for deal in deals.itertuples():
        quarter = deal.close_date.to_period("Q").to_timestamp()
        mine = by_customer.get(deal.customer_id)
        before = mine[mine["occurred_at"] < deal.created_at] if mine is not None else pd.DataFrame()
        if before.empty:
            rows += [(quarter, "unknown", m, deal.amount_usd) for m in MODELS]
            continue
        ordered = before.sort_values(["occurred_at", "touchpoint_id"])
        rows.append((quarter, ordered["channel"].iloc[0], "first_touch", deal.amount_usd))
        rows.append((quarter, ordered["channel"].iloc[-1], "last_touch", deal.amount_usd))
        share = deal.amount_usd / len(ordered)
        rows += [(quarter, channel, "linear", share) for channel in ordered["channel"]]
    credited = pd.DataFrame(rows, columns=["quarter", "channel", "attribution_model", "usd"])
    return credited.groupby(["quarter", "channel", "attribution_model"])["usd"].sum()


def test_attribution_matches_a_pandas_recomputation_and_sums_to_bookings(marketing):
    ws, opps, spend, as_of = (marketing[k] for k in ["ws", "opps", "spend", "as_of"])
    expected = _attribution(marketing)
    published = pd.DataFrame(
        ws.query(
            "select quarter, channel, attribution_model, attributed_bookings_usd, ad_spend_usd, "
            "roi from marts.kpi_marketing_attribution"
        ),
        columns=["quarter", "channel", "attribution_model", "usd", "ad_spend_usd", "roi"],
    )
    published["quarter"] = pd.to_datetime(published["quarter"])
    published = published.set_index(["quarter", "channel", "attribution_model"])
    assert published.index.is_unique
    assert set(expected.index) <= set(published.index)
    filled = expected.reindex(published.index, fill_value=0.0)
    assert (published["usd"] - filled).abs().max() < 0.01

    # the invariant: under every model each quarter's channels sum to its won bookings
    deals = opps[opps["won"] & (opps["close_date"] <= as_of)]
    bookings = deals.groupby(deals["close_date"].dt.to_period("Q").dt.to_timestamp())[
        "amount_usd"
    ].sum()
    assert bookings.sum() > 0
    for model in MODELS:
        sums = published.xs(model, level="attribution_model")["usd"].groupby(level="quarter").sum()
        gap = (sums - bookings.reindex(sums.index, fill_value=0.0)).abs()
        assert gap.max() < 0.01, model
        assert set(bookings.index) <= set(sums.index)
    # the models really differ (a test that cannot tell them apart proves little)
    by_model = published["usd"].unstack("attribution_model")
    assert (by_model["first_touch"] - by_model["last_touch"]).abs().max() > 1

    # spend by quarter and channel, and ROI = (bookings - spend) / spend, null without spend
    spend = spend[spend["spend_date"] <= as_of]
    quarterly = spend.groupby([spend["spend_date"].dt.to_period("Q").dt.to_timestamp(), "channel"])[
        "spend_usd"
    ].sum()
    quarter_channel = published.index.droplevel("attribution_model")
    want_spend = quarterly.reindex(quarter_channel, fill_value=0.0).to_numpy()
    assert abs(published["ad_spend_usd"].to_numpy() - want_spend).max() < 0.01
    want_roi = (published["usd"] - want_spend) / pd.Series(want_spend, index=published.index).where(
        want_spend > 0
    )
    assert (published["roi"].isna() == want_roi.isna()).all()
    assert (published["roi"] - want_roi).abs().max() < 1e-6
    assert published["roi"].isna().any() and published["roi"].notna().any()


def test_marketing_suites_fail_on_broken_marts(xs_published, tmp_path: Path):
    """Each suite passes on the published run and fails when its invariant is broken."""
    from orchestration.checks.suites_marketing import MARKETING_SUITES
    from revops.quality import ERROR, run_suite

    ws, _ = xs_published
    database = tmp_path / "work.duckdb"
    shutil.copy(ws.warehouse / "work.duckdb", database)
    funnel = MARKETING_SUITES[("marts", "kpi_funnel_monthly")]
    attribution = MARKETING_SUITES[("marts", "kpi_marketing_attribution")]
    for suite in (funnel, attribution):
        assert run_suite(database, suite, tmp_path / "docs").severity is None, suite.name

    breakages = [
        (
            funnel,
            "update marts.kpi_funnel_monthly set leads = leads + 1 "
            "where month = (select min(month) from marts.kpi_funnel_monthly)",
            "each person counts once as a lead",
        ),
        (
            funnel,
            "delete from marts.kpi_funnel_monthly where channel = 'email' "
            "and month = (select max(month) from marts.kpi_funnel_monthly)",
            "every channel has every month of the spine",
        ),
        (
            attribution,
            "update marts.kpi_marketing_attribution set attributed_bookings_usd = "
            "attributed_bookings_usd * 1.1 where attribution_model = 'linear'",
            "each model's channels sum to the quarter's won new_business bookings",
        ),
        (
            attribution,
            "update marts.kpi_marketing_attribution set roi = 0 where ad_spend_usd = 0",
            "ROI is null exactly when there is no spend",
        ),
    ]
    for suite, breaking_sql, description in breakages:
        broken = tmp_path / "broken.duckdb"
        shutil.copy(database, broken)
        con = duckdb.connect(str(broken))
        con.execute(breaking_sql)
        con.close()
        result = run_suite(broken, suite, tmp_path / "docs")
        assert result.severity == ERROR, description
        assert any(description in (o.description or "") for o in result.failures), description
        broken.unlink()


def test_paid_cac_matches_a_pandas_recomputation(marketing):
    """kpi_definitions.md: ad spend of the channel / new customers whose first touch was in it."""
    ws, spend = marketing["ws"], marketing["spend"]
    touches = _last_wins(_read(ws.landing / "marketing" / "touchpoints"), ["touchpoint_id"])
    touches["occurred_at"] = _ts(touches["occurred_at"])
    owners = _crosswalk(ws, "touchpoints").dropna(subset=["customer_id"])
    touches = touches.merge(owners, left_on="touchpoint_id", right_on="record_id")
    first = touches.sort_values(["occurred_at", "touchpoint_id"]).drop_duplicates("customer_id")
    first_channel = dict(zip(first["customer_id"], first["channel"], strict=True))

    months = [pd.Timestamp(m) for (m,) in ws.query("select month from marts.kpi_revenue_monthly")]
    billing = month_end_mrr_by_billing_customer(ws.landing, sorted(months))
    billing["customer_id"] = billing["billing_customer_id"].map(
        dict(
            ws.query(
                "select source_record_id, customer_id from marts.identity_crosswalk "
                "where source_table = 'customers' and customer_id is not null"
            )
        )
    )
    mrr = billing.dropna(subset=["customer_id"]).groupby(["customer_id", "month"])["mrr_usd"].sum()
    paying = mrr[mrr.round(2) > 0].reset_index()
    started = paying.groupby("customer_id")["month"].min()
    new = pd.DataFrame({"month": started, "channel": started.index.map(first_channel)}).dropna()
    expected_new = new.groupby(["month", "channel"]).size()
    spend = spend.assign(month=spend["spend_date"].dt.to_period("M").dt.to_timestamp())
    expected_spend = spend.groupby(["month", "channel"])["spend_usd"].sum()

    published = pd.DataFrame(
        ws.query(
            "select month, channel, ad_spend_usd, new_customers, paid_cac_usd "
            "from marts.kpi_paid_cac_monthly"
        ),
        columns=["month", "channel", "ad_spend_usd", "new_customers", "paid_cac_usd"],
    )
    published["month"] = pd.to_datetime(published["month"])
    assert published["new_customers"].sum() == expected_new.sum() > 0
    for row in published.itertuples():
        key = (row.month, row.channel)
        assert row.new_customers == expected_new.get(key, 0), key
        assert row.ad_spend_usd == pytest.approx(expected_spend.get(key, 0.0), abs=0.01), key
        if row.new_customers:
            assert row.paid_cac_usd == pytest.approx(row.ad_spend_usd / row.new_customers), key
        else:
            assert pd.isna(row.paid_cac_usd), key
