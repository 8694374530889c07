"""``python -m dashboard campaign ...``: freeze, list, export and measure discount campaigns.

Registered by :mod:`dashboard.cli.main` through :func:`add_campaign_parser` and
:func:`run_campaign`. Imports stay light at module level: the heavy modules load only when a
campaign command runs.

Exit codes follow the rest of the command line: 0 done, 1 refused (the message says why),
2 a wrong option.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

FILTER_OPTIONS = (
    ("segment", "rule segment"),
    ("rfm-segment", "RFM segment"),
    ("gender", "gender"),
    ("country", "country"),
    ("plan", "plan"),
)


def add_campaign_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Add the ``campaign`` command and its sub-commands to ``subparsers``."""
    campaign = subparsers.add_parser(
        "campaign", help="discount campaigns: freeze a target list, export it, measure it"
    )
    kind = campaign.add_subparsers(dest="campaign_command", required=True)

    create = kind.add_parser(
        "create", help="freeze a data set's current discount targets as a named campaign"
    )
    create.add_argument("--name", required=True, help="a unique campaign name")
    create.add_argument(
        "--dataset", required=True, help="baseline data set: its id or its name (newest of it)"
    )
    create.add_argument("--by", default=None, help="who creates it (stored with the campaign)")

    kind.add_parser("list", help="list the campaigns")

    export = kind.add_parser(
        "export", help="write the target list (or, with --control, the control list) as CSV"
    )
    export.add_argument("--campaign", required=True, help="campaign name or id")
    export.add_argument("--out", type=Path, required=True)
    export.add_argument(
        "--control", action="store_true", help="the held-out control group instead of targets"
    )

    measure = kind.add_parser("measure", help="treated against control, from a follow-up data set")
    measure.add_argument("--campaign", required=True, help="campaign name or id")
    measure.add_argument(
        "--followup", required=True, help="follow-up data set: its id or its name (newest of it)"
    )
    measure.add_argument("--json", action="store_true", help="print one JSON document")
    for name, label in FILTER_OPTIONS:
        measure.add_argument(
            f"--{name}",
            action="append",
            default=[],
            help=f"only members of this baseline {label} (repeatable)",
        )

    followup = kind.add_parser(
        "generate-followup",
        help="simulate the follow-up export of a campaign sent from a generated baseline file",
    )
    followup.add_argument("--campaign", required=True, help="campaign name or id")
    followup.add_argument("--baseline", type=Path, required=True, help="the generated baseline CSV")
    followup.add_argument("--out", type=Path, required=True)
    followup.add_argument("--seed", type=int, default=1)
    followup.add_argument(
        "--effect",
        type=float,
        default=0.0,
        help="true renewal lift of the discount, e.g. 0.10 (default 0)",
    )
    followup.add_argument(
        "--days-later", type=int, default=90, help="days after the baseline (default 90)"
    )
    return campaign


def run_campaign(args: argparse.Namespace, settings: Any) -> int:
    """Run ``campaign <sub-command>``; returns the exit code."""
    from dashboard.services.campaigns import CampaignError, MeasureError
    from db.session import make_engine, upgrade_database

    upgrade_database(settings.database_url)
    engine = make_engine(settings.database_url)
    handlers = {
        "create": _create,
        "list": _list,
        "export": _export,
        "measure": _measure,
        "generate-followup": _generate_followup,
    }
    try:
        return handlers[args.campaign_command](args, engine)
    except (CampaignError, MeasureError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    finally:
        engine.dispose()


def _create(args: argparse.Namespace, engine: Any) -> int:
    from dashboard.services.campaigns import create_campaign, resolve_dataset

    dataset_id = resolve_dataset(engine, args.dataset)
    campaign = create_campaign(engine, args.name, dataset_id, created_by=args.by)
    print(campaign.describe())
    return 0


def _list(_args: argparse.Namespace, engine: Any) -> int:
    from dashboard.services.campaigns import list_campaigns

    frame = list_campaigns(engine)
    if frame.empty:
        print("No campaigns yet: python -m dashboard campaign create --name NAME --dataset ID")
        return 0
    print(frame.to_string(index=False))
    return 0


def _export(args: argparse.Namespace, engine: Any) -> int:
    from dashboard.services.campaigns import get_campaign, write_members_csv

    campaign = get_campaign(engine, args.campaign)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with args.out.open("w", encoding="utf-8", newline="") as handle:
        rows = write_members_csv(engine, campaign.id, handle, control=args.control)
    kind = "control customers" if args.control else "targets to receive the discount"
    print(f"wrote {rows:,} {kind} of campaign {campaign.id} ({campaign.name!r}) to {args.out}")
    return 0


def _measure(args: argparse.Namespace, engine: Any) -> int:
    from dashboard.cli.options import filter_values
    from dashboard.services.campaigns import (
        campaign_filter_options,
        get_campaign,
        measure_campaign,
        resolve_dataset,
    )
    from db.filters import FilterError, checked

    campaign = get_campaign(engine, args.campaign)
    try:
        filters = checked(filter_values(args), campaign_filter_options(engine, campaign.id))
    except FilterError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    result = measure_campaign(engine, campaign, resolve_dataset(engine, args.followup), filters)
    if args.json:
        print(json.dumps(result.as_dict(), indent=2, ensure_ascii=False, allow_nan=False))
    else:
        print(result.describe())
    return 0


def _generate_followup(args: argparse.Namespace, engine: Any) -> int:
    from dashboard.services.campaigns import (
        check_baseline_file,
        get_campaign,
        treated_customer_ids,
    )
    from dashboard.services.sample_data import write_followup_csv

    if not -1.0 <= args.effect <= 1.0:
        print("error: --effect must be between -1 and 1", file=sys.stderr)
        return 2
    if args.days_later < 1:
        print("error: --days-later must be at least 1", file=sys.stderr)
        return 2
    if not args.baseline.is_file():
        print(f"error: no such file: {args.baseline}", file=sys.stderr)
        return 1
    campaign = get_campaign(engine, args.campaign)
    check_baseline_file(engine, campaign, args.baseline)
    treated = treated_customer_ids(engine, campaign.id)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    try:
        rows, as_of = write_followup_csv(
            args.baseline,
            treated,
            args.out,
            seed=args.seed,
            effect=args.effect,
            days_later=args.days_later,
            as_of=campaign.baseline_as_of,
        )
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(
        f"wrote {rows:,} rows to {args.out}: the export {args.days_later} days after "
        f"{campaign.baseline_as_of}, with {len(treated):,} treated customers and a true "
        f"renewal lift of {args.effect:g}.\n"
        f"Load it with: python -m dashboard ingest {args.out} --as-of {as_of.isoformat()}"
    )
    return 0
