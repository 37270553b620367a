"""The subscription story: month by month for all subscriptions at once.

Churn is likelier for unhealthy customers, expansion for healthy ones; usage, tickets
and NPS are later drawn from the same health and the resulting timeline, so they lead
churn and expansion the way they do in real data.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import plans, timeline
from .config import DAY, HOUR, NULL, Ctx
from .sales import EXPANSION, RENEWAL

CREATED, UPDATED, CANCELED, REACTIVATED = 0, 1, 2, 3
EVENT_TYPES = np.array(["created", "updated", "canceled", "reactivated"])
ACTIVE, PAST_DUE, CANCELED_STATUS = 0, 1, 2
STATUSES = np.array(["active", "past_due", "canceled"])


@dataclass
class Subs:
    opp: np.ndarray  # new-business opportunity index
    account: np.ndarray
    company: np.ndarray
    anchor: np.ndarray  # created: billing cycles start here
    interval: np.ndarray
    currency: np.ndarray


@dataclass
class Events:
    sub: np.ndarray
    time: np.ndarray
    etype: np.ndarray
    tier: np.ndarray
    qty: np.ndarray
    disc: np.ndarray  # hundredths of a percent, NULL = empty
    status: np.ndarray
    opp: np.ndarray  # opportunity index (new business or follow-on), -1
    cycle: np.ndarray  # billing cycle the event happened in
    boundary: np.ndarray  # takes effect at a period boundary (no proration)

    def __len__(self) -> int:
        return len(self.sub)


@dataclass
class Episodes:
    """Dunning: the invoice of cycle k went unpaid; paid late (recovered) or not."""

    sub: np.ndarray
    cycle: np.ndarray
    paid_at: np.ndarray  # NULL when never paid
    failed: np.ndarray


def simulate(
    ctx: Ctx,
    subs: Subs,
    tier: np.ndarray,
    qty: np.ndarray,
    disc: np.ndarray,
    health: np.ndarray,
    internal: np.ndarray,
    n_nb: int,
) -> tuple[Events, dict[str, np.ndarray], Episodes]:
    rng = ctx.rng("billing")
    s = len(subs.anchor)
    tier, qty, disc = tier.copy(), qty.copy(), disc.copy()
    status = np.zeros(s, np.int64)
    canceled_k = np.full(s, -99)
    ev: list[dict[str, np.ndarray]] = []
    fo: list[dict[str, np.ndarray]] = []  # follow-on opportunities
    ep: list[dict[str, np.ndarray]] = []
    d0 = np.where(disc == NULL, 0, disc)

    def emit(mask, time, etype, st, opp=None, k=0, boundary=False):
        i = np.flatnonzero(mask)
        ev.append(
            {
                "sub": i,
                "time": time[i],
                "etype": np.full(len(i), etype),
                "tier": tier[i].copy(),
                "qty": qty[i].copy(),
                "disc": disc[i].copy(),
                "status": np.full(len(i), st),
                "opp": np.full(len(i), -1) if opp is None else opp[i],
                "cycle": np.full(len(i), k),
                "boundary": np.full(len(i), boundary),
            }
        )

    emit(np.ones(s, bool), subs.anchor, CREATED, ACTIVE, opp=subs.opp)
    annual = subs.interval == 1
    base = health
    for k in range(1, ctx.months + 3):
        cs = timeline.add_months(subs.anchor, k)
        ce = timeline.add_months(subs.anchor, k + 1)
        renewal_point = annual & (k % 12 == 0)
        # renewals coming up after the as-of date are open opportunities already
        upcoming = (
            renewal_point & (status == ACTIVE) & (cs > ctx.end_ts) & (cs - 60 * DAY <= ctx.end_ts)
        )
        if upcoming.any():
            i = np.flatnonzero(upcoming)
            fo.append(
                _opp(
                    subs,
                    i,
                    RENEWAL,
                    cs[i] - 60 * DAY,
                    cs[i] - DAY,
                    np.zeros(len(i), bool),
                    12 * plans.mrr_cents(tier[i], 1, subs.currency[i], qty[i], d0[i]),
                )
            )
        live = (cs <= ctx.end_ts) & ~internal
        if not live.any():
            continue
        mid = cs + DAY + (rng.random(s) * (ce - cs - 2 * DAY)).astype(np.int64)
        u = rng.random(s)
        act = live & (status == ACTIVE)
        monthly = ~annual
        p_churn = np.where(monthly, 0.022 * np.exp(-0.8 * base), 0.0)
        p_con = np.where(monthly | renewal_point, 0.012 * np.exp(-0.5 * base), 0.0)
        p_exp = 0.03 * np.exp(0.7 * base)
        p_pd = np.where(monthly, 0.02, 0.0)
        p_lost_exp = np.full(s, 0.008)
        cum = np.cumsum(np.stack([p_churn, p_con, p_exp, p_pd, p_lost_exp]), axis=0)
        pick = np.where(
            u < cum[0],
            0,
            np.where(
                u < cum[1],
                1,
                np.where(u < cum[2], 2, np.where(u < cum[3], 3, np.where(u < cum[4], 4, 5))),
            ),
        )
        # annual renewals
        if renewal_point.any():
            r = act & renewal_point
            lose = r & (rng.random(s) < 0.12 * np.exp(-0.8 * base))
            cancel_t = cs - rng.integers(HOUR, 20 * HOUR, s)
            close = np.where(
                lose, cancel_t - rng.integers(DAY, 5 * DAY, s), cs - rng.integers(DAY, 10 * DAY, s)
            )
            i = np.flatnonzero(r)
            fo.append(
                _opp(
                    subs,
                    i,
                    RENEWAL,
                    cs[i] - 60 * DAY,
                    close[i],
                    ~lose[i],
                    12 * plans.mrr_cents(tier[i], 1, subs.currency[i], qty[i], d0[i]),
                )
            )
            status[lose] = CANCELED_STATUS
            canceled_k[lose] = k
            emit(lose, cancel_t, CANCELED, CANCELED_STATUS, k=k, boundary=True)
            act &= ~lose
        ok = act & (mid <= ctx.end_ts)
        # voluntary churn
        churn = ok & (pick == 0)
        status[churn] = CANCELED_STATUS
        canceled_k[churn] = k
        emit(churn, mid, CANCELED, CANCELED_STATUS, k=k)
        # contraction (annual plans only at the renewal, before the new term is invoiced)
        con = ok & (pick == 1) & (qty > 1)
        when = np.where(renewal_point, cs - rng.integers(HOUR, 20 * HOUR, s), mid)
        cut = np.maximum(1, np.round(qty * rng.uniform(0.1, 0.3, s))).astype(np.int64)
        qty = np.where(con, np.maximum(1, qty - cut), qty)
        emit(con & ~renewal_point, when, UPDATED, ACTIVE, k=k)
        emit(con & renewal_point, when, UPDATED, ACTIVE, k=k, boundary=True)
        # expansion: more seats or the next product, sold by an expansion opportunity
        exp_ = ok & (pick == 2)
        old = plans.mrr_cents(tier, subs.interval, subs.currency, qty, d0)
        upgrade = exp_ & (tier < 2) & (rng.random(s) < 0.25)
        tier = np.where(upgrade, tier + 1, tier)
        add = np.maximum(1, np.round(qty * rng.uniform(0.1, 0.5, s))).astype(np.int64)
        qty = np.where(exp_ & ~upgrade, qty + add, qty)
        new = plans.mrr_cents(tier, subs.interval, subs.currency, qty, d0)
        close = mid - rng.integers(HOUR, 3 * DAY, s)
        i = np.flatnonzero(exp_)
        opp_idx = np.full(s, -1)
        opp_idx[i] = n_nb + sum(len(x["account"]) for x in fo) + np.arange(len(i))
        fo.append(
            _opp(
                subs,
                i,
                EXPANSION,
                close[i] - rng.integers(10 * DAY, 45 * DAY, len(i)),
                close[i],
                np.ones(len(i), bool),
                12 * (new[i] - old[i]),
            )
        )
        emit(exp_, mid, UPDATED, ACTIVE, opp=opp_idx, k=k)
        # expansion attempts that were lost
        lost = ok & (pick == 4)
        i = np.flatnonzero(lost)
        fo.append(
            _opp(
                subs,
                i,
                EXPANSION,
                mid[i] - 30 * DAY,
                mid[i],
                np.zeros(len(i), bool),
                12
                * plans.mrr_cents(
                    tier[i], subs.interval[i], subs.currency[i], np.maximum(1, qty[i] // 4), d0[i]
                ),
            )
        )
        # dunning on monthly plans: past due, then paid late or canceled
        pd_t = cs + 17 * DAY
        pd = act & (pick == 3) & (pd_t <= ctx.end_ts)
        fail = pd & (rng.random(s) < (0.3 if ctx.rate("uncollected_invoice") > 0 else 0.0))
        emit(pd, pd_t, UPDATED, PAST_DUE, k=k)
        rec_t = cs + rng.integers(18 * DAY, 26 * DAY, s)
        rec = pd & ~fail & (rec_t <= ctx.end_ts)
        emit(rec, rec_t, UPDATED, ACTIVE, k=k)
        fail_t = cs + 27 * DAY
        failed = fail & (fail_t <= ctx.end_ts)
        emit(failed, fail_t, CANCELED, CANCELED_STATUS, k=k)
        status[failed] = CANCELED_STATUS
        canceled_k[failed] = k
        i = np.flatnonzero(pd)
        ep.append(
            {
                "sub": i,
                "cycle": np.full(len(i), k),
                "paid_at": np.where(rec[i], rec_t[i], NULL),
                "failed": failed[i],
            }
        )
        # win-backs: some churned customers come back
        back = (
            live
            & (status == CANCELED_STATUS)
            & (k - canceled_k >= 2)
            & (monthly | renewal_point)
            & (rng.random(s) < 0.03)
        )
        back_t = cs - rng.integers(HOUR, 6 * HOUR, s)
        back &= back_t <= ctx.end_ts
        status[back] = ACTIVE
        emit(back, back_t, REACTIVATED, ACTIVE, k=k, boundary=True)
    events = Events(**{f: np.concatenate([e[f] for e in ev]) for f in ev[0]})
    order = np.lexsort((events.time, events.sub))
    events = Events(**{f: getattr(events, f)[order] for f in events.__dataclass_fields__})
    spec = {
        f: np.concatenate([x[f] for x in fo]) if fo else np.zeros(0, np.int64)
        for f in ("account", "otype", "created", "close", "won", "amount", "currency")
    }
    episodes = Episodes(
        **{
            f: np.concatenate([e[f] for e in ep]) if ep else np.zeros(0, np.int64)
            for f in ("sub", "cycle", "paid_at", "failed")
        }
    )
    return events, spec, episodes


def _opp(
    subs: Subs,
    i: np.ndarray,
    otype: int,
    created: np.ndarray,
    close: np.ndarray,
    won: np.ndarray,
    acv: np.ndarray,
) -> dict[str, np.ndarray]:
    return {
        "account": subs.account[i],
        "otype": np.full(len(i), otype),
        "created": created,
        "close": close,
        "won": won,
        "amount": np.round(np.abs(acv)).astype(np.int64),
        "currency": subs.currency[i],
    }


def state_at(events: Events, sub: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Index of each subscription's latest event at or before t (-1 if none)."""
    key = events.sub * (1 << 32) + events.time
    q = np.asarray(sub, np.int64) * (1 << 32) + np.asarray(t, np.int64)
    pos = np.searchsorted(key, q, side="right") - 1
    ok = (pos >= 0) & (events.sub[np.maximum(pos, 0)] == sub)
    return np.where(ok, pos, -1)


def segments(ctx: Ctx, events: Events) -> dict[str, np.ndarray]:
    """Spans between consecutive events of a subscription, with what ends them."""
    n = len(events)
    same_next = np.r_[events.sub[1:] == events.sub[:-1], False]
    nxt = np.minimum(np.arange(n) + 1, n - 1)
    end = np.where(same_next, events.time[nxt], ctx.end_ts + 1)
    churn_next = same_next & (events.etype[nxt] == CANCELED)
    expand_next = same_next & ((events.qty[nxt] > events.qty) | (events.tier[nxt] > events.tier))
    active = events.status != CANCELED_STATUS
    return {
        "sub": events.sub,
        "start": events.time,
        "end": end,
        "qty": events.qty,
        "churn_next": churn_next,
        "expand_next": expand_next,
        "active": active,
    }
