"""Deterministic generator of realistic streaming-customer CSV exports.

The frames use the export-style column names that ingestion maps automatically, so a generated
frame written with :data:`CSV_OPTIONS` is byte-for-byte what :func:`write_csv` produces. Every
distribution and its parameters is documented in ``docs/generator.md``; the constants below are
the single source of those numbers.

Determinism: chunk ``i`` of an export draws from
``numpy.random.default_rng(SeedSequence(seed, spawn_key=(0, i)))`` (the same stream
``SeedSequence(seed).spawn`` would hand out, in a namespace of its own), so the output depends
only on ``(rows, seed, as_of, chunk_rows)``. :func:`generate_customers` and :func:`write_csv`
share the chunking and therefore agree for the same ``chunk_rows``; a different ``chunk_rows``
gives a different, equally valid export. The follow-up export draws from
``SeedSequence(seed, spawn_key=(1,))``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

DEFAULT_AS_OF = date(2025, 6, 30)
CHUNK_ROWS = 100_000

# Export-style column names (ingestion maps them to its own snake_case names).
CUSTOMER_ID = "Customer ID"
NAME = "Name"
GENDER = "Gender"
AGE = "Age"
COUNTRY = "Country"
PLAN = "Plan"
JOIN_DATE = "Join Date"
LAST_LOGIN = "Last Login"
WATCH_TIME_HOURS = "Watch Time Hours"
VISIT_FREQUENCY = "Visit Frequency"
MONTHLY_REVENUE = "Monthly Revenue"
SUBSCRIPTION_STATUS = "Subscription Status"

COLUMNS = [
    CUSTOMER_ID,
    NAME,
    GENDER,
    AGE,
    COUNTRY,
    PLAN,
    JOIN_DATE,
    LAST_LOGIN,
    WATCH_TIME_HOURS,
    VISIT_FREQUENCY,
    MONTHLY_REVENUE,
]
FOLLOWUP_COLUMNS = [*COLUMNS, SUBSCRIPTION_STATUS]

# How every frame is serialised: ISO dates, two decimals, blank for missing, Unix newlines.
CSV_OPTIONS: dict[str, object] = {
    "index": False,
    "date_format": "%Y-%m-%d",
    "float_format": "%.2f",
    "lineterminator": "\n",
}

ID_PREFIX = "C"
ID_DIGITS = 7

# --- Distribution parameters (documented in docs/generator.md) -----------------------------

GENDERS = ["Female", "Male", "Other", None]  # None is written as a blank cell
GENDER_WEIGHTS = [0.48, 0.47, 0.03, 0.02]

AGE_MIN, AGE_MAX = 18, 80
AGE_GAMMA_SHAPE, AGE_GAMMA_SCALE = 2.0, 9.0

COUNTRY_WEIGHTS = {
    "United States": 0.30,
    "United Kingdom": 0.09,
    "Brazil": 0.09,
    "Germany": 0.08,
    "India": 0.08,
    "Canada": 0.07,
    "France": 0.07,
    "Mexico": 0.06,
    "Spain": 0.05,
    "Australia": 0.04,
    "Japan": 0.04,
    "Italy": 0.03,
}

PLAN_PRICE_CENTS = {"Basic": 999, "Standard": 1549, "Premium": 2299}
PLAN_WEIGHTS = [0.40, 0.40, 0.20]
# Share of customers on a promotional price, and the percentage off.
DISCOUNT_PERCENTS = [0, 20, 50]
DISCOUNT_WEIGHTS = [0.92, 0.06, 0.02]

WATCH_MEDIAN_HOURS = 20.0
WATCH_LOG_SIGMA = 0.9
MAX_HOURS_PER_DAY = 6.0  # cap on watch hours per day of tenure (matters for brand-new joiners)
# Shift of log watch hours for recent, lapsing and dormant customers (engaged users watch more).
WATCH_LOG_SHIFTS = [0.2, -0.1, -0.4]

# Days since last login: a mixture of recent, lapsing and dormant customers.
RECENCY_WEIGHTS = [0.55, 0.25, 0.20]
RECENT_MEAN_DAYS = 12.0
LAPSING_DAYS = (30, 180)
DORMANT_DAYS = (180, 730)

MAX_TENURE_DAYS = 5 * 365
JOIN_GAP_MEAN_DAYS = 540.0

VISITS_BASE, VISITS_PER_LOG_HOUR = 0.5, 2.2
VISITS_FLOOR, VISITS_DECAY_DAYS = 0.25, 45.0

# Follow-up export.
CHURN_ABSENT_SHARE = 0.5
RENEW_BASE, RENEW_SPAN = 0.30, 0.50
LOGIN_BASE, LOGIN_SPAN = 0.25, 0.55
ENGAGEMENT_DECAY_DAYS = 60.0
ENGAGEMENT_WATCH_CAP_HOURS = 200.0
GROWTH_BASE_HOURS, GROWTH_PER_HOUR, GROWTH_LOG_SIGMA = 2.0, 0.15, 0.5
DAYS_PER_MONTH = 30.44
NEW_CUSTOMER_SHARE = 0.08
FOLLOWUP_WINDOW_DAYS = 90  # the window RENEW_BASE/RENEW_SPAN and NEW_CUSTOMER_SHARE describe
NEW_WATCH_MONTHLY_MEDIAN = 5.0

FIRST_NAMES = [
    "Olivia", "Liam", "Emma", "Noah", "Ava", "Oliver", "Sophia", "Lucas", "Mia", "Mateo",
    "Isabella", "Ethan", "Amelia", "James", "Charlotte", "Leo", "Harper", "Gabriel", "Aria",
    "Daniel", "Sofia", "Hugo", "Valentina", "Arjun", "Priya", "Rahul", "Ananya", "Yuki",
    "Haruto", "Sakura", "Lena", "Jonas", "Emilia", "Louis", "Chloe", "Camila", "Diego",
    "Lucia", "Marco", "Giulia", "Jack", "Grace", "Samuel", "Zoe", "Miguel", "Ana", "Felix",
    "Hannah",
]  # fmt: skip
LAST_NAMES = [
    "Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Martinez",
    "Lopez", "Wilson", "Taylor", "Anderson", "Thomas", "Moore", "Martin", "Lee", "Thompson",
    "White", "Clark", "Silva", "Santos", "Oliveira", "Souza", "Mueller", "Schmidt", "Schneider",
    "Fischer", "Dubois", "Moreau", "Laurent", "Bernard", "Sharma", "Patel", "Singh", "Gupta",
    "Tanaka", "Suzuki", "Sato", "Rossi", "Russo", "Ferrari", "Fernandez", "Gonzalez",
    "Hernandez", "Murphy", "Kelly", "Walker",
]  # fmt: skip

_FULL_NAMES = np.array([f"{first} {last}" for first in FIRST_NAMES for last in LAST_NAMES])
_GENDER_VALUES = np.array(GENDERS, dtype=object)
_COUNTRY_VALUES = np.array(list(COUNTRY_WEIGHTS), dtype=object)
_COUNTRY_PROBS = np.array(list(COUNTRY_WEIGHTS.values()))
_PLAN_VALUES = np.array(list(PLAN_PRICE_CENTS), dtype=object)
_PLAN_CENTS = np.array(list(PLAN_PRICE_CENTS.values()))


# --- Public API ------------------------------------------------------------------------------


def generate_customers(
    rows: int, seed: int, as_of: date = DEFAULT_AS_OF, *, chunk_rows: int = CHUNK_ROWS
) -> pd.DataFrame:
    """Return a baseline export of ``rows`` customers as of ``as_of``.

    Identical for identical ``(rows, seed, as_of, chunk_rows)``; equal to the file
    :func:`write_csv` writes with the same arguments, parsed back or serialised with
    :data:`CSV_OPTIONS`.
    """
    chunks = list(iter_customer_chunks(rows, seed, as_of, chunk_rows=chunk_rows))
    if not chunks:
        return _baseline_chunk(np.random.default_rng(seed), first_number=1, size=0, as_of=as_of)
    return pd.concat(chunks, ignore_index=True)


def iter_customer_chunks(
    rows: int, seed: int, as_of: date = DEFAULT_AS_OF, *, chunk_rows: int = CHUNK_ROWS
) -> Iterator[pd.DataFrame]:
    """Yield the export in frames of at most ``chunk_rows`` rows, each from its own RNG stream."""
    if rows < 0:
        raise ValueError(f"rows must be >= 0, got {rows}")
    if chunk_rows < 1:
        raise ValueError(f"chunk_rows must be >= 1, got {chunk_rows}")
    for chunk_index, start in enumerate(range(0, rows, chunk_rows)):
        size = min(chunk_rows, rows - start)
        rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(0, chunk_index)))
        frame = _baseline_chunk(rng, first_number=start + 1, size=size, as_of=as_of)
        frame.index = pd.RangeIndex(start, start + size)
        yield frame


def write_csv(
    path: Path,
    rows: int,
    seed: int,
    as_of: date = DEFAULT_AS_OF,
    chunk_rows: int = CHUNK_ROWS,
) -> None:
    """Write a baseline export to ``path``, holding at most ``chunk_rows`` rows in memory."""
    with Path(path).open("w", encoding="utf-8", newline="") as handle:
        pd.DataFrame(columns=COLUMNS).to_csv(handle, **CSV_OPTIONS)
        for chunk in iter_customer_chunks(rows, seed, as_of, chunk_rows=chunk_rows):
            chunk.to_csv(handle, header=False, **CSV_OPTIONS)


def write_frame(frame: pd.DataFrame, path: Path) -> None:
    """Write a generated frame (baseline or follow-up) exactly as :func:`write_csv` would."""
    with Path(path).open("w", encoding="utf-8", newline="") as handle:
        frame.to_csv(handle, **CSV_OPTIONS)


def generate_followup(
    baseline: pd.DataFrame,
    treated_ids: Iterable[str] | pd.Series,
    seed: int,
    effect: float = 0.0,
    days_later: int = 90,
    *,
    as_of: date = DEFAULT_AS_OF,
    new_customer_share: float = NEW_CUSTOMER_SHARE,
    renewal_power: float = 1.0,
) -> pd.DataFrame:
    """Return the export taken ``days_later`` days after ``baseline`` (exported on ``as_of``).

    ``renewal_power`` raises the renewal chance (before any effect) to that power: a series
    of monthly snapshots uses 30/90, so three months compound to one 90-day window.

    Business rules (see docs/generator.md for the formulas):

    * Each baseline customer renews with probability ``p_base + effect`` if treated, ``p_base``
      otherwise (clipped to [0, 1]), where ``p_base`` in [0.30, 0.80] rises with recency and
      watch time, so for ``-0.30 <= effect <= 0.20`` the true renewal lift is exactly
      ``effect``. Renewed customers are ``Active``; of the others half are missing from the
      export and half are ``Cancelled``.
    * Every treated customer's chance of logging in during the window (capped at 1; the base
      chance is at most 0.80) and the hours watched in it are multiplied by ``1 + effect``.
    * Random draws never depend on ``effect`` or on who is treated (common random numbers):
      control customers' rows are identical whatever the effect.
    * ``round(new_customer_share * len(baseline))`` customers who joined during the window are
      appended, with ids continuing after the largest baseline id.
    """
    if days_later < 1:
        raise ValueError(f"days_later must be >= 1, got {days_later}")
    if not -1.0 <= effect <= 1.0:
        raise ValueError(f"effect must be in [-1, 1], got {effect}")
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(1,)))
    size = len(baseline)
    baseline_day = np.datetime64(as_of, "D")
    followup_day = baseline_day + np.timedelta64(days_later, "D")

    treated = baseline[CUSTOMER_ID].isin(pd.Series(list(treated_ids), dtype=object)).to_numpy()
    lift = 1.0 + effect * treated
    watch = baseline[WATCH_TIME_HOURS].to_numpy(dtype=float)
    last_login = _to_days(baseline[LAST_LOGIN])
    recency = (baseline_day - last_login).astype(int)

    freshness = np.exp(-recency / ENGAGEMENT_DECAY_DAYS)
    watch_score = np.minimum(1.0, np.log1p(watch) / np.log1p(ENGAGEMENT_WATCH_CAP_HOURS))
    engagement = 0.6 * freshness + 0.4 * watch_score
    base_renewal = (RENEW_BASE + RENEW_SPAN * engagement) ** renewal_power
    renew_probability = np.clip(base_renewal + effect * treated, 0, 1)
    login_base = LOGIN_BASE + LOGIN_SPAN * freshness

    # All draws are made for every row, in a fixed order, before any branching.
    renew_draw = rng.random(size)
    absent_draw = rng.random(size)
    cancel_day = rng.integers(0, days_later, size)
    login_draw = rng.random(size)
    login_back_days = np.floor(rng.exponential(RECENT_MEAN_DAYS, size)).astype(int)
    growth_noise = rng.lognormal(-(GROWTH_LOG_SIGMA**2) / 2, GROWTH_LOG_SIGMA, size)
    visits_uniform = rng.random(size)

    renewed = renew_draw < renew_probability
    kept = renewed | (absent_draw >= CHURN_ABSENT_SHARE)
    active_days = np.where(renewed, days_later, cancel_day)
    logged_in = login_draw < np.clip(login_base * (active_days / days_later) * lift, 0, 1)
    login_offset = active_days - np.minimum(login_back_days, np.maximum(active_days - 1, 0))
    new_last_login = np.where(logged_in, baseline_day + login_offset, last_login)
    monthly_hours = (GROWTH_BASE_HOURS + GROWTH_PER_HOUR * watch) * growth_noise
    growth = np.where(logged_in, monthly_hours * (active_days / DAYS_PER_MONTH) * lift, 0.0)
    new_watch = np.round(watch + growth, 2)
    new_recency = (followup_day - new_last_login).astype(int)
    visits = _poisson_from_uniform(visits_uniform, _visit_rate(new_watch, new_recency))

    followup = baseline.loc[:, COLUMNS].copy()
    followup[JOIN_DATE] = _to_days(baseline[JOIN_DATE]).astype("datetime64[s]")
    followup[LAST_LOGIN] = new_last_login.astype("datetime64[s]")
    followup[WATCH_TIME_HOURS] = new_watch
    followup[VISIT_FREQUENCY] = visits
    followup[SUBSCRIPTION_STATUS] = pd.Series(
        np.where(renewed, "Active", "Cancelled"), index=followup.index, dtype="str"
    )
    followup = followup.loc[kept]

    newcomers = _new_customers(
        rng,
        first_number=_max_id_number(baseline[CUSTOMER_ID]) + 1,
        size=round(new_customer_share * size),
        as_of=followup_day,
        window_days=days_later,
    )
    newcomers[SUBSCRIPTION_STATUS] = pd.Series("Active", index=newcomers.index, dtype="str")
    return pd.concat([followup, newcomers], ignore_index=True)


def write_followup_csv(
    baseline_csv: Path,
    treated_ids: Iterable[str] | pd.Series,
    out: Path,
    seed: int,
    effect: float = 0.0,
    days_later: int = 90,
    *,
    as_of: date = DEFAULT_AS_OF,
    new_customer_share: float = NEW_CUSTOMER_SHARE,
) -> tuple[int, date]:
    """Write the follow-up of a generated baseline file; return (rows, follow-up as-of date).

    Reads ``baseline_csv`` back (it must be a file written by :func:`write_csv`, with the
    generator's columns), applies :func:`generate_followup` and writes the result with
    :data:`CSV_OPTIONS`. Ingest the result with ``--as-of`` set to the returned date so that
    days since last login are counted from the day the follow-up was taken.
    """
    baseline = pd.read_csv(baseline_csv, dtype={CUSTOMER_ID: str})
    missing = [column for column in COLUMNS if column not in baseline.columns]
    if missing:
        raise ValueError(
            f"{Path(baseline_csv).name} is not a generated export: it lacks {', '.join(missing)}"
        )
    followup = generate_followup(
        baseline,
        treated_ids,
        seed,
        effect,
        days_later,
        as_of=as_of,
        new_customer_share=new_customer_share,
    )
    write_frame(followup, out)
    return len(followup), as_of + timedelta(days=days_later)


def generate_series(
    rows: int,
    seed: int,
    snapshots: int,
    every_days: int = 30,
    *,
    as_of: date = DEFAULT_AS_OF,
) -> Iterator[tuple[date, pd.DataFrame]]:
    """Yield ``snapshots`` exports of one customer base, ``every_days`` apart, the last one
    as of ``as_of``: (as-of date, export) in date order.

    The first is a baseline of ``rows`` customers (all ``Active``); each next one is its
    :func:`generate_followup` with no one treated, scaled to the interval (renewal chance
    to the power ``every_days / 90``, sign-ups in proportion): customers renew with a
    chance that rises with recency and watch time, so churn rises with inactivity and low
    watch time;
    of those who do not renew, half are missing and half are ``Cancelled``; new sign-ups
    are appended; logins and watch time move on, so customers drift between segments. A
    cancelled customer is gone from the snapshots after. Identical for identical
    arguments.
    """
    if snapshots < 1:
        raise ValueError(f"snapshots must be >= 1, got {snapshots}")
    if every_days < 1:
        raise ValueError(f"every_days must be >= 1, got {every_days}")
    day = as_of - timedelta(days=every_days * (snapshots - 1))
    export = generate_customers(rows, seed, day)
    export[SUBSCRIPTION_STATUS] = pd.Series("Active", index=export.index, dtype="str")
    yield day, export
    for step in range(1, snapshots):
        still_active = export[export[SUBSCRIPTION_STATUS] == "Active"].reset_index(drop=True)
        export = generate_followup(
            still_active,
            [],
            seed + step,
            0.0,
            every_days,
            as_of=day,
            new_customer_share=NEW_CUSTOMER_SHARE * every_days / FOLLOWUP_WINDOW_DAYS,
            renewal_power=every_days / FOLLOWUP_WINDOW_DAYS,
        )
        day = day + timedelta(days=every_days)
        yield day, export


def write_series_csvs(
    out: Path,
    rows: int,
    seed: int,
    snapshots: int,
    every_days: int = 30,
    as_of: date = DEFAULT_AS_OF,
) -> list[tuple[Path, date, int]]:
    """Write :func:`generate_series` as ``<stem>_<as-of>.csv`` files beside ``out``;
    returns (path, as-of, rows) per snapshot, oldest first."""
    out = Path(out)
    written = []
    for day, export in generate_series(rows, seed, snapshots, every_days, as_of=as_of):
        path = out.with_name(f"{out.stem}_{day.isoformat()}{out.suffix or '.csv'}")
        write_frame(export, path)
        written.append((path, day, len(export)))
    return written


# --- Internals -------------------------------------------------------------------------------


def _baseline_chunk(
    rng: np.random.Generator, first_number: int, size: int, as_of: date
) -> pd.DataFrame:
    """One chunk of baseline customers; columns in :data:`COLUMNS` order."""
    profile = _profile(rng, size)
    segment, recency = _recency_days(rng, size)
    tenure = recency + _truncated_exponential(
        rng, JOIN_GAP_MEAN_DAYS, MAX_TENURE_DAYS - recency, size
    )
    log_median = np.log(WATCH_MEDIAN_HOURS) + np.asarray(WATCH_LOG_SHIFTS)[segment]
    watch = np.round(
        np.minimum(rng.lognormal(log_median, WATCH_LOG_SIGMA), MAX_HOURS_PER_DAY * (tenure + 1)), 2
    )
    visits = _poisson_from_uniform(rng.random(size), _visit_rate(watch, recency))
    return _assemble(
        first_number, profile, np.datetime64(as_of, "D"), tenure, recency, watch, visits
    )


def _new_customers(
    rng: np.random.Generator, first_number: int, size: int, as_of: np.datetime64, window_days: int
) -> pd.DataFrame:
    """Customers who joined within the last ``window_days`` days before ``as_of``."""
    profile = _profile(rng, size)
    tenure = rng.integers(0, window_days, size)  # joined after the baseline day
    recency = np.minimum(np.floor(rng.exponential(RECENT_MEAN_DAYS, size)).astype(int), tenure)
    months = (tenure + 1) / DAYS_PER_MONTH
    watch = np.round(
        rng.lognormal(np.log(NEW_WATCH_MONTHLY_MEDIAN), WATCH_LOG_SIGMA, size) * months, 2
    )
    visits = _poisson_from_uniform(rng.random(size), _visit_rate(watch, recency))
    return _assemble(first_number, profile, as_of, tenure, recency, watch, visits)


def _profile(rng: np.random.Generator, size: int) -> dict[str, np.ndarray]:
    """Demographics and plan, independent of behaviour."""
    names = _FULL_NAMES[rng.integers(0, len(_FULL_NAMES), size)]
    genders = _GENDER_VALUES[rng.choice(len(GENDERS), size, p=GENDER_WEIGHTS)]
    age = AGE_MIN + np.floor(rng.gamma(AGE_GAMMA_SHAPE, AGE_GAMMA_SCALE, size)).astype(int)
    # Ages past the maximum are redrawn uniformly rather than piled up at AGE_MAX.
    too_old = age > AGE_MAX
    age = np.where(too_old, rng.integers(AGE_MIN, AGE_MAX + 1, size), age)
    countries = _COUNTRY_VALUES[rng.choice(len(_COUNTRY_VALUES), size, p=_COUNTRY_PROBS)]
    plan_index = rng.choice(len(_PLAN_VALUES), size, p=PLAN_WEIGHTS)
    discount = np.asarray(DISCOUNT_PERCENTS)[rng.choice(3, size, p=DISCOUNT_WEIGHTS)]
    revenue_cents = _PLAN_CENTS[plan_index] * (100 - discount) // 100
    return {
        NAME: names,
        GENDER: genders,
        AGE: age,
        COUNTRY: countries,
        PLAN: _PLAN_VALUES[plan_index],
        MONTHLY_REVENUE: revenue_cents / 100,
    }


def _assemble(
    first_number: int,
    profile: dict[str, np.ndarray],
    as_of: np.datetime64,
    tenure: np.ndarray,
    recency: np.ndarray,
    watch: np.ndarray,
    visits: np.ndarray,
) -> pd.DataFrame:
    size = len(watch)
    ids = [
        f"{ID_PREFIX}{number:0{ID_DIGITS}d}" for number in range(first_number, first_number + size)
    ]
    columns = {
        CUSTOMER_ID: pd.array(ids, dtype="str"),
        NAME: pd.array(profile[NAME], dtype="str"),
        GENDER: pd.array(profile[GENDER], dtype="str"),
        AGE: profile[AGE].astype(np.int64),
        COUNTRY: pd.array(profile[COUNTRY], dtype="str"),
        PLAN: pd.array(profile[PLAN], dtype="str"),
        JOIN_DATE: (as_of - tenure.astype("timedelta64[D]")).astype("datetime64[s]"),
        LAST_LOGIN: (as_of - recency.astype("timedelta64[D]")).astype("datetime64[s]"),
        WATCH_TIME_HOURS: watch,
        VISIT_FREQUENCY: visits.astype(np.int64),
        MONTHLY_REVENUE: profile[MONTHLY_REVENUE],
    }
    return pd.DataFrame(columns)


def _recency_days(rng: np.random.Generator, size: int) -> tuple[np.ndarray, np.ndarray]:
    """Segment (0 recent, 1 lapsing, 2 dormant) and whole days since last login."""
    segment = rng.choice(3, size, p=RECENCY_WEIGHTS)
    recent = np.minimum(np.floor(rng.exponential(RECENT_MEAN_DAYS, size)), DORMANT_DAYS[1])
    lapsing = rng.integers(LAPSING_DAYS[0], LAPSING_DAYS[1] + 1, size)
    dormant = rng.integers(DORMANT_DAYS[0], DORMANT_DAYS[1] + 1, size)
    return segment, np.choose(segment, [recent.astype(np.int64), lapsing, dormant])


def _truncated_exponential(
    rng: np.random.Generator, mean: float, upper: np.ndarray, size: int
) -> np.ndarray:
    """Whole days from an exponential with ``mean`` truncated to [0, upper] (inverse CDF)."""
    mass = 1.0 - np.exp(-upper / mean)
    days = -mean * np.log1p(-rng.random(size) * mass)
    return np.minimum(np.floor(days).astype(np.int64), upper)


def _visit_rate(watch: np.ndarray, recency: np.ndarray) -> np.ndarray:
    """Expected visits per month: grows with log watch hours, fades with days since login."""
    dampening = VISITS_FLOOR + (1 - VISITS_FLOOR) * np.exp(-recency / VISITS_DECAY_DAYS)
    return (VISITS_BASE + VISITS_PER_LOG_HOUR * np.log1p(watch)) * dampening


def _poisson_from_uniform(uniform: np.ndarray, rate: np.ndarray) -> np.ndarray:
    """Poisson counts by inverse CDF, so one uniform per row keeps draws aligned across runs."""
    counts = np.zeros(len(rate), dtype=np.int64)
    probability = np.exp(-rate)
    cumulative = probability.copy()
    pending = uniform > cumulative
    k = 0
    while pending.any():
        k += 1
        counts[pending] = k
        probability = probability * rate / k
        cumulative = cumulative + probability
        pending &= uniform > cumulative
        if k > 1000:  # floating-point safety net; rates here stay far below this
            break
    return counts


def _to_days(values: pd.Series) -> np.ndarray:
    """Dates as ``datetime64[D]`` whether the frame was generated or read back from CSV."""
    return pd.to_datetime(values).to_numpy().astype("datetime64[D]")


def _max_id_number(ids: pd.Series) -> int:
    if ids.empty:
        return 0
    return int(ids.str.slice(len(ID_PREFIX)).astype(np.int64).max())
