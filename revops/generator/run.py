"""generate(): build the story, then write every landing table and the truth beside it."""

from __future__ import annotations

import datetime as dt
import json
import pathlib
import time
from collections.abc import Callable

import numpy as np

from revops.contract import CHANNELS, CHURN_REASONS, STAGES, table

from . import billing, crm_messes, finance, marketing, plans, sales, success
from . import identity_variations as identity_variations_
from .config import DAY, DEFAULT_MESS_RATES, HOUR, NULL, SCALES, Ctx, history_start
from .entities import COUNTRY_CODE, CURRENCIES, REGIONS, World, make_world, mark_internal
from .entities import person_truth as ptruth
from .messes import Truth, email_variant, null_if, plant_offsets, write_with_later
from .sales import NB, OPP_TYPES, Opps
from .writer import Landing

LEADS_PER_CUSTOMER = 21.0
LEADS_PER_COMPANY = 1.6
CH = np.array(CHANNELS)
CCY = np.array(CURRENCIES)


def sid(prefix: str, idx: np.ndarray, width: int) -> np.ndarray:
    """Ids like ACC-000001 from 0-based indexes; negative indexes give None."""
    idx = np.asarray(idx, dtype=np.int64)
    out = np.strings.add(prefix, np.strings.zfill((np.maximum(idx, 0) + 1).astype(str), width))
    return null_if(idx < 0, out) if (idx < 0).any() else out


def rank(keys: tuple[np.ndarray, ...]) -> np.ndarray:
    """Position of each row when sorted by keys (last key primary): ids follow time."""
    order = np.lexsort(keys)
    pos = np.empty(len(order), np.int64)
    pos[order] = np.arange(len(order))
    return pos


def generate(
    out_dir: pathlib.Path,
    scale: str = "s",
    seed: int = 42,
    months: int = 24,
    end_date: dt.date = dt.date(2026, 10, 31),
    mess_rates: dict[str, float] | None = None,
    progress: Callable[[str], None] | None = None,
    identity_variations: list[str] | None = None,
) -> dict:
    """Write <out_dir>/<system>/<table>/part-0000N.<ext> and <out_dir>/_truth/*.

    Same arguments give byte-identical files. Returns a summary with rows, files and
    bytes per table and the seconds taken. `identity_variations`: the families of
    real-export variations to plant (identity_variations.FAMILIES; none by default).
    """
    started = time.perf_counter()
    if scale not in SCALES:
        raise ValueError(f"scale must be one of {sorted(SCALES)}")
    unknown = set(mess_rates or {}) - set(DEFAULT_MESS_RATES)
    if unknown:
        raise ValueError(f"unknown mess kinds: {sorted(unknown)}")
    rates = {**DEFAULT_MESS_RATES, **(mess_rates or {})}
    ctx = Ctx(
        scale=scale,
        customers=SCALES[scale],
        seed=seed,
        months=months,
        start_date=history_start(end_date, months),
        end_date=end_date,
        rates=rates,
        progress=progress or (lambda _msg: None),
    )
    landing = Landing(pathlib.Path(out_dir), ctx.progress)
    try:
        truth_counts = _build(ctx, landing)
        varied = identity_variations_.plant(landing.stage, identity_variations or [], seed)
        manifest = {
            "scale": scale,
            "seed": seed,
            "months": months,
            "start_date": ctx.start_date.isoformat(),
            "end_date": end_date.isoformat(),
            "mess_rates": rates,
            "truth": truth_counts,
            "tables": {k: v["rows"] for k, v in sorted(landing.stats.items())},
        }
        if varied:
            manifest["identity_variations"] = varied
        path = landing.folder("_truth") / "manifest.json"
        path.write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
        landing.commit()
    except BaseException:
        landing.abort()
        raise
    return {
        "tables": dict(sorted(landing.stats.items())),
        "truth": truth_counts,
        "seconds": round(time.perf_counter() - started, 2),
        "scale": scale,
        "seed": seed,
        "out_dir": str(out_dir),
    }


