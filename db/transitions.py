"""Between two snapshots of a series: churn labels and segment transitions, in SQL.

Both are written by ``INSERT ... SELECT`` over the two data sets (labels) or the two runs
(transitions), so a million customers per snapshot never pass through Python. The pages
and the command line read the small transitions table; the labels feed the churn rates
per segment and, later, the churn model.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import pandas as pd
from sqlalchemy import (
    ColumnElement,
    Connection,
    Engine,
    and_,
    case,
    delete,
    false,
    func,
    insert,
    literal,
    or_,
    select,
    text,
    true,
    union_all,
)
from sqlalchemy.orm import aliased
from sqlalchemy.sql import Select

from db.columns import CUSTOMER_COLUMNS
from db.filters import NULL_TOKEN, Filters
from db.models import ChurnLabel, Customer, CustomerResult, SegmentTransition
from db.queries import RESULTS, _conditions, stream_frames
from db.results import RUN_WORK_MEM

NEW = "new"  # previous side of a customer only in the current snapshot
GONE = "gone"  # current side of a customer only in the previous snapshot
KINDS = {"rule": "segment", "rfm": "rfm_segment"}
MAX_STATUS_VALUES = 10_000
TRANSITION_COLUMNS = (
    "previous_segment",
    "current_segment",
    "previous_rfm_segment",
    "current_rfm_segment",
    "gender",
    "country",
    "plan",
    "churned",
)


def status_values(engine: Engine, dataset_id: int, column: str) -> list[str]:
    """The distinct texts of an extra column (a status) in a data set, at most a bounded
    number of them: a status column has a handful."""
    value = Customer.extra[column].as_string()
    with engine.connect() as connection:
        return [
            text
            for text in connection.execute(
                select(value)
                .where(Customer.dataset_id == dataset_id, value.is_not(None))
                .distinct()
                .limit(MAX_STATUS_VALUES)
            ).scalars()
        ]


def write_churn_labels(
    engine: Engine,
    dataset_id: int,
    next_dataset_id: int,
    status_column: str | None = None,
    cancelled: Sequence[str] = (),
) -> int:
    """Label every customer of ``dataset_id`` churned or retained by ``next_dataset_id``.

    Churned: absent from the next snapshot, or present with a status text in ``cancelled``
    (the texts of ``status_column`` that mean the customer left). Replaces the data set's
    earlier labels; returns how many customers churned.
    """
    before, after = aliased(Customer), aliased(Customer)
    churned: ColumnElement = after.id.is_(None)
    if status_column is not None and cancelled:
        churned = or_(churned, after.extra[status_column].as_string().in_(list(cancelled)))
    labels = (
        select(
            before.dataset_id,
            before.customer_id,
            literal(next_dataset_id),
            case((churned, true()), else_=false()),
        )
        .select_from(before)
        .outerjoin(
            after,
            and_(after.dataset_id == next_dataset_id, after.customer_id == before.customer_id),
        )
        .where(before.dataset_id == dataset_id)
        .order_by(before.customer_id)  # key order: the primary key grows at its right edge
    )
    with engine.begin() as connection:
        _tune_for_bulk(connection)
        connection.execute(delete(ChurnLabel).where(ChurnLabel.dataset_id == dataset_id))
        connection.execute(
            insert(ChurnLabel).from_select(
                ["dataset_id", "customer_id", "next_dataset_id", "churned"], labels
            )
        )
        churned_count = connection.execute(
            select(func.count()).where(
                ChurnLabel.dataset_id == dataset_id, ChurnLabel.churned.is_(True)
            )
        ).scalar_one()
    _refresh_statistics(engine, ChurnLabel.__tablename__)
    return churned_count


def _tune_for_bulk(connection: Connection, hash_groups: bool = False) -> None:
    """PostgreSQL, this transaction only: room for the million-row joins and groups in
    memory (the default 4 MB spilled the transitions' sort to disk), and no JIT (it spent
    0.9 s compiling a statement that runs in 2.6 s). ``hash_groups``: group by hashing,
    never by sorting; the planner multiplies the columns' distinct counts into 1.9 million
    groups where there are 26,000, and sorted a million rows of text (5.0 s against 2.5 s
    at a million customers)."""
    if connection.dialect.name == "postgresql":
        connection.execute(text(f"SET LOCAL work_mem = '{RUN_WORK_MEM}'"))
        connection.execute(text("SET LOCAL jit = off"))
        if hash_groups:
            connection.execute(text("SET LOCAL enable_sort = off"))


def _refresh_statistics(engine: Engine, table: str) -> None:
    """PostgreSQL: re-sample a table just rewritten by a million rows, so the next join
    on it is planned for its real size (stale statistics planned 19 rows for a million)."""
    if engine.dialect.name == "postgresql":
        with engine.begin() as connection:
            connection.execute(text(f"ANALYZE {table}"))


def write_transitions(
    engine: Engine,
    previous_run_id: int,
    current_run_id: int,
    previous_dataset_id: int,
    current_dataset_id: int,
) -> int:
    """Count customers per transition between two runs into ``segment_transitions``.

    A full outer join on customer id: present in both, only current (``new``) or only
    previous (``gone``). Replaces the pair's earlier rows; returns how many were written.
    """
    selects = _transition_selects(
        previous_run_id, current_run_id, previous_dataset_id, current_dataset_id
    )
    with engine.begin() as connection:
        _tune_for_bulk(connection, hash_groups=True)
        connection.execute(
            delete(SegmentTransition).where(
                SegmentTransition.previous_run_id == previous_run_id,
                SegmentTransition.current_run_id == current_run_id,
            )
        )
        for pairs in selects:
            connection.execute(
                insert(SegmentTransition).from_select(
                    ["previous_run_id", "current_run_id", *TRANSITION_COLUMNS, "customers"],
                    pairs,
                )
            )
        return connection.execute(
            select(func.count()).where(
                SegmentTransition.previous_run_id == previous_run_id,
                SegmentTransition.current_run_id == current_run_id,
            )
        ).scalar_one()


def _transition_selects(
    previous_run_id: int,
    current_run_id: int,
    previous_dataset_id: int,
    current_dataset_id: int,
    customer_id: str | None = None,
) -> list[Select]:
    """Two SELECTs of previous/current run ids, TRANSITION_COLUMNS and customers (see
    :func:`write_transitions`): the previous snapshot's customers with their current row
    if any (the present and the gone), then the current customers not in the previous
    snapshot (the new). Both walk one run's rows and look the other up by (run, customer
    id), so the work grows with the customers, never with their square. Churn labels count
    only when they were made against this current snapshot; for a pair that is not
    consecutive, churned means gone."""
    before, now = aliased(CustomerResult, name="before"), aliased(CustomerResult, name="now")
    label = aliased(ChurnLabel, name="label")
    gone = now.id.is_(None)

    def side(column: str) -> ColumnElement:
        return case((gone, getattr(before, column)), else_=getattr(now, column))

    previous_side = [
        before.segment,
        func.coalesce(now.segment, GONE),
        before.rfm_segment,
        func.coalesce(now.rfm_segment, GONE),
        side("gender"),
        side("country"),
        side("plan"),
        case(
            (label.churned.is_not(None), label.churned),
            (gone, true()),
            else_=false(),
        ),
    ]
    present_and_gone = (
        select(*_labelled(previous_run_id, current_run_id, previous_side))
        .select_from(before)
        .outerjoin(now, and_(now.run_id == current_run_id, now.customer_id == before.customer_id))
        .outerjoin(
            label,
            and_(
                label.dataset_id == previous_dataset_id,
                label.customer_id == before.customer_id,
                label.next_dataset_id == current_dataset_id,
            ),
        )
        .where(before.run_id == previous_run_id, *_one(before, customer_id))
        .group_by(*previous_side)
    )
    earlier = aliased(CustomerResult, name="earlier")
    seen_before = select(earlier.id).where(
        earlier.run_id == previous_run_id, earlier.customer_id == now.customer_id
    )
    new_side = [
        literal(NEW),
        now.segment,
        literal(NEW),
        now.rfm_segment,
        now.gender,
        now.country,
        now.plan,
        false(),
    ]
    new = (
        select(*_labelled(previous_run_id, current_run_id, new_side))
        .where(now.run_id == current_run_id, ~seen_before.exists(), *_one(now, customer_id))
        .group_by(now.segment, now.rfm_segment, now.gender, now.country, now.plan)
    )
    return [present_and_gone, new]


def _labelled(
    previous_run_id: int, current_run_id: int, grouped: list[ColumnElement]
) -> list[ColumnElement]:
    return [
        literal(previous_run_id).label("previous_run_id"),
        literal(current_run_id).label("current_run_id"),
        *(column.label(name) for column, name in zip(grouped, TRANSITION_COLUMNS, strict=True)),
        func.count().label("customers"),
    ]


def _one(rows: Any, customer_id: str | None) -> list[ColumnElement]:
    return [] if customer_id is None else [rows.customer_id == customer_id]


def has_labels(engine: Engine, dataset_id: int, next_dataset_id: int) -> bool:
    """Whether the data set's customers are labelled against that next snapshot (labels
    depend on the two data sets only, which never change once loaded)."""
    return _any_row(
        engine,
        select(ChurnLabel.dataset_id).where(
            ChurnLabel.dataset_id == dataset_id, ChurnLabel.next_dataset_id == next_dataset_id
        ),
    )


def has_transitions(engine: Engine, previous_run_id: int, current_run_id: int) -> bool:
    return _any_row(
        engine,
        select(SegmentTransition.id).where(
            SegmentTransition.previous_run_id == previous_run_id,
            SegmentTransition.current_run_id == current_run_id,
        ),
    )


def _any_row(engine: Engine, query: Select) -> bool:
    with engine.connect() as connection:
        return connection.execute(query.limit(1)).first() is not None


def _filter_condition(filters: Filters, table: Any) -> ColumnElement:
    """The filter bar on transition rows (the table, or the same columns computed for one
    customer): current values, previous ones for the gone."""
    conditions: list[ColumnElement] = []
    for name in ("gender", "country", "plan"):
        chosen = getattr(filters, name)
        if chosen:
            column = getattr(table, name)
            values = [v for v in chosen if v != NULL_TOKEN]
            either = [column.in_(values)] if values else []
            if NULL_TOKEN in chosen:
                either.append(column.is_(None))
            conditions.append(or_(*either))
    for name, column_name in (("segment", "segment"), ("rfm_segment", "rfm_segment")):
        chosen = list(getattr(filters, name))
        if chosen:
            current = getattr(table, f"current_{column_name}")
            previous = getattr(table, f"previous_{column_name}")
            conditions.append(or_(current.in_(chosen), and_(current == GONE, previous.in_(chosen))))
    return and_(true(), *conditions)


def transition_matrix(
    engine: Engine,
    previous_run_id: int,
    current_run_id: int,
    kind: str = "rule",
    filters: Filters | None = None,
    dataset_ids: tuple[int, int] = (0, 0),
) -> pd.DataFrame:
    """Customers per (from, to) segment of ``kind`` (``rule`` or ``rfm``) under the filters:
    columns ``from``, ``to``, ``customers``, ``churned``; only non-empty cells.
    ``dataset_ids`` (previous, current) find the churn labels of a customer-ID filter."""
    column = KINDS[kind]
    filters = filters or Filters()
    if filters.customer_id:
        # One customer: the transition rows computed for that id alone (the table has no ids).
        found = union_all(
            *_transition_selects(
                previous_run_id, current_run_id, *dataset_ids, customer_id=filters.customer_id
            )
        ).subquery("one")
        table, scope = found.c, []
    else:
        table = SegmentTransition
        scope = [
            table.previous_run_id == previous_run_id,
            table.current_run_id == current_run_id,
        ]
    source = getattr(table, f"previous_{column}")
    target = getattr(table, f"current_{column}")
    query = (
        select(
            source,
            target,
            func.sum(table.customers),
            func.sum(case((table.churned.is_(True), table.customers), else_=0)),
        )
        .where(*scope, _filter_condition(filters, table))
        .group_by(source, target)
        .order_by(source, target)
    )
    with engine.connect() as connection:
        rows = connection.execute(query).all()
    return pd.DataFrame(
        [(a, b, int(n), int(c)) for a, b, n, c in rows],
        columns=["from", "to", "customers", "churned"],
    )


def iter_cell_customers(
    engine: Engine,
    previous_run_id: int,
    current_run_id: int,
    kind: str,
    source: str,
    target: str,
    filters: Filters,
    chunk_rows: int = 10_000,
) -> Iterator[pd.DataFrame]:
    """The customers of one migration cell with all CUSTOMER_COLUMNS, in chunks: their
    current rows (the previous ones for ``gone``), under the filters as the cell counts."""
    column = KINDS[kind]
    side_run, other_run = (
        (previous_run_id, current_run_id) if target == GONE else (current_run_id, previous_run_id)
    )
    other = aliased(CustomerResult)
    match = select(other.id).where(
        other.run_id == other_run, other.customer_id == RESULTS.c.customer_id
    )
    if target == GONE:
        conditions = [RESULTS.c[column] == source, ~match.exists()]
    elif source == NEW:
        conditions = [RESULTS.c[column] == target, ~match.exists()]
    else:
        conditions = [
            RESULTS.c[column] == target,
            match.where(getattr(other, column) == source).exists(),
        ]
    query = (
        select(*[RESULTS.c[name] for name in CUSTOMER_COLUMNS])
        .where(*_conditions(RESULTS, side_run, filters), *conditions)
        .order_by(RESULTS.c.id)
    )
    return stream_frames(engine, query, CUSTOMER_COLUMNS, chunk_rows)
