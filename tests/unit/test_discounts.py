"""Discount targets, the discount table, and the stable control group."""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd
import pytest

from dashboard.analytics.discounts import (
    DEFAULT_DISCOUNT_TABLE,
    TARGET_COLUMNS,
    control_group_flags,
    select_discount_targets,
)

ALL_COMBINATIONS = pd.DataFrame(
    {
        "customer_id": [f"C{i}" for i in range(9)],
        "segment": [
            "Loyal",
            "Casual",
            "Dormant",
            "Dormant",
            "Risky",
            "Risky",
            "Risky",
            "Dormant",
            "Casual",
        ],
        "engagement_level": [
            "High",
            "Medium",
            "High",
            "Medium",
            "Low",
            "Medium",
            "High",
            "Medium",
            "Medium",
        ],
    },
    index=[f"row{i}" for i in range(9)],
)


def test_default_table() -> None:
    assert DEFAULT_DISCOUNT_TABLE == {
        ("Dormant", "High"): 10.0,
        ("Dormant", "Medium"): 15.0,
        ("Risky", "Medium"): 20.0,
    }


def test_targets_are_all_dormant_and_risky_with_medium_engagement() -> None:
    result = select_discount_targets(ALL_COMBINATIONS, control_share=0.0)
    assert list(result.columns) == list(TARGET_COLUMNS)
    assert result.index.equals(ALL_COMBINATIONS.index)
    assert result["discount_target"].tolist() == [
        False,  # Loyal
        False,  # Casual
        True,  # Dormant, High
        True,  # Dormant, Medium
        False,  # Risky, Low: a discount rarely wins back someone who barely watched
        True,  # Risky, Medium
        False,  # Risky, High (over 120 days away): not in the brief's target rule
        True,  # Dormant, Medium
        False,  # Casual
    ]
    assert result["target_reason"].tolist()[2:6] == [
        "Dormant",
        "Dormant",
        np.nan,
        "Risky, medium engagement",
    ]
    assert result["target_reason"].isna().tolist() == (~result["discount_target"]).tolist()


def test_discount_pct_comes_from_the_default_table() -> None:
    result = select_discount_targets(ALL_COMBINATIONS)
    pct = result["discount_pct"]
    assert pct.iloc[[2, 3, 5, 7]].tolist() == [10.0, 15.0, 20.0, 15.0]
    assert pct[~result["discount_target"]].isna().all()


def test_custom_table_is_used() -> None:
    table = {("Dormant", "High"): 5, ("Dormant", "Medium"): 7.5, ("Risky", "Medium"): 30}
    result = select_discount_targets(ALL_COMBINATIONS, discount_table=table)
    assert result["discount_pct"].iloc[[2, 3, 5, 7]].tolist() == [5.0, 7.5, 30.0, 7.5]


def test_missing_table_entry_for_a_target_is_an_error() -> None:
    table = {("Dormant", "High"): 10.0, ("Dormant", "Medium"): 15.0}
    with pytest.raises(KeyError, match=r"no entry for targeted \[\(.Risky., .Medium.\)\]"):
        select_discount_targets(ALL_COMBINATIONS, discount_table=table)


def test_missing_entry_is_fine_when_nobody_needs_it() -> None:
    dormant_only = ALL_COMBINATIONS.iloc[[0, 2]]
    result = select_discount_targets(dormant_only, discount_table={("Dormant", "High"): 12.0})
    assert result["discount_pct"].iloc[1] == 12.0


@pytest.mark.parametrize("pct", [0.0, -5.0, 101.0])
def test_discount_outside_0_to_100_is_an_error(pct: float) -> None:
    table = {**DEFAULT_DISCOUNT_TABLE, ("Risky", "Medium"): pct}
    with pytest.raises(ValueError, match="must be in"):
        select_discount_targets(ALL_COMBINATIONS, discount_table=table)


def test_no_targets_gives_empty_columns() -> None:
    result = select_discount_targets(ALL_COMBINATIONS.iloc[[0, 1]])
    assert not result["discount_target"].any()
    assert not result["control_group"].any()
    assert result["discount_pct"].isna().all()


def test_categorical_inputs_work() -> None:
    frame = ALL_COMBINATIONS.astype({"segment": "category", "engagement_level": "category"})
    result = select_discount_targets(frame)
    assert result["discount_target"].sum() == 4


def expected_flag(seed: str, customer_id: str, share: float) -> bool:
    digest = hashlib.blake2b(f"{seed}\x00{customer_id}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64 < share


IDS = pd.Series([f"CUST-{i:06d}" for i in range(100_000)])


def test_control_flags_follow_the_documented_formula() -> None:
    ids = pd.Series(["a", "b", "C000123", "ünïcode", ""], index=[5, 4, 3, 2, 1])
    flags = control_group_flags(ids, "spring-2025", 0.5)
    assert flags.index.equals(ids.index)
    assert flags.dtype == bool
    assert flags.tolist() == [expected_flag("spring-2025", i, 0.5) for i in ids]


def test_control_share_is_close_to_the_parameter_on_100k_ids() -> None:
    for share in (0.10, 0.25):
        observed = control_group_flags(IDS, "seed-a", share).mean()
        assert abs(observed - share) < 0.005  # about 5 standard deviations


def test_control_flags_are_stable_across_runs_and_data_sets() -> None:
    full = control_group_flags(IDS, "seed-a", 0.1)
    again = control_group_flags(IDS, "seed-a", 0.1)
    pd.testing.assert_series_equal(full, again)
    subset = IDS.iloc[::7].sample(frac=1.0, random_state=0)  # another data set, other order
    pd.testing.assert_series_equal(control_group_flags(subset, "seed-a", 0.1), full[subset.index])


def test_a_new_seed_draws_a_new_group() -> None:
    first = control_group_flags(IDS, "seed-a", 0.1)
    second = control_group_flags(IDS, "seed-b", 0.1)
    overlap = (first & second).mean()
    assert 0.005 < overlap < 0.015  # independent draws overlap about 0.1 * 0.1


def test_share_zero_and_one() -> None:
    assert not control_group_flags(IDS.iloc[:1000], "s", 0.0).any()
    assert control_group_flags(IDS.iloc[:1000], "s", 1.0).all()
    with pytest.raises(ValueError, match="control_share"):
        control_group_flags(IDS.iloc[:10], "s", 1.5)


def test_only_targets_can_be_in_the_control_group() -> None:
    frame = pd.DataFrame(
        {
            "customer_id": IDS.iloc[:2000],
            "segment": ["Dormant", "Loyal"] * 1000,
            "engagement_level": "Medium",
        }
    )
    result = select_discount_targets(frame, campaign_seed="seed-a", control_share=0.5)
    assert not result.loc[~result["discount_target"], "control_group"].any()
    targets = frame[result["discount_target"]]
    expected = control_group_flags(targets["customer_id"], "seed-a", 0.5)
    pd.testing.assert_series_equal(
        result.loc[result["discount_target"], "control_group"], expected, check_names=False
    )
