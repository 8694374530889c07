"""Campaigns: a data set's discount target list, frozen under a name when it is sent.

Creating a campaign copies, in one transaction, every discount target of the data set's
latest complete analysis run into ``campaign_members`` with the baseline values a later
measurement needs (segment, engagement, days since last login, watch hours, visits, plan,
revenue, gender, country, RFM segment, target reason, discount and the control flag), plus the
run's campaign seed, control share and discount table. Nothing is read back from
``customer_results`` afterwards, so re-analysing the baseline data set (which replaces that
run) cannot change a campaign, and deleting the data set only sets ``dataset_id`` to NULL.
"""

from __future__ import annotations

from collections.abc import Generator, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import IO, Any

import pandas as pd
from sqlalchemy import (
    ColumnElement,
    Engine,
    and_,
    case,
    false,
    func,
    insert,
    literal,
    or_,
    select,
    true,
    update,
)
from sqlalchemy.exc import IntegrityError

from dashboard.services.exports import PIECE_ROWS, csv_chunks, neutralise_frame, write_chunks
from db.filters import NULL_TOKEN, Filters
from db.models import AnalysisRun, Campaign, CampaignMember, CustomerResult, Dataset
from db.queries import stream_frames

MAX_NAME_LENGTH = 200
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
EXPORT_COLUMNS = FROZEN_COLUMNS
FILTER_DIMENSIONS = ("gender", "segment", "rfm_segment", "country", "plan")


class CampaignError(Exception):
    """A campaign that cannot be created or found, with a message for the user."""


@dataclass(frozen=True)
class CampaignInfo:
    id: int
    name: str
    dataset_id: int | None
    dataset_name: str
    source_run_id: int
    baseline_as_of: date
    created_at: datetime
    created_by: str | None
    campaign_seed: str
    control_share: float
    discount_table: list[dict[str, Any]]
    members: int
    control: int

    @property
    def treated(self) -> int:
        return self.members - self.control

    def describe(self) -> str:
        return (
            f"Campaign {self.id} ({self.name!r}) from data set "
            f"{self.dataset_id if self.dataset_id is not None else '(deleted)'} "
            f"({self.dataset_name!r}) as of {self.baseline_as_of}: {self.members:,} targets, "
            f"{self.treated:,} to receive the discount and {self.control:,} held out as control."
        )


def _info(campaign: Any) -> CampaignInfo:
    """From a row of the campaigns table (attribute access by column name)."""
    return CampaignInfo(
        id=campaign.id,
        name=campaign.name,
        dataset_id=campaign.dataset_id,
        dataset_name=campaign.dataset_name,
        source_run_id=campaign.source_run_id,
        baseline_as_of=campaign.baseline_as_of,
        created_at=campaign.created_at,
        created_by=campaign.created_by,
        campaign_seed=campaign.campaign_seed,
        control_share=campaign.control_share,
        discount_table=list(campaign.discount_table or []),
        members=campaign.member_count,
        control=campaign.control_count,
    )


def create_campaign(
    engine: Engine, name: str, dataset_id: int, created_by: str | None = None
) -> CampaignInfo:
    """Freeze the discount targets of ``dataset_id``'s latest complete run as campaign ``name``.

    One transaction: the campaign row and all its members, or nothing. Raises CampaignError
    for a blank or taken name, an unknown or unanalysed data set, or a run without targets.
    """
    name = (name or "").strip()
    if not name:
        raise CampaignError("A campaign needs a name.")
    if len(name) > MAX_NAME_LENGTH:
        raise CampaignError(f"A campaign name is at most {MAX_NAME_LENGTH} characters long.")
    try:
        with engine.begin() as connection:
            dataset = connection.execute(
                select(Dataset.id, Dataset.name).where(Dataset.id == dataset_id)
            ).first()
            if dataset is None:
                raise CampaignError(f"There is no data set {dataset_id}.")
            taken = connection.execute(select(Campaign.id).where(Campaign.name == name)).scalar()
            if taken is not None:
                raise CampaignError(f"A campaign named {name!r} already exists (id {taken}).")
            run = connection.execute(
                select(AnalysisRun)
                .where(AnalysisRun.dataset_id == dataset_id, AnalysisRun.status == "complete")
                .order_by(AnalysisRun.id.desc())
                .limit(1)
            ).first()  # a Row with the run's columns
            if run is None:
                raise CampaignError(
                    f"Data set {dataset_id} has not been analysed yet "
                    f"(run: python -m dashboard analyze --dataset {dataset_id})."
                )
            if run.target_count == 0:
                raise CampaignError(f"Data set {dataset_id} has no discount targets.")
            parameters = dict(run.parameters or {})
            campaign_id = connection.execute(
                insert(Campaign).returning(Campaign.id),
                {
                    "name": name,
                    "dataset_id": dataset_id,
                    "dataset_name": dataset.name,
                    "source_run_id": run.id,
                    "baseline_as_of": run.as_of_date,
                    "created_at": datetime.now(UTC),
                    "created_by": created_by,
                    "campaign_seed": str(parameters.get("campaign_seed", "")),
                    "control_share": float(parameters.get("control_share", 0.0)),
                    "discount_table": list(parameters.get("discount_table", [])),
                    "member_count": 0,
                    "control_count": 0,
                },
            ).scalar_one()
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
                raise CampaignError(
                    f"Data set {dataset_id} was re-analysed while the campaign was being "
                    "created; nothing was saved, please try again."
                )
            connection.execute(
                update(Campaign)
                .where(Campaign.id == campaign_id)
                .values(member_count=int(members), control_count=int(control))
            )
    except IntegrityError as error:
        raise CampaignError(f"A campaign named {name!r} already exists.") from error
    return get_campaign(engine, campaign_id)


