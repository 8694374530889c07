"""Header mapping: synonyms, overrides, collisions, suggestions and the refusal message."""

import pandas as pd
import pytest

from db.fields import (
    ALTERNATE_FIELDS,
    CANONICAL_FIELDS,
    REQUIRED,
    SYNONYMS,
    HeaderMapping,
    MappingError,
    describe_missing,
    map_headers,
    normalise_header,
    parse_map_options,
    suggest_columns,
)

BASE = ["customer_id", "last_login", "watch_time_hours"]


def field_of(header: str) -> str | None:
    """The field a header maps to when it is the file's only column."""
    return next(iter(map_headers([header]).fields), None)


def test_constants() -> None:
    assert CANONICAL_FIELDS[0] == "customer_id"
    assert len(CANONICAL_FIELDS) == 11
    assert ALTERNATE_FIELDS == ("last_login_days", "watch_time_minutes", "first_name", "last_name")
    assert REQUIRED == ("customer_id", "last_login", "watch_time_hours")
    assert set(SYNONYMS) == set(CANONICAL_FIELDS) | set(ALTERNATE_FIELDS)


def test_no_synonym_key_is_shared_between_fields() -> None:
    owners: dict[str, str] = {}
    for field, spellings in SYNONYMS.items():
        for spelling in spellings:
            assert owners.setdefault(normalise_header(spelling), field) == field, spelling


@pytest.mark.parametrize(
    ("text", "key"),
    [
        (" Watch_Time-Hours ", "watchtimehours"),
        ("\ufeffUser ID", "userid"),
        ("Watch Time (Hours)", "watchtimehours"),
        ("country/region", "countryregion"),
        ("  ", ""),
    ],
)
def test_normalise_header(text: str, key: str) -> None:
    assert normalise_header(text) == key


@pytest.mark.parametrize(
    ("header", "field"),
    [
        ("User ID", "customer_id"),
        ("user_id", "customer_id"),
        ("UserId", "customer_id"),
        ("CustomerID", "customer_id"),
        ("Customer Id", "customer_id"),
        ("Client ID", "customer_id"),
        ("Account_ID", "customer_id"),
        ("Subscriber ID", "customer_id"),
        ("member id", "customer_id"),
        ("ID", "customer_id"),
        ("Name", "name"),
        ("Full Name", "name"),
        ("fullname", "name"),
        ("Customer Name", "name"),
        ("Display Name", "name"),
        ("username", "name"),
        ("First Name", "first_name"),
        ("given_name", "first_name"),
        ("Surname", "last_name"),
        ("LastName", "last_name"),
        ("Gender", "gender"),
        ("SEX", "gender"),
        ("Age", "age"),
        ("Age (years)", "age"),
        ("Country", "country"),
        ("Country Code", "country"),
        ("nation", "country"),
        ("Region", "country"),
        ("Market", "country"),
        ("Plan", "plan"),
        ("Subscription Type", "plan"),
        ("subscription_type", "plan"),
        ("Subscription Plan", "plan"),
        ("Subscription", "plan"),
        ("Tier", "plan"),
        ("Membership", "plan"),
        ("Join Date", "join_date"),
        ("Signup Date", "join_date"),
        ("Sign Up Date", "join_date"),
        ("Registration Date", "join_date"),
        ("registered", "join_date"),
        ("Subscription Start Date", "join_date"),
        ("Start Date", "join_date"),
        ("Member Since", "join_date"),
        ("Last Login Date", "last_login"),
        ("Last Active", "last_login"),
        ("last_active", "last_login"),
        ("Last Seen", "last_login"),
        ("Last Activity", "last_login"),
        ("Last Watched", "last_login"),
        ("Last Stream Date", "last_login"),
        ("Total Watch Duration", "watch_time_hours"),
        ("Watch Hours", "watch_time_hours"),
        ("watch_hours", "watch_time_hours"),
        ("Hours Watched", "watch_time_hours"),
        ("Total Watch Time", "watch_time_hours"),
        ("Viewing Hours", "watch_time_hours"),
        ("Watch Duration", "watch_time_hours"),
        ("Visits", "visit_frequency"),
        ("Visit Frequency", "visit_frequency"),
        ("Platform Visits", "visit_frequency"),
        ("Visit Count", "visit_frequency"),
        ("Sessions", "visit_frequency"),
        ("Logins", "visit_frequency"),
        ("Login Count", "visit_frequency"),
        ("Monthly Visits", "visit_frequency"),
        ("Monthly Revenue", "monthly_revenue"),
        ("Monthly Fee", "monthly_revenue"),
        ("Monthly Spend", "monthly_revenue"),
        ("Monthly Charge", "monthly_revenue"),
        ("Revenue", "monthly_revenue"),
        ("ARPU", "monthly_revenue"),
        ("MRR", "monthly_revenue"),
        ("Price", "monthly_revenue"),
    ],
)
def test_synonyms(header: str, field: str) -> None:
    assert field_of(header) == field