def _build(ctx: Ctx, landing: Landing) -> dict[str, int]:
    n_internal = int(np.ceil(ctx.rate("internal_test_record") * ctx.customers))
    n_leads = int(ctx.customers * LEADS_PER_CUSTOMER)
    world = make_world(ctx, int(n_leads / LEADS_PER_COMPANY) + n_internal)
    mark_internal(
        world, ctx.rng("internal"), np.arange(world.n_companies - n_internal, world.n_companies)
    )
    camp = marketing.make_campaigns(ctx)
    leads = marketing.make_leads(ctx, world, camp, n_leads)
    users = sales.make_users(ctx)
    acc, con, first_lead = sales.accounts_and_contacts(ctx, world, leads, users)
    nb, quotes_nb = sales.new_business(ctx, world, leads, acc, con, first_lead, users)
    pairs = crm_messes.similar_names(ctx, world, acc)
    # won deals become subscriptions, except the planted unbilled ones
    rng = ctx.rng("subscriptions")
    internal = world.comp["internal"]
    won = np.flatnonzero(nb.outcome == 1)
    start = nb.close_ts[won] + rng.integers(600, 3 * DAY, len(won))
    unbilled = (
        ~internal[nb.company[won]]
        & (nb.close_ts[won] <= ctx.end_ts - 31 * DAY)
        & (rng.random(len(won)) < ctx.rate("unbilled_won_deal"))
    )
    start = np.where(
        unbilled,
        nb.close_ts[won]
        + rng.integers(31 * DAY, 90 * DAY, len(won))
        + np.where(rng.random(len(won)) < 0.6, 10_000 * DAY, 0),
        start,
    )
    start = np.minimum(start, np.where(unbilled, start, ctx.end_ts))
    billed = start <= ctx.end_ts
    order = np.argsort(start[billed], kind="stable")
    sub_opp = won[billed][order]
    subs = billing.Subs(
        opp=sub_opp,
        account=nb.account[sub_opp],
        company=nb.company[sub_opp],
        anchor=start[billed][order],
        interval=nb.interval[sub_opp],
        currency=nb.currency[sub_opp],
    )
    events, spec, episodes = billing.simulate(
        ctx,
        subs,
        nb.tier[sub_opp],
        nb.seats[sub_opp],
        nb.disc[sub_opp],
        world.comp["health"][subs.company],
        internal[subs.company],
        len(nb),
    )
    fo, quotes_fo = sales.follow_on(ctx, spec, acc, nb, users, world)
    quotes_fo.opp = quotes_fo.opp + len(nb)
    opps = sales.concat([nb, fo])
    quotes = sales.concat([quotes_nb, quotes_fo])
    # the people who use the product: some are CRM contacts, all can file tickets
    extra_n = rng.integers(1, 4, len(subs.company))
    extra_comp = np.repeat(subs.company, extra_n)
    extra_person = world.add_people(extra_comp)
    extra_created = np.repeat(subs.anchor, extra_n) + rng.integers(DAY, 150 * DAY, len(extra_comp))
    as_contact = (rng.random(len(extra_comp)) < 0.5) & (extra_created <= ctx.end_ts)
    acc_of_company = np.full(world.n_companies, -1)
    acc_of_company[acc.company] = np.arange(len(acc.company))
    k = int(as_contact.sum())
    con = sales.concat(
        [
            con,
            sales.Contacts(
                person=extra_person[as_contact],
                company=extra_comp[as_contact],
                account=acc_of_company[extra_comp[as_contact]],
                lead=np.full(k, -1),
                created=extra_created[as_contact],
                email_kind=np.zeros(k, np.int64),
                deleted=np.zeros(k, bool),
                dup_of=np.full(k, -1),
            ),
        ]
    )
    acc = crm_messes.duplicate_accounts(ctx, world, acc, users)
    con, dup_kind = crm_messes.duplicate_contacts(ctx, world, con)
    opps = crm_messes.soft_delete(ctx, world, acc, con, opps)
    world.finalize_people(ctx.rng("people"))
    fx = finance.make_fx(ctx)
    inv = finance.invoices(ctx, subs, events, episodes, internal)

    truth = Truth(landing)
    lead_email = _marketing(ctx, landing, truth, world, camp, leads, opps, acc)
    _touchpoints(ctx, landing, truth, world, camp, leads, lead_email)
    opp_ids = _sales(ctx, landing, truth, world, users, acc, con, dup_kind, opps, quotes, pairs, fx)
    _finance(ctx, landing, truth, world, subs, events, inv, fx, opps, opp_ids, acc, con)
    _success(ctx, landing, truth, world, subs, events, acc)
    unbilled_opps = won[unbilled & ~billed]
    late = won[unbilled & billed]
    truth.leak(
        "unbilled_won_deal",
        table("sales", "opportunities"),
        opp_ids[np.sort(np.concatenate([unbilled_opps, late]))],
    )
    return truth.close()


# ----------------------------------------------------------------------------- marketing
def _marketing(
    ctx: Ctx,
    landing: Landing,
    truth: Truth,
    world: World,
    camp: marketing.Campaigns,
    leads: marketing.Leads,
    opps: Opps,
    acc: sales.Accounts,
) -> np.ndarray:
    rng = ctx.rng("out/marketing")
    t = table("marketing", "campaigns")
    landing.write(
        t,
        {
            "campaign_id": sid("CMP-", np.arange(len(camp.start)), 5),
            "campaign_name": camp.name,
            "channel": CH[camp.channel],
            "started_on": camp.start,
            "ended_on": camp.end,
            "budget_amount": camp.budget,
            "currency": CCY[camp.currency],
        },
    )
    sp = marketing.ad_spend(ctx, camp)
    order = np.lexsort((sp["day"], sp["campaign"]))
    landing.write(
        table("marketing", "ad_spend"),
        {
            "campaign_id": sid("CMP-", sp["campaign"][order], 5),
            "spend_date": sp["day"][order],
            "channel": CH[sp["channel"][order]],
            "spend_amount": sp["spend"][order],
            "currency": CCY[sp["currency"][order]],
            "impressions": sp["impressions"][order],
            "clicks": sp["clicks"][order],
        },
    )

    P, c = world.people, world.comp
    p, comp = leads.person, leads.company
    n = len(p)
    email = email_variant(rng, P["email"][p], leads.email_variant, P["first"][p], P["last"][p], p)
    # the company as typed into the form, by lead style, built per company then looked up
    typed = np.stack(
        [
            c["name"],
            np.strings.add(np.strings.add(c["name"], " "), c["legal"]),
            np.strings.lower(c["name"]),
        ]
    )
    company_name = typed[leads.name_style, comp]
    live = ~opps.deleted & (opps.otype == NB)
    has_opp = np.zeros(world.n_companies, bool)
    has_opp[opps.company[live]] = True
    won_at = np.full(world.n_companies, NULL)
    w = live & (opps.outcome == 1)
    won_at[opps.company[w]] = opps.close_ts[w]
    opp_at = np.full(world.n_companies, NULL)
    opp_at[opps.company[live]] = opps.created[live]
    sql, mql = leads.sql_at != NULL, leads.mql_at != NULL
    subscriber = ~mql & np.isin(leads.channel, [2, 3]) & (rng.random(n) < 0.4)
    stage = np.select(
        [sql & (won_at[comp] != NULL), sql & has_opp[comp], sql, mql, subscriber],
        ["customer", "opportunity", "sql", "mql", "subscriber"],
        "lead",
    )
    updated = np.maximum.reduce(
        [
            leads.created,
            leads.mql_at,
            leads.sql_at,
            np.where(sql & has_opp[comp], opp_at[comp], NULL),
            np.where(stage == "customer", won_at[comp], NULL),
        ]
    )
    ids = sid("LD-", np.arange(n), 8)
    frame = {
        "lead_id": ids,
        "email": email,
        "first_name": P["first"][p],
        "last_name": P["last"][p],
        "company_name": company_name,
        "company_domain": null_if(rng.random(n) < 0.15, c["domain"][comp]),
        "country_code": COUNTRY_CODE[c["country"][comp]],
        "job_title": P["title"][p],
        "created_at": leads.created,
        "original_source_channel": CH[leads.channel],
        "first_campaign_id": sid("CMP-", leads.campaign, 5),
        "lifecycle_stage": stage,
        "became_mql_at": leads.mql_at,
        "became_sql_at": leads.sql_at,
        "updated_at": updated,
    }
    t = table("marketing", "leads")
    plant_offsets(ctx, truth, t, frame, ids, c["offset"][comp])
    write_with_later(
        ctx,
        landing,
        truth,
        t,
        frame,
        ids,
        mql & (updated > leads.created),
        {
            "lifecycle_stage": np.full(n, "lead"),
            "became_mql_at": np.full(n, NULL),
            "became_sql_at": np.full(n, NULL),
            "updated_at": leads.created,
        },
        "lead moved down the funnel after the first extract",
    )
    truth.identity(t, ids, ptruth(p), world.company_truth(comp))
    truth.mess("duplicate_lead", t, ids[leads.is_dup], "second lead of the same person")
    truth.mess("sql_without_mql", t, ids[sql & ~mql & ~leads.is_dup], "became SQL, no MQL date")
    internal = c["internal"][comp]
    truth.mess("internal_test_record", t, ids[internal], "internal/test lead")
    return email


