"""The series commands as a user runs them: ingest into a series, list it, read the
migration and the churn rates as JSON, export one cell."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from sqlalchemy import Engine

from dashboard.cli.main import main
from tests.integration.test_series import HEADER, SNAPSHOTS


@pytest.fixture
def cli(engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("DATABASE_URL", engine.url.render_as_string(hide_password=False))
    for month, rows in SNAPSHOTS.items():
        (tmp_path / f"{month}.csv").write_text(HEADER + "\n".join(rows) + "\n")
    return tmp_path


def run(capsys: pytest.CaptureFixture, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_a_series_from_ingest_to_migration_and_churn_rates(cli: Path, capsys) -> None:
    assert run(capsys, "ingest", str(cli / "jan.csv"), "--series", "Base")[0] == 0
    code, out, _ = run(capsys, "ingest", str(cli / "feb.csv"))
    assert code == 0
    assert (
        "This export shares 4 customer ids (67%) with the latest snapshot of series 'Base' "
        "(data set 1); to add it: python -m dashboard series add --dataset 2 --series Base"
    ) in out
    assert run(capsys, "series", "add", "--dataset", "2", "--series", "Base")[0] == 0
    assert run(capsys, "ingest", str(cli / "mar.csv"), "--series", "Base")[0] == 0

    code, out, _ = run(capsys, "series", "list", "--json")
    listed = json.loads(out)["series"]
    assert [
        (s["name"], [(x["dataset_id"], x["as_of"]) for x in s["snapshots"]]) for s in listed
    ] == [("Base", [(1, "2024-01-31"), (2, "2024-02-29"), (3, "2024-03-31")])]

    code, out, _ = run(capsys, "migration", "--series", "Base", "--json")
    latest = json.loads(out)
    assert (latest["previous_dataset_id"], latest["current_dataset_id"], latest["kind"]) == (
        2,
        3,
        "rule",
    )
    assert {(c["from"], c["to"]): c["customers"] for c in latest["cells"]} == {
        ("Loyal", "Loyal"): 2,
        ("Risky", "gone"): 2,
        ("Casual", "Casual"): 1,
        ("Risky", "Casual"): 1,
        ("new", "Risky"): 2,
    }
    code, out, _ = run(
        capsys, "migration", "--series", "Base", "--previous", "1", "--current", "3", "--json"
    )
    skipped = {(c["from"], c["to"]): c["customers"] for c in json.loads(out)["cells"]}
    assert skipped == {  # January to March directly: B, D, E and F are gone; G, H, I, J new
        ("Loyal", "Loyal"): 1,
        ("Casual", "Loyal"): 1,
        ("Loyal", "gone"): 1,
        ("Dormant", "gone"): 1,
        ("Risky", "gone"): 2,
        ("new", "Casual"): 2,
        ("new", "Risky"): 2,
    }

    code, out, _ = run(capsys, "churn-rates", "--series", "Base", "--json")
    pairs = json.loads(out)["pairs"]
    assert [(p["previous_dataset_id"], p["current_dataset_id"]) for p in pairs] == [(1, 2), (2, 3)]
    assert [(r["segment"], r["customers"], r["churned"]) for r in pairs[0]["rule"]] == [
        ("Loyal", 2, 1),
        ("Casual", 1, 0),
        ("Dormant", 1, 0),
        ("Risky", 2, 2),
        ("All", 6, 3),
    ]
    assert sum(r["customers"] for r in pairs[0]["rfm"][:-1]) == 6

    out_file = cli / "cell.csv"
    code, out, _ = run(
        capsys, "migration", "export", "--series", "Base", "--previous", "1", "--current", "2",
        "--from", "Loyal", "--to", "Risky", "--out", str(out_file),
    )  # fmt: skip
    assert code == 0
    with out_file.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert [(r["customer_id"], r["segment"], r["watch_time_hours"]) for r in rows] == [
        ("B", "Risky", "1.0")
    ]


def test_refusals_say_why_and_change_nothing(cli: Path, capsys) -> None:
    assert run(capsys, "ingest", str(cli / "jan.csv"), "--series", "Base")[0] == 0
    same_day = cli / "jan_again.csv"
    same_day.write_text(HEADER + "\n".join(SNAPSHOTS["jan"][:5]) + "\n")
    code, _, err = run(capsys, "ingest", str(same_day), "--series", "Base")
    assert code == 1
    assert "Series 'Base' already has a snapshot as of 2024-01-31: data set 1" in err
    code, out, _ = run(capsys, "series", "list", "--json")
    assert [x["dataset_id"] for x in json.loads(out)["series"][0]["snapshots"]] == [1]

    code, _, err = run(capsys, "migration", "--series", "Base")
    assert (code, err.strip()) == (
        1,
        "error: Series 'Base' needs two analysed snapshots for a migration; it has 1.",
    )
    code, _, err = run(capsys, "churn-rates", "--series", "Nope")
    assert (code, err.strip()) == (1, "error: There is no series 'Nope' (see: series list).")


def test_a_cell_frozen_as_a_campaign_holds_its_customers_with_the_control_rule(
    cli: Path, capsys, engine: Engine
) -> None:
    from sqlalchemy import text

    from dashboard.analytics.discounts import control_group_flags

    for month in ("jan", "feb"):
        assert run(capsys, "ingest", str(cli / f"{month}.csv"), "--series", "Base")[0] == 0
    code, out, err = run(
        capsys, "migration", "freeze", "--series", "Base", "--from", "new", "--to", "Risky",
        "--name", "new and risky", "--by", "ana",
    )  # fmt: skip
    assert (code, err) == (0, "")
    assert out.startswith("Campaign 1 ('new and risky'): 1 customers of new -> Risky frozen")
    with engine.connect() as connection:
        members = connection.execute(
            text(
                "SELECT customer_id, segment, target_reason, discount_pct, control_group "
                "FROM campaign_members ORDER BY customer_id"
            )
        ).all()
        seed, share = connection.execute(
            text("SELECT campaign_seed, control_share FROM campaigns")
        ).one()
    import pandas as pd

    held_out = bool(control_group_flags(pd.Series(["H"]), seed, share).iloc[0])
    assert [tuple(m) for m in members] == [("H", "Risky", "new -> Risky", 0.0, held_out)]

    code, _, err = run(
        capsys, "migration", "freeze", "--series", "Base", "--from", "Risky", "--to", "gone",
        "--name", "lost ones",
    )  # fmt: skip
    assert code == 1 and "The gone are not in the current snapshot" in err
    code, _, err = run(
        capsys, "migration", "freeze", "--series", "Base", "--from", "new", "--to", "Risky",
        "--name", "new and risky",
    )  # fmt: skip
    assert code == 1 and "A campaign named 'new and risky' already exists (id 1)." in err
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM campaigns")).scalar_one() == 1
        outcomes = (
            connection.execute(
                text(
                    "SELECT outcome FROM audit_events WHERE action = 'create_campaign' ORDER BY id"
                )
            )
            .scalars()
            .all()
        )
    assert outcomes == ["ok", "refused", "refused"]
