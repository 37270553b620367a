"""Marketing: campaigns, daily ad spend, leads with their funnel dates, touchpoints."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from revops.contract import CHANNELS

from . import timeline
from .config import DAY, HOUR, NULL, Ctx
from .entities import World

N_CH = len(CHANNELS)
LEAD_SHARE = np.array([0.2, 0.15, 0.17, 0.1, 0.08, 0.06, 0.08, 0.1, 0.06])
P_MQL = np.array([0.4, 0.25, 0.35, 0.3, 0.55, 0.5, 0.65, 0.45, 0.6])
P_SQL = np.array([0.5, 0.35, 0.45, 0.4, 0.5, 0.5, 0.7, 0.5, 0.65])
PAID = np.array([c in ("paid_search", "paid_social", "events", "webinar") for c in CHANNELS])
DAILY_BUDGET_USD = np.array([900, 600, 40, 60, 250, 700, 20, 10, 50], dtype=float)
CPM = np.array([25.0, 8.0, 1, 1, 20.0, 60.0, 1, 1, 1])
CTR = np.array([0.03, 0.01, 0, 0, 0.02, 0.005, 0, 0, 0])
# touch_type per channel: ad_click, email_click, webinar_attended, content_download,
# demo_request, event_visit
TOUCH_TYPES = np.array(
    [
        "ad_click",
        "email_click",
        "webinar_attended",
        "content_download",
        "demo_request",
        "event_visit",
    ]
)
CHANNEL_TOUCH = np.array([0, 0, 3, 1, 2, 5, 4, 4, 3])
LATER_CHANNEL = np.array([0.12, 0.1, 0.12, 0.3, 0.12, 0.06, 0.03, 0.1, 0.05])
LABEL = {
    "paid_search": "Search",
    "paid_social": "Social",
    "organic_search": "SEO",
    "email": "Nurture",
    "webinar": "Webinar",
    "events": "Event",
    "referral": "Referral",
    "direct": "Brand",
    "partner": "Partner",
}
THEMES = np.array(
    [
        "Pipeline Growth",
        "Data Quality",
        "Forecasting",
        "RevOps Basics",
        "Churn Playbook",
        "Pricing Masterclass",
        "Q4 Push",
        "Spring Launch",
    ]
)
APPROX_RATE = np.array([1.0, 1.08, 1.27])  # USD per unit, for sizing budgets only
# the campaign id stream is per channel: 1..4 parallel campaign series by scale
STREAMS = {"xs": 1, "s": 2, "m": 3, "l": 4}


@dataclass
class Campaigns:
    channel: np.ndarray
    stream: np.ndarray
    start: np.ndarray  # day
    end: np.ndarray  # day
    currency: np.ndarray
    budget: np.ndarray  # cents
    name: np.ndarray
    n_streams: int

    def at(self, channel: np.ndarray, day: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """The campaign of the channel running on the day (one of the series); -1 if none."""
        s = self.n_streams
        stream = rng.integers(0, s, len(channel))
        keys = (self.channel * s + self.stream) * 1_000_000 + self.start
        order = np.argsort(keys, kind="stable")
        q = (channel * s + stream) * 1_000_000 + day
        pos = np.searchsorted(keys[order], q, side="right") - 1
        idx = order[np.maximum(pos, 0)]
        ok = (
            (pos >= 0)
            & (self.channel[idx] == channel)
            & (self.stream[idx] == stream)
            & (self.start[idx] <= day)
            & (self.end[idx] >= day)
        )
        return np.where(ok, idx, -1)


def make_campaigns(ctx: Ctx) -> Campaigns:
    rng = ctx.rng("campaigns")
    n_streams = STREAMS.get(ctx.scale, 2)
    rows = []
    for c in range(N_CH):  # a few hundred campaigns: a loop is fine
        for s in range(n_streams):
            t = ctx.start_day - int(rng.integers(0, 45))
            while t <= ctx.end_day:
                dur = int(rng.integers(28, 92))
                rows.append((t, c, s, t + dur - 1))
                t += dur
    rows.sort()
    start, channel, stream, end = (np.array(x, dtype=np.int64) for x in zip(*rows, strict=True))
    n = len(start)
    currency = rng.choice(3, size=n, p=[0.6, 0.25, 0.15])
    usd = DAILY_BUDGET_USD[channel] / n_streams * (end - start + 1) * rng.uniform(0.8, 1.2, n)
    budget = np.round(usd / APPROX_RATE[currency] * 100).astype(np.int64)
    month = np.datetime_as_string(start.astype("datetime64[D]"), unit="M")
    label = np.array([LABEL[c] for c in CHANNELS])[channel]
    name = np.strings.add(np.strings.add(np.strings.add(month, " "), label), " - ")
    name = np.strings.add(name, THEMES[rng.integers(0, len(THEMES), n)])
    return Campaigns(channel, stream, start, end, currency, budget, name, n_streams)


def ad_spend(ctx: Ctx, camp: Campaigns) -> dict[str, np.ndarray]:
    """Daily spend rows of the paid channels' campaigns, within the history."""
    rng = ctx.rng("ad_spend")
    paid = np.flatnonzero(PAID[camp.channel])
    first = np.maximum(camp.start[paid], ctx.start_day)
    last = np.minimum(camp.end[paid], ctx.end_day)
    n_days = np.maximum(last - first + 1, 0)
    cid = np.repeat(paid, n_days)
    day = np.repeat(first, n_days) + _ramp(n_days)
    ch = camp.channel[cid]
    trend = 1 + 0.5 * (day - ctx.start_day) / max(ctx.end_day - ctx.start_day, 1)
    wk = np.where(timeline.weekday(day) >= 5, 0.6, 1.0)
    usd = (
        DAILY_BUDGET_USD[ch]
        / camp.n_streams
        * timeline.season(day)
        * wk
        * trend
        * rng.lognormal(0, 0.25, len(day))
    )
    impressions = np.round(usd / CPM[ch] * 1000).astype(np.int64)
    clicks = rng.binomial(impressions, CTR[ch])
    return {
        "campaign": cid,
        "day": day,
        "channel": ch,
        "currency": camp.currency[cid],
        "spend": np.round(usd / APPROX_RATE[camp.currency[cid]] * 100).astype(np.int64),
        "impressions": impressions,
        "clicks": clicks,
    }


