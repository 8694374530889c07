"""``python -m dashboard export customers`` end to end: exact rows, exact header, formula-safe."""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from dashboard.services import exports
from dashboard.services.analysis import analyze_dataset
from db.filters import Filters
from tests.integration.test_pipeline import load_hand_data

REPO = Path(__file__).resolve().parents[2]
EXPECTED_HEADER = [
    "customer_id",
    "name",
    "gender",
    "age",
    "country",
    "plan",
    "last_login",
    "days_since_last_login",
    "watch_time_hours",
    "visit_frequency",
    "monthly_revenue",
    "engagement_level",
    "segment",
    "r_score",
    "f_score",
    "m_score",
    "fm_score",
    "rfm_segment",
    "cluster",
    "cluster_name",
    "discount_target",
    "target_reason",
    "discount_pct",
    "control_group",
]
RISKY_NAMES = {
    "C01": '=HYPERLINK("http://x")',
    "C02": "+1",
    "C03": "-cmd",
    "C04": "@SUM(A1)",
    "C07": "Smith, Bob",
}


@pytest.fixture
def analysed(engine: Engine, tmp_path: Path) -> Engine:
    """The hand-made file, analysed, with cells a spreadsheet would run as formulas.

    Ingestion trims whitespace, so the tab-led name and the negative revenue (a refund) are
    written into the stored results directly, as another loader could have.
    """
    run = analyze_dataset(engine, load_hand_data(engine, tmp_path, RISKY_NAMES))
    with engine.begin() as connection:
        connection.execute(
            text("UPDATE customer_results SET name = :n WHERE customer_id = 'C05' AND run_id = :r"),
            {"n": "\tTabbed", "r": run.run_id},
        )
        connection.execute(
            text(
                "UPDATE customer_results SET monthly_revenue = -5.5 "
                "WHERE customer_id = 'C08' AND run_id = :r"
            ),
            {"r": run.run_id},
        )
    return engine


