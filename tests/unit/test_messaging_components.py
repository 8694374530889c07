"""Messaging builders: row order and reach, edit events, the formula-safe CSV."""

from __future__ import annotations

import csv
import io

import pandas as pd

from dashboard.components.messaging import (
    CHANNEL_CHOICES,
    CellEdit,
    column_defs,
    edits_from_event,
    saved_text,
    strategies_csv,
    strategy_rows,
)

STRATEGIES = pd.DataFrame(
    [
        ("rfm", "Champions", "Hi champ", "m1", "in-app", "o1"),
        ("rule", "Risky", "=cmd()", "m2", "email + push", "o2"),
        ("rule", "Loyal", "Thanks", "m3", "in-app", "-5 %"),
        ("rfm", "Custom", "h", "m", "SMS", "o"),
    ],
    columns=["segment_kind", "segment", "headline", "message", "channel", "offer"],
)
RULE = pd.DataFrame({"segment": ["Loyal", "Risky"], "customers": [1234, 7]})
RFM = pd.DataFrame({"rfm_segment": ["Champions"], "customers": [12]})


def test_rows_are_rule_then_rfm_in_seeded_order_with_filtered_reach() -> None:
    rows = strategy_rows(STRATEGIES, RULE, RFM)
    assert [(r["kind"], r["segment"], r["reaches"]) for r in rows] == [
        ("Rule", "Loyal", 1234),
        ("Rule", "Risky", 7),
        ("RFM", "Champions", 12),
        ("RFM", "Custom", 0),
    ]
    assert rows[1]["headline"] == "=cmd()"  # shown as typed; only the CSV neutralises it


def test_reach_is_missing_without_an_analysed_data_set() -> None:
    assert {r["reaches"] for r in strategy_rows(STRATEGIES, None, None)} == {None}


def test_columns_edit_only_the_four_texts_and_channel_is_a_choice() -> None:
    defs = {d["field"]: d for d in column_defs()}
    assert [f for f, d in defs.items() if d.get("editable")] == [
        "headline",
        "message",
        "channel",
        "offer",
    ]
    assert defs["channel"]["cellEditorParams"]["values"] == [
        "email",
        "push",
        "in-app",
        "email + push",
        "SMS",
    ]
    assert defs["reaches"]["type"] == "rightAligned"
    assert "d3.format(',')" in defs["reaches"]["valueFormatter"]["function"]


def test_edits_keep_valid_changes_only() -> None:
    data = {"segment_kind": "rule", "segment": "Loyal"}
    event = [
        {"colId": "headline", "value": " New ", "oldValue": "Old", "data": data},
        {"colId": "headline", "value": "Same", "oldValue": "Same", "data": data},
        {"colId": "reaches", "value": 5, "oldValue": 4, "data": data},
        {"colId": "channel", "value": "fax", "oldValue": "email", "data": data},
        {"colId": "channel", "value": "SMS", "oldValue": "email", "data": data},
        {"colId": "offer", "value": None, "oldValue": "x", "data": data},
    ]
    assert edits_from_event(event) == [
        CellEdit("rule", "Loyal", "headline", " New "),
        CellEdit("rule", "Loyal", "channel", "SMS"),
        CellEdit("rule", "Loyal", "offer", ""),
    ]
    assert edits_from_event(event[0]) == [CellEdit("rule", "Loyal", "headline", " New ")]
    assert edits_from_event(None) == []
    assert "SMS" in CHANNEL_CHOICES


def test_saved_text() -> None:
    edit = CellEdit("rule", "Loyal", "offer", "x")
    assert saved_text([edit], []) == "Saved: Loyal · offer."
    assert saved_text([edit], [edit]).startswith("Not saved: Loyal offer")
    assert saved_text([], []) == ""


def test_csv_is_formula_safe_with_plain_counts() -> None:
    rows = list(csv.reader(io.StringIO(strategies_csv(strategy_rows(STRATEGIES, RULE, RFM)))))
    assert rows[0] == [
        "Segment type",
        "Segment",
        "Reaches",
        "Headline",
        "Message",
        "Channel",
        "Offer",
    ]
    assert rows[1] == ["Rule", "Loyal", "1234", "Thanks", "m3", "in-app", "'-5 %"]
    assert rows[2][3] == "'=cmd()"
    no_reach = list(csv.reader(io.StringIO(strategies_csv(strategy_rows(STRATEGIES, None, None)))))
    assert no_reach[1][2] == ""


def test_a_broken_rule_template_is_refused_in_words_rfm_text_is_free() -> None:
    from dashboard.components.messaging import CellEdit, edit_problem

    bad = CellEdit("rule", "Dormant", "offer", "{discount_pct} % off")
    assert edit_problem(bad) == (
        "Not saved: Dormant offer: {discount_pct} must stand inside [[ ]], shown only to "
        "customers with a discount."
    )
    assert edit_problem(CellEdit("rule", "Dormant", "offer", "[[{discount_pct} % off]]")) is None
    assert edit_problem(CellEdit("rfm", "Lost", "message", "{anything} goes")) is None