@pytest.mark.parametrize(
    ("header", "field"),
    [
        ("Last Login Days", "last_login_days"),
        ("Days Since Last Login", "last_login_days"),
        ("days_since_login", "last_login_days"),
        ("Recency (days)", "last_login_days"),
        ("Recency", "last_login_days"),
        ("Days Inactive", "last_login_days"),
    ],
)
def test_last_login_days_synonyms(header: str, field: str) -> None:
    mapping = map_headers(["customer_id", header, "watch_hours"])
    assert mapping.fields == {"customer_id": 0, field: 1, "watch_time_hours": 2}
    assert mapping.missing_required == ()


@pytest.mark.parametrize(
    "header",
    ["Watch Time Minutes", "watch_minutes", "Minutes Watched", "Total Watch Minutes",
     "Viewing Minutes", "Watch Time (mins)"],
)  # fmt: skip
def test_watch_time_minutes_synonyms(header: str) -> None:
    mapping = map_headers(["customer_id", "last_login", header])
    assert mapping.fields == {"customer_id": 0, "last_login": 1, "watch_time_minutes": 2}
    assert mapping.missing_required == ()


@pytest.mark.parametrize(
    "header",
    ["created_at", "Created At", "Last Payment Date", "Total Revenue", "LTV", "listening_time",
     "Duration", "Notes"],
)  # fmt: skip
def test_deliberately_unmapped_headers(header: str) -> None:
    assert field_of(header) is None
    mapping = map_headers([*BASE, header])
    assert mapping.extras == {header: 3}


def test_realistic_export() -> None:
    headers = ["\ufeffUser ID", " Name ", "Age", "Gender", "Country", "Subscription_Type",
               "Watch Time (Hours)", "Favorite Genre", "Last Login", "Join Date", "Visits"]  # fmt: skip
    mapping = map_headers(headers)
    assert mapping == HeaderMapping(
        fields={
            "customer_id": 0,
            "name": 1,
            "gender": 3,
            "age": 2,
            "country": 4,
            "plan": 5,
            "join_date": 9,
            "last_login": 8,
            "watch_time_hours": 6,
            "visit_frequency": 10,
        },
        extras={"Favorite Genre": 7},
        missing_required=(),
        headers=("User ID", "Name", "Age", "Gender", "Country", "Subscription_Type",
                 "Watch Time (Hours)", "Favorite Genre", "Last Login", "Join Date", "Visits"),
    )  # fmt: skip


def test_collision_more_specific_synonym_wins_other_goes_to_extras() -> None:
    mapping = map_headers(["id", "user_id", "Region", "Country", "last_login", "watch hours"])
    assert mapping.fields["customer_id"] == 1
    assert mapping.fields["country"] == 3
    assert mapping.extras == {"id": 0, "Region": 2}


def test_collision_equal_rank_is_refused_naming_both_columns() -> None:
    with pytest.raises(MappingError) as refused:
        map_headers(["user_id", "last_login", "watch_hours", "Watch Hours"])
    assert str(refused.value) == (
        "Columns 'watch_hours' and 'Watch Hours' both read as watch_time_hours, so the file "
        "does not say which one holds it. Remove or rename one of them, or choose one with "
        "--map 'watch_hours=watch_time_hours'."
    )
    with pytest.raises(MappingError, match="Columns 'Customer ID' and 'customer_id' both"):
        map_headers(["Customer ID", "customer_id", "last_login", "watch_hours"])


def test_an_override_settles_two_equal_columns() -> None:
    mapping = map_headers(
        ["user_id", "last_login", "watch_hours", "Watch Hours"],
        {"watch_hours": "watch_time_hours"},
    )
    assert mapping.fields["watch_time_hours"] == 2
    assert mapping.extras == {"Watch Hours": 3}


def test_region_is_country_only_as_fallback() -> None:
    assert map_headers(["user_id", "region"]).fields == {"customer_id": 0, "country": 1}


