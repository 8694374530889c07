"""Campaign reads and writes: the frozen target lists and what a measurement reads.

:func:`insert_campaign` copies, in one transaction, every discount target of a data set's latest
complete analysis run into ``campaign_members`` (FROZEN_COLUMNS, same names both sides) with
the run's campaign seed, control share and discount table. Everything later reads only
``campaigns`` and ``campaign_members`` (plus the follow-up's ``customers``), never
``customer_results``, so re-analysing the baseline data set cannot change a campaign. The
use cases and their messages are in :mod:`dashboard.services.campaigns` and
:mod:`dashboard.services.campaigns`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import pandas as pd
from sqlalchemy import (
    ColumnElement,
    Connection,
    Engine,
    Row,
    Table,
    and_,
    case,
    exists,
    false,
    func,
    insert,
    literal,
    select,
    true,
    update,
)
from sqlalchemy.exc import IntegrityError

from db.bulk import insert_frame
from db.columns import storable_id
from db.filters import NULL_TOKEN, Filters
from db.models import AnalysisRun, Campaign, CampaignMember, Customer, CustomerResult, Dataset
from db.queries import filter_conditions, stream_frames

# Values copied from the run's customer_results into campaign_members, same names both sides.
FROZEN_COLUMNS = (
    "customer_id",
    "gender",
    "country",
    "plan",
    "segment",
    "rfm_segment",
    "engagement_level",
    "last_login",
    "days_since_last_login",
    "watch_time_hours",
    "visit_frequency",
    "monthly_revenue",
    "target_reason",
    "discount_pct",
    "control_group",
)
FILTER_DIMENSIONS = ("gender", "segment", "rfm_segment", "country", "plan")
# The member columns a measurement reads (baseline values and the breakdown groups).
MEASURE_COLUMNS = (
    "customer_id",
    "control_group",
    "target_reason",
    "discount_pct",
    "segment",
    "days_since_last_login",
    "watch_time_hours",
)
LIST_COLUMNS = (
    "id",
    "name",
    "dataset_id",
    "dataset_name",
    "as_of",
    "targets",
    "treated",
    "control",
    "created_at",
    "created_by",
)

# Why insert_campaign wrote nothing (CampaignRefused.reason).
NO_DATASET = "no data set"
NAME_TAKEN = "name taken"
NOT_ANALYSED = "not analysed"
NO_TARGETS = "no targets"
RUN_REPLACED = "run replaced"


class CampaignRefused(Exception):
    """A campaign :func:`insert_campaign` did not write; ``reason`` says which check failed.

    The service turns it into a message for the user; ``campaign_id`` is the campaign that
    already holds the name, when known.
    """

    def __init__(self, reason: str, campaign_id: int | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.campaign_id = campaign_id


# --- Campaigns -----------------------------------------------------------------------------


def _checked_dataset(connection: Connection, name: str, dataset_id: int) -> Row[Any]:
    """The data set a new campaign freezes (id, name); refused when absent or the name is taken."""
    dataset = connection.execute(
        select(Dataset.id, Dataset.name).where(Dataset.id == dataset_id)
    ).first()
    if dataset is None:
        raise CampaignRefused(NO_DATASET)
    taken = connection.execute(select(Campaign.id).where(Campaign.name == name)).scalar()
    if taken is not None:
        raise CampaignRefused(NAME_TAKEN, taken)
    return dataset


def _insert_campaign_row(
    connection: Connection,
    name: str,
    dataset_name: str,
    run: Row[Any],
    created_by: str | None,
    members: int = 0,
    control: int = 0,
) -> int:
    """The campaign row, with the run's seed, control share and discount table."""
    parameters = dict(run.parameters or {})
    return connection.execute(
        insert(Campaign).returning(Campaign.id),
        {
            "name": name,
            "dataset_id": run.dataset_id,
            "dataset_name": dataset_name,
            "source_run_id": run.id,
            "baseline_as_of": run.as_of_date,
            "created_at": datetime.now(UTC),
            "created_by": created_by,
            "campaign_seed": str(parameters.get("campaign_seed", "")),
            "control_share": float(parameters.get("control_share", 0.0)),
            "discount_table": list(parameters.get("discount_table", [])),
            "member_count": members,
            "control_count": control,
        },
    ).scalar_one()


