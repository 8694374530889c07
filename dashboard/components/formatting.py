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


# Currencies written as a sign before the amount; any other name (EUR, CHF) follows it.
CURRENCY_SIGNS = frozenset("$€£¥₹")


def money(value: float | None, decimals: int = 2, currency: str | None = None) -> str:
    """``$1,234.50``, ``1,234.50 EUR``, or a plain ``1,234.50`` when no currency is known."""
    if _missing(value):
        return "–"
    if not currency:
        return f"{value:,.{decimals}f}"
    amount = f"{abs(value):,.{decimals}f}"
    sign = "-" if value < 0 else ""
    if currency in CURRENCY_SIGNS:
        return f"{sign}{currency}{amount}"
    return f"{sign}{amount} {currency}"


def currency_note(currency: str | None, configured: bool, source_file: str) -> str:
    """Where the money's currency comes from, said once next to the amounts."""
    if configured and currency:
        return f"Amounts in {currency} (the CURRENCY setting)."
    if currency:
        return f"Amounts in {currency}, as {source_file} writes its revenue."
    return (
        f"{source_file} names no currency: amounts are plain numbers (set CURRENCY to label them)."
    )
