"""Map a CSV file's header row to our customer fields.

Pure functions, no I/O. Exports from CRMs, billing systems and BI tools name the same column in
many ways, so headers are compared by ``normalise_header`` (case, spaces, underscores and
punctuation ignored: ``" Watch_Time-Hours "`` and ``"watch time (hours)"`` both become
``"watchtimehours"``) against the synonym table ``SYNONYMS``. ``--map 'Header=field'`` overrides
(``parse_map_options``) beat synonyms; columns that map to no field are kept as extras.

Decisions behind the synonym table:

* Each field's synonyms are listed most specific first. When two columns claim the same field,
  the column whose header is the earlier synonym wins (``user_id`` beats ``id``; ``country``
  beats ``region``); the loser is kept as an extra column, never dropped. Two columns of equal
  rank (``Customer ID`` and ``customer_id``, or one header twice) are refused, naming both:
  the file does not say which one holds the field, and guessing would load the wrong values.
* Generic words are low-ranked fallbacks: ``id`` and ``customer`` (customer_id); ``username``
  and ``user name`` (name: a login handle is still better than no name on screen); ``region``,
  ``market`` and ``territory`` (country: in some files a region is a continent, so it is used
  only when no real country column exists); ``start date`` (join_date); ``revenue`` and
  ``price`` (monthly_revenue); ``watch time``, ``watch duration`` and ``total watch duration``
  (watch_time_hours: a watch time with no unit is taken as hours, our canonical unit).
* Not mapped on purpose: ``created_at`` / ``created`` (when the record was created, not when the
  customer joined), ``Last Payment Date`` / ``billing date`` (a payment is not a login),
  ``total revenue`` / ``lifetime value`` / ``ltv`` (not monthly), ``listening time`` and bare
  ``duration`` (unit and meaning unknown). The user maps those with ``--map`` when they mean it.
* Alternate fields are used only when their canonical field is absent: ``last_login_days`` (days
  since the last login; ingestion counts back from the as-of date), ``watch_time_minutes``
  (converted to hours), ``first_name`` + ``last_name`` (joined into ``name``). If the canonical
  field is present too, the alternate column becomes an extra, unless ``--map`` chose the
  alternate and not the canonical, in which case the canonical column becomes the extra.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pandas as pd

from db.values import is_blank, parse_dates, parse_numbers

CANONICAL_FIELDS = (
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
)
ALTERNATE_FIELDS = ("last_login_days", "watch_time_minutes", "first_name", "last_name")
REQUIRED = ("customer_id", "last_login", "watch_time_hours")

ALTERNATE_FOR: dict[str, str] = {
    "last_login_days": "last_login",
    "watch_time_minutes": "watch_time_hours",
    "first_name": "name",
    "last_name": "name",
}
"""Which canonical field each alternate field stands in for."""

FIELD_DESCRIPTIONS: dict[str, str] = {
    "customer_id": "a unique customer/user id",
    "last_login": "the date of the customer's last login (or last_login_days: days since it)",
    "watch_time_hours": "total watch time in hours (or watch_time_minutes)",
}

SYNONYMS: dict[str, tuple[str, ...]] = {
    "customer_id": (
        "customer_id", "customer id", "customerid", "cust id", "custid", "customer number",
        "customer no", "customer_key", "user_id", "user id", "userid", "uid", "client id",
        "account id", "accountid", "account number", "account no", "subscriber id",
        "subscriber number", "subscriber no", "member id", "memberid",
        "member number", "member no", "membership number", "membership id", "client number",
        "client no", "profile id", "contact id", "msisdn", "subscription id", "id", "customer",
    ),
    "name": (
        "name", "full name", "fullname", "customer name", "customer full name", "client name",
        "subscriber name", "member name", "contact name", "account name", "display name",
        "user name", "username",
    ),
    "first_name": ("first_name", "first name", "firstname", "given name", "forename", "fname"),
    "last_name": ("last_name", "last name", "lastname", "surname", "family name", "lname"),
    "gender": ("gender", "sex", "gender identity"),
    "age": ("age", "age years", "customer age", "age in years"),
    "country": (
        "country", "country code", "country name", "country iso", "country/region",
        "billing country", "customer country", "nation", "nationality", "region", "market",
        "territory",
    ),
    "plan": (
        "plan", "subscription type", "subscription plan", "plan type", "plan name",
        "subscription tier", "membership type", "subscription", "tier", "membership",
        "package",
    ),
    "join_date": (
        "join_date", "join date", "joined", "joined on", "date joined", "joining date",
        "signup date", "sign up date", "sign-up date", "signed up", "registration date",
        "registered", "registered on", "subscription start date", "subscription start",
        "member since", "customer since", "start date",
    ),
    "last_login": (
        "last_login", "last login", "last login date", "last logged in", "last login at",
        "last_active", "last active", "last active date", "last seen", "last activity",
        "last activity date", "last watched", "last watch date", "last stream date",
        "last streamed", "last visit", "last visit date",
    ),
    "last_login_days": (
        "last_login_days", "last login days", "days since last login", "days since login",
        "days since last active", "days since last activity", "days inactive",
        "inactive days", "recency days", "recency",
    ),
    "watch_time_hours": (
        "watch_time_hours", "watch time hours", "watch hours", "watch time hrs", "watch hrs",
        "hours watched", "total watch hours", "total watch time hours", "total watch time",
        "viewing hours", "viewing time hours", "streaming hours", "hours streamed",
        "watch duration", "total watch duration", "watch time",
    ),
    "watch_time_minutes": (
        "watch_time_minutes", "watch time minutes", "watch minutes", "watch time mins",
        "watch mins", "minutes watched", "total watch minutes", "total watch time minutes",
        "viewing minutes", "viewing time minutes", "streaming minutes", "minutes streamed",
    ),
    "visit_frequency": (
        "visit_frequency", "visit frequency", "visits", "platform visits", "visit count",
        "number of visits", "monthly visits", "visits per month", "sessions",
        "session count", "logins", "login count", "number of logins",
    ),
    "monthly_revenue": (
        "monthly_revenue", "monthly revenue", "monthly fee", "monthly spend",
        "monthly charge", "monthly payment", "monthly price", "monthly amount", "mrr", "arpu",
        "revenue", "price",
    ),
}  # fmt: skip
"""Header spellings per field, most specific first (earlier wins a collision)."""

_NON_KEY = re.compile(r"[\W_]+")


def normalise_header(text: str) -> str:
    """Comparison key for a header: case, spaces, underscores and punctuation ignored.

    ``" Watch_Time-Hours "`` -> ``"watchtimehours"``; a leading byte-order mark is dropped.
    """
    return _NON_KEY.sub("", text.replace("\ufeff", "").strip().casefold())


def _build_synonym_index() -> dict[str, tuple[str, int]]:
    index: dict[str, tuple[str, int]] = {}
    for field, spellings in SYNONYMS.items():
        for rank, spelling in enumerate(spellings):
            key = normalise_header(spelling)
            if key in index and index[key][0] != field:
                raise ValueError(f"synonym {spelling!r} is listed for two fields")
            index.setdefault(key, (field, rank))
    return index


_SYNONYM_INDEX = _build_synonym_index()
_ALL_FIELDS = CANONICAL_FIELDS + ALTERNATE_FIELDS
_FIELD_BY_KEY = {normalise_header(field): field for field in _ALL_FIELDS}


class MappingError(ValueError):
    """A ``--map`` option the file or our fields cannot satisfy; the message is for the user."""


@dataclass(frozen=True)
class HeaderMapping:
    """Which column feeds which field.

    ``fields``: canonical or alternate field -> column index. ``extras``: every other column, by
    display header (stripped; blank headers become ``column_N`` and repeated ones
    ``Header (column N)``, N counted from 1) -> column index. ``missing_required``: required
    fields no column satisfies (empty when the file can load). ``headers``: stripped originals.
    """

    fields: dict[str, int]
    extras: dict[str, int]
    missing_required: tuple[str, ...]
    headers: tuple[str, ...]


def _valid_fields_text() -> str:
    return ", ".join(_ALL_FIELDS)


def _field_named(text: str) -> str | None:
    return _FIELD_BY_KEY.get(normalise_header(text))


def parse_map_options(options: list[str]) -> dict[str, str]:
    """``["Last Payment Date=last_login"]`` -> ``{"Last Payment Date": "last_login"}``.

    Splits at the last ``=`` (a header may contain one; a field never does). The field is
    matched like a header, so ``last login`` means ``last_login``. Raises ``MappingError`` for
    a missing ``=``, an empty side, an unknown field, or one header or field given twice.
    """
    mapping: dict[str, str] = {}
    for option in options:
        header, equals, field_text = option.rpartition("=")
        header = header.strip()
        if not equals or not header or not field_text.strip():
            raise MappingError(
                f"--map {option!r} is not of the form 'Header=field', "
                "e.g. --map 'Last Payment Date=last_login'"
            )
        field = _field_named(field_text)
        if field is None:
            raise MappingError(
                f"--map {option!r}: unknown field {field_text.strip()!r}; "
                f"valid fields are: {_valid_fields_text()}"
            )
        previous = next(
            (h for h in mapping if normalise_header(h) == normalise_header(header)), None
        )
        if previous is not None and mapping[previous] != field:
            raise MappingError(
                f"--map gives column {header!r} two fields: {mapping[previous]} and {field}"
            )
        if previous is None:
            for other_header, other_field in mapping.items():
                if other_field == field:
                    raise MappingError(
                        f"--map gives field {field} two columns: {other_header!r} and {header!r}"
                    )
            mapping[header] = field
    return mapping


def display_names(headers: tuple[str, ...]) -> list[str]:
    """A unique, non-empty name per column: ``column_7`` for a blank 7th header,
    ``Age (column 5)`` for a repeated one."""
    names: list[str] = []
    used: set[str] = set()
    for position, header in enumerate(headers, start=1):
        if not header:
            name = f"column_{position}"
        elif header in used:
            name = f"{header} (column {position})"
        else:
            name = header
        suffix = 2
        base = name
        while name in used:
            name = f"{base}_{suffix}"
            suffix += 1
        used.add(name)
        names.append(name)
    return names


def _override_columns(headers: tuple[str, ...], overrides: dict[str, str]) -> dict[str, int]:
    """Field -> column for each override; the first column with a matching header."""
    chosen: dict[str, int] = {}
    keys = [normalise_header(h) for h in headers]
    for header, field_text in overrides.items():
        field = _field_named(field_text)
        if field is None:
            raise MappingError(
                f"--map {header}={field_text}: unknown field {field_text!r}; "
                f"valid fields are: {_valid_fields_text()}"
            )
        key = normalise_header(header)
        if not key or key not in keys:
            columns = ", ".join(repr(h) for h in headers if h)
            raise MappingError(
                f"--map {header}={field}: the file has no column {header!r}; "
                f"its columns are: {columns}"
            )
        column = keys.index(key)
        if field in chosen and chosen[field] != column:
            raise MappingError(f"--map gives field {field} two columns")
        if column in chosen.values() and chosen.get(field) != column:
            raise MappingError(f"--map gives column {header!r} two fields")
        chosen[field] = column
    return chosen


def _refuse_ambiguous(field: str, headers: list[str]) -> None:
    """Two columns that read as the same field equally well: the file cannot say which."""
    shown = " and ".join(repr(header) for header in headers)
    raise MappingError(
        f"Columns {shown} both read as {field}, so the file does not say which one holds it. "
        f"Remove or rename one of them, or choose one with --map '{headers[0]}={field}'."
    )


def map_headers(headers: list[str], overrides: dict[str, str] | None = None) -> HeaderMapping:
    """Assign columns to fields: overrides first, then synonyms, best rank winning.

    See the module docstring for the collision and alternate-field rules. Raises
    ``MappingError`` when an override names a column the file lacks or an unknown field.
    """
    stripped = tuple(h.replace("\ufeff", "").strip() for h in headers)
    fields = _override_columns(stripped, overrides or {})
    from_override = set(fields)
    taken = set(fields.values())

    best: dict[str, tuple[int, int]] = {}  # field -> (rank, column)
    tied: dict[str, list[int]] = {}  # field -> columns sharing its best rank
    for column, header in enumerate(stripped):
        if column in taken:
            continue
        match = _SYNONYM_INDEX.get(normalise_header(header))
        if match is None or match[0] in fields:
            continue
        field, rank = match
        if field not in best or rank < best[field][0]:
            best[field] = (rank, column)
            tied[field] = [column]
        elif rank == best[field][0]:
            tied[field].append(column)
    for field, columns in tied.items():
        if len(columns) > 1:
            _refuse_ambiguous(field, [stripped[c] for c in columns])
    fields.update({field: column for field, (_, column) in best.items()})

    for alternate, canonical in ALTERNATE_FOR.items():
        if alternate in fields and canonical in fields:
            alternate_chosen = alternate in from_override and canonical not in from_override
            fields.pop(canonical if alternate_chosen else alternate)

    mapped = set(fields.values())
    names = display_names(stripped)
    extras = {names[c]: c for c in range(len(stripped)) if c not in mapped}
    satisfied = set(fields) | {ALTERNATE_FOR[f] for f in fields if f in ALTERNATE_FOR}
    missing = tuple(field for field in REQUIRED if field not in satisfied)
    ordered = {f: fields[f] for f in _ALL_FIELDS if f in fields}
    return HeaderMapping(fields=ordered, extras=extras, missing_required=missing, headers=stripped)


SUGGESTION_SHARE = 0.9
"""Share of a column's non-blank sample values that must fit a field for it to be suggested."""


