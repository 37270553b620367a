"""Scales, mess rates and the run context shared by every generator module."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

# Roughly how many customers the company acquires over the history.
SCALES: dict[str, int] = {"xs": 200, "s": 2_000, "m": 20_000, "l": 200_000}

# Every planted mess (and leakage finding) -> the rate it is planted at. Rates are shares
# of the records the mess can apply to (see the comment on each).
DEFAULT_MESS_RATES: dict[str, float] = {
    # identity messes (truth in _truth/messes.csv)
    "duplicate_lead": 0.03,  # leads re-entered by the same person
    "lead_converted_other_email": 0.05,  # converted contacts whose email differs from the lead's
    "duplicate_contact_email_variant": 0.03,  # contacts entered twice, email case/whitespace
    "duplicate_contact_plus_address": 0.02,  # contacts entered twice, name+tag@domain
    "duplicate_contact_new_record": 0.02,  # a new contact instead of an update, same email
    "duplicate_account": 0.04,  # accounts entered twice with name/website variants
    "similar_name_different_company": 0.02,  # account pairs given look-alike names (traps)
    "customer_without_crm_account": 0.2,  # billing customers with crm_account_id null
    "ticket_email_only": 0.5,  # tickets with account_id null
    "nps_email_only": 0.6,  # NPS answers with account_id null
    "internal_test_record": 0.02,  # internal/test companies per account
    "soft_deleted": 0.02,  # accounts, contacts, opportunities with is_deleted = true
    "later_extract": 0.05,  # rows repeated in part-00001 with newer values
    "timestamp_offset": 0.1,  # rows written in a non-UTC offset
    "sql_without_mql": 0.1,  # SQL leads without became_mql_at
    "foreign_currency": 0.9,  # non-US customers billed in EUR/GBP instead of USD
    "annual_plan": 0.3,  # subscriptions on yearly plans
    "proration": 0.8,  # mid-period seat/plan changes invoiced as proration
    "voided_invoice": 0.01,  # invoices voided and reissued
    "refund": 0.01,  # paid invoices partly refunded (amount_paid < total)
    "invalid_ticket_value": 0.01,  # tickets with csat 0/7 or solved before created
    "invalid_nps_score": 0.005,  # NPS answers with a score outside 0-10
    # revenue leakage (truth in _truth/leakage.csv)
    "unbilled_won_deal": 0.03,  # won new_business deals never (or late) billed
    "uncollected_invoice": 0.01,  # invoices left open >30 days past due; enables dunning failures
    "underbilled_invoice": 0.01,  # regular invoices billing fewer seats / a lower price
    "unapproved_discount": 0.04,  # subscriptions created with discount_pct > 30
}
LEAKAGE_KINDS = (
    "unbilled_won_deal",
    "uncollected_invoice",
    "underbilled_invoice",
    "unapproved_discount",
)

DAY = 86_400
HOUR = 3_600
NULL = np.iinfo(np.int64).min  # null timestamp / money / int sentinel


@dataclass
class Ctx:
    """Run-wide settings and the named random streams."""

    scale: str
    customers: int
    seed: int
    months: int
    start_date: dt.date  # first day of the history
    end_date: dt.date  # the as-of date, last day of data
    rates: dict[str, float]
    progress: Callable[[str], None]
    _streams: dict[str, np.random.Generator] = field(default_factory=dict)

    @property
    def start_ts(self) -> int:
        return to_ts(self.start_date)

    @property
    def end_ts(self) -> int:
        """Last second of end_date, UTC: nothing may happen after it."""
        return to_ts(self.end_date) + DAY - 1

    @property
    def start_day(self) -> int:
        return (self.start_date - dt.date(1970, 1, 1)).days

    @property
    def end_day(self) -> int:
        return (self.end_date - dt.date(1970, 1, 1)).days

    def rng(self, name: str) -> np.random.Generator:
        """One independent stream per module, so editing one module leaves others' data alone."""
        if name not in self._streams:
            key = [self.seed, *name.encode()]
            self._streams[name] = np.random.Generator(np.random.PCG64(np.random.SeedSequence(key)))
        return self._streams[name]

    def rate(self, kind: str) -> float:
        return float(self.rates[kind])


def to_ts(d: dt.date) -> int:
    return (d - dt.date(1970, 1, 1)).days * DAY


def history_start(end_date: dt.date, months: int) -> dt.date:
    m = end_date.year * 12 + end_date.month - 1 - (months - 1)
    return dt.date(m // 12, m % 12 + 1, 1)