def _touchpoints(
    ctx: Ctx,
    landing: Landing,
    truth: Truth,
    world: World,
    camp: marketing.Campaigns,
    leads: marketing.Leads,
    lead_email: np.ndarray,
) -> None:
    t = table("marketing", "touchpoints")
    lead_ids = sid("LD-", np.arange(len(leads)), 8)
    with landing.parquet_stream(t) as out:
        for ch in marketing.touchpoints(ctx, leads, camp):
            ids = sid("TP-", ch["id"], 9)
            out.write(
                {
                    "touchpoint_id": ids,
                    "lead_id": lead_ids[ch["lead"]],
                    "email": lead_email[ch["lead"]],
                    "occurred_at": ch["occurred"],
                    "campaign_id": sid("CMP-", ch["campaign"], 5),
                    "channel": CH[ch["channel"]],
                    "touch_type": ch["touch"],
                }
            )
            truth.identity(
                t,
                ids,
                ptruth(leads.person[ch["lead"]]),
                world.company_truth(leads.company[ch["lead"]]),
            )


# ----------------------------------------------------------------------------- sales
def _account_names(world: World, acc: sales.Accounts) -> tuple[np.ndarray, np.ndarray]:
    c = world.comp
    name, legal, dom = c["name"][acc.company], c["legal"][acc.company], c["domain"][acc.company]
    with_legal = np.strings.add(np.strings.add(name, " "), legal)
    shouty = np.strings.add(
        np.strings.add(np.strings.upper(name), ", "), np.strings.add(np.strings.upper(legal), ".")
    )
    s = acc.name_style
    account_name = np.select(
        [s == 1, s == 2, s == 3],
        [with_legal, shouty, name],
        np.where(legal == "", name, with_legal),
    )
    account_name = np.where(s == 0, name, account_name)
    w = acc.web_style
    website = np.select(
        [w == 0, w == 1, w == 2],
        [np.strings.add("https://www.", dom), dom, np.strings.add("www.", dom)],
        np.strings.add(np.strings.add("https://", dom), "/"),
    )
    return np.strings.strip(account_name), website