def _could_be_dates(values: pd.Series) -> bool:
    present = ~is_blank(values)
    if not present.any():
        return False
    best = max(
        (~parse_dates(values[present], day_first=day_first)[1]).mean()
        for day_first in (False, True)
    )
    return bool(best >= SUGGESTION_SHARE)


def _could_be_hours(values: pd.Series) -> bool:
    numbers, invalid = parse_numbers(values)
    present = ~is_blank(values)
    if not present.any():
        return False
    usable = (~invalid & present & (numbers >= 0))[present]
    return bool(usable.mean() >= SUGGESTION_SHARE)


def _could_be_ids(values: pd.Series) -> bool:
    present = ~is_blank(values)
    if not present.any() or present.mean() < SUGGESTION_SHARE:
        return False
    return bool(values[present].str.strip().is_unique)


# Header words that make a candidate more likely, so the best guess is listed first
# ("LastPayment" before "BirthDate" for last_login).
_CANDIDATE_HINTS = {
    "customer_id": ("id", "number", "no", "key"),
    "last_login": ("last", "recent", "latest", "payment", "active", "seen", "login", "visit"),
    "watch_time_hours": ("hour", "time", "duration", "minute", "watch", "listen", "view"),
}
_CANDIDATE_SHOWN = 6

_CANDIDATE_TESTS = {
    "customer_id": _could_be_ids,
    "last_login": _could_be_dates,
    "watch_time_hours": _could_be_hours,
}


