"""The true world: companies (with health and size) and the people working there."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from . import names
from .config import Ctx

# code, region, local currency, UTC offset (minutes, no DST), weight, legal suffix, TLD, phone
COUNTRIES = (
    ("US", "amer", "USD", -300, 0.34, "Inc", ".us", "+1"),
    ("CA", "amer", "USD", -300, 0.05, "Inc", ".ca", "+1"),
    ("BR", "amer", "USD", -180, 0.03, "Ltda", ".com.br", "+55"),
    ("GB", "emea", "GBP", 0, 0.14, "Ltd", ".co.uk", "+44"),
    ("IE", "emea", "EUR", 0, 0.03, "Ltd", ".ie", "+353"),
    ("DE", "emea", "EUR", 60, 0.10, "GmbH", ".de", "+49"),
    ("FR", "emea", "EUR", 60, 0.07, "SAS", ".fr", "+33"),
    ("NL", "emea", "EUR", 60, 0.05, "B.V.", ".nl", "+31"),
    ("ES", "emea", "EUR", 60, 0.03, "S.L.", ".es", "+34"),
    ("SE", "emea", "EUR", 60, 0.03, "AB", ".se", "+46"),
    ("IN", "apac", "USD", 330, 0.05, "Pvt Ltd", ".in", "+91"),
    ("SG", "apac", "USD", 480, 0.03, "Pte Ltd", ".sg", "+65"),
    ("AU", "apac", "USD", 600, 0.04, "Pty Ltd", ".com.au", "+61"),
    ("JP", "apac", "USD", 540, 0.02, "K.K.", ".jp", "+81"),
)
COUNTRY_CODE = np.array([c[0] for c in COUNTRIES])
COUNTRY_REGION = np.array([c[1] for c in COUNTRIES])
COUNTRY_OFFSET = np.array([c[3] for c in COUNTRIES])
COUNTRY_LEGAL = np.array([c[5] for c in COUNTRIES])
COUNTRY_TLD = np.array([c[6] for c in COUNTRIES])
COUNTRY_PHONE = np.array([c[7] for c in COUNTRIES])
REGIONS = ("emea", "amer", "apac")
CURRENCIES = ("USD", "EUR", "GBP")
COUNTRY_LOCAL_CCY = np.array([CURRENCIES.index(c[2]) for c in COUNTRIES])
INTERNAL_DOMAIN = "example.com"
# variable-width strings: fixed-width unicode arrays of millions of names cost gigabytes
STR = np.dtypes.StringDType()


@dataclass
class World:
    """Companies are rows of `comp`; people are added as the story needs them."""

    comp: dict[str, np.ndarray]
    person_company: list[np.ndarray] = field(default_factory=list)
    people: dict[str, np.ndarray] = field(default_factory=dict)

    @property
    def n_companies(self) -> int:
        return len(self.comp["country"])

    @property
    def n_people(self) -> int:
        return int(sum(len(x) for x in self.person_company))

    def add_people(self, company: np.ndarray) -> np.ndarray:
        """New people at these companies; returns their person ids."""
        first = self.n_people
        self.person_company.append(np.asarray(company, dtype=np.int64))
        return np.arange(first, first + len(company), dtype=np.int64)

    def finalize_people(self, rng: np.random.Generator) -> None:
        """Names, emails, titles and phones of everybody, once all people exist."""
        pc = np.concatenate(self.person_company)
        first, last = names.person_names(rng, len(pc))
        email = names.work_emails(rng, first, last, self.comp["domain"][pc])
        country = self.comp["country"][pc]
        digits = rng.integers(1_000_000, 9_999_999, len(pc)).astype(str)
        phone = np.strings.add(np.strings.add(COUNTRY_PHONE[country], " "), digits)
        self.people = {
            "company": pc,
            "first": first.astype(STR),
            "last": last.astype(STR),
            "email": email.astype(STR),
            "title": names.titles(rng, len(pc)),
            "phone": phone.astype(STR),
        }

    def company_truth(self, company: np.ndarray) -> np.ndarray:
        """C-0000001, or `internal` for internal/test companies, '' where unknown."""
        company = np.asarray(company, dtype=np.int64)
        ok = company >= 0
        c = np.where(ok, company, 0)
        ids = np.strings.add("C-", np.strings.zfill((c + 1).astype(str), 7))
        ids = np.where(self.comp["internal"][c], "internal", ids)
        return np.where(ok, ids, "")


def person_truth(person: np.ndarray) -> np.ndarray:
    person = np.asarray(person, dtype=np.int64)
    ids = np.strings.add("P-", np.strings.zfill((np.maximum(person, 0) + 1).astype(str), 7))
    return np.where(person >= 0, ids, "")


def make_world(ctx: Ctx, n: int) -> World:
    """n companies; a small share are our own internal/test organisations."""
    rng = ctx.rng("world")
    w = np.array([c[4] for c in COUNTRIES])
    country = rng.choice(len(COUNTRIES), size=n, p=w / w.sum())
    comp = names.company_names(rng, n)
    comp["domain"] = names.domains(rng, comp["stem"], comp["sector"], COUNTRY_TLD[country])
    comp["country"] = country
    comp["region"] = COUNTRY_REGION[country]
    comp["offset"] = COUNTRY_OFFSET[country]
    comp["employees"] = np.clip(np.round(rng.lognormal(np.log(120), 1.1, n)), 5, 50_000)
    comp["employees"] = comp["employees"].astype(np.int64)
    foreign = rng.random(n) < ctx.rate("foreign_currency")
    comp["currency"] = np.where(foreign, COUNTRY_LOCAL_CCY[country], 0)
    comp["health"] = rng.normal(0, 1, n)  # drives usage, churn, expansion, tickets, NPS
    comp["legal"] = COUNTRY_LEGAL[country]
    comp["internal"] = np.zeros(n, dtype=bool)
    for k in ("stem", "sector", "name", "industry", "domain", "legal"):
        comp[k] = comp[k].astype(STR)
    return World(comp)


def mark_internal(world: World, rng: np.random.Generator, idx: np.ndarray) -> None:
    """Turn companies idx into internal/test organisations (example.com, 'Test' in the name)."""
    c = world.comp
    c["internal"][idx] = True
    kind = rng.integers(0, 3, len(idx))
    num = (np.arange(len(idx)) + 1).astype(str)
    label = np.where(
        kind == 0, "Test Account ", np.where(kind == 1, "QA Test Org ", "Internal Test ")
    )
    mask = np.zeros(world.n_companies, dtype=bool)
    mask[idx] = True
    full = np.full(world.n_companies, "", dtype=object)
    full[idx] = np.strings.add(label, num)
    full = full.astype(str)
    c["name"] = np.where(mask, full, c["name"])
    c["stem"] = np.where(mask, full, c["stem"])
    c["domain"] = np.where(mask, INTERNAL_DOMAIN, c["domain"])
    c["legal"] = np.where(mask, "", c["legal"])
    c["currency"][idx] = 0