def test_canonical_beats_alternate_from_synonyms() -> None:
    mapping = map_headers(
        ["user_id", "last_login", "days_since_last_login", "watch_hours", "watch_minutes"]
    )
    assert mapping.fields == {"customer_id": 0, "last_login": 1, "watch_time_hours": 3}
    assert mapping.extras == {"days_since_last_login": 2, "watch_minutes": 4}


def test_first_and_last_name_used_when_no_name_column() -> None:
    mapping = map_headers(["user_id", "First Name", "Last Name", "last_login", "watch_hours"])
    assert mapping.fields == {
        "customer_id": 0,
        "last_login": 3,
        "watch_time_hours": 4,
        "first_name": 1,
        "last_name": 2,
    }
    with_name = map_headers(["user_id", "First Name", "Last Name", "Full Name"])
    assert with_name.fields == {"customer_id": 0, "name": 3}
    assert with_name.extras == {"First Name": 1, "Last Name": 2}


def test_blank_and_duplicate_headers_do_not_crash() -> None:
    mapping = map_headers(["user_id", "", "notes", "notes", "  ", "column_5"])
    assert mapping.headers == ("user_id", "", "notes", "notes", "", "column_5")
    assert mapping.extras == {
        "column_2": 1,
        "notes": 2,
        "notes (column 4)": 3,
        "column_5": 4,
        "column_5 (column 6)": 5,
    }
    assert mapping.missing_required == ("last_login", "watch_time_hours")


def test_missing_required_and_alternates_satisfy_required() -> None:
    assert map_headers(["Name"]).missing_required == REQUIRED
    mapping = map_headers(["id", "recency", "minutes watched"])
    assert mapping.missing_required == ()
    assert map_headers([]).missing_required == REQUIRED


# --- overrides ---------------------------------------------------------------------------------


def test_parse_map_options() -> None:
    assert parse_map_options(
        ["Last Payment Date=last_login", " listening_time = watch_time_minutes ", "a=b=Age"]
    ) == {"Last Payment Date": "last_login", "listening_time": "watch_time_minutes", "a=b": "age"}
    assert parse_map_options(["Col=Last Login"]) == {"Col": "last_login"}
    assert parse_map_options([]) == {}


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["Last Payment Date"], "is not of the form 'Header=field'"),
        (["=last_login"], "is not of the form 'Header=field'"),
        (["Header="], "is not of the form 'Header=field'"),
        (["Header=login"], "unknown field 'login'; valid fields are: customer_id, name,"),
        (["A=age", "a=gender"], "--map gives column 'a' two fields: age and gender"),
        (["A=age", "B=age"], "--map gives field age two columns: 'A' and 'B'"),
    ],
)
def test_parse_map_options_errors(options: list[str], message: str) -> None:
    with pytest.raises(MappingError) as error:
        parse_map_options(options)
    assert message in str(error.value)


def test_unknown_field_message_lists_all_valid_fields() -> None:
    with pytest.raises(MappingError) as error:
        parse_map_options(["x=bogus"])
    assert str(error.value).endswith(
        "valid fields are: customer_id, name, gender, age, country, plan, join_date, "
        "last_login, watch_time_hours, visit_frequency, monthly_revenue, last_login_days, "
        "watch_time_minutes, first_name, last_name"
    )


def test_override_maps_an_unmapped_column() -> None:
    headers = ["User ID", "Last Payment Date", "Watch Hours"]
    mapping = map_headers(headers, {"last payment date": "last_login"})
    assert mapping.fields == {"customer_id": 0, "last_login": 1, "watch_time_hours": 2}
    assert mapping.missing_required == ()
    assert mapping.extras == {}


def test_override_wins_over_synonym_for_the_same_field() -> None:
    mapping = map_headers(["user_id", "Last Login", "Last Seen", "watch_hours"],
                          {"Last Seen": "last_login"})  # fmt: skip
    assert mapping.fields["last_login"] == 2
    assert mapping.extras == {"Last Login": 1}


def test_override_takes_a_column_away_from_its_synonym_field() -> None:
    mapping = map_headers(["user_id", "Join Date", "watch_hours"], {"Join Date": "last_login"})
    assert mapping.fields == {"customer_id": 0, "last_login": 1, "watch_time_hours": 2}


def test_override_choosing_alternate_drops_synonym_canonical() -> None:
    mapping = map_headers(
        ["user_id", "last_login", "watch_hours", "listening_time"],
        {"listening_time": "watch_time_minutes"},
    )
    assert mapping.fields == {"customer_id": 0, "last_login": 1, "watch_time_minutes": 3}
    assert mapping.extras == {"watch_hours": 2}


