"""Option values shared by several commands."""

from __future__ import annotations

import argparse


def filter_values(args: argparse.Namespace) -> dict[str, object]:
    """The filter options of ``export`` and ``campaign export|measure`` as filter values."""
    return {
        name: getattr(args, name, None)
        for name in ("segment", "rfm_segment", "gender", "country", "plan", "customer_id")
    }
