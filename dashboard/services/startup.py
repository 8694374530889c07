"""What happens before the app serves: migrate the schema, load the sample data when empty."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from dashboard.config import Settings
from db.queries import count_datasets
from db.session import opened_engine, safe_url, upgrade_database

SAMPLE_ROWS = 5_000
SAMPLE_SEED = 42
SAMPLE_NAME = "Sample streaming users"


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
    echo(f"Empty database: loading {SAMPLE_ROWS:,} generated sample customers (seed {SAMPLE_SEED})")
    load_sample_dataset(settings, echo)


def load_sample_dataset(settings: Settings, echo: Callable[[str], None] = print) -> None:
    from dashboard.services import sample_data
    from db.ingest import IngestOptions, ingest_file

    sample_dir = (settings.sqlite_path.parent if settings.sqlite_path else Path("data")).resolve()
    sample_dir.mkdir(parents=True, exist_ok=True)
    path = sample_dir / f"sample_{SAMPLE_ROWS}_seed{SAMPLE_SEED}.csv"
    if not path.exists():
        sample_data.write_csv(path, rows=SAMPLE_ROWS, seed=SAMPLE_SEED)
    from dashboard.services.analysis import analyze_dataset

    with opened_engine(settings.database_url) as engine:
        result = ingest_file(engine, path, IngestOptions(name=SAMPLE_NAME))
        echo(result.summary())
        echo(analyze_dataset(engine, result.dataset_id).describe())