def _ramp(counts: np.ndarray) -> np.ndarray:
    """0..n-1 for each n in counts, concatenated."""
    counts = np.asarray(counts, dtype=np.int64)
    total = int(counts.sum())
    starts = np.repeat(np.cumsum(counts) - counts, counts)
    return np.arange(total, dtype=np.int64) - starts


@dataclass
class Leads:
    person: np.ndarray
    company: np.ndarray
    created: np.ndarray
    channel: np.ndarray
    campaign: np.ndarray
    mql_at: np.ndarray
    sql_at: np.ndarray
    is_dup: np.ndarray  # a second lead of the same person
    email_variant: np.ndarray  # 0 exact, 1 case, 2 whitespace, 3 plus-address
    name_style: np.ndarray

    def __len__(self) -> int:
        return len(self.person)


def lead_days(ctx: Ctx, rng: np.random.Generator, n: int) -> np.ndarray:
    """Days with growth, seasonality and quiet weekends."""
    days = np.arange(ctx.start_day, ctx.end_day + 1)
    w = (
        (1 + 0.8 * (days - days[0]) / max(len(days) - 1, 1))
        * timeline.season(days)
        * np.where(timeline.weekday(days) >= 5, 0.35, 1.0)
    )
    return rng.choice(days, size=n, p=w / w.sum())


def local_business_time(
    rng: np.random.Generator, day: np.ndarray, offset_min: np.ndarray, mean_hour: float = 13.0
) -> np.ndarray:
    """UTC seconds of a local business-hours moment on the (local) day."""
    local = np.clip(rng.normal(mean_hour, 2.8, len(day)), 6, 22) * HOUR
    return day * DAY + local.astype(np.int64) - offset_min * 60


