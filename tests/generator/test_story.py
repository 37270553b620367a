"""The synthetic company tells a coherent story: the KPIs computed from it mean something."""

from __future__ import annotations

import duckdb
import pytest

from revops.contract import CHANNELS, table
from revops.generator import generate

from .conftest import END, load


def one(db, sql: str):
    return db.execute(sql).fetchone()


def test_won_deals_become_subscriptions_unless_planted_unbilled(db):
    missing = one(
        db,
        f"""
        select count(*) from opportunities o
        where is_won = 'true' and opportunity_type = 'new_business'
          and close_date::date <= date '{END}' - 31
          and opportunity_id not in (select source_record_id from truth_leakage
                                     where finding_type = 'unbilled_won_deal')
          and not exists (select 1 from subscription_events e
                          where e.crm_opportunity_id = o.opportunity_id
                            and e.occurred_at::timestamptz
                                <= o.close_date::date + interval 31 day)""",
    )[0]
    assert missing == 0
    billed_late = one(
        db,
        """
        select count(*) from truth_leakage l join subscription_events e
          on e.crm_opportunity_id = l.source_record_id
        join opportunities o on o.opportunity_id = l.source_record_id
        where e.occurred_at::timestamptz <= o.close_date::date + interval 30 day""",
    )[0]
    assert billed_late == 0


def test_open_opportunities_close_in_the_future(db):
    bad = one(
        db,
        f"""select count(*) from opportunities where is_closed = 'false'
                      and is_deleted = 'false' and close_date::date <= date '{END}'""",
    )[0]
    assert bad == 0
    assert one(db, "select count(*) from opportunities where is_closed = 'false'")[0] > 0


def test_subscription_rules(db):
    assert (
        one(
            db,
            """select count(*) from subscription_events
                      where status <> 'canceled' and (quantity::int < 1 or
                      coalesce(discount_pct::decimal, 0) not between 0 and 100)""",
        )[0]
        == 0
    )
    types = {
        r[0] for r in db.execute("select distinct event_type from subscription_events").fetchall()
    }
    assert types == {"created", "updated", "canceled", "reactivated"}
    assert one(db, "select count(*) from subscription_events where status = 'past_due'")[0] > 0


def test_invoices_add_up(db):
    bad = one(
        db,
        """select count(*) from invoices where total::decimal <>
                     subtotal::decimal - discount_amount::decimal
                     or period_end::date <= period_start::date""",
    )[0]
    assert bad == 0
    lines = one(
        db,
        """select count(*) from invoices i join invoice_lines l using (invoice_id)
                       where l.amount::decimal <> i.subtotal::decimal""",
    )[0]
    assert lines == 0
    statuses = {r[0] for r in db.execute("select distinct status from invoices").fetchall()}
    assert {"paid", "open", "void", "uncollectible"} <= statuses
    assert (
        one(
            db,
            "select count(*) from invoice_lines where is_proration = 'true' "
            "and amount::decimal < 0",
        )[0]
        > 0
    )


def test_three_currencies_annual_plans_and_fx_before_first_use(db):
    assert {r[0] for r in db.execute("select distinct currency from invoices").fetchall()} == {
        "USD",
        "EUR",
        "GBP",
    }
    assert one(db, "select count(*) from subscription_events where plan_id like '%_year_%'")[0]
    assert (
        one(
            db,
            """select count(*) from plans p1 join plans p2 using (product_name, currency)
                      where p1.billing_interval = 'month' and p2.billing_interval = 'year'
                        and p2.unit_amount::decimal <> 10 * p1.unit_amount::decimal""",
        )[0]
        == 0
    )
    late = one(
        db,
        """select count(*) from (select currency, min(issued_at::timestamptz) t
                      from invoices group by 1) u
                      where not exists (select 1 from fx_rates f where f.currency = u.currency
                                        and f.rate_date::date <= u.t::date)""",
    )[0]
    assert late == 0


def test_paid_channels_have_ad_spend_and_others_none(db):
    spend = {r[0] for r in db.execute("select distinct channel from ad_spend").fetchall()}
    assert spend == {"paid_search", "paid_social", "events", "webinar"}
    leads = {
        r[0] for r in db.execute("select distinct original_source_channel from leads").fetchall()
    }
    assert leads == set(CHANNELS)


