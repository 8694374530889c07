"""The command line: ``python -m dashboard <command>``. Bare ``python -m dashboard`` serves."""

from __future__ import annotations

import argparse
import shlex
import sys
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from dashboard.cli.campaign import add_campaign_parser, run_campaign
from dashboard.cli.options import filter_values
from dashboard.cli.series import add_series_parsers, run_churn_rates, run_migration, run_series
from dashboard.cli.users import add_users_parser, run_users
from dashboard.config import Settings, load_settings

if TYPE_CHECKING:
    from sqlalchemy import Engine


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(f"expected a date as YYYY-MM-DD, got {text!r}") from error


SERVE_DEFAULTS = {"host": "127.0.0.1", "port": 8050, "workers": 2, "no_sample": False}


def _add_serve_options(parser: argparse.ArgumentParser, defaults: bool) -> None:
    """serve's options, on the bare command too (``python -m dashboard --port 8150``).

    The serve subcommand leaves an option it was not given alone, so a value given before
    the word ``serve`` is kept.
    """

    def default(name: str) -> object:
        return SERVE_DEFAULTS[name] if defaults else argparse.SUPPRESS

    def shown(name: str) -> str:
        return f" (default: {SERVE_DEFAULTS[name]})"

    parser.add_argument(
        "--host", default=default("host"), help="address to listen on" + shown("host")
    )
    parser.add_argument("--port", type=int, default=default("port"), help="port" + shown("port"))
    parser.add_argument(
        "--workers",
        type=int,
        default=default("workers"),
        help="gunicorn worker processes" + shown("workers"),
    )
    parser.add_argument(
        "--no-sample",
        action="store_true",
        default=default("no_sample"),
        help="do not load the sample data set into an empty database",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m dashboard",
        description="StreamFlix customer engagement dashboard: load, analyse and serve. "
        "Without a command it serves, taking serve's options.",
    )
    _add_serve_options(parser, defaults=True)
    commands = parser.add_subparsers(dest="command")

    serve = commands.add_parser(
        "serve",
        help="serve the dashboard (the default command)",
    )
    _add_serve_options(serve, defaults=False)

    ingest = commands.add_parser("ingest", help="load a CSV export as a new data set")
    ingest.add_argument("file", type=Path)
    ingest.add_argument("--name", help="display name (default: the file name)")
    ingest.add_argument(
        "--map",
        action="append",
        default=[],
        metavar="'Header=field'",
        help="map a column to a field, overriding the automatic mapping (repeatable)",
    )
    order = ingest.add_mutually_exclusive_group()
    order.add_argument("--dayfirst", action="store_true", help="read 01/02/2024 as 1 February")
    order.add_argument("--monthfirst", action="store_true", help="read 01/02/2024 as 2 January")
    ingest.add_argument(
        "--as-of", type=_date, help="as-of date (days-since-last-login columns count back from it)"
    )

    ingest.add_argument(
        "--sheet", help="for an Excel or OpenDocument workbook: the sheet (default: the first)"
    )
    ingest.add_argument(
        "--no-analyze", action="store_true", help="only load; do not run the analysis"
    )
    ingest.add_argument(
        "--series",
        help="the series this export is a snapshot of (created when new); without it, a "
        "series whose latest snapshot shares at least half the customer ids is proposed",
    )

    commands.add_parser("datasets", help="list the loaded data sets")

    analyze = commands.add_parser("analyze", help="compute segments, RFM, clusters and targets")
    analyze.add_argument("--dataset", type=int, help="data set id (default: the newest)")
    analyze.add_argument("--as-of", type=_date, help="as-of date (default: the data set's)")
    analyze.add_argument("--k", type=int, default=4, help="number of K-Means clusters (default 4)")

    export = commands.add_parser("export", help="write filtered customers to a CSV file")
    export_kind = export.add_subparsers(dest="export_command", required=True)
    export_customers = export_kind.add_parser("customers", help="one row per customer")
    export_customers.add_argument("--out", type=Path, required=True)
    export_customers.add_argument("--dataset", type=int, help="data set id (default: the newest)")
    for name, label in (
        ("segment", "rule segment"),
        ("rfm-segment", "RFM segment"),
        ("gender", "gender"),
        ("country", "country"),
        ("plan", "plan"),
    ):
        export_customers.add_argument(
            f"--{name}", action="append", default=[], help=f"keep this {label} (repeatable)"
        )
    export_customers.add_argument("--customer-id", default="")
    which = export_customers.add_mutually_exclusive_group()
    which.add_argument(
        "--targets-only",
        action="store_true",
        help="every discount target, with its control_group flag (not for sending)",
    )
    which.add_argument(
        "--send-list",
        action="store_true",
        help="the targets to send the offer to (the control group left out)",
    )
    which.add_argument(
        "--control-list", action="store_true", help="the targets held out as the control group"
    )

    generate = commands.add_parser("generate", help="write a synthetic streaming-user CSV")
    generate.add_argument("--rows", type=int, required=True)
    generate.add_argument("--seed", type=int, default=42)
    generate.add_argument("--out", type=Path, required=True)
    generate.add_argument("--as-of", type=_date, default=None)
    generate.add_argument(
        "--snapshots",
        type=int,
        default=1,
        help="write a series of this many exports of one customer base, as OUT_<as-of>.csv",
    )
    generate.add_argument(
        "--every-days", type=int, default=30, help="days between snapshots (default 30)"
    )

    bench = commands.add_parser("bench", help="benchmarks that print figures")
    bench_kind = bench.add_subparsers(dest="bench_command", required=True)
    bench_ingest = bench_kind.add_parser(
        "ingest", help="generate N rows, ingest them, print rows/s"
    )
    bench_ingest.add_argument("--rows", type=int, default=1_000_000)
    bench_ingest.add_argument("--seed", type=int, default=7)
    bench_ingest.add_argument(
        "--database-url", help="database to write to (default: a new temporary SQLite file)"
    )

    bench_analyze = bench_kind.add_parser(
        "analyze", help="generate and ingest N rows, then time each analysis stage"
    )
    bench_analyze.add_argument("--rows", type=int, default=1_000_000)
    bench_analyze.add_argument("--seed", type=int, default=7)
    bench_analyze.add_argument(
        "--database-url", help="database to write to (default: a new temporary SQLite file)"
    )
    bench_analyze.add_argument(
        "--dataset",
        type=int,
        help="analyse this data set of --database-url (or the configured database) as it is, "
        "without generating or ingesting",
    )

    bench_ui = bench_kind.add_parser(
        "ui", help="load N rows, then time every page callback over HTTP (p50/p95)"
    )
    bench_ui.add_argument("--rows", type=int, default=1_000_000)
    bench_ui.add_argument("--seed", type=int, default=7)
    bench_ui.add_argument(
        "--interaction",
        action="store_true",
        help="replay whole filter changes (both rounds of requests) per page instead",
    )
    bench_ui.add_argument(
        "--steps", type=int, default=40, help="filter changes per page with --interaction"
    )
    bench_ui.add_argument(
        "--database-url",
        help="database to use (default: a new temporary SQLite file); an existing analysed "
        "database is used as it is when given with --rows 0",
    )

    bench_browser = bench_kind.add_parser(
        "browser",
        help="serve, open the Overview in headless Chromium: bytes on the wire, seconds drawn",
    )
    bench_browser.add_argument(
        "--rows", type=int, default=0, help="generate and load N customers first (default 0)"
    )
    bench_browser.add_argument("--seed", type=int, default=7)
    bench_browser.add_argument(
        "--loads", type=int, default=3, help="cold and warm loads each (default 3)"
    )
    bench_browser.add_argument(
        "--database-url", help="database to serve (default: DATABASE_URL, or a new SQLite file)"
    )
    bench_browser.add_argument("--json", action="store_true", help="print the figures as JSON")

    bench_load = bench_kind.add_parser(
        "load",
        help="serve on 127.0.0.1 and run simulated users for a while (p50/p95/p99, errors)",
    )
    bench_load.add_argument("--users", type=int, default=50, help="simulated users (default 50)")
    bench_load.add_argument("--seconds", type=float, default=60, help="how long (default 60)")
    bench_load.add_argument("--workers", type=int, default=2, help="gunicorn workers (default 2)")
    bench_load.add_argument(
        "--streams",
        type=int,
        default=0,
        help="extra clients downloading the full customer list throughout (default 0)",
    )
    bench_load.add_argument(
        "--think-seconds",
        type=float,
        default=2.0,
        help="mean pause between a user's actions, uniform ±50 %% (default 2)",
    )
    bench_load.add_argument(
        "--download-every",
        type=int,
        default=50,
        help="one page visit in N also downloads the filtered list (default 50; 0: never)",
    )
    bench_load.add_argument(
        "--rows", type=int, default=0, help="generate and load N customers first (default 0)"
    )
    bench_load.add_argument("--seed", type=int, default=7)
    bench_load.add_argument(
        "--database-url", help="database to serve (default: DATABASE_URL, or a new SQLite file)"
    )
    bench_load.add_argument("--json", action="store_true", help="print the figures as JSON")

    add_campaign_parser(commands)
    add_users_parser(commands)
    add_series_parsers(commands)

    proxy = commands.add_parser(
        "proxy-config",
        help="print the nginx.conf to run in front of serve (slow clients stay out)",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    proxy.add_argument("--listen", default="80", help="nginx's address and port")
    proxy.add_argument("--upstream", default="127.0.0.1:8050", help="host:port of serve")
    proxy.add_argument(
        "--runtime-dir", type=Path, default=Path("/run/dashboard-nginx"), help="pid, temp files"
    )
    db = commands.add_parser("db", help="database schema")
    db_kind = db.add_subparsers(dest="db_command", required=True)
    db_kind.add_parser("upgrade", help="create or migrate the schema to the latest revision")
    db_kind.add_parser("current", help="print the schema revision and the latest one")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    settings = load_settings()
    command = args.command or "serve"
    try:
        return _COMMANDS[command](args, settings)
    except KeyboardInterrupt:
        return 130


def _serve(args: argparse.Namespace, settings: Settings) -> int:
    from dashboard.services import startup
    from dashboard.web import server

    host, port, workers = args.host, args.port, args.workers
    try:
        settings = server.serving_settings(settings, host)
        server.check_port_free(host, port)
    except server.ServeError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    startup.prepare_database(settings, load_sample=not args.no_sample, echo=print)
    sign_in = "sign-in required" if settings.auth_required else "local demo, sign-in off"
    print(f"Serving on http://{host}:{port} with {workers} worker(s); {sign_in}", flush=True)
    server.run_gunicorn(settings, host, port, workers)
    return 0


def _ingest(args: argparse.Namespace, settings: Settings) -> int:
    from db.ingest import IngestError, IngestOptions, ingest_file
    from db.session import opened_engine, upgrade_database

    upgrade_database(settings.database_url)
    from db.fields import MappingError, parse_map_options

    try:
        column_map = parse_map_options(args.map)
    except MappingError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    dayfirst = True if args.dayfirst else False if args.monthfirst else None
    options = IngestOptions(
        name=args.name,
        column_map=column_map,
        dayfirst=dayfirst,
        as_of=args.as_of,
        sheet=args.sheet,
        max_bytes=settings.max_upload_bytes,
        chunk_rows=settings.ingest_chunk_rows,
        on_progress=lambda rows: print(f"read {rows:,} rows", file=sys.stderr, flush=True),
    )
    try:
        with opened_engine(settings.database_url) as engine:
            result = ingest_file(engine, args.file, options)
    except IngestError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    if result.already_loaded and not args.no_analyze and not _analysed(settings, result.dataset_id):
        from dashboard.services.uploads import unfinished_message

        print(unfinished_message(result.dataset_id, result.name))
        return _run_analysis(settings, result.dataset_id, as_of=None, k=4)
    print(result.summary())
    analysing = not (args.no_analyze or result.already_loaded)
    code = _place_in_series(settings, result.dataset_id, args.series, link=not analysing)
    if not analysing:
        return code
    # A refused series still leaves the data set loaded: analysed, as any other.
    return _run_analysis(settings, result.dataset_id, as_of=None, k=4) or code


def _place_in_series(
    settings: Settings, dataset_id: int, series_name: str | None, link: bool
) -> int:
    """Join the named series, or say which series the data set seems to continue."""
    from dashboard.services.series import SeriesError, join_series
    from db.series import propose_series
    from db.session import opened_engine

    with opened_engine(settings.database_url) as engine:
        if series_name is None:
            proposal = propose_series(engine, dataset_id)
            if proposal is not None:
                print(
                    f"This export shares {proposal.shared:,} customer ids "
                    f"({proposal.share:.0%}) with the latest snapshot of series "
                    f"{proposal.series_name!r} (data set {proposal.dataset_id}); to add it: "
                    f"python -m dashboard series add --dataset {dataset_id} "
                    f"--series {shlex.quote(proposal.series_name)}"
                )
            return 0
        try:
            info = join_series(engine, dataset_id, series_name, link=link)
        except SeriesError as error:
            print(
                f"error: {error} Data set {dataset_id} is loaded outside any series.",
                file=sys.stderr,
            )
            return 1
    print(f"Snapshot {len(info.snapshots)} of series {info.name!r}.")
    return 0


def _analysed(settings: Settings, dataset_id: int) -> bool:
    from db.queries import active_run
    from db.session import opened_engine

    with opened_engine(settings.database_url) as engine:
        return active_run(engine, dataset_id) is not None


def _analyze(args: argparse.Namespace, settings: Settings) -> int:
    from db.session import upgrade_database

    upgrade_database(settings.database_url)
    return _run_analysis(settings, args.dataset, as_of=args.as_of, k=args.k)


def _run_analysis(settings: Settings, dataset_id: int | None, as_of: date | None, k: int) -> int:
    from dashboard.services.analysis import AnalysisError, AnalysisParameters, analyze_dataset
    from db.session import opened_engine

    if k < 1:
        print("error: --k must be at least 1", file=sys.stderr)
        return 2
    try:
        with opened_engine(settings.database_url) as engine:
            run = analyze_dataset(engine, dataset_id, AnalysisParameters(as_of=as_of, k=k))
    except AnalysisError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(run.describe())
    return 0


def _export(args: argparse.Namespace, settings: Settings) -> int:
    from db.session import opened_engine, upgrade_database

    upgrade_database(settings.database_url)
    with opened_engine(settings.database_url) as engine:
        return _export_from(args, engine)


def _export_from(args: argparse.Namespace, engine: Engine) -> int:
    from dashboard.services import exports
    from db.filters import FilterError, checked
    from db.queries import active_run, filter_options

    run = active_run(engine, args.dataset)
    if run is None:
        print(
            "error: no analysed data set to export (run: python -m dashboard analyze)",
            file=sys.stderr,
        )
        return 1
    try:
        filters = checked(filter_values(args), filter_options(engine, run.run_id))
    except FilterError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    table = "customers"
    if args.targets_only:
        filters, table = filters.with_targets_only(), "discount_targets"
    elif args.send_list:
        filters, table = filters.send_list(), "send_list"
    elif args.control_list:
        filters, table = filters.control_list(), "control_list"
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with args.out.open("w", encoding="utf-8", newline="") as handle:
        rows = exports.write_customers_csv(engine, run.run_id, filters, handle)
    from db import audit

    audit.record(
        engine,
        "export",
        "command line",
        detail={
            "table": table,
            "dataset_id": run.dataset_id,
            "filters": filters.describe(),
            "targets_only": filters.targets_only,
            "rows": rows,
            "file": str(args.out),
        },
    )
    print(
        f"wrote {rows:,} customers ({filters.describe()}{LIST_NOTES.get(table, '')}) "
        f"of data set {run.dataset_id} to {args.out}"
    )
    return 0


LIST_NOTES = {
    "send_list": "; send list: the control group left out",
    "control_list": "; control list: held out, do not send",
}


def _datasets(_args: argparse.Namespace, settings: Settings) -> int:
    from db.queries import list_datasets
    from db.session import opened_engine, upgrade_database

    upgrade_database(settings.database_url)
    with opened_engine(settings.database_url) as engine:
        frame = list_datasets(engine)
    if frame.empty:
        print("No data sets loaded yet: python -m dashboard ingest FILE")
        return 0
    frame["run_id"] = [
        f"run {int(run)}" if run == run and run is not None else "not analysed (run analyze)"
        for run in frame["run_id"]
    ]
    print(frame.rename(columns={"run_id": "analysis"}).to_string(index=False))
    return 0


def _generate(args: argparse.Namespace, _settings: Settings) -> int:
    from dashboard.services import sample_data

    kwargs = {"as_of": args.as_of} if args.as_of else {}
    if args.snapshots < 1 or args.every_days < 1:
        print("error: --snapshots and --every-days must be at least 1", file=sys.stderr)
        return 2
    if args.snapshots > 1:
        written = sample_data.write_series_csvs(
            args.out, args.rows, args.seed, args.snapshots, args.every_days, **kwargs
        )
        for path, day, rows in written:
            print(f"wrote {rows:,} rows as of {day} to {path}")
        return 0
    sample_data.write_csv(args.out, rows=args.rows, seed=args.seed, **kwargs)
    print(f"wrote {args.rows:,} rows to {args.out}")
    return 0


def _bench(args: argparse.Namespace, settings: Settings) -> int:
    from dashboard.cli import bench

    if args.bench_command == "ingest":
        bench.bench_ingest(
            settings, rows=args.rows, seed=args.seed, database_url=args.database_url, echo=print
        )
    elif args.bench_command == "ui":
        from dashboard.cli import bench_ui

        bench_ui.bench_ui_command(
            settings,
            args.rows,
            args.seed,
            args.database_url,
            echo=print,
            interaction_steps=max(1, args.steps) if args.interaction else 0,
        )
    elif args.bench_command == "load":
        from dashboard.cli import bench_load

        plan = bench_load.LoadPlan(
            users=max(1, args.users),
            seconds=max(1.0, args.seconds),
            workers=max(1, args.workers),
            streams=max(0, args.streams),
            think_seconds=max(0.0, args.think_seconds),
            download_every=max(0, args.download_every),
            seed=args.seed,
        )
        database_url = args.database_url or (settings.database_url if args.rows <= 0 else None)
        return bench_load.bench_load_command(settings, plan, args.rows, database_url, args.json)
    elif args.bench_command == "browser":
        from dashboard.cli import bench_browser

        database_url = args.database_url or (settings.database_url if args.rows <= 0 else None)
        return bench_browser.bench_browser_command(
            settings, args.rows, args.seed, database_url, args.loads, args.json
        )
    elif args.bench_command == "analyze" and args.dataset is not None:
        bench.bench_analyze_dataset(args.database_url or settings.database_url, args.dataset)
    elif args.bench_command == "analyze":
        bench.bench_analyze(
            settings, rows=args.rows, seed=args.seed, database_url=args.database_url, echo=print
        )
    return 0


def _db(args: argparse.Namespace, settings: Settings) -> int:
    from db.session import (
        current_revision,
        head_revision,
        opened_engine,
        safe_url,
        upgrade_database,
    )

    if args.db_command == "upgrade":
        upgrade_database(settings.database_url)
        print(f"schema at {head_revision()} ({safe_url(settings.database_url)})")
        return 0
    with opened_engine(settings.database_url) as engine:
        current = current_revision(engine)
    print(f"current: {current or 'empty database'}; head: {head_revision()}")
    return 0


def _proxy_config(args: argparse.Namespace, settings: Settings) -> int:
    from dashboard.app import upload_request_limit
    from dashboard.web.proxy import nginx_config

    limit = upload_request_limit(settings.max_upload_bytes)
    print(nginx_config(args.listen, args.upstream, limit, args.runtime_dir), end="")
    return 0


_COMMANDS = {
    "serve": _serve,
    "ingest": _ingest,
    "datasets": _datasets,
    "export": _export,
    "analyze": _analyze,
    "generate": _generate,
    "bench": _bench,
    "db": _db,
    "proxy-config": _proxy_config,
    "campaign": run_campaign,
    "users": run_users,
    "series": run_series,
    "migration": run_migration,
    "churn-rates": run_churn_rates,
}
