"""Identity messes planted in the CRM: duplicate accounts/contacts, look-alike companies,
soft deletes. Everything here changes the true world's records before they are written."""

from __future__ import annotations

import numpy as np

from . import names
from .config import DAY, HOUR, NULL, Ctx
from .entities import STR, World
from .sales import Accounts, Contacts, Opps, Users, _region_index, concat, subset


def similar_names(ctx: Ctx, world: World, acc: Accounts) -> np.ndarray:
    """Give pairs of different account companies look-alike names; returns [k, 2] companies."""
    rng = ctx.rng("similar_names")
    pool = np.unique(acc.company[~world.comp["internal"][acc.company]])
    k = min(int(round(ctx.rate("similar_name_different_company") * len(pool))), len(pool) // 2)
    if k == 0:
        return np.zeros((0, 2), np.int64)
    pairs = rng.choice(pool, size=2 * k, replace=False).reshape(k, 2)
    c = world.comp
    a, b = pairs[:, 0], pairs[:, 1]
    sector = c["sector"][b]
    same = sector == c["sector"][a]
    sector = np.where(same, np.array(names.SECTORS)[rng.integers(0, len(names.SECTORS), k)], sector)
    key = np.strings.add(np.strings.add(c["stem"], "|"), c["sector"])
    new_key = np.strings.add(np.strings.add(c["stem"][a], "|"), sector)
    taken = set(key.tolist())  # a set: np.isin is slow on variable-width strings
    ok = np.array([x not in taken for x in new_key.tolist()], dtype=bool)
    ok &= sector != c["sector"][a]
    _, first = np.unique(new_key, return_index=True)
    uniq = np.zeros(k, bool)
    uniq[first] = True
    ok &= uniq
    a, b, sector = a[ok], b[ok], sector[ok]
    stem = c["stem"][a]
    mask = np.zeros(world.n_companies, bool)
    mask[b] = True
    full_stem = c["stem"].copy().astype(object)
    full_stem[b] = stem
    full_sector = c["sector"].copy().astype(object)
    full_sector[b] = sector
    c["stem"] = full_stem.astype(STR)
    c["sector"] = full_sector.astype(STR)
    c["name"] = np.where(
        mask, np.strings.add(np.strings.add(c["stem"], " "), c["sector"]), c["name"]
    )
    dom = np.strings.add(
        np.strings.add(
            np.strings.add(np.strings.lower(c["stem"]), "-"), np.strings.lower(c["sector"])
        ),
        ".co",
    )
    c["domain"] = np.where(mask, dom, c["domain"])
    return np.stack([a, b], axis=1)


def duplicate_accounts(ctx: Ctx, world: World, acc: Accounts, users: Users) -> Accounts:
    """The same company entered as a second account with another spelling and website."""
    rng = ctx.rng("dup_accounts")
    real = np.flatnonzero(~world.comp["internal"][acc.company])
    src = real[rng.random(len(real)) < ctx.rate("duplicate_account")]
    created = acc.created[src] + rng.integers(5 * DAY, 300 * DAY, len(src))
    src, created = src[created <= ctx.end_ts], created[created <= ctx.end_ts]
    k = len(src)
    dup = Accounts(
        company=acc.company[src],
        created=created,
        owner=users.pick(rng, "ae", _region_index(world, acc.company[src])),
        is_dup=np.ones(k, bool),
        name_style=(acc.name_style[src] + rng.integers(1, 4, k)) % 4,
        web_style=(acc.web_style[src] + rng.integers(1, 4, k)) % 4,
        employees=np.maximum(1, np.round(acc.employees[src] * rng.uniform(0.5, 2, k))).astype(
            np.int64
        ),
        deleted=np.zeros(k, bool),
    )
    return concat([acc, dup])


DUP_CONTACT_KINDS = {
    "duplicate_contact_email_variant": (1, 2),
    "duplicate_contact_plus_address": (3,),
    "duplicate_contact_new_record": (0,),
}


def duplicate_contacts(ctx: Ctx, world: World, con: Contacts) -> tuple[Contacts, np.ndarray]:
    """The same person entered again as a new contact; returns contacts and each one's kind
    (index into DUP_CONTACT_KINDS, -1 for originals)."""
    rng = ctx.rng("dup_contacts")
    real = np.flatnonzero(~world.comp["internal"][con.company] & (con.dup_of < 0))
    parts, kinds = [con], [np.full(len(con.person), -1)]
    taken = np.zeros(len(con.person), bool)
    for j, (kind, codes) in enumerate(DUP_CONTACT_KINDS.items()):
        cand = real[~taken[real]]
        src = cand[rng.random(len(cand)) < ctx.rate(kind)]
        taken[src] = True
        created = con.created[src] + rng.integers(DAY, 200 * DAY, len(src))
        src, created = src[created <= ctx.end_ts], created[created <= ctx.end_ts]
        k = len(src)
        parts.append(
            Contacts(
                person=con.person[src],
                company=con.company[src],
                account=con.account[src],
                lead=np.full(k, -1),
                created=created,
                email_kind=np.array(codes)[rng.integers(0, len(codes), k)],
                deleted=np.zeros(k, bool),
                dup_of=src,
            )
        )
        kinds.append(np.full(k, j))
    return concat(parts), np.concatenate(kinds)


def soft_delete(ctx: Ctx, world: World, acc: Accounts, con: Contacts, opps: Opps) -> Opps:
    """Soft-delete some accounts and contacts (children stay) and add deleted junk opps."""
    rng = ctx.rng("soft_delete")
    r = ctx.rate("soft_deleted")
    acc.deleted |= (rng.random(len(acc.company)) < r) & ~world.comp["internal"][acc.company]
    con.deleted |= (rng.random(len(con.person)) < r) & ~world.comp["internal"][con.company]
    nb = np.flatnonzero((opps.otype == 0) & ~world.comp["internal"][opps.company])
    src = nb[rng.random(len(nb)) < r]
    junk = subset(opps, src)
    junk.created = np.minimum(junk.created + rng.integers(HOUR, 2 * DAY, len(src)), ctx.end_ts)
    junk.stage_at = np.full_like(junk.stage_at, NULL)
    junk.stage_at[:, 0] = junk.created
    junk.outcome = np.full(len(src), -1)
    junk.close_ts = np.full(len(src), NULL)
    # a duplicate keeps a planned close date, which must not precede its own creation
    junk.close_day = np.maximum(junk.close_day, junk.created // DAY + 14)
    junk.loss_reason = np.full(len(src), -1)
    junk.deleted = np.ones(len(src), bool)
    return concat([opps, junk])
