"""The synthetic export generator: determinism, invariants, distributions and the follow-up."""

from __future__ import annotations

import io
from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest

from dashboard.services import sample_data as gen
from dashboard.services.sample_data import (
    COLUMNS,
    CSV_OPTIONS,
    CUSTOMER_ID,
    FOLLOWUP_COLUMNS,
    GENDER,
    JOIN_DATE,
    LAST_LOGIN,
    SUBSCRIPTION_STATUS,
    VISIT_FREQUENCY,
    WATCH_TIME_HOURS,
    generate_customers,
    generate_followup,
    write_csv,
    write_frame,
)

AS_OF = date(2025, 6, 30)
SAMPLE_ROWS = 50_000


def serialise(frame: pd.DataFrame) -> str:
    buffer = io.StringIO()
    frame.to_csv(buffer, **CSV_OPTIONS)
    return buffer.getvalue()


def days_before(as_of: date, column: pd.Series) -> pd.Series:
    return (pd.Timestamp(as_of) - column).dt.days


@pytest.fixture(scope="module")
def sample() -> pd.DataFrame:
    return generate_customers(SAMPLE_ROWS, seed=2025)


@pytest.fixture(scope="module")
def treated(sample: pd.DataFrame) -> pd.Series:
    """A random half of the sample, as a discount campaign would pick it."""
    rng = np.random.default_rng(99)
    return sample.loc[rng.random(len(sample)) < 0.5, CUSTOMER_ID]


# --- Determinism -----------------------------------------------------------------------------


def test_same_seed_gives_identical_frame() -> None:
    pd.testing.assert_frame_equal(generate_customers(500, seed=3), generate_customers(500, seed=3))


def test_same_seed_gives_identical_file_bytes(tmp_path) -> None:
    write_csv(tmp_path / "a.csv", 500, seed=3, chunk_rows=120)
    write_csv(tmp_path / "b.csv", 500, seed=3, chunk_rows=120)
    assert (tmp_path / "a.csv").read_bytes() == (tmp_path / "b.csv").read_bytes()


def test_different_seed_gives_different_data() -> None:
    first, second = generate_customers(500, seed=3), generate_customers(500, seed=4)
    assert not first[WATCH_TIME_HOURS].equals(second[WATCH_TIME_HOURS])
    assert not first["Name"].equals(second["Name"])


def test_as_of_shifts_dates_only() -> None:
    earlier = generate_customers(200, seed=3, as_of=AS_OF - timedelta(days=10))
    later = generate_customers(200, seed=3)
    assert (later[LAST_LOGIN] - earlier[LAST_LOGIN]).dt.days.eq(10).all()
    assert later[WATCH_TIME_HOURS].equals(earlier[WATCH_TIME_HOURS])


def test_chunked_file_equals_one_shot_frame(tmp_path) -> None:
    path = tmp_path / "customers.csv"
    write_csv(path, 250, seed=11, chunk_rows=60)
    frame = generate_customers(250, seed=11, chunk_rows=60)
    text = path.read_text(encoding="utf-8")
    assert text == serialise(frame)
    assert text.count("\n") == 251 and "\r" not in text


def test_write_frame_matches_write_csv(tmp_path) -> None:
    write_csv(tmp_path / "streamed.csv", 130, seed=5, chunk_rows=50)
    write_frame(generate_customers(130, seed=5, chunk_rows=50), tmp_path / "frame.csv")
    assert (tmp_path / "streamed.csv").read_bytes() == (tmp_path / "frame.csv").read_bytes()


def test_chunks_do_not_depend_on_total_rows() -> None:
    """Chunk i has its own RNG stream, so a longer export extends a shorter one."""
    short = generate_customers(100, seed=8, chunk_rows=40)
    long = generate_customers(180, seed=8, chunk_rows=40)
    pd.testing.assert_frame_equal(long.iloc[:80], short.iloc[:80])  # the two full chunks
    # The partial last chunk draws a different number of values, so only its ids agree.
    assert long[CUSTOMER_ID].iloc[80] == short[CUSTOMER_ID].iloc[80] == "C0000081"


