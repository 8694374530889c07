"""Numbers as a marketing manager reads them: thousands separators, sensible decimals, units."""

from __future__ import annotations

import math


def _missing(value: float | int | None) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def count(value: float | int | None) -> str:
    return "–" if _missing(value) else f"{round(float(value)):,}"


def number(value: float | None, decimals: int = 1) -> str:
    return "–" if _missing(value) else f"{value:,.{decimals}f}"


def hours(value: float | None) -> str:
    return "–" if _missing(value) else f"{value:,.1f} h"


def days(value: float | None) -> str:
    return "–" if _missing(value) else f"{value:,.0f} days"


def share(value: float | None, decimals: int = 1) -> str:
    """A 0–1 fraction as a percentage."""
    return "–" if _missing(value) else f"{value * 100:,.{decimals}f} %"


def money(value: float | None, decimals: int = 2) -> str:
    return "–" if _missing(value) else f"{value:,.{decimals}f}"
