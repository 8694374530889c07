"""Value parsing: numbers, integers, dates, day/month evidence, gender."""

import numpy as np
import pandas as pd
import pytest

from db.values import (
    MAX_FIELD_LENGTH,
    AmbiguousDateError,
    DateEvidence,
    clean_text,
    is_blank,
    normalise_gender,
    parse_dates,
    parse_integers,
    parse_numbers,
)


def strings(*values: str | None) -> pd.Series:
    return pd.Series(list(values), dtype="object")


def dates_of(values: list[str], day_first: bool = False) -> list[str | None]:
    parsed, _ = parse_dates(strings(*values), day_first)
    return [None if pd.isna(v) else v.strftime("%Y-%m-%d") for v in parsed]


def invalid_of(values: list[str], day_first: bool = False) -> list[bool]:
    return parse_dates(strings(*values), day_first)[1].tolist()


def test_max_field_length_constant() -> None:
    assert MAX_FIELD_LENGTH == 1000


def test_clean_text_strips_whitespace_nbsp_and_bom_and_fills_missing() -> None:
    result = clean_text(strings("  a b ", "\xa0x\u202f", "\ufeffy", None, "\t"))
    assert result.tolist() == ["a b", "x", "y", "", ""]


def test_is_blank_tokens_case_insensitive() -> None:
    values = strings("", "NA", "n/a", "NULL", "None", "nan", "-", " N/A ", None, "0", "x", "--")
    assert is_blank(values).tolist() == [True] * 9 + [False] * 3


# --- numbers -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("42", 42.0),
        ("  42 ", 42.0),
        ("+3", 3.0),
        ("-1.5", -1.5),
        (".5", 0.5),
        ("1e3", 1000.0),
        ("1,234.5", 1234.5),
        ("12,345,678.9", 12345678.9),
        ("1,234", 1234.0),
        ("1 234,5", 1234.5),
        ("1\xa0234,5", 1234.5),
        ("1 234 567", 1234567.0),
        ("1'234.50", 1234.5),
        ("1.234,5", 1234.5),
        ("1.234.567", 1234567.0),
        ("1.234", 1.234),
        ("12,5", 12.5),
        ("1234,56", 1234.56),
        ("0,125", 0.125),
        ("$12.99", 12.99),
        ("-$5", -5.0),
        ("$-5", -5.0),
        ("12,99 €", 12.99),
        ("£1,000", 1000.0),
        ("USD 12.99", 12.99),
        ("9.99 eur", 9.99),
    ],
)
def test_parse_numbers_accepted_formats(text: str, expected: float) -> None:
    values, invalid = parse_numbers(strings(text))
    assert values.tolist() == [pytest.approx(expected)]
    assert invalid.tolist() == [False]


@pytest.mark.parametrize(
    "text", ["abc", "50%", "(12.50)", "--5", "1,234,5", "12 34", "1_000", "$", "1.2.3", "٤٢"]
)
def test_parse_numbers_invalid(text: str) -> None:
    values, invalid = parse_numbers(strings(text))
    assert np.isnan(values.iloc[0])
    assert invalid.tolist() == [True]


def test_parse_numbers_blank_is_nan_not_invalid_and_inf_is_kept() -> None:
    values, invalid = parse_numbers(strings("", None, "N/A", "-", "inf", "-inf", "7"))
    assert values.iloc[:4].isna().all()
    assert values.iloc[4:].tolist() == [np.inf, -np.inf, 7.0]
    assert invalid.tolist() == [False] * 7
    assert values.dtype == "float64"


def test_parse_numbers_keeps_index_and_mixes_fast_and_slow_paths() -> None:
    s = pd.Series(["1,5", "2", "x", "1,5"], index=[10, 11, 12, 13], dtype="str")
    values, invalid = parse_numbers(s)
    assert values.index.tolist() == [10, 11, 12, 13]
    assert values.tolist()[:2] == [1.5, 2.0]
    assert values.iloc[3] == 1.5
    assert invalid.tolist() == [False, False, True, False]


