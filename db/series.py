"""Series: one customer base exported again and again, its data sets ordered by as-of date.

A data set joins at most one series; two snapshots of a series never share an as-of date
(the database's unique constraint makes that true even for two uploads at once). When a
data set arrives without a series, :func:`propose_series` names the series whose latest
snapshot shares the most customer ids with it, if at least half of the smaller of the two.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime

import pandas as pd
from sqlalchemy import (
    Connection,
    Engine,
    Integer,
    case,
    cast,
    delete,
    func,
    insert,
    literal,
    select,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased

from db.models import AnalysisRun, CohortCount, Customer, Dataset, Series, SeriesMember

MIN_SHARED_SHARE = 0.5
MAX_SERIES_NAME = 200


class SeriesError(ValueError):
    """A series request that cannot be done, with the reason in words."""


@dataclass(frozen=True)
class Snapshot:
    dataset_id: int
    name: str
    as_of: date
    customers: int
    run_id: int | None  # the complete analysis, if any


@dataclass(frozen=True)
class SeriesInfo:
    series_id: int
    name: str
    snapshots: tuple[Snapshot, ...]  # oldest first


@dataclass(frozen=True)
class Proposal:
    series_name: str
    dataset_id: int  # the series' latest snapshot
    shared: int
    share: float  # shared ids over the smaller data set's customers


def clean_name(name: str) -> str:
    """A series name as stored: trimmed, not empty, at most MAX_SERIES_NAME characters."""
    cleaned = " ".join(str(name).split())
    if not cleaned:
        raise SeriesError("A series needs a name.")
    if len(cleaned) > MAX_SERIES_NAME:
        raise SeriesError(f"A series name has at most {MAX_SERIES_NAME} characters.")
    return cleaned


def add_to_series(engine: Engine, dataset_id: int, series_name: str) -> SeriesInfo:
    """Put a data set into the named series (created when new); a data set already in
    another series moves. Refused when the series has a snapshot of the same as-of."""
    name = clean_name(series_name)
    try:
        with engine.begin() as connection:
            dataset = connection.execute(
                select(Dataset.id, Dataset.name, Dataset.as_of_date).where(Dataset.id == dataset_id)
            ).one_or_none()
            if dataset is None:
                raise SeriesError(f"There is no data set {dataset_id}.")
            series_id = _series_id(connection, name, create=True)
            clash = connection.execute(
                select(Dataset.id, Dataset.name)
                .join(SeriesMember, SeriesMember.dataset_id == Dataset.id)
                .where(
                    SeriesMember.series_id == series_id,
                    SeriesMember.as_of_date == dataset.as_of_date,
                    SeriesMember.dataset_id != dataset_id,
                )
            ).first()
            if clash is not None:
                raise SeriesError(
                    f"Series {name!r} already has a snapshot as of {dataset.as_of_date}: "
                    f"data set {clash.id} ({clash.name!r}). Two snapshots of one series "
                    "cannot share an as-of date."
                )
            connection.execute(delete(SeriesMember).where(SeriesMember.dataset_id == dataset_id))
            connection.execute(
                insert(SeriesMember).values(
                    dataset_id=dataset_id, series_id=series_id, as_of_date=dataset.as_of_date
                )
            )
    except IntegrityError as error:  # the same as-of joined by someone else at this moment
        raise SeriesError(
            f"Series {name!r} already has a snapshot as of that date; nothing was changed."
        ) from error
    found = series_info(engine, name)
    assert found is not None
    return found


def _series_id(connection: Connection, name: str, create: bool) -> int | None:
    found = connection.execute(select(Series.id).where(Series.name == name)).scalar()
    if found is not None or not create:
        return found
    return connection.execute(
        insert(Series).values(name=name, created_at=datetime.now(UTC)).returning(Series.id)
    ).scalar_one()


def list_series(engine: Engine) -> list[SeriesInfo]:
    """Every series with its snapshots, by name."""
    with engine.connect() as connection:
        names = connection.execute(select(Series.name).order_by(Series.name)).scalars().all()
    return [info for name in names if (info := series_info(engine, name)) is not None]


def series_info(engine: Engine, name: str) -> SeriesInfo | None:
    """The named series and its snapshots (oldest first), or None."""
    complete = (
        select(AnalysisRun.dataset_id, func.max(AnalysisRun.id).label("run_id"))
        .where(AnalysisRun.status == "complete")
        .group_by(AnalysisRun.dataset_id)
        .subquery()
    )
    with engine.connect() as connection:
        series_id = _series_id(connection, " ".join(str(name).split()), create=False)
        if series_id is None:
            return None
        rows = connection.execute(
            select(
                Dataset.id,
                Dataset.name,
                SeriesMember.as_of_date,
                Dataset.rows_loaded,
                complete.c.run_id,
            )
            .join(SeriesMember, SeriesMember.dataset_id == Dataset.id)
            .outerjoin(complete, complete.c.dataset_id == Dataset.id)
            .where(SeriesMember.series_id == series_id)
            .order_by(SeriesMember.as_of_date)
        ).all()
        stored_name = connection.execute(
            select(Series.name).where(Series.id == series_id)
        ).scalar_one()
    return SeriesInfo(
        series_id=series_id,
        name=stored_name,
        snapshots=tuple(Snapshot(r[0], r[1], r[2], r[3], r[4]) for r in rows),
    )


def series_of(engine: Engine, dataset_id: int) -> SeriesInfo | None:
    """The series a data set belongs to, or None."""
    with engine.connect() as connection:
        name = connection.execute(
            select(Series.name)
            .join(SeriesMember, SeriesMember.series_id == Series.id)
            .where(SeriesMember.dataset_id == dataset_id)
        ).scalar()
    return None if name is None else series_info(engine, name)


def neighbours(info: SeriesInfo, dataset_id: int) -> tuple[Snapshot | None, Snapshot | None]:
    """The snapshots just before and just after ``dataset_id`` in its series."""
    positions = [s.dataset_id for s in info.snapshots]
    at = positions.index(dataset_id)
    before = info.snapshots[at - 1] if at > 0 else None
    after = info.snapshots[at + 1] if at + 1 < len(positions) else None
    return before, after


def propose_series(engine: Engine, dataset_id: int) -> Proposal | None:
    """The series this data set most likely continues, or None.

    For each series, the customer ids this data set shares with the series' latest
    snapshot; the series with the most wins if they are at least MIN_SHARED_SHARE of the
    smaller data set's customers. A data set already in a series is not proposed one.
    """
    with engine.connect() as connection:
        if connection.execute(
            select(SeriesMember.dataset_id).where(SeriesMember.dataset_id == dataset_id)
        ).first():
            return None
        latest = (
            select(SeriesMember.series_id, func.max(SeriesMember.as_of_date).label("as_of"))
            .group_by(SeriesMember.series_id)
            .subquery()
        )
        candidates = connection.execute(
            select(Series.name, SeriesMember.dataset_id, Dataset.rows_loaded)
            .join(latest, latest.c.series_id == Series.id)
            .join(
                SeriesMember,
                (SeriesMember.series_id == Series.id) & (SeriesMember.as_of_date == latest.c.as_of),
            )
            .join(Dataset, Dataset.id == SeriesMember.dataset_id)
        ).all()
        size = connection.execute(
            select(Dataset.rows_loaded).where(Dataset.id == dataset_id)
        ).scalar()
        if not candidates or not size:
            return None
        best: Proposal | None = None
        mine, theirs = aliased(Customer), aliased(Customer)
        for series_name, other_id, other_size in candidates:
            shared = connection.execute(
                select(func.count())
                .select_from(mine)
                .join(
                    theirs,
                    (theirs.dataset_id == other_id) & (theirs.customer_id == mine.customer_id),
                )
                .where(mine.dataset_id == dataset_id)
            ).scalar_one()
            share = shared / max(min(size, other_size or 0), 1)
            if share >= MIN_SHARED_SHARE and (best is None or shared > best.shared):
                best = Proposal(series_name, other_id, shared, share)
    return best


@dataclass(frozen=True)
class CustomerSnapshot:
    dataset_id: int
    as_of: date
    segment: str | None  # None: not in that snapshot (or that snapshot is not analysed)
    rfm_segment: str | None
    analysed: bool


def customer_history(engine: Engine, dataset_id: int, customer_id: str) -> list[CustomerSnapshot]:
    """The customer's rule and RFM segment in every snapshot of the data set's series, oldest
    first (empty when the data set is in no series)."""
    from db.models import CustomerResult

    info = series_of(engine, dataset_id)
    if info is None:
        return []
    history = []
    with engine.connect() as connection:
        for snapshot in info.snapshots:
            row = None
            if snapshot.run_id is not None:
                row = connection.execute(
                    select(CustomerResult.segment, CustomerResult.rfm_segment).where(
                        CustomerResult.run_id == snapshot.run_id,
                        CustomerResult.customer_id == customer_id,
                    )
                ).first()
            history.append(
                CustomerSnapshot(
                    snapshot.dataset_id,
                    snapshot.as_of,
                    row.segment if row else None,
                    row.rfm_segment if row else None,
                    snapshot.run_id is not None,
                )
            )
    return history


def previous_snapshot(engine: Engine, dataset_id: int) -> Snapshot | None:
    """The analysed snapshot just before this data set in its series, in one query (the
    Overview asks on every filter change)."""
    mine, theirs = aliased(SeriesMember), aliased(SeriesMember)
    complete = (
        select(func.max(AnalysisRun.id))
        .where(AnalysisRun.dataset_id == theirs.dataset_id, AnalysisRun.status == "complete")
        .scalar_subquery()
    )
    query = (
        select(Dataset.id, Dataset.name, theirs.as_of_date, Dataset.rows_loaded, complete)
        .select_from(mine)
        .join(
            theirs,
            (theirs.series_id == mine.series_id) & (theirs.as_of_date < mine.as_of_date),
        )
        .join(Dataset, Dataset.id == theirs.dataset_id)
        .where(mine.dataset_id == dataset_id, complete.is_not(None))
        .order_by(theirs.as_of_date.desc())
        .limit(1)
    )
    with engine.connect() as connection:
        row = connection.execute(query).first()
    return None if row is None else Snapshot(row[0], row[1], row[2], row[3], row[4])


ACTIVE_DAYS = 30
NO_COHORT = ""  # the join month of customers without a join date


def has_cohort_counts(engine: Engine, dataset_id: int) -> bool:
    with engine.connect() as connection:
        found = connection.execute(
            select(CohortCount.dataset_id).where(CohortCount.dataset_id == dataset_id).limit(1)
        ).first()
    return found is not None


def write_cohort_counts(
    engine: Engine, dataset_id: int, as_of: date, earlier_ids: Sequence[int]
) -> None:
    """Count the data set's customers per join month: present, active (a login within
    ACTIVE_DAYS of ``as_of``) and arrived (in none of the ``earlier_ids`` snapshots of its
    series). Replaces its earlier counts; customers without a join date are counted under
    NO_COHORT (so a counted snapshot always has a row) and shown in no cohort.
    One GROUP BY over the data set, with one hash anti-join against the earlier snapshots."""
    postgres = engine.dialect.name == "postgresql"
    month = func.coalesce(
        func.to_char(Customer.join_date, "YYYY-MM")
        if postgres
        else func.strftime("%Y-%m", Customer.join_date),
        NO_COHORT,
    )
    days = (
        literal(as_of) - Customer.last_login
        if postgres
        else cast(
            func.julianday(literal(as_of.isoformat())) - func.julianday(Customer.last_login),
            Integer,
        )
    )
    present = func.count()
    active = func.sum(case((days <= ACTIVE_DAYS, 1), else_=0))
    everyone = func.count()  # the first snapshot: all of its customers arrived
    counts = select(literal(dataset_id), month, present, active, everyone).select_from(Customer)
    if earlier_ids:
        earlier = aliased(Customer, name="earlier")
        ids = select(earlier.customer_id).where(earlier.dataset_id.in_(list(earlier_ids)))
        # One snapshot holds each id once; several need the union's distinct ids.
        seen = (ids if len(earlier_ids) == 1 else ids.distinct()).subquery("seen")
        arrived = func.sum(case((seen.c.customer_id.is_(None), 1), else_=0))
        counts = select(literal(dataset_id), month, present, active, arrived).outerjoin(
            seen, seen.c.customer_id == Customer.customer_id
        )
    counts = counts.where(Customer.dataset_id == dataset_id).group_by(month)
    with engine.begin() as connection:
        connection.execute(delete(CohortCount).where(CohortCount.dataset_id == dataset_id))
        connection.execute(
            insert(CohortCount).from_select(
                ["dataset_id", "join_month", "present", "active", "arrived"], counts
            )
        )


def cohort_counts(engine: Engine, series_id: int) -> pd.DataFrame:
    """Per join month (``YYYY-MM``) and snapshot: the cohort's size and how many of it are in
    the snapshot and active there (a login within ACTIVE_DAYS of its as-of).

    A customer's join month is the one each snapshot gives; a cohort's size is every
    customer ever seen in it (arrivals summed over the snapshots). Customers without a join
    date belong to no cohort. Columns: join_month, cohort_size, dataset_id, as_of, present,
    active; a snapshot without any of a cohort has no row for it. Reads the stored counts.
    """
    member = aliased(SeriesMember)
    stored = (
        select(
            CohortCount.join_month,
            CohortCount.dataset_id,
            member.as_of_date,
            CohortCount.present,
            CohortCount.active,
            CohortCount.arrived,
        )
        .join(member, member.dataset_id == CohortCount.dataset_id)
        .where(member.series_id == series_id, CohortCount.join_month != NO_COHORT)
    )
    with engine.connect() as connection:
        rows = connection.execute(stored).all()
    frame = pd.DataFrame(
        [tuple(row) for row in rows],
        columns=["join_month", "dataset_id", "as_of", "present", "active", "arrived"],
    )
    if frame.empty:
        return frame.drop(columns="arrived").assign(cohort_size=[])[
            ["join_month", "cohort_size", "dataset_id", "as_of", "present", "active"]
        ]
    sizes = frame.groupby("join_month")["arrived"].sum().rename("cohort_size")
    frame = frame.join(sizes, on="join_month")
    frame["as_of"] = [
        value if isinstance(value, date) else date.fromisoformat(str(value)[:10])
        for value in frame["as_of"]
    ]
    frame = frame.sort_values(["join_month", "as_of"]).reset_index(drop=True)
    return frame[["join_month", "cohort_size", "dataset_id", "as_of", "present", "active"]].astype(
        {"cohort_size": "int64", "present": "int64", "active": "int64"}
    )
