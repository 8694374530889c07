"""Parse raw CSV cell text into typed values, one pandas Series (one column of a chunk) at a time.

Pure functions, no I/O. Ingestion hands in the chunk's strings and gets back typed values plus an
``invalid`` mask, so it can reject bad rows with a reason instead of guessing. Work is vectorised:
numbers go through ``pd.to_numeric`` first and only the leftovers (thousands separators, decimal
commas, currency) are looked at value by value, once per *distinct* text; dates are parsed once
per distinct text, then spread back over the rows (a date column has few distinct values).

Rules (the README's "CSV format" section repeats them):

Missing values
    ``""``, ``na``, ``n/a``, ``null``, ``none``, ``nan``, ``-`` (any case, surrounding whitespace
    and non-breaking spaces ignored) are blank: NaN/NaT, never invalid. Free text (name,
    country, plan) is blank only when empty (``db.rows``): ``NA`` is Namibia there.

Numbers (``parse_numbers``)
    * plain: ``42``, ``+3``, ``-1.5``, ``.5``, ``1e3``, ``inf`` (returned as inf: rejecting
      non-finite values is ingestion's job);
    * thousands separators: ``1,234.5``, ``1 234,5`` (space, NBSP, thin space or apostrophe
      groups, either decimal mark), ``1.234,5`` / ``1.234.567`` (dot groups, decimal comma);
    * decimal comma: ``12,5``, ``1234,56``, ``0,125``. A single comma followed by exactly three
      digits and not preceded by a lone ``0`` is read as a thousands separator (``1,234`` is
      1234), the usual meaning in the English-language exports we receive; ``1.234`` is 1.234;
    * currency: one of ``$ € £ ¥ ₹ US$`` or ``USD EUR GBP CAD AUD CHF JPY INR`` before or after
      the number (``$12.99``, ``-$5``, ``12,99 €``, ``USD 12.99``);
    * a percent sign is invalid: no field we load is a percentage, and ``50%`` could mean 50 or
      0.5, so a percent column is the wrong column rather than something to convert;
    * accounting negatives ``(12.50)``, other scripts' digits and anything else are invalid.

Integers (``parse_integers``)
    numbers as above whose value is whole (``43.0`` is 43; ``43.5`` and ``inf`` are invalid).

Dates (``parse_dates``; the date only: a time of day and any timezone or offset are dropped, the
date is the calendar date as written, not converted to UTC)
    * ISO-like, year first: ``2024-03-08``, ``2024/3/8``, ``2024.03.08``, with an optional time
      ``2024-03-08 14:40:50.540242``, ``2024-03-08T10:00:00Z``, ``2024-03-08T10:00+02:00``;
    * numeric with the year last: ``08/03/2024``, ``8-3-24``, ``08.03.2024`` (same separator
      twice), day first or month first as decided by ``DateEvidence`` or ``--dayfirst`` /
      ``--monthfirst``; two-digit years follow Python's ``%y``: 00-68 -> 2000-2068,
      69-99 -> 1969-1999;
    * month names, English, full or abbreviated (``Sept`` too), in any order, with an optional
      weekday, ordinal suffix and time: ``Aug 31 2024``, ``31 Aug 2024``, ``August 31, 2024``,
      ``31-Aug-2024``, ``31-AUG-24``, ``Sat, 31 Aug 2024 10:00:00 +0000``,
      ``Sat Aug 31 10:00:00 2024``; with two two-digit numbers the first is the day and the last
      the year (``31-Aug-24``, ``Aug 31, 24``); the weekday is not checked against the date;
    * compact ``20240831`` (8 digits) as YYYYMMDD;
    * Unix epoch seconds (9-10 digits, optional fraction) and milliseconds (13 digits), UTC;
    * impossible dates (``31/02/2024``, ``2024-13-01``) are invalid, never rolled over.

Gender (``normalise_gender``): see ``GENDER_SPELLINGS``; anything unrecognised is ``Unknown``,
because a gender we cannot read is unknown rather than a data error worth rejecting a row for.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

import numpy as np
import pandas as pd

MAX_FIELD_LENGTH = 1000
"""Longest cell text accepted; ingestion rejects longer values as an absurdly long field."""

BLANK_TOKENS = frozenset({"", "na", "n/a", "null", "none", "nan", "-"})
"""Lower-cased cell texts that mean "no value" in the exports we see."""

_STRIP_CHARS = (
    " \t\n\r\x0b\x0c\x1c\x1d\x1e\x1f\x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005"
    "\u2006\u2007\u2008\u2009\u200a\u200b\u2028\u2029\u202f\u205f\u3000\ufeff"
)


def _as_series(s: pd.Series) -> pd.Series:
    return s if isinstance(s, pd.Series) else pd.Series(s)


def clean_text(s: pd.Series) -> pd.Series:
    """Strip surrounding whitespace (NBSP, zero-width space and BOM too); missing -> ``""``.

    Spreadsheets pad cells with non-breaking spaces that ``str.strip()`` would keep; everything
    inside the text is kept as is.
    """
    s = _as_series(s)
    return s.astype("str").fillna("").str.strip(_STRIP_CHARS)


def _case_variants(token: str) -> set[str]:
    variants = {""}
    for char in token:
        variants = {v + c for v in variants for c in {char.lower(), char.upper()}}
    return variants


_BLANK_SPELLINGS = frozenset(v for token in BLANK_TOKENS for v in _case_variants(token))


def is_blank(s: pd.Series) -> pd.Series:
    """True where the cell means "no value" (see ``BLANK_TOKENS``), so it is NaN, not invalid."""
    return is_blank_clean(clean_text(s))


def is_blank_clean(text: pd.Series) -> pd.Series:
    """``is_blank`` for text already passed through ``clean_text`` (one hash lookup per cell)."""
    return text.isin(_BLANK_SPELLINGS)


def _factorize_clean(s: pd.Series) -> tuple[np.ndarray, pd.Series]:
    """Cleaned distinct texts and, per row, the position of its text among them."""
    codes, uniques = pd.factorize(clean_text(s))
    return codes, pd.Series(np.asarray(uniques, dtype=object), dtype="str")


# ---------------------------------------------------------------------------------------------
# Numbers

_GROUP_SPACES = " '\u00a0\u202f\u2009"
_CURRENCY = r"(?:US\$|[$€£¥₹]|USD|EUR|GBP|CAD|AUD|CHF|JPY|INR)"
_NUMBER_SHAPE = re.compile(
    rf"([+-]?)\s*(?:{_CURRENCY}\s*)?([+-]?)([0-9.,{_GROUP_SPACES}]*[0-9][0-9.,{_GROUP_SPACES}]*)"
    rf"\s*(?:{_CURRENCY})?",
    re.IGNORECASE,
)
_PLAIN = re.compile(r"[0-9]+(?:\.[0-9]*)?|\.[0-9]+")
_LEADING_ZERO_COMMA = re.compile(r"0,[0-9]+")
_COMMA_GROUPS = re.compile(r"[0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]+)?")
_DOT_GROUPS = re.compile(r"[0-9]{1,3}(?:\.[0-9]{3})+,[0-9]+|[0-9]{1,3}(?:\.[0-9]{3}){2,}")
_SPACE_GROUPS = re.compile(rf"[0-9]{{1,3}}(?:[{_GROUP_SPACES}][0-9]{{3}})+(?:[.,][0-9]+)?")
_DECIMAL_COMMA = re.compile(r"[0-9]*,[0-9]+")
_SPACES_TABLE = str.maketrans("", "", _GROUP_SPACES)
_CURRENCY_TOKEN = re.compile(_CURRENCY, re.IGNORECASE)
# How a currency is named once found: the dollar sign of "US$" is the dollar sign.
_CURRENCY_NAMES = {"US$": "$"}


def currency_counts(text: pd.Series) -> Counter[str]:
    """How many cells name each currency (``$``, ``€``, ``USD`` ...), so a data set whose
    revenue is written "$12.99" can show its money as dollars. Reads each distinct text once."""
    counts: Counter[str] = Counter()
    for cell, times in text.value_counts(sort=False).items():
        match = _CURRENCY_TOKEN.search(str(cell))
        if match is not None:
            token = match.group(0).upper()
            counts[_CURRENCY_NAMES.get(token, token)] += int(times)
    return counts


def _parse_formatted_number(text: str) -> float:
    """One number with separators or currency (the slow path); NaN when it is not one."""
    match = _NUMBER_SHAPE.fullmatch(text)
    if match is None:
        return np.nan
    sign_before, sign_after, body = match.groups()
    if sign_before and sign_after:
        return np.nan
    body = body.strip(_GROUP_SPACES)
    if _PLAIN.fullmatch(body):
        normalised = body
    elif _LEADING_ZERO_COMMA.fullmatch(body):
        normalised = body.replace(",", ".")
    elif _COMMA_GROUPS.fullmatch(body):
        normalised = body.replace(",", "")
    elif _DOT_GROUPS.fullmatch(body):
        normalised = body.replace(".", "").replace(",", ".")
    elif _SPACE_GROUPS.fullmatch(body):
        normalised = body.translate(_SPACES_TABLE).replace(",", ".")
    elif _DECIMAL_COMMA.fullmatch(body):
        normalised = body.replace(",", ".")
    else:
        return np.nan
    value = float(normalised)
    return -value if "-" in (sign_before, sign_after) else value


def parse_numbers(s: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Parse numbers written the ways spreadsheets and CRMs write them.

    Returns ``(values, invalid)``: float64 values (NaN for blank or invalid cells) and a mask that
    is True where a cell is not blank but is not a number, so ingestion can reject that row.
    ``pd.to_numeric`` reads the plain numbers; the rest are read once per distinct text.
    """
    s = _as_series(s)
    text = clean_text(s)
    blank = text.str.lower().isin(BLANK_TOKENS).to_numpy()
    values = pd.to_numeric(text, errors="coerce").to_numpy(
        dtype="float64", na_value=np.nan, copy=True
    )
    leftover = np.isnan(values) & ~blank
    if leftover.any():
        codes, uniques = pd.factorize(text[leftover])
        parsed = np.array([_parse_formatted_number(u) for u in uniques], dtype="float64")
        values[leftover] = parsed[codes]
    invalid = np.isnan(values) & ~blank
    return (
        pd.Series(values, index=s.index, dtype="float64"),
        pd.Series(invalid, index=s.index, dtype="bool"),
    )


