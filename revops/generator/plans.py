"""The price book: three products, monthly or yearly, in USD, EUR and GBP."""

from __future__ import annotations

import numpy as np

PRODUCTS = ("Starter", "Growth", "Enterprise")
INTERVALS = ("month", "year")
CURRENCIES = ("USD", "EUR", "GBP")
# monthly list price per seat in cents by product x currency; yearly is 10x (two months free)
_MONTHLY = np.array([[1500, 1400, 1200], [3500, 3200, 2800], [7000, 6500, 5500]], dtype=np.int64)
PRICE = np.stack([_MONTHLY, _MONTHLY * 10], axis=1)  # [tier, interval, currency]
INTERVAL_MONTHS = np.array([1, 12])


def plan_index(tier: np.ndarray, interval: np.ndarray, currency: np.ndarray) -> np.ndarray:
    return (np.asarray(tier) * 2 + np.asarray(interval)) * 3 + np.asarray(currency)


def plan_table() -> dict[str, np.ndarray]:
    idx = np.arange(len(PRODUCTS) * 2 * 3)
    tier, rest = np.divmod(idx, 6)
    interval, ccy = np.divmod(rest, 3)
    return {
        "index": idx,
        "tier": tier,
        "interval": interval,
        "currency": ccy,
        "price": PRICE[tier, interval, ccy],
    }


def plan_ids(index: np.ndarray) -> np.ndarray:
    """plan_growth_year_eur style ids."""
    index = np.asarray(index)
    tier, rest = np.divmod(index, 6)
    interval, ccy = np.divmod(rest, 3)
    names = np.array(
        [
            f"plan_{p.lower()}_{i}_{c.lower()}"
            for p in PRODUCTS
            for i in INTERVALS
            for c in CURRENCIES
        ]
    )
    return names[(tier * 2 + interval) * 3 + ccy]


def mrr_cents(tier, interval, currency, qty, disc_h) -> np.ndarray:
    """Monthly recurring amount in cents; disc_h is the discount in hundredths of a percent."""
    gross = PRICE[tier, interval, currency] * np.asarray(qty)
    return gross * (10_000 - np.asarray(disc_h)) / 10_000 / INTERVAL_MONTHS[interval]
