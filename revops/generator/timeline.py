"""Calendar helpers on int arrays (UTC seconds / days since 1970-01-01)."""

from __future__ import annotations

import numpy as np

from .config import DAY

# demand by calendar month: an August dip and a Q4 peak
SEASON = np.array([0.95, 1.0, 1.05, 1.0, 1.0, 0.95, 0.85, 0.7, 1.05, 1.2, 1.25, 0.9])


def month_index(days: np.ndarray) -> np.ndarray:
    """Months since 1970-01 of each day."""
    return np.asarray(days, dtype="datetime64[D]").astype("datetime64[M]").astype(np.int64)


def month_first_day(month: np.ndarray) -> np.ndarray:
    return (
        np.asarray(month, dtype=np.int64)
        .astype("datetime64[M]")
        .astype("datetime64[D]")
        .astype(np.int64)
    )


def season(days: np.ndarray) -> np.ndarray:
    return SEASON[month_index(days) % 12]


def weekday(days: np.ndarray) -> np.ndarray:
    """0 = Monday ... 6 = Sunday (1970-01-01 was a Thursday)."""
    return (np.asarray(days, dtype=np.int64) + 3) % 7


def add_months(ts: np.ndarray, k: np.ndarray | int) -> np.ndarray:
    """The same day-of-month and time k months later (clamped to the month's end)."""
    ts = np.asarray(ts, dtype=np.int64)
    day, sec = np.divmod(ts, DAY)
    m = month_index(day)
    dom = day - month_first_day(m)
    target = m + k
    length = month_first_day(target + 1) - month_first_day(target)
    return (month_first_day(target) + np.minimum(dom, length - 1)) * DAY + sec


def day_of(ts: np.ndarray) -> np.ndarray:
    return np.asarray(ts, dtype=np.int64) // DAY