def insert_campaign(
    engine: Engine, name: str, dataset_id: int, created_by: str | None = None
) -> int:
    """Freeze the discount targets of ``dataset_id``'s latest complete run as campaign ``name``.

    One transaction: the campaign row and all its members, or nothing (CampaignRefused).
    Returns the new campaign's id.
    """
    try:
        with engine.begin() as connection:
            dataset = _checked_dataset(connection, name, dataset_id)
            run = connection.execute(
                select(AnalysisRun)
                .where(AnalysisRun.dataset_id == dataset_id, AnalysisRun.status == "complete")
                .order_by(AnalysisRun.id.desc())
                .limit(1)
            ).first()  # a Row with the run's columns
            if run is None:
                raise CampaignRefused(NOT_ANALYSED)
            if run.target_count == 0:
                raise CampaignRefused(NO_TARGETS)
            campaign_id = _insert_campaign_row(connection, name, dataset.name, run, created_by)
            results = CustomerResult.__table__
            connection.execute(
                insert(CampaignMember).from_select(
                    ["campaign_id", *FROZEN_COLUMNS],
                    select(literal(campaign_id), *[results.c[column] for column in FROZEN_COLUMNS])
                    .where(results.c.run_id == run.id, results.c.discount_target.is_(true()))
                    .order_by(results.c.id),
                )
            )
            members, control = connection.execute(
                select(
                    func.count(),
                    func.coalesce(
                        func.sum(case((CampaignMember.control_group.is_(true()), 1), else_=0)), 0
                    ),
                ).where(CampaignMember.campaign_id == campaign_id)
            ).one()
            if members != run.target_count:
                # The run was replaced between reading it and copying it: start again.
                raise CampaignRefused(RUN_REPLACED)
            connection.execute(
                update(Campaign)
                .where(Campaign.id == campaign_id)
                .values(member_count=int(members), control_count=int(control))
            )
    except IntegrityError as error:
        raise CampaignRefused(NAME_TAKEN) from error
    return campaign_id


def insert_audience_campaign(
    engine: Engine,
    name: str,
    dataset_id: int,
    run_id: int,
    members: pd.DataFrame,
    created_by: str | None = None,
) -> int:
    """Freeze ``members`` (FROZEN_COLUMNS, the control flag already decided by the run's
    rule) as campaign ``name`` on ``run_id`` of ``dataset_id``: a list that is not the
    run's discount targets, such as a migration cell. One transaction, or CampaignRefused.
    """
    if members.empty:
        raise CampaignRefused(NO_TARGETS)
    try:
        with engine.begin() as connection:
            dataset = _checked_dataset(connection, name, dataset_id)
            run = connection.execute(
                select(AnalysisRun).where(
                    AnalysisRun.id == run_id,
                    AnalysisRun.dataset_id == dataset_id,
                    AnalysisRun.status == "complete",
                )
            ).first()
            if run is None:
                raise CampaignRefused(RUN_REPLACED)
            control = int(members["control_group"].astype(bool).sum())
            campaign_id = _insert_campaign_row(
                connection, name, dataset.name, run, created_by, len(members), control
            )
            frame = members.loc[:, list(FROZEN_COLUMNS)].copy()
            frame.insert(0, "campaign_id", campaign_id)
            frame["last_login"] = [
                value.isoformat() if hasattr(value, "isoformat") else value
                for value in frame["last_login"]
            ]
            insert_frame(connection, "campaign_members", frame)
    except IntegrityError as error:
        raise CampaignRefused(NAME_TAKEN) from error
    return campaign_id


def find_campaign(engine: Engine, reference: str) -> Row[Any] | None:
    """The campaigns row named exactly ``reference``, else the one with that id (all digits)."""
    with engine.connect() as connection:
        row = connection.execute(select(Campaign).where(Campaign.name == reference)).first()
        if row is None and reference.isdigit() and storable_id(int(reference)):
            row = connection.execute(select(Campaign).where(Campaign.id == int(reference))).first()
    return row


def campaign_rows(engine: Engine) -> pd.DataFrame:
    """Every campaign, newest first, with LIST_COLUMNS (values as stored)."""
    query = select(
        Campaign.id,
        Campaign.name,
        Campaign.dataset_id,
        Campaign.dataset_name,
        Campaign.baseline_as_of.label("as_of"),
        Campaign.member_count.label("targets"),
        (Campaign.member_count - Campaign.control_count).label("treated"),
        Campaign.control_count.label("control"),
        Campaign.created_at,
        Campaign.created_by,
    ).order_by(Campaign.id.desc())
    with engine.connect() as connection:
        rows = connection.execute(query).all()
    return pd.DataFrame(rows, columns=list(LIST_COLUMNS))


# --- Members -------------------------------------------------------------------------------


def member_filter_options(engine: Engine, campaign_id: int) -> dict[str, list[str]]:
    """The values each filter dimension takes among the campaign's members (None as NULL_TOKEN)."""
    options: dict[str, list[str]] = {}
    members = CampaignMember.__table__
    with engine.connect() as connection:
        for dimension in FILTER_DIMENSIONS:
            values = connection.execute(
                select(members.c[dimension]).where(members.c.campaign_id == campaign_id).distinct()
            ).scalars()
            options[dimension] = sorted(
                NULL_TOKEN if value is None else str(value) for value in values
            )
    return options


def member_conditions(campaign_id: int, filters: Filters) -> list[ColumnElement[bool]]:
    """WHERE conditions for a campaign's members under the dashboard filters (baseline values).

    ``targets_only`` is ignored: every member is a target.
    """
    members: Table = CampaignMember.__table__  # type: ignore[assignment]
    return [members.c.campaign_id == campaign_id, *filter_conditions(members, filters)]