def get_campaign(engine: Engine, reference: int | str) -> CampaignInfo:
    """A campaign by exact name, else by id; CampaignError when there is none."""
    text = str(reference).strip()
    with engine.connect() as connection:
        row = connection.execute(select(Campaign).where(Campaign.name == text)).first()
        if row is None and text.isdigit():
            row = connection.execute(select(Campaign).where(Campaign.id == int(text))).first()
    if row is None:
        raise CampaignError(
            f"There is no campaign {text!r} (list them with: python -m dashboard campaign list)."
        )
    return _info(row)


def list_campaigns(engine: Engine) -> pd.DataFrame:
    """Every campaign, newest first: id, name, data set, as-of, targets, treated, control, when."""
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
    frame = pd.DataFrame(
        rows,
        columns=[
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
        ],
    )
    frame["dataset_id"] = frame["dataset_id"].astype("Int64")
    frame["created_at"] = frame["created_at"].map(
        lambda value: value.strftime("%Y-%m-%d %H:%M") if value is not None else ""
    )
    return frame


def campaign_filter_options(engine: Engine, campaign_id: int) -> dict[str, list[str]]:
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
    members = CampaignMember.__table__
    conditions: list[ColumnElement[bool]] = [members.c.campaign_id == campaign_id]
    for name, values in filters.chosen().items():
        column = members.c[name]
        present = [value for value in values if value != NULL_TOKEN]
        options = [column.in_(present)] if present else []
        if NULL_TOKEN in values:
            options.append(column.is_(None))
        conditions.append(or_(*options))
    if filters.customer_id:
        conditions.append(members.c.customer_id == filters.customer_id)
    return conditions


def iter_members(
    engine: Engine,
    campaign_id: int,
    control: bool | None = None,
    filters: Filters | None = None,
    chunk_rows: int = 50_000,
) -> Iterator[pd.DataFrame]:
    """The campaign's members (all, only control, or only treated) in chunks, in list order."""
    members = CampaignMember.__table__
    conditions = member_conditions(campaign_id, filters or Filters())
    if control is not None:
        conditions.append(members.c.control_group.is_(true() if control else false()))
    query = (
        select(*[members.c[column] for column in EXPORT_COLUMNS])
        .where(and_(*conditions))
        .order_by(members.c.id)
    )
    return stream_frames(engine, query, EXPORT_COLUMNS, chunk_rows)


def _prepare(chunk: pd.DataFrame) -> pd.DataFrame:
    chunk = chunk.copy()
    chunk["control_group"] = chunk["control_group"].map({True: "yes", False: "no"})
    chunk["last_login"] = chunk["last_login"].map(
        lambda value: value.isoformat() if isinstance(value, date) else value
    )
    return neutralise_frame(chunk)


def write_members_csv(
    engine: Engine,
    campaign_id: int,
    out: IO[str],
    control: bool = False,
    filters: Filters | None = None,
) -> int:
    """The target list (customers who get the discount) or, with ``control``, the control list.

    Formula-safe CSV with EXPORT_COLUMNS; returns the number of rows written.
    """
    return write_chunks(members_csv_chunks(engine, campaign_id, control, filters), out)


def members_csv_chunks(
    engine: Engine, campaign_id: int, control: bool = False, filters: Filters | None = None
) -> Generator[tuple[str, int], None, None]:
    """The target or control list as CSV pieces (see :func:`dashboard.services.exports.csv_chunks`)."""
    chunks = iter_members(engine, campaign_id, control, filters, chunk_rows=PIECE_ROWS)
    return csv_chunks((_prepare(chunk) for chunk in chunks), EXPORT_COLUMNS)


def treated_customer_ids(engine: Engine, campaign_id: int) -> list[str]:
    """The ids of the members who were sent the discount (everyone outside the control group)."""
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
