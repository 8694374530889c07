"""Streamed CSV downloads through the app's real HTTP interface on a real database."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from dashboard.services import accounts
from dashboard.services.analysis import analyze_dataset
from dashboard.services.campaigns import create_campaign
from dashboard.services.exports import MESSAGE_COLUMNS
from dashboard.services.sample_data import write_csv
from db.columns import CUSTOMER_COLUMNS
from db.ingest import ingest_file
from tests.integration.test_auth import PASSWORD, sign_in


@pytest.fixture
def analysed(engine: Engine, tmp_path: Path) -> int:
    """The id of an ingested and analysed data set of 2,000 generated customers."""
    path = tmp_path / "customers.csv"
    write_csv(path, rows=2_000, seed=8)
    dataset_id = ingest_file(engine, path).dataset_id
    analyze_dataset(engine, dataset_id)
    return dataset_id


@pytest.fixture
def client(make_app, analysed: int):
    return make_app().server.test_client()


def ids_where(engine: Engine, where: str) -> list[str]:
    with engine.connect() as connection:
        return list(
            connection.execute(
                text(f"SELECT customer_id FROM customer_results WHERE {where} ORDER BY id")
            ).scalars()
        )


def exports(engine: Engine) -> list[tuple[str, dict]]:
    with engine.connect() as connection:
        rows = connection.execute(
            text("SELECT outcome, detail FROM audit_events WHERE action = 'export' ORDER BY id")
        ).all()
    return [
        (outcome, detail if isinstance(detail, dict) else json.loads(detail))
        for outcome, detail in rows
    ]


def read_csv(body: str) -> tuple[list[str], list[dict[str, str]]]:
    reader = csv.DictReader(io.StringIO(body, newline=""))
    rows = list(reader)
    return list(reader.fieldnames or []), rows


def test_targets_download_holds_exactly_the_filtered_targets(
    client, engine: Engine, analysed: int
) -> None:
    response = client.get(
        f"/download/discount-targets.csv?dataset={analysed}&gender=Female&plan=Basic"
    )
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"] == (
        'attachment; filename="customers_discount_targets_2025-06-30.csv"'
    )
    header, rows = read_csv(response.get_data(as_text=True))
    expected = ids_where(engine, "discount_target AND gender = 'Female' AND plan = 'Basic'")
    assert len(expected) > 50
    assert header == list(CUSTOMER_COLUMNS)
    assert [row["customer_id"] for row in rows] == expected
    assert {row["discount_target"] for row in rows} == {"yes"}
    assert exports(engine) == [
        (
            "ok",
            {
                "table": "discount_targets",
                "dataset_id": analysed,
                "filters": "Gender Female; Plan Basic",
                "rows": len(expected),
            },
        )
    ]


def test_send_and_control_lists_partition_the_targets(
    client, engine: Engine, analysed: int
) -> None:
    """The send list never holds a control customer; with the control list it is every target."""
    query = f"?dataset={analysed}&segment=Dormant&segment=Risky"
    header, send = read_csv(client.get(f"/download/send-list.csv{query}").get_data(as_text=True))
    # Each row carries its one message, with that customer's own discount.
    assert header == [*CUSTOMER_COLUMNS, *MESSAGE_COLUMNS]
    for row in send:
        pct = f"{float(row['discount_pct']):g} %"
        assert row["message_offer"] == f"{pct} off the next 3 months", row
        assert pct in row["message_text"] and row["message_channel"] in ("email", "email + push")
    control = read_csv(client.get(f"/download/control-list.csv{query}").get_data(as_text=True))[1]
    every = read_csv(client.get(f"/download/discount-targets.csv{query}").get_data(as_text=True))[1]
    where = "discount_target AND segment IN ('Dormant', 'Risky')"
    assert [row["customer_id"] for row in send] == ids_where(
        engine, f"{where} AND NOT control_group"
    )
    assert [row["customer_id"] for row in control] == ids_where(
        engine, f"{where} AND control_group"
    )
    assert {row["control_group"] for row in send} == {"no"}
    assert {row["control_group"] for row in control} == {"yes"}
    assert len(control) > 0 and len(send) == len(every) - len(control)
    assert sorted(r["customer_id"] for r in send + control) == sorted(
        r["customer_id"] for r in every
    )
    assert [detail["table"] for _outcome, detail in exports(engine)] == [
        "send_list",
        "control_list",
        "discount_targets",
    ]


def test_customers_download_without_filters_holds_everyone(
    client, engine: Engine, analysed: int
) -> None:
    response = client.get(f"/download/customers.csv?dataset={analysed}")
    _header, rows = read_csv(response.get_data(as_text=True))
    assert [row["customer_id"] for row in rows] == ids_where(engine, "1 = 1")
    assert len(rows) == 2_000


def test_unknown_filter_values_export_nothing(client, engine: Engine, analysed: int) -> None:
    response = client.get(f"/download/customers.csv?dataset={analysed}&country=Atlantis")
    assert response.status_code == 400
    assert response.get_data(as_text=True).startswith("Nothing was exported: ")
    assert "Atlantis" in response.get_data(as_text=True)
    assert client.get("/download/everything.csv").status_code == 404
    odd = client.get(f"/download/customers.csv?dataset={analysed}&country=%FF%FE")
    assert odd.status_code == 400
    # Refusals are on the trail with their reason; nothing was exported.
    refused = exports(engine)
    assert [(outcome, detail["table"]) for outcome, detail in refused] == [
        ("refused", "customers"),
        ("refused", "customers"),
    ]
    assert refused[0][1]["reason"] == response.get_data(as_text=True).strip()
    assert all("rows" not in detail for _outcome, detail in refused)


def test_ids_beyond_the_integer_range_name_nothing(client, engine: Engine, analysed: int) -> None:
    huge = 2**31
    assert client.get(f"/download/campaigns/{huge}/targets.csv").status_code == 404
    assert client.get("/download/campaigns/99999999999999999999/targets.csv").status_code == 404
    for wrong, sentence in (
        (str(10**20), f"There is no analysed data set {10**20}."),
        (str(analysed + 1), f"There is no analysed data set {analysed + 1}."),
        ("abc", "There is no data set 'abc': a link names one by its number."),
        ("-1", "There is no data set '-1': a link names one by its number."),
    ):
        refused = client.get(f"/download/send-list.csv?dataset={wrong}")
        assert refused.status_code == 404, wrong  # never another data set's file
        assert refused.get_data(as_text=True) == f"Nothing was exported: {sentence}\n"
    assert client.get("/_dash-component-suites/dashboard/app.py").status_code == 404
    assert client.get("/_dash-component-suites/dash/no-such-file.js").status_code == 404


def test_an_interrupted_download_is_audited_as_interrupted(
    client, engine: Engine, analysed: int
) -> None:
    response = client.get(f"/download/customers.csv?dataset={analysed}", buffered=False)
    first = next(iter(response.response))
    assert first.startswith(b"customer_id,")
    response.close()  # the browser went away after the first piece
    [(outcome, detail)] = exports(engine)
    assert outcome == "interrupted"
    assert detail["rows"] == 2_000  # the one piece held every row, but was not all sent


def test_campaign_lists_download_the_frozen_members(client, engine: Engine, analysed: int) -> None:
    campaign = create_campaign(engine, "June win-back", analysed)
    with engine.connect() as connection:
        members = connection.execute(
            text(
                "SELECT customer_id, control_group FROM campaign_members "
                "WHERE campaign_id = :c ORDER BY id"
            ),
            {"c": campaign.id},
        ).all()
    control = client.get(f"/download/campaigns/{campaign.id}/control.csv?dataset={analysed}")
    assert control.headers["Content-Disposition"] == (
        'attachment; filename="June_win-back_campaign_control_2025-06-30.csv"'
    )
    control_ids = [row["customer_id"] for row in read_csv(control.get_data(as_text=True))[1]]
    targets = client.get(f"/download/campaigns/{campaign.id}/targets.csv?dataset={analysed}")
    target_ids = [row["customer_id"] for row in read_csv(targets.get_data(as_text=True))[1]]
    assert control_ids == [customer for customer, held_out in members if held_out]
    assert target_ids == [customer for customer, held_out in members if not held_out]
    assert len(control_ids) > 0 and len(target_ids) > 0
    missing = client.get(f"/download/campaigns/{campaign.id + 1}/control.csv")
    assert missing.status_code == 404
    assert client.get(f"/download/campaigns/{campaign.id}/everyone.csv").status_code == 404


def test_downloads_need_sign_in_when_it_is_on(engine: Engine, make_app, analysed: int) -> None:
    accounts.add_user(engine, "viewer", PASSWORD, "viewer")
    app = make_app(auth_required=True)
    client = app.server.test_client()
    anonymous = client.get(f"/download/customers.csv?dataset={analysed}")
    assert anonymous.status_code == 302
    assert anonymous.headers["Location"].startswith("/login?next=/download/customers.csv")
    sign_in(client, "viewer")
    signed_in = client.get(f"/download/customers.csv?dataset={analysed}")
    assert signed_in.status_code == 200
    assert len(read_csv(signed_in.get_data(as_text=True))[1]) == 2_000
    with engine.connect() as connection:
        who = (
            connection.execute(text("SELECT username FROM audit_events WHERE action = 'export'"))
            .scalars()
            .all()
        )
    assert who == ["viewer"]