def iter_members(
    engine: Engine,
    campaign_id: int,
    control: bool | None = None,
    filters: Filters | None = None,
    chunk_rows: int = 50_000,
) -> Iterator[pd.DataFrame]:
    """The campaign's members (all, only control, or only treated) in chunks, in list order.

    Each chunk has FROZEN_COLUMNS, values as stored.
    """
    members = CampaignMember.__table__
    conditions = member_conditions(campaign_id, filters or Filters())
    if control is not None:
        conditions.append(members.c.control_group.is_(true() if control else false()))
    query = (
        select(*[members.c[column] for column in FROZEN_COLUMNS])
        .where(and_(*conditions))
        .order_by(members.c.id)
    )
    return stream_frames(engine, query, FROZEN_COLUMNS, chunk_rows)


def treated_ids(engine: Engine, campaign_id: int) -> list[str]:
    """The ids of the members outside the control group, in list order."""
    with engine.connect() as connection:
        return list(
            connection.execute(
                select(CampaignMember.customer_id)
                .where(
                    CampaignMember.campaign_id == campaign_id,
                    CampaignMember.control_group.is_(false()),
                )
                .order_by(CampaignMember.id)
            ).scalars()
        )


# --- What a measurement reads --------------------------------------------------------------


@dataclass(frozen=True)
class FollowupDataset:
    """A would-be follow-up data set: its as-of date and its extra columns' original headers."""

    id: int
    as_of_date: date
    extras: list[str]


@dataclass(frozen=True)
class MeasureInputs:
    """The filtered members, their rows in the follow-up, and the follow-up's two counts."""

    members: pd.DataFrame  # MEASURE_COLUMNS, in no particular order
    followup: pd.DataFrame  # customer_id, last_login, watch_time_hours (+ status)
    followup_customers: int
    new_customers: int | None  # None when the baseline data set was deleted


def followup_dataset(engine: Engine, dataset_id: int) -> FollowupDataset | None:
    """The data set ``dataset_id`` as a follow-up, or None when there is no such data set."""
    with engine.connect() as connection:
        row = connection.execute(
            select(Dataset.id, Dataset.as_of_date, Dataset.column_mapping).where(
                Dataset.id == dataset_id
            )
        ).first()
    if row is None:
        return None
    extras = (row.column_mapping or {}).get("extras") or []
    return FollowupDataset(id=row.id, as_of_date=row.as_of_date, extras=list(extras))


def measure_inputs(
    engine: Engine,
    campaign_id: int,
    baseline_dataset_id: int | None,
    followup_dataset_id: int,
    filters: Filters,
    status_column: str | None = None,
) -> MeasureInputs:
    """Everything a measurement reads, in one connection.

    With ``status_column`` (an original header kept in ``customers.extra``) the follow-up frame
    also has ``status``, the raw cell (None when absent).
    """
    members_table = CampaignMember.__table__
    member_query = select(*[members_table.c[column] for column in MEASURE_COLUMNS]).where(
        and_(*member_conditions(campaign_id, filters))
    )
    followup_columns = [Customer.customer_id, Customer.last_login, Customer.watch_time_hours]
    if status_column is not None:
        followup_columns.append(Customer.extra)
    matched_query = (
        select(*followup_columns)
        .join(
            CampaignMember,
            and_(
                CampaignMember.customer_id == Customer.customer_id,
                *member_conditions(campaign_id, filters),
            ),
        )
        .where(Customer.dataset_id == followup_dataset_id)
    )
    with engine.connect() as connection:
        members = pd.DataFrame(
            connection.execute(member_query).all(), columns=list(MEASURE_COLUMNS)
        )
        rows = connection.execute(matched_query).all()
        followup_total = connection.execute(
            select(func.count())
            .select_from(Customer)
            .where(Customer.dataset_id == followup_dataset_id)
        ).scalar_one()
        new = _new_customers(connection, baseline_dataset_id, followup_dataset_id)
    followup = pd.DataFrame(
        [row[:3] for row in rows], columns=["customer_id", "last_login", "watch_time_hours"]
    )
    if status_column is not None:
        followup["status"] = [(row[3] or {}).get(status_column) for row in rows]
    return MeasureInputs(
        members=members,
        followup=followup,
        followup_customers=int(followup_total),
        new_customers=new,
    )


def _new_customers(
    connection: Connection, baseline_dataset_id: int | None, followup_dataset_id: int
) -> int | None:
    """Follow-up customers whose id is not in the baseline data set (None if it was deleted)."""
    if baseline_dataset_id is None:
        return None
    baseline = Customer.__table__.alias("baseline")
    followup = Customer.__table__.alias("followup")
    query = (
        select(func.count())
        .select_from(followup)
        .where(
            followup.c.dataset_id == followup_dataset_id,
            ~exists().where(
                baseline.c.dataset_id == baseline_dataset_id,
                baseline.c.customer_id == followup.c.customer_id,
            ),
        )
    )
    return int(connection.execute(query).scalar_one())
