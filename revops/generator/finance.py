"""Finance: fx rates, billing customers, invoices and lines, the expense ledger."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import plans, timeline
from .billing import CANCELED_STATUS, Episodes, Events, Subs, state_at
from .config import DAY, HOUR, NULL, Ctx

FX_START_MARGIN = 45  # days of rates before the history starts
FX_CENTER = np.array([1.0, 1.08, 1.27])


@dataclass
class Fx:
    first_day: int
    rates: np.ndarray  # [currency, day]

    def usd(self, currency: np.ndarray, day: np.ndarray) -> np.ndarray:
        """USD per unit on the day (the latest rate on or before it)."""
        d = np.clip(np.asarray(day, np.int64) - self.first_day, 0, self.rates.shape[1] - 1)
        return self.rates[np.asarray(currency, np.int64), d]


def make_fx(ctx: Ctx) -> Fx:
    rng = ctx.rng("fx")
    first = ctx.start_day - FX_START_MARGIN
    n = ctx.end_day - first + 1
    walk = np.cumsum(rng.normal(0, 0.004, (3, n)), axis=1)
    walk -= walk.mean(axis=1, keepdims=True)
    rates = np.round(FX_CENTER[:, None] * np.exp(walk * np.array([0, 1, 1])[:, None]), 6)
    return Fx(first, rates)


def fx_frame(fx: Fx) -> dict[str, np.ndarray]:
    n = fx.rates.shape[1]
    day = np.tile(fx.first_day + np.arange(n), 3)
    ccy = np.repeat(np.arange(3), n)
    order = np.lexsort((ccy, day))
    return {"day": day[order], "currency": ccy[order], "rate": fx.rates.ravel()[order]}


@dataclass
class Invoices:
    sub: np.ndarray
    issued: np.ndarray
    due: np.ndarray
    period_start: np.ndarray  # day
    period_end: np.ndarray
    plan: np.ndarray
    qty: np.ndarray
    unit: np.ndarray  # cents
    line_amount: np.ndarray
    disc: np.ndarray  # hundredths of a percent
    status: np.ndarray
    paid_at: np.ndarray
    amount_paid: np.ndarray
    proration: np.ndarray
    void_of: np.ndarray  # regular invoice index this voided one precedes, -1
    underbilled: np.ndarray
    refunded: np.ndarray

    def __len__(self) -> int:
        return len(self.sub)

    @property
    def subtotal(self) -> np.ndarray:
        return self.line_amount

    @property
    def discount(self) -> np.ndarray:
        return np.round(self.line_amount * self.disc / 10_000).astype(np.int64)

    @property
    def total(self) -> np.ndarray:
        return self.subtotal - self.discount


def invoices(
    ctx: Ctx, subs: Subs, events: Events, episodes: Episodes, internal: np.ndarray
) -> Invoices:
    rng = ctx.rng("invoices")
    parts = []
    months = plans.INTERVAL_MONTHS[subs.interval]
    for k in range(0, ctx.months + 2):
        cs = timeline.add_months(subs.anchor, k)
        due_cycle = (k % months == 0) & (cs <= ctx.end_ts)
        i = np.flatnonzero(due_cycle)
        if len(i) == 0:
            continue
        st = state_at(events, i, cs[i] + 60)
        i, st = i[st >= 0], st[st >= 0]
        keep = events.status[st] != CANCELED_STATUS
        i, st = i[keep], st[keep]
        pe = timeline.add_months(subs.anchor[i], k + months[i])
        parts.append(
            {
                "sub": i,
                "cycle": np.full(len(i), k),
                "issued": cs[i],
                "pstart": cs[i] // DAY,
                "pend": pe // DAY,
                "ev": st,
            }
        )
    reg = {f: np.concatenate([p[f] for p in parts]) for f in parts[0]}
    n = len(reg["sub"])
    sub, ev = reg["sub"], reg["ev"]
    ccy, itv = subs.currency[sub], subs.interval[sub]
    tier, qty = events.tier[ev], events.qty[ev]
    disc = np.where(events.disc[ev] == NULL, 0, events.disc[ev])
    unit = plans.PRICE[tier, itv, ccy]
    issued = reg["issued"]
    due = issued + np.where(itv == 1, 30, 14) * DAY
    late = rng.random(n) < 0.08
    paid_at = np.where(
        late,
        due + rng.integers(DAY, 29 * DAY, n),
        issued + (rng.lognormal(np.log(2 * DAY), 0.8, n)).astype(np.int64),
    )
    paid_at = np.minimum(paid_at, due + 29 * DAY)
    status = np.full(n, "paid", dtype=object)
    # dunning episodes decide their invoice
    hit = np.zeros(n, bool)
    failed = np.zeros(n, bool)
    if len(episodes.sub):
        ekey = episodes.sub * 1000 + episodes.cycle
        eorder = np.argsort(ekey)
        key = sub * 1000 + reg["cycle"]
        pos = np.minimum(np.searchsorted(ekey[eorder], key), len(ekey) - 1)
        e = eorder[pos]
        hit = ekey[e] == key
        paid_at = np.where(hit, episodes.paid_at[e], paid_at)
        failed = hit & episodes.failed[e]
    status[failed] = "uncollectible"
    unpaid = (paid_at == NULL) | (paid_at > ctx.end_ts)
    status[unpaid & ~failed] = "open"
    status[(issued >= ctx.end_ts - 2 * DAY) & (rng.random(n) < 0.3)] = "draft"
    # planted: left open more than 30 days past due
    ext = ~internal[sub]
    old_enough = due < ctx.end_ts - 31 * DAY
    overdue = (
        ext
        & old_enough
        & (status == "paid")
        & (rng.random(n) < ctx.rate("uncollected_invoice") * 0.5)
    )
    status[overdue] = "open"
    paid = status == "paid"
    paid_at = np.where(paid, paid_at, NULL)
    # planted: underbilled lines (fewer seats, or an old lower price)
    under = ext & (status != "draft") & (rng.random(n) < ctx.rate("underbilled_invoice"))
    cut = np.maximum(1, np.round(qty * rng.uniform(0.1, 0.3, n))).astype(np.int64)
    bill_qty = np.where(under & (qty >= 2), qty - cut, qty)
    unit = np.where(under & (qty < 2), np.round(unit * 0.8).astype(np.int64), unit)
    regular = Invoices(
        sub=sub,
        issued=issued,
        due=due,
        period_start=reg["pstart"],
        period_end=reg["pend"],
        plan=plans.plan_index(tier, itv, ccy),
        qty=bill_qty,
        unit=unit,
        line_amount=bill_qty * unit,
        disc=disc,
        status=status,
        paid_at=paid_at,
        amount_paid=np.zeros(n, np.int64),
        proration=np.zeros(n, bool),
        void_of=np.full(n, -1),
        underbilled=under,
        refunded=np.zeros(n, bool),
    )
    regular.amount_paid = np.where(paid, regular.total, 0)
    refund = ext & paid & (regular.total > 0) & (rng.random(n) < ctx.rate("refund"))
    regular.amount_paid = np.where(
        refund, np.round(regular.total * rng.uniform(0, 0.8, n)), regular.amount_paid
    ).astype(np.int64)
    regular.refunded = refund
    parts = [regular, _prorations(ctx, rng, subs, events), _voids(ctx, rng, regular, ext)]
    out = Invoices(
        **{f: np.concatenate([getattr(p, f) for p in parts]) for f in Invoices.__dataclass_fields__}
    )
    order = np.lexsort((out.sub, out.issued))
    out = Invoices(**{f: getattr(out, f)[order] for f in Invoices.__dataclass_fields__})
    return out


def _prorations(ctx: Ctx, rng: np.random.Generator, subs: Subs, events: Events) -> Invoices:
    """Mid-period seat or plan changes invoiced (or credited) for the rest of the period."""
    n = len(events)
    prev = np.maximum(np.arange(n) - 1, 0)
    same = np.r_[False, events.sub[1:] == events.sub[:-1]]
    changed = same & ((events.qty != events.qty[prev]) | (events.tier != events.tier[prev]))
    pick = changed & (events.etype == 1) & ~events.boundary & (events.status == 0)
    pick &= rng.random(n) < ctx.rate("proration")
    i = np.flatnonzero(pick)
    p = prev[i]
    sub = events.sub[i]
    itv, ccy = subs.interval[sub], subs.currency[sub]
    months = plans.INTERVAL_MONTHS[itv]
    k0 = (events.cycle[i] // months) * months
    t_start = timeline.add_months(subs.anchor[sub], k0)
    t_end = timeline.add_months(subs.anchor[sub], k0 + months)
    t = events.time[i]
    frac = (t_end - t) / np.maximum(t_end - t_start, 1)
    new_val = plans.PRICE[events.tier[i], itv, ccy] * events.qty[i]
    old_val = plans.PRICE[events.tier[p], itv, ccy] * events.qty[p]
    amount = np.round((new_val - old_val) * frac).astype(np.int64)
    qty_changed = events.qty[i] != events.qty[p]
    disc = np.where(events.disc[i] == NULL, 0, events.disc[i])
    m = len(i)
    inv = Invoices(
        sub=sub,
        issued=t + 60,
        due=t + 60 + 14 * DAY,
        period_start=t // DAY,
        period_end=t_end // DAY,
        plan=plans.plan_index(events.tier[i], itv, ccy),
        qty=np.where(qty_changed, events.qty[i] - events.qty[p], events.qty[i]),
        unit=plans.PRICE[events.tier[i], itv, ccy],
        line_amount=amount,
        disc=disc,
        status=np.full(m, "paid", dtype=object),
        paid_at=np.full(m, NULL),
        amount_paid=np.zeros(m, np.int64),
        proration=np.ones(m, bool),
        void_of=np.full(m, -1),
        underbilled=np.zeros(m, bool),
        refunded=np.zeros(m, bool),
    )
    inv.paid_at = np.minimum(t + 60 + rng.integers(HOUR, 2 * DAY, m), ctx.end_ts)
    inv.amount_paid = inv.total
    return inv


def _voids(ctx: Ctx, rng: np.random.Generator, regular: Invoices, ext: np.ndarray) -> Invoices:
    """An invoice issued, voided, and reissued (the reissue is the regular one)."""
    pick = np.flatnonzero(
        ext
        & (regular.status != "draft")
        & ~regular.underbilled
        & (rng.random(len(regular)) < ctx.rate("voided_invoice"))
    )
    v = Invoices(**{f: getattr(regular, f)[pick].copy() for f in Invoices.__dataclass_fields__})
    v.issued = v.issued - rng.integers(HOUR, 20 * HOUR, len(pick))
    v.issued = np.maximum(v.issued, regular.issued[pick] - 20 * HOUR)
    v.status = np.full(len(pick), "void", dtype=object)
    v.paid_at = np.full(len(pick), NULL)
    v.amount_paid = np.zeros(len(pick), np.int64)
    v.qty = regular.qty[pick]
    v.void_of = pick
    v.underbilled = np.zeros(len(pick), bool)
    v.refunded = np.zeros(len(pick), bool)
    return v


def gl_expenses(ctx: Ctx, inv: Invoices, fx: Fx, subs: Subs) -> dict[str, np.ndarray]:
    """Monthly operating expenses by department and category in USD; never ad spend."""
    rng = ctx.rng("gl")
    first_m = int(timeline.month_index(np.array([ctx.start_day]))[0])
    n_m = ctx.months
    counted = np.isin(inv.status, ["paid", "open", "uncollectible"])
    ccy = subs.currency[inv.sub]
    usd = inv.total / 100 * fx.usd(ccy, inv.issued // DAY)
    m = timeline.month_index(inv.issued // DAY) - first_m
    ok = counted & (m >= 0) & (m < n_m)
    revenue = np.bincount(m[ok], weights=usd[ok], minlength=n_m)[:n_m]
    base = ctx.customers * 40.0  # overall company size
    growth = 1 + 0.6 * np.arange(n_m) / max(n_m - 1, 1)
    lines = [
        ("marketing", "salaries", 0.9),
        ("marketing", "software", 0.15),
        ("marketing", "content_and_agencies", 0.3),
        ("sales", "salaries", 1.6),
        ("sales", "commissions", 0.4),
        ("sales", "travel", 0.15),
        ("sales", "software", 0.1),
        ("success", "salaries", 0.7),
        ("success", "software", 0.08),
        ("rnd", "salaries", 2.0),
        ("rnd", "cloud_dev", 0.2),
        ("g_and_a", "salaries", 0.5),
        ("g_and_a", "rent", 0.25),
        ("g_and_a", "legal_and_accounting", 0.12),
    ]
    dept, cat, amount, month = [], [], [], []
    for d, c, w in lines:
        dept += [d] * n_m
        cat += [c] * n_m
        amount.append(base * w * growth * rng.lognormal(0, 0.05, n_m))
        month.append(np.arange(n_m))
    for c, w in (("hosting", 0.15), ("support_staff", 0.07), ("payment_fees", 0.03)):
        dept += ["cost_of_revenue"] * n_m
        cat += [c] * n_m
        amount.append(np.maximum(revenue * w * rng.lognormal(0, 0.05, n_m), 100.0))
        month.append(np.arange(n_m))
    month_days = timeline.month_first_day(np.concatenate(month) + first_m)
    dept_a, cat_a = np.array(dept), np.array(cat)
    order = np.lexsort((cat_a, dept_a, month_days))
    return {
        "month": month_days[order],
        "department": dept_a[order],
        "category": cat_a[order],
        "amount": np.round(np.concatenate(amount)[order] * 100).astype(np.int64),
    }