def _sales(
    ctx: Ctx,
    landing: Landing,
    truth: Truth,
    world: World,
    users: sales.Users,
    acc: sales.Accounts,
    con: sales.Contacts,
    dup_kind: np.ndarray,
    opps: Opps,
    quotes: sales.Quotes,
    pairs: np.ndarray,
    fx: finance.Fx,
) -> np.ndarray:
    rng = ctx.rng("out/sales")
    c, P = world.comp, world.people
    nu = len(users.role)
    t = table("sales", "users")
    landing.write(
        t,
        {
            "user_id": sid("USR-", np.arange(nu), 4),
            "full_name": np.strings.add(np.strings.add(users.first, " "), users.last),
            "email": users.email,
            "role": users.role,
            "team": users.team,
            "region": np.array(REGIONS)[users.region],
            "hired_at": users.hired,
        },
    )
    user_ids = sid("USR-", np.arange(nu), 4)

    # accounts
    na = len(acc.company)
    apos = rank((acc.company, acc.created))
    acc_ids = sid("ACC-", apos, 7)
    order = np.argsort(apos)
    name, website = _account_names(world, acc)
    updated = np.minimum(acc.created + rng.integers(DAY, 200 * DAY, na), ctx.end_ts)
    internal = c["internal"][acc.company]
    acquired = _acquisition_channels(ctx, "out/account_channels", ~internal, ACCOUNT_CHANNEL_SHARE)
    frame = {
        "account_id": acc_ids,
        "account_name": name,
        "website": website,
        "industry": c["industry"][acc.company],
        "employee_count": acc.employees,
        "billing_country": COUNTRY_CODE[c["country"][acc.company]],
        "owner_user_id": user_ids[acc.owner],
        "created_at": acc.created,
        "is_deleted": acc.deleted,
        "updated_at": updated,
        "acquisition_channel": acquired,
    }
    frame = {k: v[order] for k, v in frame.items()}
    t = table("sales", "accounts")
    oc = acc.company[order]
    plant_offsets(ctx, truth, t, frame, frame["account_id"], c["offset"][oc])
    write_with_later(
        ctx,
        landing,
        truth,
        t,
        frame,
        frame["account_id"],
        ~acc.deleted[order] & (updated[order] > acc.created[order]),
        {
            "employee_count": np.maximum(1, acc.employees[order] * 4 // 5),
            "updated_at": acc.created[order],
        },
        "employee count corrected later",
    )
    truth.identity(t, frame["account_id"], np.full(na, ""), world.company_truth(oc))
    has_channel = frame["acquisition_channel"] != None  # noqa: E711 (an object array)
    truth.mess(
        "acquisition_channel",
        t,
        frame["account_id"][has_channel],
        frame["acquisition_channel"][has_channel],
    )
    truth.mess(
        "duplicate_account",
        t,
        acc_ids[acc.is_dup],
        np.strings.add("same company as ", acc_ids[_first_account(acc)][acc.is_dup]),
    )
    truth.mess("internal_test_record", t, acc_ids[internal], "internal/test account")
    truth.mess("soft_deleted", t, acc_ids[acc.deleted], "is_deleted = true")
    canon = np.full(world.n_companies, -1)
    canon[acc.company[~acc.is_dup]] = np.flatnonzero(~acc.is_dup)
    if len(pairs):
        a_ids, b_ids = acc_ids[canon[pairs[:, 0]]], acc_ids[canon[pairs[:, 1]]]
        truth.mess(
            "similar_name_different_company",
            t,
            np.concatenate([a_ids, b_ids]),
            np.concatenate(
                [
                    np.strings.add("different company from ", b_ids),
                    np.strings.add("different company from ", a_ids),
                ]
            ),
        )

    # contacts
    nc = len(con.person)
    cpos = rank((con.person, con.created))
    con_ids = sid("CON-", cpos, 8)
    p = con.person
    email = email_variant(rng, P["email"][p], con.email_kind, P["first"][p], P["last"][p], p)
    title = P["title"][p]
    updated = np.minimum(con.created + rng.integers(DAY, 200 * DAY, nc), ctx.end_ts)
    order = np.argsort(cpos)
    lead_ids = sid("LD-", con.lead, 8)
    frame = {
        "contact_id": con_ids,
        "account_id": acc_ids[con.account],
        "email": email,
        "first_name": P["first"][p],
        "last_name": P["last"][p],
        "phone": null_if(rng.random(nc) < 0.3, P["phone"][p]),
        "title": title,
        "converted_from_lead_id": lead_ids,
        "created_at": con.created,
        "is_deleted": con.deleted,
        "updated_at": updated,
    }
    frame = {k: np.asarray(v)[order] for k, v in frame.items()}
    t = table("sales", "contacts")
    plant_offsets(ctx, truth, t, frame, frame["contact_id"], c["offset"][con.company[order]])
    old_title = np.array(["Analyst", "Associate", "Coordinator"])[rng.integers(0, 3, nc)]
    write_with_later(
        ctx,
        landing,
        truth,
        t,
        frame,
        frame["contact_id"],
        ~con.deleted[order] & (updated[order] > con.created[order]),
        {"title": old_title, "updated_at": con.created[order]},
        "title changed after the first extract",
    )
    truth.identity(
        t, frame["contact_id"], ptruth(p[order]), world.company_truth(con.company[order])
    )
    for j, kind in enumerate(crm_messes.DUP_CONTACT_KINDS):
        sel = dup_kind == j
        truth.mess(kind, t, con_ids[sel], np.strings.add("duplicate of ", con_ids[con.dup_of[sel]]))
    other = (con.email_kind >= 4) & (con.lead >= 0)
    truth.mess(
        "lead_converted_other_email",
        t,
        con_ids[other],
        np.strings.add("converted from ", lead_ids[other].astype(str)),
    )
    truth.mess(
        "internal_test_record", t, con_ids[c["internal"][con.company]], "internal/test contact"
    )
    truth.mess("soft_deleted", t, con_ids[con.deleted], "is_deleted = true")

    # opportunities
    no = len(opps)
    opos = rank((opps.otype, opps.created))
    opp_ids = sid("OPP-", opos, 8)
    reached = (opps.stage_at != NULL).sum(axis=1)
    last_stage = np.maximum(reached - 1, 0)
    last_open_at = np.max(np.where(opps.stage_at == NULL, 0, opps.stage_at), axis=1)
    is_closed = opps.outcome >= 0
    stage_name = np.where(
        opps.outcome == 1,
        "closed_won",
        np.where(opps.outcome == 0, "closed_lost", np.array(STAGES)[last_stage]),
    )
    open_cat = np.array(["pipeline", "pipeline", "best_case", "best_case", "commit"])[last_stage]
    category = np.where(
        opps.outcome == 1, "closed", np.where(opps.outcome == 0, "omitted", open_cat)
    )
    updated = np.where(is_closed, opps.close_ts, np.maximum(last_open_at, opps.created))
    contact_ids = sid("CON-", np.where(opps.contact >= 0, cpos[np.maximum(opps.contact, 0)], -1), 8)
    acc_for = opps.account  # index into acc (first len(real) accounts are the originals)
    frame = {
        "opportunity_id": opp_ids,
        "account_id": acc_ids[acc_for],
        "primary_contact_id": contact_ids,
        "owner_user_id": user_ids[opps.owner],
        "opportunity_type": OPP_TYPES[opps.otype],
        "stage_name": stage_name,
        "amount": opps.amount,
        "currency": CCY[opps.currency],
        "created_at": opps.created,
        "close_date": opps.close_day,
        "is_closed": is_closed,
        "is_won": opps.outcome == 1,
        "forecast_category": category,
        "lead_source": opps.lead_source,
        "loss_reason": null_if(
            opps.loss_reason < 0, sales.LOSS_REASONS[np.maximum(opps.loss_reason, 0)]
        ),
        "updated_at": updated,
        "is_deleted": opps.deleted,
    }
    order = np.argsort(opos)
    frame = {k: np.asarray(v)[order] for k, v in frame.items()}
    t = table("sales", "opportunities")
    oo = opps.company[order]
    plant_offsets(ctx, truth, t, frame, frame["opportunity_id"], c["offset"][oo])
    o = order
    older_stage = np.array(STAGES)[last_stage[o]]
    write_with_later(
        ctx,
        landing,
        truth,
        t,
        frame,
        frame["opportunity_id"],
        is_closed[o] & (reached[o] > 0) & ~opps.deleted[o] & (last_open_at[o] < updated[o]),
        {
            "stage_name": older_stage,
            "is_closed": np.zeros(no, bool),
            "is_won": np.zeros(no, bool),
            "forecast_category": open_cat[o],
            "loss_reason": np.full(no, None, dtype=object),
            "updated_at": last_open_at[o],
        },
        "opportunity closed after first extract",
    )
    person = np.where(opps.contact >= 0, con.person[np.maximum(opps.contact, 0)], -1)
    truth.identity(t, frame["opportunity_id"], ptruth(person[o]), world.company_truth(oo))
    truth.mess(
        "internal_test_record",
        t,
        opp_ids[c["internal"][opps.company]],
        "opportunity of an internal/test account",
    )
    truth.mess("soft_deleted", t, opp_ids[opps.deleted], "is_deleted = true")

    # stage history: one row per stage entered, then the close
    oi, si = np.nonzero(opps.stage_at != NULL)
    closed = np.flatnonzero(is_closed)
    h_opp = np.concatenate([oi, closed])
    h_at = np.concatenate([opps.stage_at[oi, si], opps.close_ts[closed]])
    h_stage = np.concatenate([np.array(STAGES)[si], stage_name[closed]])
    prob = np.concatenate([sales.STAGE_PROBABILITY[si], (opps.outcome[closed] == 1) * 1.0])
    noise = np.where(
        np.concatenate([si, np.full(len(closed), 9)]) < 3, rng.uniform(0.8, 1.25, len(h_opp)), 1.0
    )
    h_amount = np.round(opps.amount[h_opp] * noise / 100).astype(np.int64) * 100
    h_amount = np.where(noise == 1.0, opps.amount[h_opp], h_amount)
    order = np.lexsort((h_at, opos[h_opp]))
    landing.write(
        table("sales", "opportunity_stage_history"),
        {
            "opportunity_id": opp_ids[h_opp][order],
            "changed_at": h_at[order],
            "stage_name": h_stage[order],
            "amount": h_amount[order],
            "probability": prob[order],
        },
    )

    # quotes
    qpos = rank((quotes.opp, quotes.sent))
    q_ids = sid("Q-", qpos, 8)
    order = np.argsort(qpos)
    frame = {
        "quote_id": q_ids[order],
        "opportunity_id": opp_ids[quotes.opp][order],
        "sent_at": quotes.sent[order],
        "amount": quotes.amount[order],
        "currency": CCY[opps.currency[quotes.opp]][order],
        "status": quotes.status[order],
        "signed_at": quotes.signed[order],
    }
    t = table("sales", "quotes")
    qc = opps.company[quotes.opp][order]
    plant_offsets(ctx, truth, t, frame, frame["quote_id"], c["offset"][qc])
    landing.write(t, frame)
    truth.identity(t, frame["quote_id"], ptruth(person[quotes.opp][order]), world.company_truth(qc))

    f = sales.forecasts(ctx, opps, users, fx.usd)
    landing.write(
        table("sales", "forecast_submissions"),
        {
            "owner_user_id": user_ids[f["owner"]],
            "forecast_month": f["month"],
            "submitted_at": f["submitted"],
            "forecast_amount": f["amount"],
            "currency": CCY[f["currency"]],
        },
    )
    return opp_ids


# Optional contract columns (a landing without them keeps working): each from its own
# random stream, so every other column of the generated company stays as it was.
ACCOUNT_CHANNEL_SHARE = 0.3  # CRM accounts that record the channel they came through
CUSTOMER_CHANNEL_SHARE = 0.2  # billing customers that do
REASON_SHARE = 0.8  # cancellations with a reason (the rest: unknown)
FEEDBACK_SHARE = 0.5  # of those, with the customer's words
TRIAL_SHARE = 0.12  # monthly subscriptions that a trial came before
TRIAL_CONVERTS = 0.6  # of those trials, the ones converted (the paid start within 7 days)
FEEDBACK = np.array(  # what a customer says, one per reason of CHURN_REASONS
    [
        "too expensive for what we use",
        "missing the reporting we need",
        "moved to another vendor",
        "budget was cut this year",
        "support took too long to answer",
        "the team changed direction",
    ]
)


def _acquisition_channels(ctx: Ctx, stream: str, eligible: np.ndarray, share: float) -> np.ndarray:
    """A contract channel for a share of the eligible records, None for the others."""
    rng = ctx.rng(stream)
    n = len(eligible)
    picked = eligible & (rng.random(n) < share)
    return np.where(picked, CH[rng.integers(0, len(CH), n)], None).astype(object)


def _churn_reasons(ctx: Ctx, frame: dict, person: np.ndarray, people: dict) -> np.ndarray:
    """Add churn_reason and churn_feedback to the canceled events of `frame`; return each
    row's planted reason ('unknown' where none). Feedback may name the customer's contact:
    it stays in raw, never in a mart."""
    rng = ctx.rng("out/churn_reasons")
    n = len(frame["event_id"])
    canceled = frame["event_type"] == "canceled"
    given = canceled & (rng.random(n) < REASON_SHARE)
    which = rng.integers(0, len(CHURN_REASONS), n)
    reason = np.array(CHURN_REASONS)[which]
    # the reason's own words; a contact who said it is named when there is one
    words = FEEDBACK[which]
    named = person >= 0
    who = np.strings.add(
        np.strings.add(people["first"][np.maximum(person, 0)], " "),
        people["last"][np.maximum(person, 0)],
    )
    said = np.where(named, np.strings.add(np.strings.add(who, ": "), words), words)
    with_words = given & (rng.random(n) < FEEDBACK_SHARE)
    frame["churn_reason"] = np.where(given, reason, None).astype(object)
    frame["churn_feedback"] = np.where(with_words, said, None).astype(object)
    return np.where(given, reason, "unknown")


def _trials(
    ctx: Ctx,
    landing: Landing,
    truth: Truth,
    subs: billing.Subs,
    events: billing.Events,
    pidx: np.ndarray,
    cust_ids: np.ndarray,
    cust_person: np.ndarray,
    cust_company: np.ndarray,
    internal: np.ndarray,
) -> None:
    """Trials before some monthly subscriptions, as their own trial subscriptions in a second
    file: trialing from 14 days before the paid start (a last trialing state 3 days before
    it: converted) or from 45 days before (canceled 31 days before: not converted)."""
    rng = ctx.rng("out/trials")
    ns = len(subs.anchor)
    first = np.searchsorted(events.sub, np.arange(ns))  # each subscription's first event
    eligible = (subs.interval == 0) & (subs.anchor - 60 * DAY >= ctx.start_ts) & ~internal
    picked = np.flatnonzero(eligible & (rng.random(ns) < TRIAL_SHARE))
    converts = rng.random(len(picked)) < TRIAL_CONVERTS
    anchor = subs.anchor[picked]
    steps = [  # (offset from the paid start, event_type, status, in converted / other trials)
        (-14 * DAY, "created", "trialing", True),
        (-3 * DAY, "updated", "trialing", True),
        (-HOUR, "canceled", "canceled", True),
        (-45 * DAY, "created", "trialing", False),
        (-31 * DAY, "canceled", "canceled", False),
    ]
    rows: dict[str, list[np.ndarray]] = {}
    for number, (offset, etype, status, for_converted) in enumerate(steps, start=1):
        sel = converts == for_converted
        i = picked[sel]
        part = {
            "event_id": np.strings.add(sid("evt_T", i, 7), f"_{number}"),
            "subscription_id": sid("sub_T", i, 7),
            "customer_id": cust_ids[i],
            "occurred_at": anchor[sel] + offset,
            "event_type": np.full(len(i), etype),
            "plan_id": plans.plan_ids(pidx[first[i]]),
            "quantity": events.qty[first[i]],
            "discount_pct": np.full(len(i), NULL),
            "status": np.full(len(i), status),
            "crm_opportunity_id": np.full(len(i), None, dtype=object),
        }
        for key, values in part.items():
            rows.setdefault(key, []).append(values)
    frame = {key: np.concatenate(values) for key, values in rows.items()}
    t = table("finance", "subscription_events")
    landing.write(t, frame, part=1)
    owner = np.concatenate([picked[converts == f] for *_, f in steps])
    truth.identity(t, frame["event_id"], cust_person[owner], cust_company[owner])
    first_trial = (frame["status"] == "trialing") & (frame["event_type"] == "created")
    outcome = np.where(
        np.isin(frame["subscription_id"], sid("sub_T", picked[converts], 7)),
        "converted",
        "not converted",
    )
    truth.mess("trial", t, frame["event_id"][first_trial], outcome[first_trial])


def _first_account(acc: sales.Accounts) -> np.ndarray:
    """For each account, the original account of its company."""
    first = np.flatnonzero(~acc.is_dup)
    lookup = np.full(int(acc.company.max()) + 1 if len(acc.company) else 0, -1)
    lookup[acc.company[first]] = first
    return lookup[acc.company]


# ----------------------------------------------------------------------------- finance
def _finance(
    ctx: Ctx,
    landing: Landing,
    truth: Truth,
    world: World,
    subs: billing.Subs,
    events: billing.Events,
    inv: finance.Invoices,
    fx: finance.Fx,
    opps: Opps,
    opp_ids: np.ndarray,
    acc: sales.Accounts,
    con: sales.Contacts,
) -> None:
    rng = ctx.rng("out/finance")
    c, P = world.comp, world.people
    pt = plans.plan_table()
    landing.write(
        table("finance", "plans"),
        {
            "plan_id": plans.plan_ids(pt["index"]),
            "product_name": np.array(plans.PRODUCTS)[pt["tier"]],
            "billing_interval": np.array(plans.INTERVALS)[pt["interval"]],
            "unit_amount": pt["price"],
            "currency": CCY[pt["currency"]],
        },
    )
    fxf = finance.fx_frame(fx)
    landing.write(
        table("finance", "fx_rates"),
        {"rate_date": fxf["day"], "currency": CCY[fxf["currency"]], "rate_to_usd": fxf["rate"]},
    )

    # customers: one per subscription, in the order they started
    ns = len(subs.anchor)
    cust_ids = sid("cus_", np.arange(ns), 7)
    sub_ids = sid("sub_", np.arange(ns), 7)
    comp = subs.company
    contact = opps.contact[subs.opp]
    person = np.where(contact >= 0, con.person[np.maximum(contact, 0)], -1)
    role_mail = (rng.random(ns) < 0.3) | (person < 0)
    role = np.array(["billing", "finance", "accounts", "ap"])[rng.integers(0, 4, ns)]
    email = np.where(
        role_mail,
        np.strings.add(np.strings.add(role, "@"), c["domain"][comp]),
        P["email"][np.maximum(person, 0)],
    )
    person = np.where(role_mail, -1, person)
    nm = c["name"][comp]
    style = rng.integers(0, 3, ns)
    name = np.select(
        [style == 1, style == 2],
        [np.strings.add(np.strings.add(nm, " "), c["legal"][comp]), np.strings.upper(nm)],
        nm,
    )
    name = np.strings.strip(name)
    acc_ids = sid("ACC-", rank((acc.company, acc.created)), 7)
    no_crm = ~c["internal"][comp] & (rng.random(ns) < ctx.rate("customer_without_crm_account"))
    crm = null_if(no_crm, acc_ids[subs.account])
    created = subs.anchor - rng.integers(60, 300, ns)
    updated = np.minimum(created + rng.integers(DAY, 60 * DAY, ns), ctx.end_ts)
    acquired = _acquisition_channels(
        ctx, "out/customer_channels", ~c["internal"][comp], CUSTOMER_CHANNEL_SHARE
    )
    frame = {
        "customer_id": cust_ids,
        "email": email,
        "name": name,
        "crm_account_id": crm,
        "country_code": COUNTRY_CODE[c["country"][comp]],
        "currency": CCY[subs.currency],
        "created_at": created,
        "updated_at": updated,
        "acquisition_channel": acquired,
    }
    t = table("finance", "customers")
    plant_offsets(ctx, truth, t, frame, cust_ids, c["offset"][comp])
    write_with_later(
        ctx,
        landing,
        truth,
        t,
        frame,
        cust_ids,
        ~no_crm & (updated > created),
        {"crm_account_id": np.full(ns, None, dtype=object), "updated_at": created},
        "linked to its CRM account after the first extract",
    )
    cust_person, cust_company = ptruth(person), world.company_truth(comp)
    truth.identity(t, cust_ids, cust_person, cust_company)
    has_channel = acquired != None  # noqa: E711 (an object array)
    truth.mess("acquisition_channel", t, cust_ids[has_channel], acquired[has_channel])
    truth.mess("customer_without_crm_account", t, cust_ids[no_crm], "crm_account_id is empty")
    truth.mess("internal_test_record", t, cust_ids[c["internal"][comp]], "internal/test customer")
    truth.mess(
        "foreign_currency",
        t,
        cust_ids[subs.currency != 0],
        CCY[subs.currency[subs.currency != 0]].astype(object),
    )

    # subscription events, ids in time order
    epos = rank((events.sub, events.time))
    ev_ids = sid("evt_", epos, 9)
    order = np.argsort(epos)
    e = order
    pidx = plans.plan_index(events.tier, subs.interval[events.sub], subs.currency[events.sub])
    frame = {
        "event_id": ev_ids[e],
        "subscription_id": sub_ids[events.sub][e],
        "customer_id": cust_ids[events.sub][e],
        "occurred_at": events.time[e],
        "event_type": billing.EVENT_TYPES[events.etype][e],
        "plan_id": plans.plan_ids(pidx)[e],
        "quantity": events.qty[e],
        "discount_pct": events.disc[e],
        "status": billing.STATUSES[events.status][e],
        "crm_opportunity_id": null_if(events.opp[e] < 0, opp_ids[np.maximum(events.opp, 0)][e]),
    }
    t = table("finance", "subscription_events")
    reasons = _churn_reasons(ctx, frame, person[events.sub[e]], P)
    plant_offsets(ctx, truth, t, frame, frame["event_id"], c["offset"][comp[events.sub[e]]])
    landing.write(t, frame)
    truth.identity(t, frame["event_id"], cust_person[events.sub[e]], cust_company[events.sub[e]])
    canceled = frame["event_type"] == "canceled"
    truth.mess("churn_reason", t, frame["event_id"][canceled], reasons[canceled])
    _trials(
        ctx,
        landing,
        truth,
        subs,
        events,
        pidx,
        cust_ids,
        cust_person,
        cust_company,
        c["internal"][comp],
    )
    annual_created = (events.etype == billing.CREATED) & (subs.interval[events.sub] == 1)
    truth.mess("annual_plan", t, ev_ids[annual_created], "yearly plan")
    # unapproved discounts: every amount-setting event of a live subscription above 30 %
    prev = np.maximum(np.arange(len(events)) - 1, 0)
    first = np.r_[True, events.sub[1:] != events.sub[:-1]]
    d = np.where(events.disc == NULL, 0, events.disc)
    setting = (
        first
        | (events.etype == billing.REACTIVATED)
        | (events.qty != events.qty[prev])
        | (events.tier != events.tier[prev])
        | (d != d[prev])
    )
    flagged = setting & (events.status != billing.CANCELED_STATUS) & (d > 3000)
    flagged &= ~c["internal"][comp[events.sub]]
    truth.leak("unapproved_discount", t, np.sort(ev_ids[flagged]))

    # invoices and their lines (one line each)
    ni = len(inv)
    inv_ids = sid("in_", np.arange(ni), 8)
    line_ids = sid("il_", np.arange(ni), 8)
    ccy = subs.currency[inv.sub]
    inv_updated = np.where(inv.paid_at != NULL, inv.paid_at, inv.issued)
    frame = {
        "invoice_id": inv_ids,
        "customer_id": cust_ids[inv.sub],
        "subscription_id": sub_ids[inv.sub],
        "currency": CCY[ccy],
        "issued_at": inv.issued,
        "due_at": inv.due,
        "period_start": inv.period_start,
        "period_end": inv.period_end,
        "subtotal": inv.subtotal,
        "discount_amount": inv.discount,
        "total": inv.total,
        "amount_paid": inv.amount_paid,
        "status": inv.status.astype(str),
        "paid_at": inv.paid_at,
        "updated_at": inv_updated,
    }
    t = table("finance", "invoices")
    plant_offsets(ctx, truth, t, frame, inv_ids, c["offset"][comp[inv.sub]])
    write_with_later(
        ctx,
        landing,
        truth,
        t,
        frame,
        inv_ids,
        (inv.status == "paid") & (inv.paid_at > inv.issued) & (inv.total > 0),
        {
            "status": np.full(ni, "open"),
            "amount_paid": np.zeros(ni, np.int64),
            "paid_at": np.full(ni, NULL),
            "updated_at": inv.issued,
        },
        "invoice paid after the first extract",
    )
    truth.identity(t, inv_ids, cust_person[inv.sub], cust_company[inv.sub])
    truth.mess("voided_invoice", t, inv_ids[inv.status == "void"], "voided and reissued")
    truth.mess("refund", t, inv_ids[inv.refunded], "partly refunded: amount_paid < total")
    overdue = (inv.status == "open") & (inv.due // DAY + 31 <= ctx.end_day)
    truth.leak("uncollected_invoice", t, inv_ids[(inv.status == "uncollectible") | overdue])
    truth.leak("underbilled_invoice", t, inv_ids[inv.underbilled & (inv.status != "void")])
    t = table("finance", "invoice_lines")
    landing.write(
        t,
        {
            "invoice_line_id": line_ids,
            "invoice_id": inv_ids,
            "subscription_id": sub_ids[inv.sub],
            "plan_id": plans.plan_ids(inv.plan),
            "quantity": inv.qty,
            "unit_amount": inv.unit,
            "amount": inv.line_amount,
            "period_start": inv.period_start,
            "period_end": inv.period_end,
            "is_proration": inv.proration,
        },
    )
    truth.mess("proration", t, line_ids[inv.proration], "mid-period change prorated")
    g = finance.gl_expenses(ctx, inv, fx, subs)
    landing.write(
        table("finance", "gl_expenses"),
        {
            "month": g["month"],
            "department": g["department"],
            "category": g["category"],
            "amount": g["amount"],
            "currency": np.full(len(g["month"]), "USD"),
        },
    )


# ----------------------------------------------------------------------------- success
def _success(
    ctx: Ctx,
    landing: Landing,
    truth: Truth,
    world: World,
    subs: billing.Subs,
    events: billing.Events,
    acc: sales.Accounts,
) -> None:
    rng = ctx.rng("out/success")
    c, P = world.comp, world.people
    seg = billing.segments(ctx, events)
    people = success.People(P["company"], world.n_companies)
    acc_ids = sid("ACC-", rank((acc.company, acc.created)), 7)
    health = c["health"]
    # the (last) cancellation of each subscription, for NPS before churn
    canceled = events.etype == billing.CANCELED
    churn_at = np.full(len(subs.anchor), NULL)
    churn_at[events.sub[canceled]] = events.time[canceled]

    tk = success.tickets(ctx, seg, subs, health, people)
    n = len(tk["created"])
    ids = sid("TCK-", np.arange(n), 8)
    email_only = rng.random(n) < ctx.rate("ticket_email_only")
    pe = P["email"][np.maximum(tk["person"], 0)]
    email = email_variant(
        rng,
        pe,
        np.where(rng.random(n) < 0.1, 1, 0),
        P["first"][tk["person"]],
        P["last"][tk["person"]],
        tk["person"],
    )
    frame = {
        "ticket_id": ids,
        "account_id": null_if(email_only, acc_ids[tk["account"]]),
        "requester_email": email,
        "created_at": tk["created"],
        "first_response_at": tk["first"],
        "solved_at": tk["solved"],
        "priority": tk["priority"],
        "status": tk["status"],
        "csat_score": tk["csat"],
        "updated_at": tk["updated"],
    }
    t = table("success", "tickets")
    plant_offsets(ctx, truth, t, frame, ids, c["offset"][tk["company"]])
    solved = (tk["solved"] != NULL) & (tk["solved"] > tk["created"])
    first_or_created = np.where(tk["first"] != NULL, tk["first"], tk["created"])
    write_with_later(
        ctx,
        landing,
        truth,
        t,
        frame,
        ids,
        solved & (first_or_created < tk["updated"]) & ~tk["invalid"],
        {
            "status": np.full(n, "open"),
            "solved_at": np.full(n, NULL),
            "csat_score": np.full(n, NULL),
            "updated_at": first_or_created,
        },
        "ticket solved after the first extract",
    )
    truth.identity(t, ids, ptruth(tk["person"]), world.company_truth(tk["company"]))
    truth.mess("ticket_email_only", t, ids[email_only], "account_id empty")
    truth.mess("invalid_ticket_value", t, ids[tk["invalid"]], "csat outside 1-5 or solved early")
    truth.mess(
        "internal_test_record",
        t,
        ids[c["internal"][tk["company"]]],
        "ticket of an internal/test account",
    )

    nps = success.nps(ctx, seg, subs, health, people, churn_at)
    n = len(nps["responded"])
    ids = sid("NPS-", np.arange(n), 8)
    email_only = rng.random(n) < ctx.rate("nps_email_only")
    frame = {
        "response_id": ids,
        "email": P["email"][nps["person"]],
        "account_id": null_if(email_only, acc_ids[nps["account"]]),
        "responded_at": nps["responded"],
        "score": nps["score"],
        "comment": nps["comment"],
    }
    t = table("success", "nps_responses")
    plant_offsets(ctx, truth, t, frame, ids, c["offset"][nps["company"]])
    landing.write(t, frame)
    truth.identity(t, ids, ptruth(nps["person"]), world.company_truth(nps["company"]))
    truth.mess("nps_email_only", t, ids[email_only], "account_id empty")
    truth.mess("invalid_nps_score", t, ids[nps["invalid"]], "score outside 0-10")

    t = table("success", "product_usage")
    with landing.parquet_stream(t) as out:
        for ch in success.usage(ctx, seg, subs, health):
            out.write(
                {
                    "account_id": acc_ids[ch["account"]],
                    "usage_date": ch["day"],
                    "active_users": ch["active_users"],
                    "licensed_seats": ch["licensed_seats"],
                    "key_events": ch["key_events"],
                }
            )
