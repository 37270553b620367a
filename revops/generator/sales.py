"""Sales (CRM): reps, accounts, contacts, opportunities with stage history, quotes, forecasts."""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

from . import names, plans, timeline
from .config import DAY, HOUR, NULL, Ctx
from .entities import CURRENCIES, REGIONS, World
from .marketing import Leads

OUR_DOMAIN = "lumenfold.io"
STAGE_FRACTION = np.array([0.0, 0.12, 0.3, 0.5, 0.7])  # share of the cycle when a stage starts
STAGE_PROBABILITY = np.array([0.1, 0.2, 0.4, 0.6, 0.8])
LOSS_REASONS = np.array(["price", "competitor", "no_decision", "timing", "missing_feature"])
# quote acceptance by the customer's local hour (0-23) and weekday (Mon..Sun)
HOUR_FACTOR = np.array(
    [0.5] * 8 + [1.1, 1.3, 1.3, 1.2, 1.0, 0.95, 0.95, 0.85, 0.8, 0.7] + [0.55] * 6
)
WEEKDAY_FACTOR = np.array([0.95, 1.15, 1.2, 1.1, 0.75, 0.5, 0.45])
SEND_HOURS = np.arange(7, 20)
SEND_WEIGHTS = np.array([2, 5, 8, 9, 8, 6, 7, 8, 8, 7, 5, 3, 2], dtype=float)
NB, EXPANSION, RENEWAL = 0, 1, 2
OPP_TYPES = np.array(["new_business", "expansion", "renewal"])


@dataclass
class Users:
    role: np.ndarray
    team: np.ndarray
    region: np.ndarray  # index into REGIONS
    first: np.ndarray
    last: np.ndarray
    email: np.ndarray
    hired: np.ndarray
    skill: np.ndarray  # win-rate skill (logit)
    bias: np.ndarray  # forecast bias factor: <1 sandbagging, >1 over-committing

    def pick(self, rng: np.random.Generator, role: str, region: np.ndarray) -> np.ndarray:
        """A random user of the role in each region."""
        out = np.empty(len(region), dtype=np.int64)
        for r in range(len(REGIONS)):
            pool = np.flatnonzero((self.role == role) & (self.region == r))
            sel = region == r
            out[sel] = pool[rng.integers(0, len(pool), int(sel.sum()))]
        return out