def test_parse_integers() -> None:
    values, invalid = parse_integers(strings("43", "43.0", " 7 ", "1,204", "43.5", "inf", "x", ""))
    assert values.dtype == "Int64"
    assert values.iloc[:4].tolist() == [43, 43, 7, 1204]
    assert values.iloc[4:].isna().all()
    assert invalid.tolist() == [False, False, False, False, True, True, True, False]


# --- dates -------------------------------------------------------------------------------------


def test_iso_dates_and_time_and_timezone_dropped() -> None:
    values = [
        "2024-03-08",
        "2024-3-8",
        "2024-03-08 14:40:50.540242",
        "2024-03-08T10:00:00Z",
        "2024-03-08T23:30:00-05:00",
        "2024-03-08 10:00:00 +0000",
        "2024/03/08",
        "2024.03.08",
    ]
    assert dates_of(values) == ["2024-03-08"] * len(values)
    parsed, _ = parse_dates(strings(*values), day_first=False)
    assert parsed.dtype == "datetime64[us]"
    assert (parsed == parsed.dt.normalize()).all()


def test_numeric_dates_follow_day_first() -> None:
    values = ["08/03/2024", "8-3-24", "08.03.2024", "8/3/2024 14:30", "08/03/2024 2:30 PM"]
    assert dates_of(values, day_first=True) == ["2024-03-08"] * 5
    assert dates_of(values, day_first=False) == ["2024-08-03"] * 5


def test_two_digit_years_pivot_like_python_percent_y() -> None:
    assert dates_of(["01/02/00", "01/02/68", "01/02/69", "01/02/99"], day_first=True) == [
        "2000-02-01",
        "2068-02-01",
        "1969-02-01",
        "1999-02-01",
    ]


def test_month_name_dates_in_any_order() -> None:
    values = [
        "Aug 31 2024",
        "31 Aug 2024",
        "August 31, 2024",
        "31-Aug-2024",
        "31-AUG-24",
        "Sat, 31 Aug 2024",
        "Sat, 31 Aug 2024 10:00:00 +0000",
        "Sat Aug 31 10:00:00 2024",
        "31st of August 2024",
        "2024 Aug 31",
        "aug 31, 24",
    ]
    assert dates_of(values) == ["2024-08-31"] * len(values)
    assert dates_of(["Sept 1 2024", "1 May 2024"]) == ["2024-09-01", "2024-05-01"]


def test_compact_and_epoch_dates() -> None:
    assert dates_of(["20240831", "1725062400", "1725148799", "1725062400.5", "1725062400123"]) == [
        "2024-08-31",
        "2024-08-31",
        "2024-08-31",
        "2024-08-31",
        "2024-08-31",
    ]
    assert dates_of(["999999999"]) == ["2001-09-09"]


def test_impossible_and_unreadable_dates_are_invalid_blank_is_not() -> None:
    values = [
        "31/02/2024",
        "2024-13-01",
        "2023-02-29",
        "2024-02-30",
        "13/13/2024",
        "20241301",
        "Feb 30 2024",
        "abc",
        "2024-03-08 garbage",
        "2024-03/08",
        "Aug 2024",
        "Smarch 3 2024",
        "12345",
        "",
        "N/A",
        None,
    ]
    parsed, invalid = parse_dates(strings(*values), day_first=True)
    assert parsed.isna().all()
    assert invalid.tolist() == [True] * 13 + [False] * 3
    assert dates_of(["29/02/2024"], day_first=True) == ["2024-02-29"]


def test_parse_dates_repeated_values_and_index() -> None:
    s = pd.Series(["2024-01-02", "x", "2024-01-02", ""], index=list("abcd"), dtype="str")
    parsed, invalid = parse_dates(s, day_first=False)
    assert parsed.index.tolist() == list("abcd")
    assert parsed.iloc[0] == parsed.iloc[2] == pd.Timestamp("2024-01-02")
    assert invalid.tolist() == [False, True, False, False]


def evidence_of(*chunks: list[str]) -> DateEvidence:
    evidence = DateEvidence()
    for chunk in chunks:
        evidence.update(strings(*chunk))
    return evidence