def test_funnel_and_attribution_inputs(db):
    assert (
        one(
            db,
            """select count(*) from leads where became_sql_at is not null
                      and became_mql_at is null""",
        )[0]
        > 0
    )
    before = one(
        db,
        """select count(*) from opportunities o
        join contacts c on c.contact_id = o.primary_contact_id
        join touchpoints t on t.lead_id = c.converted_from_lead_id
        where t.occurred_at < o.created_at::timestamptz
          and o.opportunity_type = 'new_business'""",
    )[0]
    assert before > 0


def test_cost_of_revenue_gives_a_sensible_gross_margin(db):
    revenue = one(
        db,
        """select sum(total::double * r.rate_to_usd::double) from invoices i
        join fx_rates r on r.currency = i.currency and r.rate_date::date = i.issued_at::date
        where status in ('paid', 'open', 'uncollectible')""",
    )[0]
    cor = one(
        db, "select sum(amount::decimal) from gl_expenses where department = 'cost_of_revenue'"
    )[0]
    assert 0.15 < float(cor) / float(revenue) < 0.4


def test_forecasts_are_submitted_before_their_month(db):
    bad = one(
        db,
        """select count(*) from forecast_submissions
                     where submitted_at::timestamptz >= forecast_month::date""",
    )[0]
    assert bad == 0
    owners = one(
        db,
        """select count(distinct f.owner_user_id) from forecast_submissions f
                        join users u on u.user_id = f.owner_user_id where u.role = 'ae'""",
    )[0]
    assert owners >= 6


def test_usage_sags_before_churn_and_seats_match(db):
    util = db.execute("""
        with last_event as (
            select * from subscription_events
            qualify row_number() over (partition by subscription_id
                                       order by occurred_at::timestamptz desc, event_id desc) = 1),
        acct as (select c.customer_id, o.account_id from subscription_events e
                 join opportunities o on o.opportunity_id = e.crm_opportunity_id
                 join customers c on c.customer_id = e.customer_id
                 where e.event_type = 'created'),
        ends as (select a.account_id, l.status = 'canceled' as churned,
                        case when l.status = 'canceled' then l.occurred_at::timestamptz::date
                             else date '2026-10-31' end as end_day
                 from last_event l join acct a using (customer_id))
        select churned, avg(u.active_users / u.licensed_seats)
        from product_usage u join ends e using (account_id)
        where u.usage_date between e.end_day - 30 and e.end_day
        group by 1 order by 1""").fetchall()
    retained, churned = util[0][1], util[1][1]
    assert churned < retained
    over = one(db, "select avg((active_users > licensed_seats)::int) from product_usage")[0]
    assert over < 0.05


@pytest.mark.slow
def test_quote_timing_and_rep_differences_at_scale_s(tmp_path):
    out = tmp_path / "s"
    generate(out, scale="s", seed=3, end_date=END)
    con = duckdb.connect()
    con.execute("set timezone = 'UTC'")
    for name in ("quotes", "opportunities", "accounts"):
        load(con, out, table("sales", name))
    rates = dict(
        con.execute("""
        with q as (select q.*, case a.billing_country when 'US' then -5 when 'CA' then -5
                        when 'BR' then -3 when 'GB' then 0 when 'IE' then 0 when 'IN' then 5.5
                        when 'SG' then 8 when 'AU' then 10 when 'JP' then 9 else 1 end as tz
                   from quotes q join opportunities o using (opportunity_id)
                   join accounts a on a.account_id = o.account_id
                   where q.status in ('accepted', 'rejected', 'expired'))
        select (extract(hour from sent_at::timestamptz + to_minutes((tz * 60)::int))
                    between 8 and 11
                and isodow(sent_at::timestamptz + to_minutes((tz * 60)::int)) between 2 and 4),
               avg((status = 'accepted')::int)
        from q group by 1""").fetchall()
    )
    assert rates[True] > rates[False]
    win = [
        r[0]
        for r in con.execute("""
        select avg(is_won::boolean::int) from opportunities where is_closed = 'true'
        and opportunity_type = 'new_business' group by owner_user_id having count(*) >= 20
        order by 1""").fetchall()
    ]
    assert win[-1] - win[0] > 0.1
