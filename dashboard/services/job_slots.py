"""A per-machine limit on heavy jobs: at most ``slots`` run at once, the others wait in turn.

An upload or analysis of a million customers takes about 1.3 GB and a core for half a
minute; five started at once used 2.6 GB and starved the pages. So every background job
first takes one of ``slots`` lock files (``filelock``: an OS lock that ends with its
process, so a killed job frees its slot). Jobs that find no free slot wait in the order
they arrived, each told how many jobs are ahead of it.

The ticket of a waiting job is a file named by its arrival time and process id; a ticket
whose process is gone no longer counts.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import psutil
from filelock import FileLock, Timeout

WAIT_SECONDS = 0.5


def job_slots_folder(cache_dir: Path) -> Path:
    """Where the slots and tickets of one machine's jobs live (under the app's cache)."""
    return cache_dir / "job_slots"


def download_slots_folder(cache_dir: Path) -> Path:
    """The slots of streamed downloads (separate from the jobs': a download never waits for
    an analysis)."""
    return cache_dir / "download_slots"


@contextmanager
def job_slot(
    folder: Path, slots: int, on_wait: Callable[[int], None] | None = None
) -> Iterator[None]:
    """Hold one of ``slots`` slots for the body.

    While it waits, ``on_wait`` hears how many waiting jobs are ahead (0: this one is next)
    each time that number changes.
    """
    folder.mkdir(parents=True, exist_ok=True)
    ticket = folder / f"waiting-{time.time_ns():020d}-{os.getpid()}"
    ticket.touch()
    held: FileLock | None = None
    try:
        last_ahead = -1
        while held is None:
            ahead = jobs_ahead(folder, ticket.name)
            if ahead == 0:
                held = _free_slot(folder, slots)
            if held is None:
                if on_wait is not None and ahead != last_ahead:
                    on_wait(ahead)
                last_ahead = ahead
                time.sleep(WAIT_SECONDS)
    finally:
        ticket.unlink(missing_ok=True)
    try:
        yield
    finally:
        held.release()


@contextmanager
def queued_job(cache_dir: Path, slots: int, report: Callable[[str], None]) -> Iterator[None]:
    """:func:`job_slot` for a job with a user: its place in the queue, cleared when it runs."""
    folder = job_slots_folder(cache_dir)
    with job_slot(folder, slots, lambda ahead: report(waiting_text(ahead, slots))):
        report("")
        yield


PIECE_POLL_SECONDS = 0.02


@contextmanager
def piece_slot(folder: Path, slots: int) -> Iterator[None]:
    """One of ``slots`` for a short piece of work (a download's next 10,000 rows).

    Downloads take turns piece by piece rather than file by file: every download keeps
    moving and starts at once, while at most ``slots`` pieces are being made at any moment.
    """
    folder.mkdir(parents=True, exist_ok=True)
    held = _free_slot(folder, slots)
    while held is None:
        time.sleep(PIECE_POLL_SECONDS)
        held = _free_slot(folder, slots)
    try:
        yield
    finally:
        held.release()


def jobs_ahead(folder: Path, ticket_name: str) -> int:
    """Live tickets older than ``ticket_name``; tickets of dead processes are removed."""
    ahead = 0
    for other in sorted(folder.glob("waiting-*")):
        if other.name >= ticket_name:
            break
        if psutil.pid_exists(_pid_of(other.name)):
            ahead += 1
        else:
            other.unlink(missing_ok=True)
    return ahead


def _pid_of(ticket_name: str) -> int:
    try:
        return int(ticket_name.rsplit("-", 1)[1])
    except (IndexError, ValueError):
        return 0


def _free_slot(folder: Path, slots: int) -> FileLock | None:
    for number in range(max(slots, 1)):
        lock = FileLock(folder / f"slot-{number}.lock", thread_local=False)
        try:
            lock.acquire(timeout=0)
        except Timeout:
            continue
        return lock
    return None


def waiting_text(ahead: int, slots: int) -> str:
    """What a waiting job tells its user."""
    at_once = f"{slots} jobs run" if slots != 1 else "1 job runs"
    at_once += " at a time on this server"
    if ahead == 0:
        return f"Waiting for a free job slot ({at_once}): yours is next."
    jobs = f"{ahead} job{'s' if ahead != 1 else ''}"
    return f"Waiting for a free job slot ({at_once}): {jobs} ahead of yours."
