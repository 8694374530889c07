"""The dashboard's filters: what a manager chose, as it travels in the URL and into SQL.

Filters live in the URL query string (``?dataset=3&gender=Female&segment=Dormant``) so a
filtered view can be shared as a link; :func:`view_from_search` and :func:`search_from_view`
are the one codec that the page frame, the pages, the download routes and the CLI share. Values are checked against the values that exist in
the active analysis run before they reach a query, and always travel as bound parameters.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from urllib.parse import parse_qs, urlencode

MULTI_VALUE_FILTERS = ("gender", "segment", "rfm_segment", "country", "plan")
FILTER_LABELS = {
    "gender": "Gender",
    "segment": "Segment",
    "rfm_segment": "RFM segment",
    "country": "Country",
    "plan": "Plan",
    "customer_id": "Customer ID",
}
MAX_CUSTOMER_ID_LENGTH = 200
NULL_TOKEN = "(none)"  # how a missing country or plan appears in lists and URLs


class FilterError(ValueError):
    """A filter value the data does not have, or one that is malformed."""


@dataclass(frozen=True)
class Filters:
    """Chosen values per dimension (empty = no restriction) and an optional customer id."""

    gender: tuple[str, ...] = ()
    segment: tuple[str, ...] = ()
    rfm_segment: tuple[str, ...] = ()
    country: tuple[str, ...] = ()
    plan: tuple[str, ...] = ()
    customer_id: str = ""
    targets_only: bool = field(default=False)
    # Among targets: None = everyone, False = the send list (not held out), True = the control.
    control: bool | None = field(default=None)

    def is_empty(self) -> bool:
        return not (
            any(self.chosen().values())
            or self.customer_id
            or self.targets_only
            or self.control is not None
        )

    def chosen(self) -> dict[str, tuple[str, ...]]:
        """The multi-value filters that restrict something."""
        return {name: getattr(self, name) for name in MULTI_VALUE_FILTERS if getattr(self, name)}

    def with_targets_only(self) -> Filters:
        return replace(self, targets_only=True)

    def send_list(self) -> Filters:
        """The targets who get the offer: everyone targeted except the control group."""
        return replace(self, targets_only=True, control=False)

    def control_list(self) -> Filters:
        """The targets held out as the control group (they must not get the offer)."""
        return replace(self, targets_only=True, control=True)

    def as_values(self) -> dict[str, object]:
        """The filters as component values: a list per dimension and the customer id."""
        values: dict[str, object] = {
            name: list(getattr(self, name)) for name in MULTI_VALUE_FILTERS
        }
        values["customer_id"] = self.customer_id
        return values

    def describe(self) -> str:
        """Human words for a file name or an audit entry: "gender Female, plan Basic"."""
        parts = [
            f"{FILTER_LABELS[name]} {', '.join(values)}" for name, values in self.chosen().items()
        ]
        if self.customer_id:
            parts.append(f"customer ID {self.customer_id}")
        return "; ".join(parts) or "all customers"


# More values than any filter has (a data set's countries are about 200): a longer list is
# refused before it is looked at.
MAX_FILTER_VALUES = 1_000


def _tuple(values: object, name: str = "") -> tuple[str, ...]:
    if values is None:
        return ()
    if isinstance(values, str):
        values = [values]
    if isinstance(values, list | tuple) and len(values) > MAX_FILTER_VALUES:
        label = FILTER_LABELS.get(name, name)
        raise FilterError(
            f"{label} was given {len(values):,} values; a filter takes at most "
            f"{MAX_FILTER_VALUES:,}."
        )
    seen: dict[str, None] = {}
    for value in values:  # type: ignore[union-attr]
        text = str(value).strip()
        if text:
            seen[text] = None
    return tuple(seen)


def from_values(values: Mapping[str, object]) -> Filters:
    """Filters from component values or a parsed query string (unknown keys are ignored)."""
    customer_id = values.get("customer_id") or ""
    if isinstance(customer_id, list | tuple):
        customer_id = customer_id[0] if customer_id else ""
    customer_id = str(customer_id).strip()
    if len(customer_id) > MAX_CUSTOMER_ID_LENGTH:
        raise FilterError(f"A customer ID is at most {MAX_CUSTOMER_ID_LENGTH} characters long.")
    return Filters(
        **{name: _tuple(values.get(name), name) for name in MULTI_VALUE_FILTERS},
        customer_id=customer_id,
    )


def validate(filters: Filters, known: Mapping[str, list[str]]) -> Filters:
    """The same filters if every value exists in ``known``; else a FilterError naming it."""
    for name, values in filters.chosen().items():
        allowed = set(known.get(name, []))
        unknown = [value for value in values if value not in allowed]
        if unknown:
            shown = ", ".join(repr(v[:40]) for v in unknown[:3])
            raise FilterError(f"{FILTER_LABELS[name]} has no value {shown} in this data set.")
    return filters


def checked(values: Mapping[str, object], known: Mapping[str, list[str]]) -> Filters:
    """Filters from component values or options, each value checked against ``known``.

    The one resolution shared by the pages, the download routes and the command line.
    """
    return validate(from_values(values), known)


def view_from_search(search: str | None) -> dict:
    """``{"dataset_id", "filters"}`` from a URL query string (unvalidated; callers validate)."""
    parsed = parse_qs((search or "").lstrip("?"))
    dataset = parsed.get("dataset", [None])[0]
    filters: dict[str, object] = {name: parsed.get(name, []) for name in MULTI_VALUE_FILTERS}
    filters["customer_id"] = parsed.get("customer_id", [""])[0]
    try:
        dataset_id = int(dataset) if dataset is not None else None
    except ValueError:
        dataset_id = None
    return {"dataset_id": dataset_id, "filters": filters}


def search_from_view(view: Mapping[str, object]) -> str:
    """``?dataset=3&gender=Female…`` (or ``""``) for a view, in a stable order."""
    pairs: list[tuple[str, str]] = []
    if view.get("dataset_id") is not None:
        pairs.append(("dataset", str(view["dataset_id"])))
    filters = view.get("filters") or {}
    assert isinstance(filters, Mapping)
    for name in MULTI_VALUE_FILTERS:
        pairs.extend((name, value) for value in filters.get(name) or [])
    if filters.get("customer_id"):
        pairs.append(("customer_id", str(filters["customer_id"])))
    return f"?{urlencode(pairs)}" if pairs else ""


def split_known(
    values: Mapping[str, object], known: Mapping[str, list[str]]
) -> tuple[dict[str, object], dict[str, list[str]]]:
    """(the values that exist in ``known``, the dropped ones per filter) for a shared link.

    A link may name a value the data set on screen does not have (an old link, another data
    set's country): the view keeps what exists and says what it dropped, never widening in
    silence.
    """
    kept: dict[str, object] = dict(values)
    dropped: dict[str, list[str]] = {}
    for name in MULTI_VALUE_FILTERS:
        chosen = list(_tuple(values.get(name)))
        allowed = set(known.get(name, []))
        kept[name] = [value for value in chosen if value in allowed]
        missing = [value for value in chosen if value not in allowed]
        if missing:
            dropped[name] = missing
    return kept, dropped


MAX_FILTER_OPTIONS = 100
"""Values a filter dropdown is sent at a time; a column with more is searched as one types."""


def option_values(
    known: Sequence[str],
    selected: Iterable[str] | None = None,
    search: str | None = None,
    limit: int = MAX_FILTER_OPTIONS,
) -> list[str]:
    """The dropdown's options: the selected values, then the first ``limit`` known values
    holding ``search`` (any case), so 200,000 plans never travel to a browser at once."""
    chosen = [value for value in dict.fromkeys(selected or []) if isinstance(value, str)]
    taken = set(chosen)
    needle = (search or "").strip().casefold()
    matches: list[str] = []
    for value in known:
        if len(matches) >= limit:
            break
        if needle in value.casefold() and value not in taken:
            matches.append(value)
    return chosen + matches