def test_evidence_counts() -> None:
    evidence = evidence_of(
        ["25/03/2024", "03/04/2024", "2024-01-01", "", "Aug 1 2024"],
        ["25/03/2024", "20240101", "1725062400", "zzz"],
    )
    assert (evidence.numeric, evidence.day_first_proven, evidence.month_first_proven) == (3, 2, 0)
    assert (evidence.iso, evidence.month_name, evidence.compact, evidence.epoch) == (1, 1, 1, 1)
    assert (evidence.blank, evidence.other) == (1, 1)


def test_evidence_proven_day_first_across_chunks() -> None:
    evidence = evidence_of(["03/04/2024", "01/02/2024"], ["25/03/2024"])
    assert evidence.decide("join_date", None) is True


def test_evidence_proven_month_first() -> None:
    assert evidence_of(["03/04/2024", "03/25/2024"]).decide("join_date", None) is False


def test_evidence_unproven_is_ambiguous_and_suggests_flags() -> None:
    evidence = evidence_of(["03/04/2024", "01/02/2024"])
    with pytest.raises(AmbiguousDateError) as error:
        evidence.decide("Last Login", None)
    message = str(error.value)
    assert "'Last Login'" in message
    assert "'03/04/2024'" in message
    assert "--dayfirst" in message
    assert "--monthfirst" in message


def test_evidence_mixed_orders_is_ambiguous() -> None:
    evidence = evidence_of(["25/03/2024", "03/25/2024"])
    with pytest.raises(AmbiguousDateError, match="--dayfirst") as error:
        evidence.decide("last_login", None)
    assert "'25/03/2024'" in str(error.value)
    assert "'03/25/2024'" in str(error.value)


def test_evidence_explicit_choice_overrides() -> None:
    evidence = evidence_of(["25/03/2024", "03/25/2024", "01/02/2024"])
    assert evidence.decide("c", True) is True
    assert evidence.decide("c", False) is False


def test_evidence_without_numeric_dates_is_irrelevant() -> None:
    assert evidence_of(["2024-01-02", "Aug 1 2024", ""], []).decide("c", None) is False


def test_evidence_mixed_iso_and_unproven_numeric_is_ambiguous() -> None:
    evidence = evidence_of(["2024-12-25", "2024-01-02", "01/02/2024"])
    assert evidence.iso == 2
    with pytest.raises(AmbiguousDateError):
        evidence.decide("c", None)


def test_evidence_mixed_iso_and_proven_numeric() -> None:
    evidence = evidence_of(["2024-12-25", "13/02/2024", "01/02/2024"])
    assert evidence.decide("c", None) is True
    assert dates_of(["2024-12-25", "13/02/2024", "01/02/2024"], day_first=True) == [
        "2024-12-25",
        "2024-02-13",
        "2024-02-01",
    ]


# --- gender ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("F", "Female"),
        ("female", "Female"),
        (" FEMALE ", "Female"),
        ("Woman", "Female"),
        ("w", "Female"),
        ("girl", "Female"),
        ("M", "Male"),
        ("male", "Male"),
        ("Man", "Male"),
        ("m.", "Male"),
        ("Non-Binary", "Other"),
        ("nonbinary", "Other"),
        ("non_binary", "Other"),
        ("NB", "Other"),
        ("genderqueer", "Other"),
        ("agender", "Other"),
        ("other", "Other"),
        ("O", "Other"),
        ("X", "Other"),
        ("diverse", "Other"),
        ("", "Unknown"),
        (None, "Unknown"),
        ("N/A", "Unknown"),
        ("unknown", "Unknown"),
        ("Prefer not to say", "Unknown"),
        ("unspecified", "Unknown"),
        ("banana", "Unknown"),
    ],
)
def test_normalise_gender(text: str | None, expected: str) -> None:
    assert normalise_gender(strings(text)).tolist() == [expected]


def test_normalise_gender_series_shape() -> None:
    result = normalise_gender(pd.Series(["f", "m", "f"], index=[5, 6, 7], dtype="str"))
    assert result.index.tolist() == [5, 6, 7]
    assert result.tolist() == ["Female", "Male", "Female"]
    assert normalise_gender(strings()).tolist() == []
