"""SQLAlchemy models: the schema the ingestion writes and the dashboard reads.

The schema itself is created only by Alembic migrations (``migrations/``); these classes
describe it for queries and for ``alembic check``. Constraint names follow one naming
convention so that migrations stay stable across SQLite and PostgreSQL.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# BIGINT primary keys on PostgreSQL, INTEGER (the rowid alias) on SQLite.
BigId = BigInteger().with_variant(Integer(), "sqlite")


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Dataset(Base):
    """One ingested file. A row exists only for a file that landed whole."""

    __tablename__ = "datasets"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    source_file: Mapped[str] = mapped_column(String(500))
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    ingested_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    rows_loaded: Mapped[int] = mapped_column(Integer)
    rows_rejected: Mapped[int] = mapped_column(Integer)
    as_of_date: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20))
    # Which canonical fields the file carried and how its headers were mapped.
    column_mapping: Mapped[dict[str, Any]] = mapped_column(JSON)
    recency_source: Mapped[str] = mapped_column(String(20))
    # The currency the file's revenue was written in ("$", "EUR"), None when it named none.
    currency: Mapped[str | None] = mapped_column(String(8), nullable=True)


class Customer(Base):
    """One customer of one data set, with values already parsed and validated."""

    __tablename__ = "customers"
    __table_args__ = (
        UniqueConstraint("dataset_id", "customer_id", name="uq_customers_dataset_customer"),
        Index("ix_customers_dataset_gender", "dataset_id", "gender"),
        Index("ix_customers_dataset_country", "dataset_id", "country"),
        Index("ix_customers_dataset_plan", "dataset_id", "plan"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    dataset_id: Mapped[int] = mapped_column(ForeignKey("datasets.id", ondelete="CASCADE"))
    source_line: Mapped[int] = mapped_column(Integer)
    customer_id: Mapped[str] = mapped_column(String(200))
    name: Mapped[str | None] = mapped_column(String(300))
    gender: Mapped[str] = mapped_column(String(10))
    age: Mapped[int | None] = mapped_column(Integer)
    country: Mapped[str | None] = mapped_column(String(200))
    plan: Mapped[str | None] = mapped_column(String(200))
    join_date: Mapped[date | None] = mapped_column(Date)
    last_login: Mapped[date] = mapped_column(Date)
    watch_time_hours: Mapped[float] = mapped_column(Float)
    visit_frequency: Mapped[float | None] = mapped_column(Float)
    monthly_revenue: Mapped[float | None] = mapped_column(Float)
    extra: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class IngestStaging(Base):
    """Rows of a file being ingested, before duplicate customer ids are resolved.

    Lives only inside the ingestion transaction: rows are moved to ``customers`` (the
    latest last_login per customer id) or to ``rejected_rows`` and deleted before commit.
    """

    __tablename__ = "ingest_staging"
    __table_args__ = (Index("ix_ingest_staging_dataset_customer", "dataset_id", "customer_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    dataset_id: Mapped[int] = mapped_column(Integer)
    source_line: Mapped[int] = mapped_column(Integer)
    raw_line: Mapped[str] = mapped_column(Text)
    customer_id: Mapped[str] = mapped_column(String(200))
    name: Mapped[str | None] = mapped_column(String(300))
    gender: Mapped[str] = mapped_column(String(10))
    age: Mapped[int | None] = mapped_column(Integer)
    country: Mapped[str | None] = mapped_column(String(200))
    plan: Mapped[str | None] = mapped_column(String(200))
    join_date: Mapped[date | None] = mapped_column(Date)
    last_login: Mapped[date] = mapped_column(Date)
    watch_time_hours: Mapped[float] = mapped_column(Float)
    visit_frequency: Mapped[float | None] = mapped_column(Float)
    monthly_revenue: Mapped[float | None] = mapped_column(Float)
    extra: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class RejectedRow(Base):
    """A row of an ingested file that did not load, with the reason a person can act on."""

    __tablename__ = "rejected_rows"
    __table_args__ = (Index("ix_rejected_rows_dataset_line", "dataset_id", "line_number"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    dataset_id: Mapped[int] = mapped_column(ForeignKey("datasets.id", ondelete="CASCADE"))
    line_number: Mapped[int] = mapped_column(Integer)
    raw_line: Mapped[str] = mapped_column(Text)
    reason: Mapped[str] = mapped_column(String(500))


class AnalysisRun(Base):
    """One analysis of one data set: its parameters, thresholds and headline figures.

    A run's results are written in the same transaction that marks it complete and removes
    the data set's previous runs, so readers always see exactly one complete run.
    """

    __tablename__ = "analysis_runs"
    # Run ids are never reused (SQLite would reuse the largest after a delete): caches of a
    # run's immutable results are keyed by it.
    __table_args__ = (
        Index("ix_analysis_runs_dataset_status", "dataset_id", "status"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dataset_id: Mapped[int] = mapped_column(ForeignKey("datasets.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(20))
    parameters: Mapped[dict[str, Any]] = mapped_column(JSON)
    thresholds: Mapped[dict[str, Any]] = mapped_column(JSON)
    as_of_date: Mapped[date] = mapped_column(Date)
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    customer_count: Mapped[int] = mapped_column(Integer)
    target_count: Mapped[int] = mapped_column(Integer)
    k_used: Mapped[int] = mapped_column(Integer)
    adjusted_rand_index: Mapped[float | None] = mapped_column(Float)
    silhouette: Mapped[float | None] = mapped_column(Float)
    frequency_available: Mapped[bool] = mapped_column(Boolean)
    revenue_available: Mapped[bool] = mapped_column(Boolean)


class CustomerResult(Base):
    """One customer as the dashboard shows and exports it: values plus every computed label.

    Deliberately wide (the customer's values are copied from ``customers``) so that every
    filtered table, page and export is one indexed single-table query.
    """

    __tablename__ = "customer_results"
    __table_args__ = (
        # Few indexes on purpose: every extra one slows the write of a million-row run.
        # Pages are read in row order within a run, a customer by id; counts and charts
        # come from filter_cube, samples from sample_pool; a country or plan the cube
        # grouped away (a column with more than 50 values) is read by run and value.
        Index("ix_customer_results_run_row", "run_id", "id"),
        Index("ix_customer_results_run_customer", "run_id", "customer_id"),
        Index("ix_customer_results_run_country", "run_id", "country"),
        Index("ix_customer_results_run_plan", "run_id", "plan"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("analysis_runs.id", ondelete="CASCADE"))
    customer_id: Mapped[str] = mapped_column(String(200))
    name: Mapped[str | None] = mapped_column(String(300))
    gender: Mapped[str] = mapped_column(String(10))
    age: Mapped[int | None] = mapped_column(Integer)
    country: Mapped[str | None] = mapped_column(String(200))
    plan: Mapped[str | None] = mapped_column(String(200))
    last_login: Mapped[date] = mapped_column(Date)
    days_since_last_login: Mapped[int] = mapped_column(Integer)
    watch_time_hours: Mapped[float] = mapped_column(Float)
    visit_frequency: Mapped[float | None] = mapped_column(Float)
    monthly_revenue: Mapped[float | None] = mapped_column(Float)
    engagement_level: Mapped[str] = mapped_column(String(10))
    segment: Mapped[str] = mapped_column(String(20))
    r_score: Mapped[int] = mapped_column(Integer)
    f_score: Mapped[int] = mapped_column(Integer)
    m_score: Mapped[int] = mapped_column(Integer)
    fm_score: Mapped[int] = mapped_column(Integer)
    rfm_segment: Mapped[str] = mapped_column(String(30))
    cluster: Mapped[int] = mapped_column(Integer)
    cluster_name: Mapped[str] = mapped_column(String(100))
    discount_target: Mapped[bool] = mapped_column(Boolean)
    target_reason: Mapped[str | None] = mapped_column(String(50))
    discount_pct: Mapped[float | None] = mapped_column(Float)
    control_group: Mapped[bool] = mapped_column(Boolean)
    # A seeded random permutation of the run's customers: ``ORDER BY sample_rank LIMIT n``
    # is a uniform sample of any filtered subset (see ``sample_pool``).
    sample_rank: Mapped[int] = mapped_column(Integer)


class SamplePoolRow(Base):
    """The run's first customers in ``sample_rank`` order, with what the dot charts need.

    Box plots and the cluster scatter draw a few thousand customers. Read from
    ``customer_results`` those rows lie scattered over the whole table, so a selective
    filter visited thousands of pages (100 ms on a million customers); this small table,
    written in sample order, keeps that read a short contiguous scan on both backends.
    """

    __tablename__ = "sample_pool"

    run_id: Mapped[int] = mapped_column(
        ForeignKey("analysis_runs.id", ondelete="CASCADE"), primary_key=True
    )
    sample_rank: Mapped[int] = mapped_column(Integer, primary_key=True)
    customer_id: Mapped[str] = mapped_column(String(200))
    gender: Mapped[str] = mapped_column(String(10))
    country: Mapped[str | None] = mapped_column(String(200))
    plan: Mapped[str | None] = mapped_column(String(200))
    segment: Mapped[str] = mapped_column(String(20))
    rfm_segment: Mapped[str] = mapped_column(String(30))
    discount_target: Mapped[bool] = mapped_column(Boolean)
    cluster: Mapped[int] = mapped_column(Integer)
    watch_time_hours: Mapped[float] = mapped_column(Float)
    days_since_last_login: Mapped[int] = mapped_column(Integer)


class SegmentSummary(Base):
    """Per-segment figures of a run, for rule segments (kind "rule") and RFM segments ("rfm")."""

    __tablename__ = "segment_summaries"

    run_id: Mapped[int] = mapped_column(
        ForeignKey("analysis_runs.id", ondelete="CASCADE"), primary_key=True
    )
    kind: Mapped[str] = mapped_column(String(10), primary_key=True)
    segment: Mapped[str] = mapped_column(String(30), primary_key=True)
    position: Mapped[int] = mapped_column(Integer)
    customers: Mapped[int] = mapped_column(Integer)
    share: Mapped[float] = mapped_column(Float)
    avg_days_since_last_login: Mapped[float | None] = mapped_column(Float)
    avg_visit_frequency: Mapped[float | None] = mapped_column(Float)
    avg_watch_time_hours: Mapped[float | None] = mapped_column(Float)
    avg_monthly_revenue: Mapped[float | None] = mapped_column(Float)


class ClusterCentroid(Base):
    """A K-Means cluster of a run: its centre in original units, size and descriptive name."""

    __tablename__ = "cluster_centroids"

    run_id: Mapped[int] = mapped_column(
        ForeignKey("analysis_runs.id", ondelete="CASCADE"), primary_key=True
    )
    cluster: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    watch_time_hours: Mapped[float] = mapped_column(Float)
    days_since_last_login: Mapped[float] = mapped_column(Float)
    customers: Mapped[int] = mapped_column(Integer)


class ClusterSweep(Base):
    """Inertia and silhouette for k = 2..8, to judge whether the chosen k is natural."""

    __tablename__ = "cluster_sweep"

    run_id: Mapped[int] = mapped_column(
        ForeignKey("analysis_runs.id", ondelete="CASCADE"), primary_key=True
    )
    k: Mapped[int] = mapped_column(Integer, primary_key=True)
    inertia: Mapped[float] = mapped_column(Float)
    silhouette: Mapped[float | None] = mapped_column(Float)


class ClusterAgreement(Base):
    """The contingency table of clusters against rule segments."""

    __tablename__ = "cluster_agreement"

    run_id: Mapped[int] = mapped_column(
        ForeignKey("analysis_runs.id", ondelete="CASCADE"), primary_key=True
    )
    cluster: Mapped[int] = mapped_column(Integer, primary_key=True)
    segment: Mapped[str] = mapped_column(String(20), primary_key=True)
    customers: Mapped[int] = mapped_column(Integer)


class CubeMeasures:
    """The counts and sums both cubes keep per combination (averages are sums / counts)."""

    customers: Mapped[int] = mapped_column(Integer)
    watch_time_hours_sum: Mapped[float] = mapped_column(Float)
    days_since_last_login_sum: Mapped[float] = mapped_column(Float)
    visit_frequency_sum: Mapped[float] = mapped_column(Float)
    visit_frequency_count: Mapped[int] = mapped_column(Integer)
    monthly_revenue_sum: Mapped[float] = mapped_column(Float)
    monthly_revenue_count: Mapped[int] = mapped_column(Integer)


class FilterCube(CubeMeasures, Base):
    """Customer counts and sums per combination of the dashboard's filter dimensions.

    Written by the analysis so that KPI cards and charts aggregate a few thousand cube rows
    instead of every customer: their cost does not grow with the data set.
    """

    __tablename__ = "filter_cube"
    __table_args__ = (Index("ix_filter_cube_run", "run_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("analysis_runs.id", ondelete="CASCADE"))
    gender: Mapped[str] = mapped_column(String(10))
    country: Mapped[str | None] = mapped_column(String(200))
    plan: Mapped[str | None] = mapped_column(String(200))
    segment: Mapped[str] = mapped_column(String(20))
    engagement_level: Mapped[str] = mapped_column(String(10))
    rfm_segment: Mapped[str] = mapped_column(String(30))
    r_score: Mapped[int] = mapped_column(Integer)
    fm_score: Mapped[int] = mapped_column(Integer)
    cluster: Mapped[int] = mapped_column(Integer)
    discount_target: Mapped[bool] = mapped_column(Boolean)
    control_group: Mapped[bool] = mapped_column(Boolean)
    discount_pct: Mapped[float | None] = mapped_column(Float)


class ViewCube(CubeMeasures, Base):
    """The filter cube summed over the filter bar's dimensions and the target/control flags.

    A fifth of the filter cube's rows: the views' most frequent queries (counts and averages
    by segment under the filters) read it instead (``db.columns.VIEW_CUBE_DIMENSIONS``).
    """

    __tablename__ = "view_cube"
    __table_args__ = (Index("ix_view_cube_run", "run_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("analysis_runs.id", ondelete="CASCADE"))
    gender: Mapped[str] = mapped_column(String(10))
    country: Mapped[str | None] = mapped_column(String(200))
    plan: Mapped[str | None] = mapped_column(String(200))
    segment: Mapped[str] = mapped_column(String(20))
    rfm_segment: Mapped[str] = mapped_column(String(30))
    discount_target: Mapped[bool] = mapped_column(Boolean)
    control_group: Mapped[bool] = mapped_column(Boolean)


class MessagingStrategy(Base):
    """What marketing says to a segment: headline, message, channel and offer (editable)."""

    __tablename__ = "messaging_strategies"

    segment_kind: Mapped[str] = mapped_column(String(10), primary_key=True)
    segment: Mapped[str] = mapped_column(String(30), primary_key=True)
    headline: Mapped[str] = mapped_column(String(200))
    message: Mapped[str] = mapped_column(Text)
    channel: Mapped[str] = mapped_column(String(50))
    offer: Mapped[str] = mapped_column(String(200))
    updated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    updated_by: Mapped[str | None] = mapped_column(String(100))


class Campaign(Base):
    """A discount campaign: a data set's target list frozen at the moment it was sent.

    Everything a measurement needs is copied here and into ``campaign_members``, so that
    re-analysing the baseline data set (which replaces its ``customer_results``) or deleting
    it (``dataset_id`` becomes NULL) never changes a campaign.
    """

    __tablename__ = "campaigns"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    dataset_id: Mapped[int | None] = mapped_column(
        ForeignKey("datasets.id", ondelete="SET NULL"), index=True
    )
    # Copies of the baseline's identity, kept when the data set itself is deleted.
    dataset_name: Mapped[str] = mapped_column(String(200))
    source_run_id: Mapped[int] = mapped_column(Integer)
    baseline_as_of: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    created_by: Mapped[str | None] = mapped_column(String(100))
    campaign_seed: Mapped[str] = mapped_column(String(200))
    control_share: Mapped[float] = mapped_column(Float)
    discount_table: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    member_count: Mapped[int] = mapped_column(Integer)
    control_count: Mapped[int] = mapped_column(Integer)


class CampaignMember(Base):
    """One targeted customer of a campaign with their baseline values, frozen at creation.

    Filters on the results page apply to these baseline values (who the customer was when
    the campaign was sent), never to follow-up values the discount may itself have changed.
    """

    __tablename__ = "campaign_members"
    __table_args__ = (
        UniqueConstraint(
            "campaign_id", "customer_id", name="uq_campaign_members_campaign_customer"
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    customer_id: Mapped[str] = mapped_column(String(200))
    gender: Mapped[str] = mapped_column(String(10))
    country: Mapped[str | None] = mapped_column(String(200))
    plan: Mapped[str | None] = mapped_column(String(200))
    segment: Mapped[str] = mapped_column(String(20))
    rfm_segment: Mapped[str] = mapped_column(String(30))
    engagement_level: Mapped[str] = mapped_column(String(10))
    last_login: Mapped[date] = mapped_column(Date)
    days_since_last_login: Mapped[int] = mapped_column(Integer)
    watch_time_hours: Mapped[float] = mapped_column(Float)
    visit_frequency: Mapped[float | None] = mapped_column(Float)
    monthly_revenue: Mapped[float | None] = mapped_column(Float)
    target_reason: Mapped[str] = mapped_column(String(50))
    discount_pct: Mapped[float] = mapped_column(Float)
    control_group: Mapped[bool] = mapped_column(Boolean)


class User(Base):
    """A person who may sign in, with a salted password hash and a role."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(100), unique=True)
    password_hash: Mapped[str] = mapped_column(String(300))
    role: Mapped[str] = mapped_column(String(20))
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    failed_attempts: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_sign_in_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Every session cookie carries the version it was signed in with; sign-out, a password
    # change or reset, a role change or disabling the account bump it, ending them all.
    session_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class AuditEvent(Base):
    """Who did what and when: sign-ins (and failures), uploads, analyses, edits, exports, deletes."""

    __tablename__ = "audit_events"
    __table_args__ = (Index("ix_audit_events_at", "at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    username: Mapped[str | None] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(40))
    outcome: Mapped[str] = mapped_column(String(20))
    detail: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    remote_addr: Mapped[str | None] = mapped_column(String(64))


class Series(Base):
    """One customer base exported again and again: its data sets are its snapshots."""

    __tablename__ = "series"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class SeriesMember(Base):
    """A data set's place in its series; the as-of is copied here so that two snapshots of
    one series cannot share a date (the unique constraint says so)."""

    __tablename__ = "series_members"
    __table_args__ = (UniqueConstraint("series_id", "as_of_date"),)

    dataset_id: Mapped[int] = mapped_column(
        ForeignKey("datasets.id", ondelete="CASCADE"), primary_key=True
    )
    series_id: Mapped[int] = mapped_column(ForeignKey("series.id", ondelete="CASCADE"))
    as_of_date: Mapped[date] = mapped_column(Date)


class CohortCount(Base):
    """One snapshot's customers of one join month (``YYYY-MM``, the snapshot's own join
    date): how many are present, active (a login within 30 days of the as-of) and arrived
    (in no earlier snapshot of the series). A cohort's size is its arrivals summed over the
    series, so the retention page reads a few hundred rows, never the customers."""

    __tablename__ = "cohort_counts"

    dataset_id: Mapped[int] = mapped_column(
        ForeignKey("datasets.id", ondelete="CASCADE"), primary_key=True
    )
    join_month: Mapped[str] = mapped_column(String(7), primary_key=True)
    present: Mapped[int] = mapped_column(Integer)
    active: Mapped[int] = mapped_column(Integer)
    arrived: Mapped[int] = mapped_column(Integer)


class ChurnLabel(Base):
    """What became of a snapshot's customer by the series' next snapshot.

    Retained: present in the next snapshot and not cancelled there (its status column, read
    as campaign measurement reads renewal); churned otherwise. Depends on the two data sets
    only, not on any analysis. No foreign keys (migration 0013: their per-row checks were
    the slowest part of writing a million labels); deleting a data set deletes its labels.
    """

    __tablename__ = "churn_labels"

    dataset_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    customer_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    next_dataset_id: Mapped[int] = mapped_column(Integer)
    churned: Mapped[bool] = mapped_column(Boolean)


class SegmentTransition(Base):
    """Customers per (previous segments, current segments, filter values) between two runs.

    ``previous_*`` is ``new`` for a customer only in the current snapshot, ``current_*`` is
    ``gone`` for one only in the previous. Gender, country and plan are the current values
    (the previous ones for the gone), so the filter bar applies as on every other page;
    ``churned`` is the previous customer's churn label (false for the new).
    """

    __tablename__ = "segment_transitions"
    __table_args__ = (Index("ix_segment_transitions_runs", "current_run_id", "previous_run_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    previous_run_id: Mapped[int] = mapped_column(ForeignKey("analysis_runs.id", ondelete="CASCADE"))
    current_run_id: Mapped[int] = mapped_column(ForeignKey("analysis_runs.id", ondelete="CASCADE"))
    previous_segment: Mapped[str] = mapped_column(String(20))
    current_segment: Mapped[str] = mapped_column(String(20))
    previous_rfm_segment: Mapped[str] = mapped_column(String(30))
    current_rfm_segment: Mapped[str] = mapped_column(String(30))
    gender: Mapped[str] = mapped_column(String(10))
    country: Mapped[str | None] = mapped_column(String(200))
    plan: Mapped[str | None] = mapped_column(String(200))
    churned: Mapped[bool] = mapped_column(Boolean)
    customers: Mapped[int] = mapped_column(Integer)