def make_users(ctx: Ctx) -> Users:
    rng = ctx.rng("users")
    n_ae = int(np.clip(round(ctx.customers / 35), 6, 600))
    share = np.array([0.4, 0.45, 0.15])
    role, team, region = [], [], []
    for r, reg in enumerate(REGIONS):
        k = max(2, int(round(n_ae * share[r])))
        for rl, count, label in (
            ("manager", 1, "Leadership"),
            ("ae", k, None),
            ("sdr", (k + 1) // 2, "SDR"),
            ("am", max(1, k // 3), "Account Management"),
        ):
            for i in range(count):
                role.append(rl)
                seg = "Enterprise" if i % 3 == 0 else "Mid-Market"
                team.append(f"{reg.upper()} {label or seg}")
                region.append(r)
    n = len(role)
    first, last = names.person_names(rng, n)
    email = names.work_emails(rng, first, last, np.full(n, OUR_DOMAIN))
    hired = ctx.start_ts - rng.integers(20, 1500, n) * DAY + rng.integers(8, 11, n) * HOUR
    kind = rng.choice(3, size=n, p=[0.3, 0.4, 0.3])
    bias = np.array([0.75, 1.0, 1.3])[kind] * rng.lognormal(0, 0.05, n)
    return Users(
        np.array(role),
        np.array(team),
        np.array(region),
        first,
        last,
        email,
        hired,
        rng.normal(0, 0.5, n),
        bias,
    )


@dataclass
class Accounts:
    company: np.ndarray
    created: np.ndarray
    owner: np.ndarray
    is_dup: np.ndarray  # a second account of the same company
    name_style: np.ndarray  # 0 canonical, 1 with legal suffix, 2 'ACME, Inc.', 3 no suffix
    web_style: np.ndarray  # 0 https://www.d, 1 d, 2 www.d, 3 https://d/
    employees: np.ndarray
    deleted: np.ndarray


@dataclass
class Contacts:
    person: np.ndarray
    company: np.ndarray
    account: np.ndarray
    lead: np.ndarray  # converted_from lead index, -1 if none
    created: np.ndarray
    email_kind: np.ndarray  # 0 person's email, 1 case, 2 whitespace, 3 plus, 4 subdomain, 5 gmail
    deleted: np.ndarray
    dup_of: np.ndarray  # contact index this one duplicates, -1


@dataclass
class Opps:
    account: np.ndarray
    company: np.ndarray
    contact: np.ndarray
    owner: np.ndarray
    otype: np.ndarray
    created: np.ndarray
    stage_at: np.ndarray  # [n, 5] entry time of each open stage, NULL if not reached
    outcome: np.ndarray  # 1 won, 0 lost, -1 open
    close_ts: np.ndarray  # NULL while open
    close_day: np.ndarray  # close_date (planned for open ones)
    amount: np.ndarray  # cents
    currency: np.ndarray
    lead_source: np.ndarray
    loss_reason: np.ndarray
    deleted: np.ndarray
    # new-business deal terms (what gets billed)
    seats: np.ndarray
    tier: np.ndarray
    interval: np.ndarray
    disc: np.ndarray  # hundredths of a percent, NULL = empty

    def __len__(self) -> int:
        return len(self.account)


@dataclass
class Quotes:
    opp: np.ndarray
    sent: np.ndarray
    status: np.ndarray
    signed: np.ndarray
    amount: np.ndarray


def concat(items: list):
    """Concatenate dataclasses of arrays field by field."""
    cls = type(items[0])
    return cls(**{f.name: np.concatenate([getattr(x, f.name) for x in items]) for f in fields(cls)})


def subset(obj, idx: np.ndarray):
    cls = type(obj)
    return cls(**{f.name: getattr(obj, f.name)[idx] for f in fields(cls)})


def accounts_and_contacts(
    ctx: Ctx, world: World, leads: Leads, users: Users
) -> tuple[Accounts, Contacts, np.ndarray]:
    """An account per company with a sales-qualified lead, a contact per SQL lead.

    Returns also the lead that made each account (its first SQL lead).
    """
    rng = ctx.rng("accounts")
    sql = np.flatnonzero((leads.sql_at != NULL) & ~leads.is_dup)
    order = sql[np.lexsort((leads.sql_at[sql], leads.company[sql]))]
    first = order[np.r_[True, leads.company[order][1:] != leads.company[order][:-1]]]
    first = first[np.argsort(leads.sql_at[first], kind="stable")]
    company = leads.company[first]
    n = len(first)
    created = np.minimum(leads.sql_at[first] + rng.integers(60, 2 * HOUR, n), ctx.end_ts)
    owner = users.pick(rng, "ae", _region_index(world, company))
    employees = np.maximum(
        1, np.round(world.comp["employees"][company] * rng.lognormal(0, 0.15, n))
    ).astype(np.int64)
    acc = Accounts(
        company,
        created,
        owner,
        np.zeros(n, bool),
        rng.choice(4, size=n, p=[0.5, 0.3, 0.0, 0.2]),
        rng.choice(4, size=n, p=[0.5, 0.2, 0.2, 0.1]),
        employees,
        np.zeros(n, bool),
    )
    acc_of_company = np.full(world.n_companies, -1)
    acc_of_company[company] = np.arange(n)
    # contacts: every SQL lead converts, in the order they did
    cl = sql[np.argsort(leads.sql_at[sql], kind="stable")]
    acc_idx = acc_of_company[leads.company[cl]]
    c_created = np.minimum(
        np.maximum(leads.sql_at[cl], created[acc_idx]) + rng.integers(60, HOUR, len(cl)), ctx.end_ts
    )
    kind = np.where(
        rng.random(len(cl)) < ctx.rate("lead_converted_other_email"), rng.integers(4, 6, len(cl)), 0
    )
    kind[world.comp["internal"][leads.company[cl]]] = 0
    m = len(cl)
    con = Contacts(
        leads.person[cl],
        leads.company[cl],
        acc_idx,
        cl,
        c_created,
        kind,
        np.zeros(m, bool),
        np.full(m, -1),
    )
    return acc, con, first


def _region_index(world: World, company: np.ndarray) -> np.ndarray:
    reg = world.comp["region"][company]
    return np.select([reg == r for r in REGIONS], list(range(len(REGIONS))))


def new_business(
    ctx: Ctx,
    world: World,
    leads: Leads,
    acc: Accounts,
    con: Contacts,
    first_lead: np.ndarray,
    users: Users,
) -> tuple[Opps, Quotes]:
    """One new-business opportunity for most accounts; stages, quotes and outcome."""
    rng = ctx.rng("opportunities")
    n_acc = len(acc.company)
    internal = world.comp["internal"][acc.company]
    has = (rng.random(n_acc) < 0.9) | internal
    created = acc.created + rng.integers(HOUR, 3 * DAY, n_acc)
    has &= created <= ctx.end_ts
    a = np.flatnonzero(has)
    internal = internal[a]
    n = len(a)
    company = acc.company[a]
    created = created[a]
    lead = first_lead[a]
    contact_of_lead = np.full(len(leads), -1)
    contact_of_lead[con.lead] = np.arange(len(con.lead))
    owner = acc.owner[a]
    # deal terms
    seats = np.clip(
        np.round(world.comp["employees"][company] * rng.uniform(0.04, 0.25, n)), 3, 3000
    ).astype(np.int64)
    score = np.log10(seats) + rng.normal(0, 0.3, n)
    tier = np.digitize(score, [1.1, 1.9])
    annual = rng.random(n) < ctx.rate("annual_plan") * (0.8 + 0.2 * tier)
    interval = annual.astype(np.int64)
    ccy = world.comp["currency"][company]
    u = rng.random(n)
    disc = np.where(u < 0.15, NULL, np.where(u < 0.55, 0, rng.integers(1, 7, n) * 500))
    unapproved = rng.random(n) < ctx.rate("unapproved_discount")
    disc = np.where(unapproved, rng.integers(35, 61, n) * 100, disc)
    d = np.where(disc == NULL, 0, disc)
    amount = np.round(
        plans.PRICE[tier, interval, ccy]
        * seats
        * (10_000 - d)
        / 10_000
        * 12
        / plans.INTERVAL_MONTHS[interval]
    ).astype(np.int64)
    # stages
    cycle = (
        np.clip(rng.lognormal(np.log(35), 0.5, n) * (1 + 0.25 * np.log10(seats / 10)), 7, 240) * DAY
    )
    stage_at = created[:, None] + (STAGE_FRACTION[None, :] * cycle[:, None]).astype(np.int64)
    skill = users.skill[owner]
    p_adv = np.where(internal, 1.0, 1 / (1 + np.exp(-(1.9 + skill))))
    adv = rng.random((n, 4)) < p_adv[:, None]
    reached = 1 + np.cumprod(adv, axis=1).sum(axis=1)  # stages reached, 1..5
    offset = world.comp["offset"][company]
    # lost before negotiation: some time before the next stage would have started
    nxt = np.minimum(reached, 4)
    gap = (STAGE_FRACTION[nxt] - STAGE_FRACTION[reached - 1]) * cycle
    lost_at = stage_at[np.arange(n), reached - 1] + (gap * rng.uniform(0.3, 1.0, n)).astype(
        np.int64
    )
    # the decisive quote, in negotiation: its local send time drives acceptance
    neg = reached == 5
    sent = _business_send_time(rng, stage_at[:, 4] + rng.integers(HOUR, 3 * DAY, n), offset)
    local = sent + offset * 60
    hour = (local % DAY) // HOUR
    wday = timeline.weekday(local // DAY)
    p_acc = np.clip(
        0.5 * HOUR_FACTOR[hour] * WEEKDAY_FACTOR[wday] * np.exp(0.3 * skill), 0.02, 0.97
    )
    accepted = neg & ((rng.random(n) < p_acc) | internal)
    signed = sent + (rng.exponential(1.5 * DAY, n) + HOUR).astype(np.int64)
    close = np.where(
        accepted,
        signed + rng.integers(60, 6 * HOUR, n),
        np.where(neg, sent + rng.integers(3 * DAY, 20 * DAY, n), lost_at),
    )
    is_open = close > ctx.end_ts
    outcome = np.where(is_open, -1, accepted.astype(np.int64))
    # the proposal quote, superseded by the decisive one or answering a lost/open deal
    q1_sent = stage_at[:, 3] + rng.integers(2 * HOUR, 2 * DAY, n)
    q1 = (reached >= 4) & (q1_sent <= ctx.end_ts)
    q1_status = np.where(rng.random(n) < 0.4, "rejected", "expired")
    q1_status = np.where((reached == 4) & is_open, "open", q1_status)
    q2 = neg & (sent <= ctx.end_ts)
    q2_status = np.where(accepted, "accepted", np.where(rng.random(n) < 0.6, "rejected", "expired"))
    q2_status = np.where(is_open, "open", q2_status)
    q2_signed = np.where(accepted & ~is_open, signed, NULL)
    quotes = Quotes(
        opp=np.concatenate([np.flatnonzero(q1), np.flatnonzero(q2)]),
        sent=np.concatenate([q1_sent[q1], sent[q2]]),
        status=np.concatenate([q1_status[q1], q2_status[q2]]),
        signed=np.concatenate([np.full(int(q1.sum()), NULL), q2_signed[q2]]),
        amount=np.concatenate(
            [
                np.round(amount[q1] * rng.uniform(1.0, 1.15, int(q1.sum())) / 100).astype(np.int64)
                * 100,
                amount[q2],
            ]
        ),
    )
    stage_at = np.where(np.arange(5)[None, :] < reached[:, None], stage_at, NULL)
    stage_at = np.where(stage_at <= ctx.end_ts, stage_at, NULL)
    ch = np.array(
        [
            "paid_search",
            "paid_social",
            "organic_search",
            "email",
            "webinar",
            "events",
            "referral",
            "direct",
            "partner",
        ]
    )[leads.channel[lead]]
    src = rng.random(n)
    lead_source = np.where(src < 0.8, ch, np.where(src < 0.9, "Web", None)).astype(object)
    opps = Opps(
        account=a,
        company=company,
        contact=contact_of_lead[lead],
        owner=owner,
        otype=np.full(n, NB),
        created=created,
        stage_at=stage_at,
        outcome=outcome,
        close_ts=np.where(is_open, NULL, close),
        close_day=close // DAY,
        amount=amount,
        currency=ccy,
        lead_source=lead_source,
        loss_reason=np.where(outcome == 0, rng.integers(0, len(LOSS_REASONS), n), -1),
        deleted=np.zeros(n, bool),
        seats=seats,
        tier=tier,
        interval=interval,
        disc=disc,
    )
    return opps, quotes


def _business_send_time(
    rng: np.random.Generator, ts: np.ndarray, offset_min: np.ndarray
) -> np.ndarray:
    """Move a moment to a local working hour of that (or the next working) day."""
    local_day = (ts + offset_min * 60) // DAY
    wd = timeline.weekday(local_day)
    shift = np.where((wd >= 5) & (rng.random(len(ts)) < 0.8), 7 - wd, 0)
    hour = rng.choice(SEND_HOURS, size=len(ts), p=SEND_WEIGHTS / SEND_WEIGHTS.sum())
    out = (local_day + shift) * DAY + hour * HOUR + rng.integers(0, HOUR, len(ts)) - offset_min * 60
    return np.where(out < ts, out + DAY, out)


def follow_on(
    ctx: Ctx, spec: dict[str, np.ndarray], acc: Accounts, nb: Opps, users: Users, world: World
) -> tuple[Opps, Quotes]:
    """Expansion and renewal opportunities the billing story asked for."""
    rng = ctx.rng("follow_on")
    n = len(spec["account"])
    account, otype = spec["account"], spec["otype"]
    created, close = spec["created"], spec["close"]
    is_open = close > ctx.end_ts
    outcome = np.where(is_open, -1, spec["won"].astype(np.int64))
    # primary contact: the account's new-business contact
    nb_contact = np.full(len(acc.company), -1)
    nb_contact[nb.account] = nb.contact
    owner = np.where(
        otype == RENEWAL,
        users.pick(rng, "am", _region_index(world, acc.company[account])),
        acc.owner[account],
    )
    stage_at = np.full((n, 5), NULL)
    mid = created + (close - created) // 2
    stage_at[:, 3] = np.where(otype == EXPANSION, created, NULL)
    stage_at[:, 4] = np.where(otype == EXPANSION, mid, created)
    stage_at = np.where(stage_at <= ctx.end_ts, stage_at, NULL)
    q = (otype == EXPANSION) & (mid + HOUR <= ctx.end_ts)
    qi = np.flatnonzero(q)
    won = outcome[qi] == 1
    quotes = Quotes(
        opp=qi,
        sent=mid[qi] + HOUR,
        status=np.where(won, "accepted", np.where(outcome[qi] == 0, "rejected", "open")),
        signed=np.where(won, close[qi] - rng.integers(60, HOUR, len(qi)), NULL),
        amount=spec["amount"][qi],
    )
    opps = Opps(
        account=account,
        company=acc.company[account],
        contact=nb_contact[account],
        owner=owner,
        otype=otype,
        created=created,
        stage_at=stage_at,
        outcome=outcome,
        close_ts=np.where(is_open, NULL, close),
        close_day=close // DAY,
        amount=spec["amount"],
        currency=spec["currency"],
        lead_source=np.full(n, "existing_customer", dtype=object),
        loss_reason=np.where(outcome == 0, rng.integers(0, len(LOSS_REASONS), n), -1),
        deleted=np.zeros(n, bool),
        seats=np.zeros(n, np.int64),
        tier=np.zeros(n, np.int64),
        interval=np.zeros(n, np.int64),
        disc=np.full(n, NULL),
    )
    return opps, quotes


def forecasts(ctx: Ctx, opps: Opps, users: Users, usd_rate) -> dict[str, np.ndarray]:
    """Each AE's commit for each month, submitted in the last days of the month before."""
    rng = ctx.rng("forecasts")
    ae = np.flatnonzero(users.role == "ae")
    first_m = int(timeline.month_index(np.array([ctx.start_day]))[0]) + 1
    last_m = int(timeline.month_index(np.array([ctx.end_day]))[0]) + 1
    months = np.arange(first_m, last_m + 1)
    won = (opps.outcome == 1) & (opps.otype != RENEWAL) & ~opps.deleted
    usd = opps.amount[won] / 100 * usd_rate(opps.currency[won], opps.close_day[won])
    pos = np.searchsorted(ae, opps.owner[won])
    ok = (pos < len(ae)) & (ae[np.minimum(pos, len(ae) - 1)] == opps.owner[won])
    m_idx = timeline.month_index(opps.close_day[won]) - first_m
    okm = ok & (m_idx >= 0) & (m_idx < len(months))
    actual = np.zeros((len(ae), len(months)))
    np.add.at(actual, (pos[okm], m_idx[okm]), usd[okm])
    typical = actual[:, :-1].mean(axis=1) if len(months) > 1 else actual[:, 0]
    base = np.where(actual > 0, actual, typical[:, None] * rng.uniform(0.3, 1.0, actual.shape))
    # the coming month is not known yet: the rep commits a share of their usual bookings
    base[:, -1] = typical * rng.uniform(0.6, 1.1, len(ae))
    amount_usd = base * users.bias[ae][:, None] * rng.lognormal(0, 0.15, base.shape)
    owner = np.repeat(ae, len(months))
    month = np.tile(months, len(ae))
    amt = amount_usd.ravel()
    month_start = timeline.month_first_day(month)
    day = month_start - 1 - rng.integers(0, 5, len(owner))
    offset = np.array([60, -300, 480])[users.region[owner]]
    submitted = (
        day * DAY
        + (rng.normal(16, 1.5, len(owner)).clip(9, 20) * HOUR).astype(np.int64)
        - offset * 60
    )
    submitted = np.minimum(submitted, month_start * DAY - 60)
    again = rng.random(len(owner)) < 0.3
    resub = np.minimum(
        submitted + rng.integers(2 * HOUR, 2 * DAY, len(owner)), month_start * DAY - 30
    )
    owner = np.concatenate([owner, owner[again]])
    month = np.concatenate([month, month[again]])
    submitted = np.concatenate([submitted, resub[again]])
    amt = np.concatenate([amt, amt[again] * rng.uniform(0.85, 1.15, int(again.sum()))])
    keep = submitted <= ctx.end_ts
    ccy = np.where(users.region[owner] == 0, 1, 0)  # EMEA reps commit in EUR
    local = amt / usd_rate(ccy, submitted // DAY)
    order = np.lexsort((submitted[keep], month[keep], owner[keep]))
    return {
        "owner": owner[keep][order],
        "month": timeline.month_first_day(month[keep][order]),
        "submitted": submitted[keep][order],
        "amount": np.round(local[keep][order] * 100).astype(np.int64),
        "currency": ccy[keep][order],
    }


def currency_names(idx: np.ndarray) -> np.ndarray:
    return np.array(CURRENCIES)[idx]