def parse_integers(s: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Parse whole numbers (ages, visit counts): ``43``, ``43.0``, ``1,204``.

    Returns ``(values, invalid)`` with nullable ``Int64`` values (``<NA>`` for blank or invalid).
    A fraction (``43.5``), inf, or a value beyond 2**53 (not exact in float64) is invalid.
    """
    values, invalid = parse_numbers(s)
    numbers = values.to_numpy()
    present = ~np.isnan(numbers)
    with np.errstate(invalid="ignore"):
        whole = present & np.isfinite(numbers) & (np.floor(numbers) == numbers)
    whole &= np.abs(np.where(whole, numbers, 0.0)) <= 2.0**53
    bad = present & ~whole
    result = pd.array(np.where(whole, numbers, 0).astype("int64"), dtype="Int64")
    result[~whole] = pd.NA
    return (
        pd.Series(result, index=values.index),
        pd.Series(invalid.to_numpy() | bad, index=values.index, dtype="bool"),
    )


# ---------------------------------------------------------------------------------------------
# Dates

_TIME = (
    r"(?:,?(?:[ T]|\s+at\s+)\s*[0-9]{1,2}:[0-9]{2}(?::[0-9]{2}(?:[.,][0-9]+)?)?"
    r"\s*(?:[AaPp]\.?[Mm]\.?)?\s*(?:Z|UTC|GMT|[+-][0-9]{2}(?::?[0-9]{2})?)?)?"
)
_ISO_DATE = re.compile(rf"([0-9]{{4}})([-/.])([0-9]{{1,2}})([-/.])([0-9]{{1,2}}){_TIME}")
_NUMERIC_DATE = re.compile(
    rf"([0-9]{{1,2}})([-/.])([0-9]{{1,2}})([-/.])([0-9]{{2}}|[0-9]{{4}}){_TIME}"
)
_COMPACT_DATE = re.compile(r"[0-9]{8}")
_EPOCH_SECONDS = re.compile(r"[0-9]{9,10}(?:\.[0-9]+)?")
_EPOCH_MILLISECONDS = re.compile(r"[0-9]{13}")
_HAS_LETTER = re.compile(r"[A-Za-z]")

_MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ),
        start=1,
    )
    for name in names
}
_MONTH_NAME_IGNORED = frozenset(
    {
        "mon", "monday", "tue", "tues", "tuesday", "wed", "weds", "wednesday", "thu", "thur",
        "thurs", "thursday", "fri", "friday", "sat", "saturday", "sun", "sunday",
        "st", "nd", "rd", "th", "of", "the", "at", "utc", "gmt", "z",
    }
)  # fmt: skip
_TIME_ANYWHERE = re.compile(
    r"[0-9]{1,2}:[0-9]{2}(?::[0-9]{2}(?:[.,][0-9]+)?)?(?:\s*[ap]\.?m\.?)?"
    r"(?:\s*(?:z|utc|gmt|[+-][0-9]{2}:?[0-9]{2}))?"
)
_MONTH_NAME_TEXT = re.compile(r"[a-z0-9\s,./\-]+")
_TOKENS = re.compile(r"[a-z]+|[0-9]+")

# Date families, as recorded per distinct text while parsing.
_BLANK, _ISO, _NUMERIC, _MONTH_NAME, _COMPACT, _EPOCH, _OTHER = range(7)


def _two_digit_year(year: int) -> int:
    """Python's ``%y`` pivot: 00-68 -> 2000-2068, 69-99 -> 1969-1999."""
    return year + (2000 if year <= 68 else 1900)


def _month_name_parts(text: str) -> tuple[int, int, int] | None:
    """(year, month, day) from an English month-name date in any order, or None."""
    lowered = _TIME_ANYWHERE.sub(" ", text.lower())
    if not _MONTH_NAME_TEXT.fullmatch(lowered):
        return None
    month = None
    numbers: list[str] = []
    for token in _TOKENS.findall(lowered):
        if token[0].isdigit():
            numbers.append(token)
        elif token in _MONTHS and month is None:
            month = _MONTHS[token]
        elif token not in _MONTH_NAME_IGNORED:
            return None
    if month is None or len(numbers) != 2:
        return None
    four_digit = [n for n in numbers if len(n) == 4]
    others = [n for n in numbers if len(n) != 4]
    if len(four_digit) == 1 and len(others[0]) <= 2:
        return int(four_digit[0]), month, int(others[0])
    if not four_digit and all(len(n) <= 2 for n in numbers):
        return _two_digit_year(int(numbers[1])), month, int(numbers[0])
    return None


def _classify(text: str) -> tuple[int, int, int, int]:
    """(family, a, b, c) for one distinct cell text.

    ISO, compact and month-name dates give (year, month, day); numeric dates give the first
    part, the second part and the year (order decided later); epochs give days since 1970.
    """
    if text.lower() in BLANK_TOKENS:
        return _BLANK, 0, 0, 0
    match = _ISO_DATE.fullmatch(text)
    if match and match[2] == match[4]:
        return _ISO, int(match[1]), int(match[3]), int(match[5])
    match = _NUMERIC_DATE.fullmatch(text)
    if match and match[2] == match[4]:
        year = int(match[5])
        return (
            _NUMERIC,
            int(match[1]),
            int(match[3]),
            (_two_digit_year(year) if len(match[5]) == 2 else year),
        )
    if _COMPACT_DATE.fullmatch(text):
        number = int(text)
        return _COMPACT, number // 10000, number // 100 % 100, number % 100
    if _EPOCH_SECONDS.fullmatch(text):
        return _EPOCH, int(float(text)) // 86_400, 0, 0
    if _EPOCH_MILLISECONDS.fullmatch(text):
        return _EPOCH, int(text) // 86_400_000, 0, 0
    if _HAS_LETTER.search(text):
        parts = _month_name_parts(text)
        if parts is not None:
            return (_MONTH_NAME, *parts)
    return _OTHER, 0, 0, 0


def _classify_all(uniques: pd.Series) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Family and parts for every distinct text, as four int64 arrays."""
    rows = [_classify(text) for text in uniques]
    if not rows:
        empty = np.zeros(0, dtype="int64")
        return empty, empty, empty, empty
    table = np.array(rows, dtype="int64")
    return table[:, 0], table[:, 1], table[:, 2], table[:, 3]


def _compose(year: np.ndarray, month: np.ndarray, day: np.ndarray) -> np.ndarray:
    """datetime64[D] from parts, NaT where the date does not exist (no rolling over)."""
    ok = (year >= 1) & (year <= 9999) & (month >= 1) & (month <= 12) & (day >= 1)
    months = np.where(ok, (year - 1970) * 12 + (month - 1), 0)
    first = months.astype("datetime64[M]").astype("datetime64[D]")
    following = (months + 1).astype("datetime64[M]").astype("datetime64[D]")
    ok &= day <= (following - first).astype("int64")
    dates = first + np.where(ok, day - 1, 0).astype("timedelta64[D]")
    dates[~ok] = np.datetime64("NaT")
    return dates


class AmbiguousDateError(ValueError):
    """A date column whose day/month order cannot be decided from the data; the message says
    which column and how to choose (``--dayfirst`` or ``--monthfirst``)."""


@dataclass
class DateEvidence:
    """What one date column's values say about day/month order, summed over all its chunks.

    Ingestion makes a first pass calling ``update`` per chunk, then ``decide`` once, so that a
    ``25/03/2024`` in the last chunk settles the order for the ``03/04/2024`` in the first.
    Counts are of rows. A numeric date proves day-first when its first part is over 12 and the
    second is not, month-first the other way round; both over 12 proves nothing (it is invalid).
    """

    blank: int = 0
    iso: int = 0
    numeric: int = 0
    day_first_proven: int = 0
    month_first_proven: int = 0
    month_name: int = 0
    compact: int = 0
    epoch: int = 0
    other: int = 0
    day_first_example: str | None = None
    month_first_example: str | None = None
    unproven_example: str | None = None

    def update(self, s: pd.Series) -> None:
        """Add one chunk of the column (raw strings) to the counts."""
        codes, uniques = _factorize_clean(s)
        if len(uniques) == 0:
            return
        rows_per_text = np.bincount(codes, minlength=len(uniques))
        family, first, second, _ = _classify_all(uniques)
        numeric = family == _NUMERIC
        day_first = numeric & (first > 12) & (second <= 12)
        month_first = numeric & (second > 12) & (first <= 12)
        unproven = numeric & (first <= 12) & (second <= 12)
        self.blank += int(rows_per_text[family == _BLANK].sum())
        self.iso += int(rows_per_text[family == _ISO].sum())
        self.numeric += int(rows_per_text[numeric].sum())
        self.day_first_proven += int(rows_per_text[day_first].sum())
        self.month_first_proven += int(rows_per_text[month_first].sum())
        self.month_name += int(rows_per_text[family == _MONTH_NAME].sum())
        self.compact += int(rows_per_text[family == _COMPACT].sum())
        self.epoch += int(rows_per_text[family == _EPOCH].sum())
        self.other += int(rows_per_text[family == _OTHER].sum())
        if self.day_first_example is None and day_first.any():
            self.day_first_example = str(uniques[np.argmax(day_first)])
        if self.month_first_example is None and month_first.any():
            self.month_first_example = str(uniques[np.argmax(month_first)])
        if self.unproven_example is None and unproven.any():
            self.unproven_example = str(uniques[np.argmax(unproven)])

    def decide(self, column: str, dayfirst: bool | None) -> bool:
        """Whether numeric dates in ``column`` are day first.

        An explicit ``dayfirst`` (from ``--dayfirst``/``--monthfirst``) wins. Otherwise: no
        numeric dates -> False (the order is irrelevant); proven one way only -> that way;
        proven both ways, or never proven -> ``AmbiguousDateError``, because guessing would
        silently swap days and months for every ambiguous row.
        """
        if dayfirst is not None:
            return dayfirst
        if self.day_first_proven and self.month_first_proven:
            raise AmbiguousDateError(
                f"column '{column}' mixes day-first dates (e.g. '{self.day_first_example}') "
                f"and month-first dates (e.g. '{self.month_first_example}'); re-run with "
                "--dayfirst or --monthfirst to choose one (rows in the other order will be "
                "rejected as invalid dates)"
            )
        if self.day_first_proven:
            return True
        if self.month_first_proven:
            return False
        if self.numeric:
            raise AmbiguousDateError(
                f"column '{column}' has dates like '{self.unproven_example}' whose day and "
                "month are both 12 or less, so their order cannot be told from the file; "
                "re-run with --dayfirst (03/04/2024 is 3 April) or --monthfirst "
                "(03/04/2024 is March 4)"
            )
        return False


def parse_dates(s: pd.Series, day_first: bool) -> tuple[pd.Series, pd.Series]:
    """Parse dates in any of the accepted families (module docstring) to calendar dates.

    Returns ``(dates, invalid)``: ``datetime64[us]`` at midnight (time of day and timezone
    dropped; NaT for blank or invalid) and a mask that is True where a cell is not blank but is
    not a real date. ``day_first`` orders numeric dates such as ``08/03/2024``.
    Each distinct text is parsed once.
    """
    s = _as_series(s)
    codes, uniques = _factorize_clean(s)
    family, a, b, c = _classify_all(uniques)
    numeric = family == _NUMERIC
    numeric_month, numeric_day = (b, a) if day_first else (a, b)
    year = np.where(numeric, c, a)
    month = np.where(numeric, numeric_month, b)
    day = np.where(numeric, numeric_day, c)
    dates = _compose(year, month, day)
    epoch = family == _EPOCH
    dates[epoch] = np.datetime64("1970-01-01", "D") + a[epoch].astype("timedelta64[D]")
    dates[(family == _BLANK) | (family == _OTHER)] = np.datetime64("NaT")
    invalid = np.isnat(dates) & (family != _BLANK)
    dates_us = dates.astype("datetime64[us]")
    return (
        pd.Series(dates_us[codes], index=s.index, dtype="datetime64[us]"),
        pd.Series(invalid[codes], index=s.index, dtype="bool"),
    )


# ---------------------------------------------------------------------------------------------
# Gender

GENDER_SPELLINGS: dict[str, tuple[str, ...]] = {
    "Female": (
        "f", "female", "woman", "women", "w", "girl", "fem", "feminine", "lady", "trans woman",
        "transwoman", "trans female", "cis woman", "cis female", "weiblich", "femme",
        "femenino", "femenina", "feminino", "mujer", "vrouw", "donna",
    ),
    "Male": (
        "m", "male", "man", "men", "boy", "masculine", "gentleman", "trans man", "transman",
        "trans male", "cis man", "cis male", "mannlich", "männlich", "homme", "masculino",
        "hombre", "uomo",
    ),
    "Other": (
        "other", "o", "x", "non-binary", "nonbinary", "non binary", "nb", "enby",
        "genderqueer", "gender queer", "genderfluid", "gender fluid", "agender", "bigender",
        "two-spirit", "two spirit", "third gender", "diverse", "divers", "intersex",
        "transgender", "gender non-conforming", "gender nonconforming", "another gender",
    ),
    "Unknown": (
        "u", "unknown", "unspecified", "not specified", "prefer not to say",
        "prefer not to answer", "rather not say", "declined", "decline to state",
        "not disclosed", "undisclosed", "not known", "not stated",
    ),
}  # fmt: skip
"""Accepted spellings per category, compared lower-cased with spaces, hyphens, underscores,
dots and slashes ignored. "Unknown" spellings are listed for the README; anything unlisted is
Unknown too."""

_GENDER_KEY = re.compile(r"[\s\-_./]+")


def _gender_key(text: str) -> str:
    return _GENDER_KEY.sub("", text.casefold())


_GENDER_LOOKUP = {
    _gender_key(spelling): category
    for category, spellings in GENDER_SPELLINGS.items()
    for spelling in spellings
}


def normalise_gender(s: pd.Series) -> pd.Series:
    """Map free-text gender to ``Female``/``Male``/``Other``/``Unknown`` for the segment charts.

    Blank and unrecognised values become ``Unknown``: an unreadable gender does not make the
    rest of the customer's row wrong, so it is not a rejection.
    """
    s = _as_series(s)
    codes, uniques = _factorize_clean(s)
    categories = np.array(
        [_GENDER_LOOKUP.get(_gender_key(text), "Unknown") for text in uniques], dtype=object
    )
    if len(categories) == 0:
        return pd.Series([], index=s.index, dtype="str")
    return pd.Series(categories[codes], index=s.index, dtype="str")