def test_file_round_trips_through_read_csv(tmp_path) -> None:
    path = tmp_path / "customers.csv"
    write_csv(path, 300, seed=6)
    back = pd.read_csv(path, parse_dates=[JOIN_DATE, LAST_LOGIN])
    frame = generate_customers(300, seed=6)
    assert list(back.columns) == COLUMNS
    pd.testing.assert_series_equal(back[CUSTOMER_ID], frame[CUSTOMER_ID])
    assert (back[LAST_LOGIN] == frame[LAST_LOGIN]).all()
    assert np.allclose(back[WATCH_TIME_HOURS], frame[WATCH_TIME_HOURS], rtol=0, atol=1e-9)
    assert back[GENDER].isna().equals(frame[GENDER].isna())


# --- Shape and invariants --------------------------------------------------------------------


@pytest.mark.parametrize(("rows", "chunk_rows"), [(0, 10), (1, 10), (10, 10), (11, 10), (257, 64)])
def test_row_count_is_exact(tmp_path, rows: int, chunk_rows: int) -> None:
    assert len(generate_customers(rows, seed=1, chunk_rows=chunk_rows)) == rows
    path = tmp_path / "c.csv"
    write_csv(path, rows, seed=1, chunk_rows=chunk_rows)
    assert len(pd.read_csv(path)) == rows


def test_ids_are_unique_zero_padded_and_sequential() -> None:
    frame = generate_customers(1_234, seed=2, chunk_rows=500)
    ids = frame[CUSTOMER_ID]
    assert ids.is_unique
    assert ids.str.fullmatch(r"C\d{7}").all()
    assert ids.iloc[0] == "C0000001" and ids.iloc[-1] == "C0001234"


def test_dates_are_ordered_and_bounded(sample: pd.DataFrame) -> None:
    assert (sample[JOIN_DATE] <= sample[LAST_LOGIN]).all()
    assert (sample[LAST_LOGIN] <= pd.Timestamp(AS_OF)).all()
    assert days_before(AS_OF, sample[JOIN_DATE]).max() <= 5 * 365
    assert days_before(AS_OF, sample[LAST_LOGIN]).max() <= 730


def test_numeric_columns_in_range(sample: pd.DataFrame) -> None:
    assert sample["Age"].between(18, 80).all()
    assert (sample[WATCH_TIME_HOURS] >= 0).all()
    assert (sample[VISIT_FREQUENCY] >= 0).all()
    cents = sample[WATCH_TIME_HOURS] * 100
    assert np.allclose(cents, cents.round(), atol=1e-6)  # two decimals
    full_price = sample["Plan"].map({"Basic": 9.99, "Standard": 15.49, "Premium": 22.99})
    revenue = sample["Monthly Revenue"]
    assert ((revenue > 0) & (revenue <= full_price)).all()
    assert 0.85 < (revenue == full_price).mean() < 0.97  # occasionally discounted


def test_categorical_values(sample: pd.DataFrame) -> None:
    assert set(sample["Country"]) == set(gen.COUNTRY_WEIGHTS)
    assert set(sample["Plan"]) == {"Basic", "Standard", "Premium"}
    assert set(sample[GENDER].dropna()) == {"Female", "Male", "Other"}
    assert sample["Name"].str.fullmatch(r"[A-Z][a-z]+ [A-Z][a-z]+").all()


# --- Distributions (50,000 rows; bounds are several standard errors wide) ------------------


def test_watch_hours_heavy_tailed_around_20(sample: pd.DataFrame) -> None:
    watch = sample[WATCH_TIME_HOURS]
    assert 18.0 <= watch.median() <= 22.5
    assert watch.quantile(0.99) > 120 and watch.max() > 300
    assert watch.mean() > 1.2 * watch.median()  # right skew


def test_recency_mixture(sample: pd.DataFrame) -> None:
    recency = days_before(AS_OF, sample[LAST_LOGIN])
    assert 0.48 <= (recency <= 30).mean() <= 0.535  # expected 0.507
    assert 0.18 <= (recency > 180).mean() <= 0.22  # dormant tail, expected ~0.20
    assert 0.15 <= (recency <= 3).mean() <= 0.20  # spike of very recent users, expected 0.17


def test_visits_correlate_with_watch_time(sample: pd.DataFrame) -> None:
    rho = sample[WATCH_TIME_HOURS].corr(sample[VISIT_FREQUENCY], method="spearman")
    assert rho > 0.3


