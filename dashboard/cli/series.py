"""``python -m dashboard series|migration|churn-rates``: snapshots over time on the command line.

Registered by :mod:`dashboard.cli.main`. Exit codes as elsewhere: 0 done, 1 refused (the
message says why), 2 a wrong option. ``--json`` prints one document on standard output.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

KINDS = ("rule", "rfm")


def add_series_parsers(subparsers: Any) -> None:
    """Add the ``series``, ``migration`` and ``churn-rates`` commands."""
    series = subparsers.add_parser("series", help="series of snapshots of one customer base")
    kind = series.add_subparsers(dest="series_command", required=True)
    listing = kind.add_parser("list", help="every series with its snapshots, oldest first")
    listing.add_argument("--json", action="store_true", help="print one JSON document")
    add = kind.add_parser("add", help="put a loaded data set into a series (created when new)")
    add.add_argument("--dataset", type=int, required=True, help="data set id")
    add.add_argument("--series", required=True, help="series name")

    migration = subparsers.add_parser(
        "migration", help="customers per previous -> current segment between two snapshots"
    )
    _add_pair_options(migration, required=False)  # export names its own
    migration.add_argument("--kind", choices=KINDS, default="rule", help="rule (default) or rfm")
    migration.add_argument("--json", action="store_true", help="print one JSON document")
    cell = migration.add_subparsers(dest="migration_command")
    export = cell.add_parser("export", help="write one cell's customers as CSV")
    _add_pair_options(export)
    export.add_argument("--kind", choices=KINDS, default="rule")
    export.add_argument("--from", dest="source", required=True, help="previous segment or new")
    export.add_argument("--to", dest="target", required=True, help="current segment or gone")
    export.add_argument("--out", type=Path, required=True)
    freeze = cell.add_parser(
        "freeze",
        help="freeze one cell's customers as a campaign's target list (control rule applied)",
    )
    _add_pair_options(freeze)
    freeze.add_argument("--kind", choices=KINDS, default="rule")
    freeze.add_argument("--from", dest="source", required=True, help="previous segment or new")
    freeze.add_argument("--to", dest="target", required=True, help="current segment")
    freeze.add_argument("--name", required=True, help="a unique campaign name")
    freeze.add_argument("--by", default=None, help="who creates it (stored with the campaign)")

    churn = subparsers.add_parser(
        "churn-rates", help="per consecutive snapshots and segment: who left by the next one"
    )
    churn.add_argument("--series", required=True, help="series name")
    churn.add_argument("--json", action="store_true", help="print one JSON document")


def _add_pair_options(parser: argparse.ArgumentParser, required: bool = True) -> None:
    parser.add_argument("--series", required=required, help="series name")
    parser.add_argument("--previous", type=int, help="earlier data set id (default: next to last)")
    parser.add_argument("--current", type=int, help="later data set id (default: the latest)")


def run_series(args: argparse.Namespace, settings: Any) -> int:
    from db.session import opened_engine, upgrade_database

    upgrade_database(settings.database_url)
    with opened_engine(settings.database_url) as engine:
        if args.series_command == "list":
            return _list(engine, args.json)
        return _add(engine, args.dataset, args.series)


def _list(engine: Any, as_json: bool) -> int:
    from db.series import list_series

    found = list_series(engine)
    if as_json:
        print(json.dumps({"series": [_series_document(info) for info in found]}, indent=2))
        return 0
    if not found:
        print("No series yet: python -m dashboard ingest FILE --series NAME")
        return 0
    for info in found:
        print(f"{info.name} ({len(info.snapshots)} snapshots)")
        for snapshot in info.snapshots:
            analysed = f"run {snapshot.run_id}" if snapshot.run_id else "not analysed"
            print(
                f"  {snapshot.as_of}  data set {snapshot.dataset_id}  {snapshot.name}  "
                f"{snapshot.customers:,} customers  {analysed}"
            )
    return 0


def _series_document(info: Any) -> dict[str, Any]:
    return {
        "name": info.name,
        "snapshots": [
            {
                "dataset_id": s.dataset_id,
                "name": s.name,
                "as_of": s.as_of.isoformat(),
                "customers": s.customers,
                "run_id": s.run_id,
            }
            for s in info.snapshots
        ],
    }


def _add(engine: Any, dataset_id: int, name: str) -> int:
    from dashboard.services.series import SeriesError, join_series

    try:
        info = join_series(engine, dataset_id, name)
    except SeriesError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(f"data set {dataset_id} is now in series {info.name!r} ({len(info.snapshots)} snapshots)")
    return 0


def run_migration(args: argparse.Namespace, settings: Any) -> int:
    from dashboard.services.series import MigrationError, migration_cells, pair_of
    from db.session import opened_engine, upgrade_database

    if not args.series:
        print("error: --series is required", file=sys.stderr)
        return 2
    upgrade_database(settings.database_url)
    with opened_engine(settings.database_url) as engine:
        try:
            pair = pair_of(engine, args.series, args.previous, args.current)
            if args.migration_command == "export":
                return _export_cell(engine, pair, args)
            if args.migration_command == "freeze":
                return _freeze_cell(engine, pair, args)
            cells = migration_cells(engine, pair, args.kind)
        except MigrationError as error:
            print(f"error: {error}", file=sys.stderr)
            return 1
    if args.json:
        document = {
            "series": pair.series_name,
            "previous_dataset_id": pair.previous.dataset_id,
            "current_dataset_id": pair.current.dataset_id,
            "previous_as_of": pair.previous.as_of.isoformat(),
            "current_as_of": pair.current.as_of.isoformat(),
            "kind": args.kind,
            "cells": [
                {"from": a, "to": b, "customers": int(n)}
                for a, b, n in cells[["from", "to", "customers"]].itertuples(index=False)
            ],
        }
        print(json.dumps(document, indent=2))
        return 0
    from dashboard.analytics.migration import ordered_matrix
    from dashboard.services.series import segment_order

    matrix = ordered_matrix(cells, segment_order(args.kind))
    print(
        f"{pair.series_name}: data set {pair.previous.dataset_id} ({pair.previous.as_of}) -> "
        f"data set {pair.current.dataset_id} ({pair.current.as_of}), "
        f"{'rule' if args.kind == 'rule' else 'RFM'} segments; rows: previous, columns: current"
    )
    print(matrix.to_string())
    return 0


def _export_cell(engine: Any, pair: Any, args: argparse.Namespace) -> int:
    from dashboard.services.series import MigrationError, write_cell_csv

    args.out.parent.mkdir(parents=True, exist_ok=True)
    try:
        with args.out.open("w", encoding="utf-8", newline="") as handle:
            rows = write_cell_csv(engine, pair, args.kind, args.source, args.target, handle)
    except MigrationError as error:
        args.out.unlink(missing_ok=True)
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(f"wrote {rows:,} customers ({args.source} -> {args.target}) to {args.out}")
    return 0


def _freeze_cell(engine: Any, pair: Any, args: argparse.Namespace) -> int:
    from dashboard.services.campaigns import CampaignError
    from dashboard.services.series import MigrationError, freeze_cell

    try:
        campaign = freeze_cell(
            engine, pair, args.kind, args.source, args.target, args.name, args.by
        )
    except (CampaignError, MigrationError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(
        f"Campaign {campaign.id} ({campaign.name!r}): {campaign.members:,} customers of "
        f"{args.source} -> {args.target} frozen, {campaign.control:,} held out as control."
    )
    return 0


def run_churn_rates(args: argparse.Namespace, settings: Any) -> int:
    from dashboard.services.series import MigrationError, series_churn_rates
    from db.session import opened_engine, upgrade_database

    upgrade_database(settings.database_url)
    with opened_engine(settings.database_url) as engine:
        try:
            pairs = series_churn_rates(engine, args.series)
        except MigrationError as error:
            print(f"error: {error}", file=sys.stderr)
            return 1
    if args.json:
        print(json.dumps({"series": args.series, "pairs": pairs}, indent=2))
        return 0
    if not pairs:
        print(f"Series {args.series!r} has no two consecutive analysed snapshots yet.")
        return 0
    for pair in pairs:
        print(
            f"data set {pair['previous_dataset_id']} ({pair['previous_as_of']}) -> "
            f"data set {pair['current_dataset_id']} ({pair['current_as_of']}): "
            f"{pair['churn_rule']}"
        )
        for kind in KINDS:
            print(f"  {'rule' if kind == 'rule' else 'RFM'} segments")
            for row in pair[kind]:
                print(
                    f"    {row['segment']:<22} {row['customers']:>10,} customers "
                    f"{row['churned']:>10,} churned  {row['rate'] * 100:5.1f} % "
                    f"({row['low'] * 100:.1f}-{row['high'] * 100:.1f} %)  "
                    f"{row['lift']:.2f}x the base rate"
                )
    return 0
