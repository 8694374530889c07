"""Win-back discount targets and a stable control group.

Who is targeted: every Dormant customer (they liked the service and drifted away), and
the Risky customers with Medium engagement (they still watch, but are slipping).
Risky customers with Low engagement are not offered a discount: a discount rarely
brings back someone who barely watched.

How much: ``discount_pct`` comes from a table keyed by (segment, engagement level);
defaults Dormant/High 10 %, Dormant/Medium 15 %, Risky/Medium 20 %. A target whose key
is missing from the table is an error, never a silent 0 % or a guessed value.

Control group: about ``control_share`` of the targets (10 % by default) are held
out so the campaign's effect can be measured. The choice is a stable hash, not a
random draw: BLAKE2b (8-byte digest) of ``campaign_seed + "\\x00" + customer_id``
in UTF-8, read as a big-endian unsigned integer and divided by 2**64; the customer
is in the control group when that fraction is below ``control_share``. The same
customer and seed give the same answer in every run and every data set (Python's
own ``hash()`` is salted per process and would not). A new seed draws a new group.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping

import numpy as np
import pandas as pd

DiscountTable = Mapping[tuple[str, str], float]

DEFAULT_DISCOUNT_TABLE: dict[tuple[str, str], float] = {
    ("Dormant", "High"): 10.0,
    ("Dormant", "Medium"): 15.0,
    ("Risky", "Medium"): 20.0,
}
"""Discount in percent by (rule segment, engagement level)."""

DEFAULT_CAMPAIGN_SEED = "winback-1"
DEFAULT_CONTROL_SHARE = 0.10

TARGET_REASONS: tuple[str, ...] = ("Dormant", "Risky, medium engagement")
TARGET_COLUMNS: tuple[str, ...] = (
    "discount_target",
    "target_reason",
    "discount_pct",
    "control_group",
)


def control_group_flags(
    customer_ids: pd.Series,
    campaign_seed: str = DEFAULT_CAMPAIGN_SEED,
    control_share: float = DEFAULT_CONTROL_SHARE,
) -> pd.Series:
    """True for the customers held out of the campaign (bool, same index).

    Deterministic per (campaign_seed, customer_id); see the module docstring for the
    exact formula so other systems can reproduce it.
    """
    if not 0.0 <= control_share <= 1.0:
        raise ValueError("control_share must be between 0 and 1")
    prefix = campaign_seed.encode("utf-8") + b"\x00"
    digests = b"".join(
        hashlib.blake2b(prefix + customer_id.encode("utf-8"), digest_size=8).digest()
        for customer_id in customer_ids.astype(str).tolist()
    )
    fractions = np.frombuffer(digests, dtype=">u8").astype(np.float64) / 2.0**64
    return pd.Series(fractions < control_share, index=customer_ids.index, name="control_group")


def table_from_records(records: object) -> DiscountTable:
    """A run's stored discount table (``[{"segment", "engagement", "discount_pct"}, ...]``)
    over the defaults, so a table that names only some cells still prices every target."""
    table = dict(DEFAULT_DISCOUNT_TABLE)
    for entry in records if isinstance(records, list) else []:
        try:
            table[(str(entry["segment"]), str(entry["engagement"]))] = float(entry["discount_pct"])
        except (KeyError, TypeError, ValueError):
            continue
    return table


def select_discount_targets(
    customers: pd.DataFrame,
    discount_table: DiscountTable | None = None,
    campaign_seed: str = DEFAULT_CAMPAIGN_SEED,
    control_share: float = DEFAULT_CONTROL_SHARE,
) -> pd.DataFrame:
    """Discount columns for every customer (same index), from segment and engagement.

    ``customers`` needs customer_id, segment and engagement_level. Returns
    discount_target (bool), target_reason ("Dormant" / "Risky, medium engagement",
    missing for non-targets), discount_pct (float, NaN for non-targets) and
    control_group (bool; always False for non-targets, who are not in the campaign).
    Raises KeyError when a target's (segment, engagement) is not in the table.
    """
    table = DEFAULT_DISCOUNT_TABLE if discount_table is None else discount_table
    segment = customers["segment"].astype(object).to_numpy()
    level = customers["engagement_level"].astype(object).to_numpy()
    dormant = segment == "Dormant"
    risky_medium = (segment == "Risky") & (level == "Medium")
    target = dormant | risky_medium

    reason_codes = np.select([dormant, risky_medium], [0, 1], default=-1)
    discount_pct = np.full(len(customers), np.nan)
    if target.any():
        keys = pd.DataFrame({"segment": segment[target], "level": level[target]})
        groups = keys.groupby(["segment", "level"], sort=True).indices
        missing = [key for key in groups if key not in table]
        if missing:
            raise KeyError(f"discount table has no entry for targeted {missing}")
        target_pct = np.empty(int(target.sum()))
        for key, positions in groups.items():
            pct = float(table[key])
            if not 0.0 < pct <= 100.0:
                raise ValueError(f"discount for {key} must be in (0, 100], got {pct}")
            target_pct[positions] = pct
        discount_pct[target] = target_pct

    control = np.zeros(len(customers), dtype=bool)
    if target.any():
        control[target] = control_group_flags(
            customers["customer_id"][target], campaign_seed, control_share
        ).to_numpy()

    return pd.DataFrame(
        {
            "discount_target": target,
            "target_reason": pd.Categorical.from_codes(
                reason_codes, categories=list(TARGET_REASONS)
            ),
            "discount_pct": discount_pct,
            "control_group": control,
        },
        index=customers.index,
    )