def test_gender_shares(sample: pd.DataFrame) -> None:
    shares = sample[GENDER].fillna("blank").value_counts(normalize=True)
    expected = {"Female": 0.48, "Male": 0.47, "Other": 0.03, "blank": 0.02}
    for gender, share in expected.items():
        assert abs(shares.get(gender, 0.0) - share) <= 0.02, gender


def test_age_skews_young(sample: pd.DataFrame) -> None:
    age = sample["Age"]
    assert 30 <= age.median() <= 36
    assert (age <= 40).mean() > 0.6 and (age >= 65).mean() < 0.05


def test_plan_and_country_weights(sample: pd.DataFrame) -> None:
    plans = sample["Plan"].value_counts(normalize=True)
    assert abs(plans["Premium"] - 0.20) < 0.015
    countries = sample["Country"].value_counts(normalize=True)
    assert countries.index[0] == "United States" and abs(countries.iloc[0] - 0.30) < 0.015


# --- Follow-up export ------------------------------------------------------------------------


def renewal_rates(baseline: pd.DataFrame, followup: pd.DataFrame, treated: pd.Series):
    status = baseline[[CUSTOMER_ID]].merge(
        followup[[CUSTOMER_ID, SUBSCRIPTION_STATUS]], on=CUSTOMER_ID, how="left"
    )
    renewed = status[SUBSCRIPTION_STATUS].eq("Active").to_numpy()
    is_treated = baseline[CUSTOMER_ID].isin(treated).to_numpy()
    return renewed[is_treated].mean(), renewed[~is_treated].mean()


@pytest.mark.parametrize("effect", [0.0, 0.2])
def test_followup_renewal_lift_matches_effect(sample, treated, effect: float) -> None:
    followup = generate_followup(sample, treated, seed=5, effect=effect)
    treated_rate, control_rate = renewal_rates(sample, followup, treated)
    # Standard error of the difference is about 0.0045 on 50,000 customers.
    assert abs((treated_rate - control_rate) - effect) < 0.02
    assert 0.45 < control_rate < 0.70


def test_followup_matches_customers_by_id(sample, treated) -> None:
    followup = generate_followup(sample, treated, seed=5, effect=0.1, days_later=90)
    assert list(followup.columns) == FOLLOWUP_COLUMNS
    assert followup[CUSTOMER_ID].is_unique
    assert set(followup[SUBSCRIPTION_STATUS]) == {"Active", "Cancelled"}
    both = sample.merge(followup, on=CUSTOMER_ID, suffixes=("_before", "_after"))
    assert 0.6 < len(both) / len(sample) < 0.95  # some churned customers are absent
    for column in ["Name", "Age", "Country", "Plan", JOIN_DATE, "Monthly Revenue"]:
        assert both[f"{column}_before"].equals(both[f"{column}_after"]), column
    assert (both[f"{WATCH_TIME_HOURS}_after"] >= both[f"{WATCH_TIME_HOURS}_before"]).all()
    assert (both[f"{LAST_LOGIN}_after"] >= both[f"{LAST_LOGIN}_before"]).all()
    assert (both[f"{WATCH_TIME_HOURS}_after"] > both[f"{WATCH_TIME_HOURS}_before"]).mean() > 0.3
    assert (followup[JOIN_DATE] <= followup[LAST_LOGIN]).all()
    assert (followup[LAST_LOGIN] <= pd.Timestamp(AS_OF + timedelta(days=90))).all()


def test_followup_adds_new_customers_after_baseline(sample, treated) -> None:
    followup = generate_followup(sample, treated, seed=5, new_customer_share=0.08)
    new = followup[~followup[CUSTOMER_ID].isin(sample[CUSTOMER_ID])]
    assert len(new) == round(0.08 * len(sample))
    assert new[CUSTOMER_ID].iloc[0] == f"C{len(sample) + 1:07d}"
    assert (new[JOIN_DATE] > pd.Timestamp(AS_OF)).all()
    assert new[SUBSCRIPTION_STATUS].eq("Active").all()


def test_followup_is_deterministic_and_seed_sensitive(sample, treated) -> None:
    first = generate_followup(sample.iloc[:2000], treated, seed=1, effect=0.1)
    again = generate_followup(sample.iloc[:2000], treated, seed=1, effect=0.1)
    other = generate_followup(sample.iloc[:2000], treated, seed=2, effect=0.1)
    pd.testing.assert_frame_equal(first, again)
    assert not first[CUSTOMER_ID].equals(other[CUSTOMER_ID])


