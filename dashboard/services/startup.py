"""What happens before the app serves: migrate the schema, load the sample data when empty."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from sqlalchemy import Engine

from dashboard.config import Settings
from db.queries import count_datasets
from db.session import opened_engine, safe_url, upgrade_database

SAMPLE_ROWS = 3_000
SAMPLE_SEED = 42
SAMPLE_NAME = "Sample streaming users"  # the series; each snapshot is named with its as-of
SAMPLE_SNAPSHOTS = 3
SAMPLE_EVERY_DAYS = 30


def prepare_database(
    settings: Settings, load_sample: bool = True, echo: Callable[[str], None] = print
) -> None:
    """Bring the schema to the latest migration and make sure there is something to show."""
    where = (
        settings.sqlite_path.resolve() if settings.sqlite_path else safe_url(settings.database_url)
    )
    echo(f"Database: {where}")
    upgrade_database(settings.database_url)
    with opened_engine(settings.database_url) as engine:
        if count_datasets(engine) or not load_sample:
            return
    echo(
        f"Empty database: loading {SAMPLE_SNAPSHOTS} monthly snapshots of {SAMPLE_ROWS:,} "
        f"generated sample customers (seed {SAMPLE_SEED}) as the series {SAMPLE_NAME!r}"
    )
    sample_dir = (settings.sqlite_path.parent if settings.sqlite_path else Path("data")).resolve()
    with opened_engine(settings.database_url) as engine:
        load_sample_series(engine, sample_dir, echo)


def load_sample_series(
    engine: Engine, directory: Path, echo: Callable[[str], None] = print, rows: int = SAMPLE_ROWS
) -> list[int]:
    """Load and analyse the Quick start sample: a short series of monthly exports of one
    customer base, so trends, migration and churn per segment show on first start.
    The exports are written into ``directory``. Returns the data set ids, oldest first
    (the newest is the active one)."""
    from dashboard.services import sample_data
    from dashboard.services.analysis import analyze_dataset
    from dashboard.services.series import join_series
    from db.ingest import IngestOptions, ingest_file

    directory.mkdir(parents=True, exist_ok=True)
    written = sample_data.write_series_csvs(
        directory / f"sample_{rows}_seed{SAMPLE_SEED}.csv",
        rows,
        SAMPLE_SEED,
        SAMPLE_SNAPSHOTS,
        SAMPLE_EVERY_DAYS,
    )
    dataset_ids = []
    for path, day, _rows in written:
        options = IngestOptions(name=f"{SAMPLE_NAME} {day.isoformat()}", as_of=day)
        result = ingest_file(engine, path, options)
        echo(result.summary())
        join_series(engine, result.dataset_id, SAMPLE_NAME, link=False)
        echo(analyze_dataset(engine, result.dataset_id).describe())
        dataset_ids.append(result.dataset_id)
    return dataset_ids