def test_override_errors() -> None:
    with pytest.raises(MappingError) as error:
        map_headers(["User ID", "Last Payment"], {"Last Payment Date": "last_login"})
    assert str(error.value) == (
        "--map Last Payment Date=last_login: the file has no column 'Last Payment Date'; "
        "its columns are: 'User ID', 'Last Payment'"
    )
    with pytest.raises(MappingError, match="unknown field 'nope'"):
        map_headers(["A"], {"A": "nope"})


# --- suggestions and the refusal message --------------------------------------------------------

EXPORT_HEADERS = ["Customer ID", "Name", "Plan", "Join Date", "Last Payment Date",
                  "Listening Hours", "Notes", "Phone"]  # fmt: skip
EXPORT_ROWS = [
    ["C001", "Ann Lee", "Basic", "2023-01-05", "08/01/2024", "12.5", "vip", "555-0101"],
    ["C002", "Bo Chan", "Premium", "2023-02-11", "07/15/2024", "3", "", "555-0102"],
    ["C003", "Cy Diaz", "Basic", "2023-03-20", "", "0", "late payer", "555-0103"],
    ["C004", "Di Eng", "Standard", "2023-04-02", "06/30/2024", "1,204.5", "", "555-0104"],
]


def export_sample() -> pd.DataFrame:
    return pd.DataFrame(EXPORT_ROWS, columns=EXPORT_HEADERS, dtype="str")


def test_suggest_columns_for_missing_fields() -> None:
    mapping = map_headers(EXPORT_HEADERS)
    assert mapping.missing_required == ("last_login", "watch_time_hours")
    assert suggest_columns(mapping, export_sample()) == {
        "last_login": ["Last Payment Date"],
        "watch_time_hours": ["Listening Hours"],
    }


def test_suggest_columns_ignores_negative_numbers_and_labels() -> None:
    headers = ["user_id", "last_login", "Balance", "Minutes"]
    sample = pd.DataFrame([["1", "2024-01-01", "-5", "30"], ["2", "2024-01-02", "3", "45"]])
    assert suggest_columns(map_headers(headers), sample) == {"watch_time_hours": ["Minutes"]}


def test_suggest_columns_for_customer_id_needs_distinct_values() -> None:
    headers = ["Ref", "Group", "last_login", "watch_hours"]
    sample = pd.DataFrame([["a1", "g", "2024-01-01", "1"], ["a2", "g", "2024-01-02", "2"]])
    assert suggest_columns(map_headers(headers), sample) == {"customer_id": ["Ref"]}


def test_describe_missing_message() -> None:
    mapping = map_headers(EXPORT_HEADERS)
    message = describe_missing(mapping, suggest_columns(mapping, export_sample()))
    assert message.splitlines() == [
        "missing required column(s): last_login (could map: 'Last Payment Date'); "
        "watch_time_hours (could map: 'Listening Hours')",
        "  last_login: the date of the customer's last login (or last_login_days: days since it)",
        "  watch_time_hours: total watch time in hours (or watch_time_minutes)",
        "the file's columns: 'Customer ID' (used as customer_id), 'Name' (used as name), "
        "'Plan' (used as plan), 'Join Date' (used as join_date), 'Last Payment Date', "
        "'Listening Hours', 'Notes', 'Phone'",
        "tell the loader which column to use with --map 'Header=field', "
        "e.g. --map 'Last Payment Date=last_login'",
    ]


def test_describe_missing_without_candidates_and_when_complete() -> None:
    mapping = map_headers(["user_id", "watch_hours", "Rep's note"])
    message = describe_missing(mapping, {"last_login": []})
    assert message.splitlines()[0] == (
        "missing required column(s): last_login (no column looks like it)"
    )
    # With no plausible column the example stays generic rather than pointing at a wrong one.
    assert message.endswith("e.g. --map 'Header=last_login'")
    assert describe_missing(map_headers(BASE), {}) == ""


@pytest.mark.parametrize(
    "header",
    [
        "Subscriber No",
        "subscriber number",
        "Account Number",
        "Member Number",
        "MSISDN",
        "Client No",
    ],
)
def test_more_customer_id_spellings(header: str) -> None:
    assert map_headers([header, "Last Login", "Watch Hours"]).fields["customer_id"] == 0