def test_effect_only_changes_treated_customers(sample, treated) -> None:
    """Common random numbers: control rows are identical whatever the effect."""
    base = sample.iloc[:5000]
    without = generate_followup(base, treated, seed=9, effect=0.0).set_index(CUSTOMER_ID)
    with_effect = generate_followup(base, treated, seed=9, effect=0.2).set_index(CUSTOMER_ID)
    control = base.loc[~base[CUSTOMER_ID].isin(treated), CUSTOMER_ID]
    control_without = without.reindex(control)
    pd.testing.assert_frame_equal(control_without, with_effect.reindex(control))
    # Treated customers who watched in both runs watched exactly (1 + effect) times as much.
    before = base.set_index(CUSTOMER_ID)[WATCH_TIME_HOURS]
    ids = without.index.intersection(with_effect.index).intersection(pd.Index(treated))
    grown_without = without.loc[ids, WATCH_TIME_HOURS] - before.reindex(ids)
    grown_with = with_effect.loc[ids, WATCH_TIME_HOURS] - before.reindex(ids)
    same_window = (grown_without > 1) & (
        without.loc[ids, SUBSCRIPTION_STATUS] == with_effect.loc[ids, SUBSCRIPTION_STATUS]
    )
    assert same_window.sum() > 100
    ratio = grown_with[same_window] / grown_without[same_window]
    assert np.allclose(ratio, 1.2, atol=0.01)


def test_followup_accepts_baseline_read_from_csv(tmp_path, sample, treated) -> None:
    base = sample.iloc[:1000]
    path = tmp_path / "baseline.csv"
    write_frame(base, path)
    from_file = generate_followup(pd.read_csv(path), set(treated), seed=4, effect=0.1)
    from_frame = generate_followup(base, treated, seed=4, effect=0.1)
    assert serialise(from_file) == serialise(from_frame)


def test_invalid_arguments_are_rejected(sample) -> None:
    with pytest.raises(ValueError, match="rows"):
        generate_customers(-1, seed=1)
    with pytest.raises(ValueError, match="chunk_rows"):
        generate_customers(10, seed=1, chunk_rows=0)
    with pytest.raises(ValueError, match="days_later"):
        generate_followup(sample.iloc[:10], [], seed=1, days_later=0)
    with pytest.raises(ValueError, match="effect"):
        generate_followup(sample.iloc[:10], [], seed=1, effect=1.5)


def test_a_series_is_one_customer_base_moving_on_deterministically(tmp_path) -> None:
    from datetime import date

    from dashboard.services.sample_data import (
        CUSTOMER_ID,
        SUBSCRIPTION_STATUS,
        generate_series,
        write_series_csvs,
    )

    snapshots = list(generate_series(3_000, seed=4, snapshots=3, every_days=30))
    assert [day for day, _ in snapshots] == [date(2025, 5, 1), date(2025, 5, 31), date(2025, 6, 30)]
    first, second, third = (frame for _, frame in snapshots)
    assert set(first[SUBSCRIPTION_STATUS]) == {"Active"}
    # The cancelled of one snapshot are absent from the next; most of the base stays.
    cancelled = set(second.loc[second[SUBSCRIPTION_STATUS] == "Cancelled", CUSTOMER_ID])
    assert cancelled and not cancelled & set(third[CUSTOMER_ID])
    kept = len(set(first[CUSTOMER_ID]) & set(second[CUSTOMER_ID])) / len(first)
    assert 0.5 < kept < 1.0
    new = set(second[CUSTOMER_ID]) - set(first[CUSTOMER_ID])
    assert new and min(new) > max(first[CUSTOMER_ID])  # sign-ups continue the ids
    written = write_series_csvs(tmp_path / "base.csv", 3_000, seed=4, snapshots=3)
    assert [path.name for path, _, _ in written] == [
        "base_2025-05-01.csv",
        "base_2025-05-31.csv",
        "base_2025-06-30.csv",
    ]
    assert [rows for _, _, rows in written] == [len(first), len(second), len(third)]
    again = list(generate_series(3_000, seed=4, snapshots=3, every_days=30))
    assert all(a.equals(b) for (_, a), (_, b) in zip(snapshots, again, strict=True))
