"""How numbers read on the dashboard: money in whole dollars, rates as percentages."""

from __future__ import annotations

import math


def _missing(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def money(value) -> str:
    return "n/a" if _missing(value) else f"${float(value):,.0f}"


def rate(value) -> str:
    """A fraction in [0, 1] as a percentage with one decimal."""
    return "n/a" if _missing(value) else f"{float(value):.1%}"


def ratio(value, unit: str = "") -> str:
    return "n/a" if _missing(value) else f"{float(value):,.2f}{unit}"


def number(value, decimals: int = 0) -> str:
    return "n/a" if _missing(value) else f"{float(value):,.{decimals}f}"


def month(value) -> str:
    return value.strftime("%Y-%m")