def suggest_columns(mapping: HeaderMapping, sample: pd.DataFrame) -> dict[str, list[str]]:
    """For each missing required field, the extra columns whose sample values could serve.

    ``sample`` is the first rows as raw strings, columns in file order (labels are ignored).
    last_login: at least 90% of non-blank values are dates (either day/month order);
    watch_time_hours: at least 90% are non-negative numbers; customer_id: at least 90% filled
    and all values distinct. Columns whose header hints at the field come first, then file
    order.
    """
    suggestions: dict[str, list[str]] = {}
    for field in mapping.missing_required:
        test = _CANDIDATE_TESTS[field]
        fitting = [
            header
            for header, column in mapping.extras.items()
            if column < sample.shape[1] and test(sample.iloc[:, column].astype("str"))
        ]
        hints = _CANDIDATE_HINTS[field]
        suggestions[field] = sorted(
            fitting,
            key=lambda header: not any(hint in header.lower() for hint in hints),
        )
    return suggestions


def _quote(text: str) -> str:
    return f'"{text}"' if "'" in text else f"'{text}'"


def describe_missing(mapping: HeaderMapping, suggestions: dict[str, list[str]]) -> str:
    """The refusal message for a file lacking required columns ("" when none are missing).

    Names each missing field and what it means, the candidate columns, the file's columns, and
    an example ``--map`` so the user can fix it in one re-run.
    """
    if not mapping.missing_required:
        return ""
    parts = []
    for field in mapping.missing_required:
        candidates = suggestions.get(field, [])
        if candidates:
            shown = ", ".join(_quote(c) for c in candidates[:_CANDIDATE_SHOWN])
            more = len(candidates) - _CANDIDATE_SHOWN
            shown += f" and {more} more" if more > 0 else ""
            parts.append(f"{field} (could map: {shown})")
        else:
            parts.append(f"{field} (no column looks like it)")
    lines = [f"missing required column(s): {'; '.join(parts)}"]
    for field in mapping.missing_required:
        lines.append(f"  {field}: {FIELD_DESCRIPTIONS[field]}")
    names = display_names(mapping.headers)
    used_as = {column: field for field, column in mapping.fields.items()}
    listing = [
        _quote(name) + (f" (used as {used_as[column]})" if column in used_as else "")
        for column, name in enumerate(names)
    ]
    lines.append(f"the file's columns: {', '.join(listing)}")
    with_candidates = [f for f in mapping.missing_required if suggestions.get(f)]
    example_field = (with_candidates or list(mapping.missing_required))[0]
    example_header = (suggestions.get(example_field) or ["Header"])[0]
    lines.append(
        "tell the loader which column to use with --map 'Header=field', e.g. "
        f"--map {_quote(f'{example_header}={example_field}')}"
    )
    return "\n".join(lines)
