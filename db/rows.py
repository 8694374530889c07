"""Turning one chunk of raw CSV records into customer rows and rejected rows.

Pure functions: strings in, typed frames out. Every rule that rejects a row lives here,
with the reason text a marketing analyst sees next to the line number.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from datetime import date
from itertools import chain

import numpy as np
import pandas as pd

from db import values
from db.csv_source import format_record
from db.fields import HeaderMapping

NUMERIC_FIELDS = ("watch_time_hours", "visit_frequency", "monthly_revenue")
DATE_FIELDS = ("join_date", "last_login")
TEXT_FIELDS = ("name", "country", "plan")
# The longest text each stored column takes (db.models); a longer value rejects its row,
# the same way on SQLite (which would store it) and PostgreSQL (which would refuse the file).
TEXT_LIMITS = {"customer_id": 200, "name": 300, "country": 200, "plan": 200}
OUTPUT_COLUMNS = (
    "source_line",
    "raw_line",
    "customer_id",
    "name",
    "gender",
    "age",
    "country",
    "plan",
    "join_date",
    "last_login",
    "watch_time_hours",
    "visit_frequency",
    "monthly_revenue",
    "extra",
)
MIN_YEAR, MAX_YEAR = 1900, 2100
MAX_AGE = 120
# Largest plausible values; a row above one is rejected ("implausible <field>"), so the
# analysis only ever sees sane magnitudes. 100,000 hours is over eleven years of non-stop
# watching; 10,000 visits a month is one every four minutes, day and night.
MAX_VALUES = {
    "watch_time_hours": 100_000.0,
    "watch_time_minutes": 6_000_000.0,
    "visit_frequency": 10_000.0,
    "monthly_revenue": 1_000_000.0,
}


@dataclass(frozen=True)
class ChunkPlan:
    """What is fixed for the whole file before its rows are read."""

    mapping: HeaderMapping
    day_first: dict[str, bool]
    as_of: date | None  # counts last_login_days back from here
    delimiter: str
    # The latest date a row may carry: the as-of given for the file, else tomorrow (a login
    # cannot come from the future; a day of slack for time zones).
    latest_date: date | None = None


@dataclass(frozen=True)
class ChunkResult:
    good: pd.DataFrame  # OUTPUT_COLUMNS minus raw_line, filled for every good row
    rejected: pd.DataFrame  # line_number, raw_line, reason, kinds (list of reason kinds)
    currencies: Counter[str] = dataclass_field(
        default_factory=Counter
    )  # revenue cells per currency
    # Where each good row sits in the chunk's records (its raw line is written only when
    # ingestion needs it: a good row rejected later as a duplicate or a stray login).
    good_positions: np.ndarray = dataclass_field(
        default_factory=lambda: np.empty(0, dtype=np.int64)
    )


class _Reasons:
    """Collects, per row, every reason it is rejected, in the order the checks ran."""

    def __init__(self, index: pd.Index) -> None:
        self.text = pd.Series("", index=index, dtype=object)
        self.kinds: dict[int, list[str]] = {}

    def add(
        self, mask: pd.Series, kind: str, detail: pd.Series | None = None, quote: bool = True
    ) -> None:
        if not mask.any():
            return
        message = pd.Series(kind, index=mask.index[mask], dtype=object)
        if detail is not None:
            shown = detail[mask].map(_quote) if quote else detail[mask].astype(str)
            message = message + ": " + shown
        existing = self.text[mask]
        self.text[mask] = np.where(existing == "", message, existing + "; " + message)
        for position in np.flatnonzero(mask.to_numpy()):
            self.kinds.setdefault(int(position), []).append(kind)

    @property
    def rejected(self) -> pd.Series:
        return self.text != ""


def _quote(value: object) -> str:
    text = str(value)
    return repr(text if len(text) <= 60 else text[:57] + "...")


def _has_nul(records: list[list[str]], index: pd.Index) -> pd.Series:
    """Per row: does any field hold a NUL character? (One scan when none does, as usual.)"""
    if "\x00" not in "".join(map("".join, records)):
        return pd.Series(False, index=index)
    return pd.Series(["\x00" in "".join(record) for record in records], index=index)


def _column(frame: pd.DataFrame, mapping: HeaderMapping, field: str) -> pd.Series | None:
    index = mapping.fields.get(field)
    return None if index is None else values.clean_text(frame[index])


def build_frame(records: list[list[str]], width: int) -> tuple[pd.DataFrame, pd.Series, pd.Series]:
    """Records as a frame of strings with ``width`` columns, each row's field count and longest field.

    Extra trailing empty fields (a trailing delimiter) are dropped; a row that still has
    the wrong number of fields is blanked in the frame and keeps its count for rejection.
    The usual chunk (every row ``width`` wide, no field too long) is checked in one pass.
    """
    counts = [len(record) for record in records]
    if all(count == width for count in counts):
        fitted = records
        longest_field = max(map(len, chain.from_iterable(records)), default=0)
        if longest_field <= values.MAX_FIELD_LENGTH:
            longest = [0] * len(records)
        else:
            longest = [max(map(len, record), default=0) for record in records]
    else:
        fitted, counts, longest = [], [], []
        for record in records:
            if len(record) > width and not "".join(record[width:]).strip():
                record = record[:width]
            counts.append(len(record))
            longest.append(max(map(len, record), default=0))
            fitted.append(record if len(record) == width else [""] * width)
    frame = pd.DataFrame(fitted, columns=range(width), dtype=object)
    return (
        frame,
        pd.Series(counts, index=frame.index, dtype="int64"),
        pd.Series(longest, index=frame.index, dtype="int64"),
    )


def validate_chunk(lines: list[int], records: list[list[str]], plan: ChunkPlan) -> ChunkResult:
    """Parse and check one chunk; every row ends up either good or rejected with reasons."""
    mapping = plan.mapping
    width = len(mapping.headers)
    frame, counts, longest = build_frame(records, width)
    reasons = _Reasons(frame.index)
    line_numbers = pd.Series(lines, index=frame.index, dtype="int64")

    wrong_width = counts != width
    reasons.add(wrong_width, f"expected {width} fields", "found " + counts.astype(str), quote=False)
    too_long = longest > values.MAX_FIELD_LENGTH
    reasons.add(too_long & ~wrong_width, f"field longer than {values.MAX_FIELD_LENGTH} characters")
    # PostgreSQL cannot store a NUL character in text; SQLite could, so both refuse the row.
    nul = _has_nul(records, frame.index)
    reasons.add(nul & ~wrong_width, "NUL character in a field")
    checked = ~(wrong_width | too_long | nul)

    out = pd.DataFrame(index=frame.index)
    customer_id = _column(frame, mapping, "customer_id")
    assert customer_id is not None
    reasons.add(checked & values.is_blank_clean(customer_id), "missing customer_id")
    out["customer_id"] = customer_id

    # Text means text: only an empty cell is "no value" in a name, country or plan. "NA" is
    # Namibia, and Null, NaN, N/A or - may be someone's name; numbers and dates keep the
    # blank spellings (values.BLANK_TOKENS).
    for field in TEXT_FIELDS:
        text = _column(frame, mapping, field)
        out[field] = None if text is None else text.where(text != "", None)
    if "name" not in mapping.fields and {"first_name", "last_name"} <= mapping.fields.keys():
        first = _column(frame, mapping, "first_name")
        last = _column(frame, mapping, "last_name")
        full = (first + " " + last).str.strip()
        out["name"] = full.where(full != "", None)

    for field, limit in TEXT_LIMITS.items():
        if field in out:
            length = out[field].astype("str").str.len().where(out[field].notna(), 0)
            reasons.add(checked & (length > limit), f"{field} longer than {limit} characters")

    gender = _column(frame, mapping, "gender")
    out["gender"] = "Unknown" if gender is None else values.normalise_gender(gender)

    age = _column(frame, mapping, "age")
    if age is None:
        out["age"] = None
    else:
        parsed_age, bad_age = values.parse_integers(age)
        reasons.add(checked & bad_age, "invalid age", age)
        implausible = parsed_age.notna() & ((parsed_age < 0) | (parsed_age > MAX_AGE))
        reasons.add(checked & implausible, "implausible age", age)
        out["age"] = parsed_age

    _numbers(frame, mapping, out, reasons, checked)
    revenue = _column(frame, mapping, "monthly_revenue")
    currencies = Counter() if revenue is None else values.currency_counts(revenue[checked])
    _dates(frame, mapping, plan, out, reasons, checked)
    out["extra"] = _extras(frame, mapping)

    rejected_mask = reasons.rejected.to_numpy()
    good = out[~rejected_mask].copy()
    good.insert(0, "source_line", line_numbers[~rejected_mask])
    rejected_at = np.flatnonzero(rejected_mask)
    rejected = pd.DataFrame(
        {
            "line_number": line_numbers.to_numpy()[rejected_at],
            "raw_line": raw_lines(records, rejected_at, plan.delimiter),
            "reason": reasons.text.to_numpy()[rejected_at],
            "kinds": [reasons.kinds[i] for i in rejected_at],
        }
    )
    return ChunkResult(
        good=good.reset_index(drop=True),
        rejected=rejected,
        currencies=currencies,
        good_positions=np.flatnonzero(~rejected_mask),
    )


def raw_lines(records: list[list[str]], positions: np.ndarray, delimiter: str) -> list[str]:
    """The records at ``positions`` written back as the lines they were, for the rejected
    rows table. A NUL shows as ``\\x00``, which PostgreSQL can keep."""
    return [format_record(records[i], delimiter).replace("\x00", "\\x00") for i in positions]


def _numbers(
    frame: pd.DataFrame,
    mapping: HeaderMapping,
    out: pd.DataFrame,
    reasons: _Reasons,
    checked: pd.Series,
) -> None:
    watch_source = (
        "watch_time_hours" if "watch_time_hours" in mapping.fields else "watch_time_minutes"
    )
    for field in (watch_source, "visit_frequency", "monthly_revenue"):
        text = _column(frame, mapping, field)
        if text is None:
            out[field] = np.nan
            continue
        number, invalid = values.parse_numbers(text)
        blank = values.is_blank_clean(text)
        if field == watch_source:
            reasons.add(checked & blank, f"missing {field}")
        reasons.add(checked & invalid, f"invalid number in {field}", text)
        finite = np.isfinite(number.to_numpy(dtype="float64", na_value=np.nan))
        non_finite = number.notna() & ~finite
        reasons.add(checked & non_finite, f"{field} is not a finite number", text)
        negative = number.notna() & finite & (number < 0)
        reasons.add(checked & negative, f"negative {field}", text)
        too_big = number.notna() & finite & (number > MAX_VALUES[field])
        reasons.add(checked & too_big, f"implausible {field}", text)
        out[field] = number
    if watch_source == "watch_time_minutes":
        out["watch_time_hours"] = out.pop("watch_time_minutes") / 60.0


def _dates(
    frame: pd.DataFrame,
    mapping: HeaderMapping,
    plan: ChunkPlan,
    out: pd.DataFrame,
    reasons: _Reasons,
    checked: pd.Series,
) -> None:
    for field in DATE_FIELDS:
        text = _column(frame, mapping, field)
        if text is None:
            out[field] = pd.NaT
            continue
        parsed, invalid = values.parse_dates(text, plan.day_first.get(field, False))
        if field == "last_login":
            reasons.add(checked & values.is_blank_clean(text), "missing last_login")
        reasons.add(checked & invalid, f"invalid date in {field}", text)
        years = parsed.dt.year
        implausible = parsed.notna() & ((years < MIN_YEAR) | (years > MAX_YEAR))
        reasons.add(checked & implausible, f"implausible date in {field}", text)
        if plan.latest_date is not None:
            later = parsed.notna() & ~implausible & (parsed > pd.Timestamp(plan.latest_date))
            reasons.add(checked & later, _future_reason(field, plan), text)
        out[field] = parsed.where(~implausible)

    if "last_login" not in mapping.fields:
        text = _column(frame, mapping, "last_login_days")
        assert text is not None and plan.as_of is not None
        days, invalid = values.parse_numbers(text)
        reasons.add(checked & values.is_blank_clean(text), "missing last_login_days")
        reasons.add(checked & invalid, "invalid number in last_login_days", text)
        whole = days.notna() & np.isfinite(days.fillna(0)) & (days == days.round())
        reasons.add(checked & days.notna() & ~whole, "last_login_days is not a whole number", text)
        reasons.add(checked & whole & (days < 0), "negative last_login_days", text)
        usable = whole & (days >= 0) & (days < 366 * 200)
        as_of = pd.Timestamp(plan.as_of)
        offsets = pd.to_timedelta(days.where(usable, 0), unit="D")
        out["last_login"] = (as_of - offsets).where(usable)

    before_join = (
        out["join_date"].notna()
        & out["last_login"].notna()
        & (out["last_login"] < out["join_date"])
    )
    detail = (
        out["last_login"].dt.strftime("%Y-%m-%d")
        + " is before join_date "
        + out["join_date"].dt.strftime("%Y-%m-%d")
    )
    reasons.add(checked & before_join, "last_login before join_date", detail, quote=False)


def _future_reason(field: str, plan: ChunkPlan) -> str:
    if plan.as_of is not None and plan.latest_date == plan.as_of:
        return f"{field} after the as-of date {plan.as_of.isoformat()}"
    return f"{field} in the future"


def _extras(frame: pd.DataFrame, mapping: HeaderMapping) -> pd.Series:
    """Unknown columns kept per row as a JSON object of their non-blank values."""
    if not mapping.extras:
        return pd.Series(None, index=frame.index, dtype=object)
    columns = {name: values.clean_text(frame[index]) for name, index in mapping.extras.items()}
    extra = pd.DataFrame(columns)
    records = extra.to_dict("records")
    return pd.Series(
        [json.dumps({k: v for k, v in record.items() if v != ""}) for record in records],
        index=frame.index,
        dtype=object,
    )