def start_export(engine: Engine, out: Path, *options: str) -> subprocess.Popen[str]:
    env = {**os.environ, "DATABASE_URL": engine.url.render_as_string(hide_password=False)}
    return subprocess.Popen(
        [sys.executable, "-m", "dashboard", "export", "customers", "--out", str(out), *options],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def run_exports(engine: Engine, tmp_path: Path, cases: dict[str, list[str]]) -> dict[str, tuple]:
    """Run several exports at once (each is a process start); name -> (rc, stdout, stderr, out)."""
    started = {
        name: (start_export(engine, tmp_path / f"{name}.csv", *options), tmp_path / f"{name}.csv")
        for name, options in cases.items()
    }
    results = {}
    for name, (process, out) in started.items():
        stdout, stderr = process.communicate(timeout=120)
        results[name] = (process.returncode, stdout, stderr, out)
    return results


def read_csv(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle)
        header = next(reader)
        rows = [dict(zip(header, row, strict=True)) for row in reader]
    return header, rows


def ids_where(engine: Engine, condition: str) -> list[str]:
    with engine.connect() as connection:
        return list(
            connection.execute(
                text(f"SELECT customer_id FROM customer_results WHERE {condition} ORDER BY id")
            ).scalars()
        )


def ids_cluster(engine: Engine, customer: str) -> list[int]:
    with engine.connect() as connection:
        return list(
            connection.execute(
                text("SELECT cluster FROM customer_results WHERE customer_id = :c"),
                {"c": customer},
            ).scalars()
        )


def test_full_export_has_the_exact_header_and_neutralised_formulas(
    analysed: Engine, tmp_path: Path
) -> None:
    [(returncode, stdout, stderr, out)] = run_exports(analysed, tmp_path, {"all": []}).values()
    assert returncode == 0, stderr
    assert stdout.startswith("wrote 16 customers (all customers) of data set ")
    header, rows = read_csv(out)
    assert header == EXPECTED_HEADER
    assert [row["customer_id"] for row in rows] == ids_where(analysed, "1 = 1")
    names = {row["customer_id"]: row["name"] for row in rows}
    assert {customer: names[customer] for customer in ("C01", "C02", "C03", "C04", "C05")} == {
        "C01": '\'=HYPERLINK("http://x")',
        "C02": "'+1",
        "C03": "'-cmd",
        "C04": "'@SUM(A1)",
        "C05": "'\tTabbed",
    }
    assert names["C07"] == "Smith, Bob"
    assert names["C10"] == "Customer 10"

    by_id = {row["customer_id"]: row for row in rows}
    assert by_id["C08"]["monthly_revenue"] == "-5.5"  # a negative number stays a number
    [cluster] = [str(value) for value in ids_cluster(analysed, "C10")]
    assert {key: by_id["C10"][key] for key in EXPECTED_HEADER if key != "cluster_name"} == {
        "customer_id": "C10",
        "name": "Customer 10",
        "gender": "Male",
        "age": "",
        "country": "Spain",
        "plan": "Basic",
        "last_login": "2024-03-01",
        "days_since_last_login": "121",
        "watch_time_hours": "8.0",
        "visit_frequency": "3.0",
        "monthly_revenue": "8.5",
        "engagement_level": "Medium",
        "segment": "Risky",
        "r_score": "2",
        "f_score": "2",
        "m_score": "3",
        "fm_score": "3",
        "rfm_segment": "Hibernating",
        "cluster": cluster,
        "discount_target": "yes",
        "target_reason": "Risky, medium engagement",
        "discount_pct": "20.0",
        "control_group": "no",
    }
    assert by_id["C01"]["discount_target"] == "no"
    assert by_id["C01"]["target_reason"] == by_id["C01"]["discount_pct"] == ""
    assert by_id["C05"]["country"] == ""


def test_filtered_exports_hold_exactly_the_filtered_customers(
    analysed: Engine, tmp_path: Path
) -> None:
    results = run_exports(
        analysed,
        tmp_path,
        {
            "male_dormant_or_risky": [
                "--segment",
                "Dormant",
                "--segment",
                "Risky",
                "--gender",
                "Male",
            ],
            "missing_country_or_spain": ["--country", "(none)", "--country", "Spain"],
            "rfm_plan_and_id": [
                "--rfm-segment",
                "At Risk",
                "--plan",
                "Standard",
                "--customer-id",
                "C08",
            ],
            "targets_only": ["--targets-only"],
        },
    )
    expected = {
        "male_dormant_or_risky": "segment IN ('Dormant', 'Risky') AND gender = 'Male'",
        "missing_country_or_spain": "country IS NULL OR country = 'Spain'",
        "rfm_plan_and_id": "rfm_segment = 'At Risk' AND plan = 'Standard' AND customer_id = 'C08'",
        "targets_only": "discount_target",
    }
    hand_counted = {
        "male_dormant_or_risky": ["C06", "C08", "C10", "C12", "C14"],
        "missing_country_or_spain": ["C03", "C05", "C07", "C10", "C13", "C14"],
        "rfm_plan_and_id": ["C08"],
        "targets_only": ["C05", "C06", "C07", "C08", "C10"],
    }
    for name, (returncode, stdout, stderr, out) in results.items():
        assert returncode == 0, (name, stderr)
        header, rows = read_csv(out)
        assert header == EXPECTED_HEADER, name
        ids = [row["customer_id"] for row in rows]
        assert ids == ids_where(analysed, expected[name]) == hand_counted[name], name
        assert stdout.startswith(f"wrote {len(ids)} customers ("), name
    _, targets = read_csv(results["targets_only"][3])
    assert {row["discount_target"] for row in targets} == {"yes"}
    assert [row["discount_pct"] for row in targets] == ["10.0", "15.0", "10.0", "15.0", "20.0"]


def test_unknown_filter_value_exits_2_and_writes_no_file(analysed: Engine, tmp_path: Path) -> None:
    options = ["--segment", "Dormant", "--segment", "Sleepy", "--country", "Spain"]
    [(returncode, stdout, stderr, out)] = run_exports(analysed, tmp_path, {"bad": options}).values()
    assert (returncode, stdout) == (2, "")
    assert stderr == "error: Segment has no value 'Sleepy' in this data set.\n"
    assert not out.exists()


def test_export_without_an_analysis_says_what_to_run(engine: Engine, tmp_path: Path) -> None:
    [(returncode, _stdout, stderr, out)] = run_exports(engine, tmp_path, {"empty": []}).values()
    assert returncode == 1
    assert stderr == "error: no analysed data set to export (run: python -m dashboard analyze)\n"
    assert not out.exists()


def test_a_carriage_return_inside_a_name_survives_the_export(
    engine: Engine, tmp_path: Path
) -> None:
    # A quoted cell with a bare CR (old Mac line ending) loads as is.
    run = analyze_dataset(engine, load_hand_data(engine, tmp_path, {"C06": "Ann\rLee"}))
    buffer = io.StringIO(newline="")
    assert exports.write_customers_csv(engine, run.run_id, Filters(), buffer) == 16
    rows = list(csv.reader(io.StringIO(buffer.getvalue(), newline="")))
    assert len(rows) == 1 + 16
    assert {row[0]: row[1] for row in rows[1:]}["C06"] == "Ann\rLee"


def test_send_and_control_lists_from_the_command_line(analysed: Engine, tmp_path: Path) -> None:
    results = run_exports(
        analysed,
        tmp_path,
        {
            "send": ["--send-list"],
            "control": ["--control-list"],
            "both": ["--send-list", "--control-list"],
        },
    )
    for name in ("send", "control"):
        assert results[name][0] == 0, results[name][2]
    send = [row["customer_id"] for row in read_csv(results["send"][3])[1]]
    control = [row["customer_id"] for row in read_csv(results["control"][3])[1]]
    assert send == ids_where(analysed, "discount_target AND NOT control_group")
    assert control == ids_where(analysed, "discount_target AND control_group")
    assert sorted(send + control) == ["C05", "C06", "C07", "C08", "C10"]
    assert results["send"][1].startswith(
        f"wrote {len(send)} customers (all customers; send list: the control group left out)"
    )
    returncode, stdout, stderr, out = results["both"]
    assert (returncode, stdout, out.exists()) == (2, "", False)
    assert "not allowed with argument" in stderr
