"""Success: help-desk tickets, NPS answers and daily product usage, all following health."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from .billing import Subs
from .config import DAY, HOUR, NULL, Ctx
from .marketing import _ramp

PRIORITIES = np.array(["low", "normal", "high", "urgent"])
RESPONSE_HOURS = np.array([16.0, 8.0, 4.0, 1.0])
COMMENTS = {
    "detractor": np.array(
        [
            "Too expensive for what we use",
            "Support is slow",
            "Missing integrations we need",
            "Reports are often wrong",
            None,
        ]
    ),
    "passive": np.array(["Does the job", "Good, but onboarding took long", None, None]),
    "promoter": np.array(
        ["Love the forecasting view", "Our team lives in it", "Great support", None]
    ),
}


class People:
    """Who can file a ticket or answer a survey at each company (CSR lookup)."""

    def __init__(self, person_company: np.ndarray, n_companies: int):
        self.order = np.argsort(person_company, kind="stable")
        self.count = np.bincount(person_company, minlength=n_companies)
        self.start = np.cumsum(self.count) - self.count

    def pick(self, rng: np.random.Generator, company: np.ndarray) -> np.ndarray:
        n = self.count[company]
        off = (rng.random(len(company)) * np.maximum(n, 1)).astype(np.int64)
        return np.where(
            n > 0, self.order[np.minimum(self.start[company] + off, len(self.order) - 1)], -1
        )


def _spread(
    rng: np.random.Generator, seg: np.ndarray, lo: np.ndarray, hi: np.ndarray, counts: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """counts[i] random moments in [lo[i], hi[i]) for each segment i."""
    rep = np.repeat(seg, counts)
    t = np.repeat(lo, counts) + (rng.random(len(rep)) * np.repeat(hi - lo, counts)).astype(np.int64)
    return rep, t


def tickets(
    ctx: Ctx, seg: dict[str, np.ndarray], subs: Subs, health: np.ndarray, people: People
) -> dict[str, np.ndarray]:
    rng = ctx.rng("tickets")
    act = np.flatnonzero(seg["active"])
    start, end = seg["start"][act], np.minimum(seg["end"][act], ctx.end_ts)
    comp = subs.company[seg["sub"][act]]
    h = health[comp]
    days = np.maximum(end - start, 0) / DAY
    rate = (0.25 + 0.03 * np.sqrt(seg["qty"][act])) / 30 * np.exp(-0.5 * h)
    n1 = rng.poisson(rate * days)
    s1, t1 = _spread(rng, act, start, end, n1)
    # trouble before churn: a burst of tickets in the last two months
    pre = seg["churn_next"][act]
    lo = np.maximum(start, end - 60 * DAY)
    n2 = np.where(pre, rng.poisson(1.5 + np.where(h < 0, 1.0, 0.0)), 0)
    s2, t2 = _spread(rng, act, lo, end, n2)
    sg = np.concatenate([s1, s2])
    created = np.concatenate([t1, t2])
    order = np.lexsort((sg, created))
    sg, created = sg[order], created[order]
    n = len(sg)
    company = subs.company[seg["sub"][sg]]
    hh = health[company]
    pri = rng.choice(4, size=n, p=[0.3, 0.45, 0.2, 0.05])
    first = created + (rng.lognormal(np.log(RESPONSE_HOURS[pri] * HOUR), 0.7)).astype(np.int64)
    solved = first + (rng.lognormal(np.log(30 * HOUR), 1.0, n)).astype(np.int64)
    first = np.where(first <= ctx.end_ts, first, NULL)
    done = solved <= ctx.end_ts
    solved = np.where(done, solved, NULL)
    status = np.where(
        done,
        np.where(ctx.end_ts - solved > 4 * DAY, "closed", "solved"),
        np.where(first == NULL, "new", np.where(rng.random(n) < 0.5, "open", "pending")),
    )
    slow = (solved - created) > 3 * DAY
    score = np.clip(np.round(4.1 + 0.6 * hh - 0.7 * slow + rng.normal(0, 0.8, n)), 1, 5)
    csat = np.where(done & (rng.random(n) < 0.35), score, NULL).astype(np.int64)
    # planted invalid values: a csat out of range or a solve before creation
    bad = rng.random(n) < ctx.rate("invalid_ticket_value")
    bad_kind = rng.integers(0, 2, n)
    csat = np.where(bad & (bad_kind == 0), rng.choice([0, 7], size=n), csat)
    solved = np.where(bad & (bad_kind == 1), created - rng.integers(HOUR, DAY, n), solved)
    status = np.where(bad & (bad_kind == 1), "solved", status)
    updated = np.maximum.reduce(
        [created, np.where(first == NULL, 0, first), np.where(solved == NULL, 0, solved)]
    )
    return {
        "company": company,
        "account": subs.account[seg["sub"][sg]],
        "person": people.pick(rng, company),
        "created": created,
        "first": first,
        "solved": solved,
        "priority": PRIORITIES[pri],
        "status": status,
        "csat": csat,
        "updated": updated,
        "invalid": bad,
    }


def nps(
    ctx: Ctx,
    seg: dict[str, np.ndarray],
    subs: Subs,
    health: np.ndarray,
    people: People,
    churn_at: np.ndarray,
) -> dict[str, np.ndarray]:
    rng = ctx.rng("nps")
    act = np.flatnonzero(seg["active"])
    start, end = seg["start"][act], np.minimum(seg["end"][act], ctx.end_ts)
    comp = subs.company[seg["sub"][act]]
    k = np.minimum(people.count[comp], 3)
    n_resp = rng.poisson(np.maximum(end - start, 0) / (91 * DAY) * 0.45 * k)
    sg, t = _spread(rng, act, start, end, n_resp)
    order = np.lexsort((sg, t))
    sg, t = sg[order], t[order]
    sub = seg["sub"][sg]
    company = subs.company[sub]
    n = len(sg)
    soon = (churn_at[sub] != NULL) & (churn_at[sub] - t < 120 * DAY) & (churn_at[sub] >= t)
    score = np.clip(
        np.round(7.3 + 1.4 * health[company] - 3.5 * soon + rng.normal(0, 1.5, n)), 0, 10
    ).astype(np.int64)
    bad = rng.random(n) < ctx.rate("invalid_nps_score")
    score = np.where(bad, rng.choice([-1, 11, 99], size=n), score)
    band = np.where(score >= 9, "promoter", np.where(score >= 7, "passive", "detractor"))
    comment = np.empty(n, dtype=object)
    for b, texts in COMMENTS.items():
        sel = band == b
        comment[sel] = texts[rng.integers(0, len(texts), int(sel.sum()))]
    return {
        "company": company,
        "account": subs.account[sub],
        "person": people.pick(rng, company),
        "responded": t,
        "score": score,
        "comment": comment,
        "invalid": bad,
    }


def usage(
    ctx: Ctx,
    seg: dict[str, np.ndarray],
    subs: Subs,
    health: np.ndarray,
    chunk_rows: int = 4_000_000,
) -> Iterator[dict[str, np.ndarray]]:
    """One row per active subscription account and day; usage sags before churn and
    presses against the seat limit before an expansion."""
    rng = ctx.rng("usage")
    act = np.flatnonzero(seg["active"])
    noon = DAY // 2
    first = -(-(seg["start"][act] - noon) // DAY)  # first day whose noon is in the span
    last = np.minimum(-(-(seg["end"][act] - noon) // DAY) - 1, ctx.end_day)
    n_days = np.maximum(last - first + 1, 0)
    act, first, n_days = act[n_days > 0], first[n_days > 0], n_days[n_days > 0]
    # rows come out by subscription then day: segments are already in that order
    base = np.clip(0.55 + 0.15 * health[subs.company[seg["sub"]]], 0.12, 0.97)
    bounds = np.searchsorted(
        np.cumsum(n_days), np.arange(chunk_rows, int(n_days.sum()) + 1, chunk_rows), side="right"
    )
    for part in np.split(np.arange(len(act)), bounds):
        if len(part) == 0:
            continue
        a = act[part]
        cnt = n_days[part]
        s = np.repeat(a, cnt)
        day = np.repeat(first[part], cnt) + _ramp(cnt)
        sub = seg["sub"][s]
        seats = seg["qty"][s]
        util = base[s] * rng.lognormal(0, 0.08, len(s))
        age = day - subs.anchor[sub] // DAY
        util *= 0.4 + 0.6 * np.minimum(age / 30, 1)  # onboarding ramp
        to_end = seg["end"][s] // DAY - day
        util = np.where(
            seg["churn_next"][s] & (to_end < 75), util * (0.3 + 0.7 * to_end / 75), util
        )
        util = np.where((day + 3) % 7 >= 5, util * 0.35, util)  # weekends are quiet
        # ... except for a team about to expand: it is out of seats every day of the week.
        util = np.where(
            seg["expand_next"][s] & (to_end < 60),
            np.maximum(util, rng.uniform(0.9, 1.02, len(s))),
            util,
        )
        active = rng.binomial(seats, np.clip(util, 0, 1))
        active = np.where(util > 1, seats + 1, active)  # a few over-use their seats
        yield {
            "account": subs.account[sub],
            "day": day,
            "active_users": active,
            "licensed_seats": seats,
            "key_events": rng.poisson(active * 12.0),
        }