def make_leads(ctx: Ctx, world: World, camp: Campaigns, n_leads: int) -> Leads:
    rng = ctx.rng("leads")
    internal = np.flatnonzero(world.comp["internal"])
    real = np.flatnonzero(~world.comp["internal"])
    # every company has at least one lead; bigger companies bring more
    w = np.sqrt(world.comp["employees"][real].astype(float))
    extra = rng.choice(real, size=max(n_leads - len(real), 0), p=w / w.sum())
    company = np.concatenate([real, extra, internal])
    n = len(company)
    offset = world.comp["offset"][company]
    created = local_business_time(rng, lead_days(ctx, rng, n), offset)
    created = np.clip(created, ctx.start_ts + HOUR, ctx.end_ts - 60)
    # the newest record of the landing lies on the as-of date
    created[int(rng.integers(0, len(real)))] = ctx.end_ts - int(rng.integers(HOUR, 10 * HOUR))
    channel = rng.choice(N_CH, size=n, p=LEAD_SHARE)
    size = np.log10(world.comp["employees"][company]) - 2
    is_int = world.comp["internal"][company]
    mql = (rng.random(n) < np.clip(P_MQL[channel] + 0.05 * size, 0.05, 0.95)) | is_int
    sql = mql & ((rng.random(n) < P_SQL[channel]) | is_int)
    mql_at = created + (rng.exponential(4 * DAY, n) + HOUR).astype(np.int64)
    sql_at = mql_at + (rng.exponential(6 * DAY, n) + HOUR).astype(np.int64)
    no_mql = sql & ~is_int & (rng.random(n) < ctx.rate("sql_without_mql"))
    sql_at = np.where(
        no_mql, created + (rng.exponential(8 * DAY, n) + HOUR).astype(np.int64), sql_at
    )
    mql &= ~no_mql
    mql_at = np.where(mql & (mql_at <= ctx.end_ts), mql_at, NULL)
    sql &= (mql_at != NULL) | no_mql
    sql_at = np.where(sql & (sql_at <= ctx.end_ts), sql_at, NULL)
    leads = Leads(
        person=world.add_people(company),
        company=company,
        created=created,
        channel=channel,
        campaign=np.full(n, -1),
        mql_at=mql_at,
        sql_at=sql_at,
        is_dup=np.zeros(n, bool),
        email_variant=np.zeros(n, np.int64),
        name_style=rng.choice(3, size=n, p=[0.7, 0.2, 0.1]),
    )
    leads = _add_duplicates(ctx, rng, leads)
    no_campaign = np.isin(leads.channel, [2, 6, 7]) & (rng.random(len(leads)) < 0.6)
    leads.campaign = np.where(no_campaign, -1, camp.at(leads.channel, leads.created // DAY, rng))
    order = np.lexsort((leads.person, leads.created))  # ids follow creation time
    return Leads(**{k: getattr(leads, k)[order] for k in leads.__dataclass_fields__})


def _add_duplicates(ctx: Ctx, rng: np.random.Generator, leads: Leads) -> Leads:
    """The same person filling in a form again months later: a second lead."""
    real = np.flatnonzero(~leads.is_dup)
    src = real[rng.random(len(real)) < ctx.rate("duplicate_lead")]
    created = leads.created[src] + rng.integers(3 * DAY, 240 * DAY, len(src))
    src, created = src[created <= ctx.end_ts], created[created <= ctx.end_ts]
    k = len(src)
    mql_at = created + rng.integers(HOUR, 10 * DAY, k)
    mql_at = np.where((rng.random(k) < 0.3) & (mql_at <= ctx.end_ts), mql_at, NULL)
    dup = Leads(
        person=leads.person[src],
        company=leads.company[src],
        created=created,
        channel=rng.choice(N_CH, size=k, p=LEAD_SHARE),
        campaign=np.full(k, -1),
        mql_at=mql_at,
        sql_at=np.full(k, NULL),
        is_dup=np.ones(k, bool),
        email_variant=rng.choice(3, size=k, p=[0.5, 0.4, 0.1]),
        name_style=rng.integers(0, 3, k),
    )
    return Leads(
        **{
            f: np.concatenate([getattr(leads, f), getattr(dup, f)])
            for f in leads.__dataclass_fields__
        }
    )


def touchpoints(
    ctx: Ctx, leads: Leads, camp: Campaigns, chunk: int = 400_000
) -> Iterator[dict[str, np.ndarray]]:
    """Touches per lead (the converting touch first, more while nurtured), lead chunk by chunk."""
    rng = ctx.rng("touchpoints")
    next_id = 0
    for lo in range(0, len(leads), chunk):
        sl = slice(lo, min(lo + chunk, len(leads)))
        created = leads.created[sl]
        engaged = (leads.mql_at[sl] != NULL).astype(int) + (leads.sql_at[sl] != NULL)
        n_extra = rng.poisson(0.8 + 1.2 * engaged)
        n = 1 + n_extra
        lead = np.repeat(np.arange(sl.start, sl.stop), n)
        k = _ramp(n)
        first = k == 0
        t0 = np.repeat(created, n)
        occurred = np.where(
            first,
            t0 - rng.integers(0, 600, len(lead)),
            t0 + rng.exponential(25 * DAY, len(lead)).astype(np.int64) + 60,
        )
        keep = occurred <= ctx.end_ts
        lead, occurred, first = lead[keep], occurred[keep], first[keep]
        channel = np.where(
            first, leads.channel[lead], rng.choice(N_CH, size=len(lead), p=LATER_CHANNEL)
        )
        touch = CHANNEL_TOUCH[channel]
        touch = np.where(~first & (rng.random(len(lead)) < 0.15), 3, touch)  # content downloads
        touch = np.where(
            ~first & (leads.sql_at[lead] != NULL) & (rng.random(len(lead)) < 0.1), 4, touch
        )  # demo requests from sales-ready people
        campaign = np.where(first, leads.campaign[lead], camp.at(channel, occurred // DAY, rng))
        order = np.lexsort((occurred, lead))
        m = len(lead)
        yield {
            "id": np.arange(next_id, next_id + m),
            "lead": lead[order],
            "occurred": occurred[order],
            "campaign": campaign[order],
            "channel": channel[order],
            "touch": TOUCH_TYPES[touch[order]],
        }
        next_id += m
