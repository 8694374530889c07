"""Background jobs (uploads, analyses): Dash's disk-cache manager, truthful about every job.

Two things Dash's ``DiskcacheManager`` does not do on its own:

- It keys a job's result by the callback's arguments, so an abandoned job's result was
  handed to the next job with the same arguments (a stale "run 8" for a run long gone). A
  fresh value per job makes every key unique; results expire after ``JOB_RESULT_SECONDS``.
- A job whose process died (killed, out of memory) leaves no result, and the page's polling
  ended in silence. :class:`JobManager` answers such a job with :data:`STOPPED`, which every
  job's result store understands (``ok``, ``message``).

Every worker process on one host shares the cache directory.
"""

from __future__ import annotations

import uuid
from typing import Any

import dash

from dashboard.config import Settings

JOB_RESULT_SECONDS = 3600
STOPPED_MESSAGE = "The job stopped before finishing (its process ended); nothing was changed."
STOPPED: dict[str, Any] = {"ok": False, "stopped": True, "message": STOPPED_MESSAGE}


def fresh_job_key() -> str:
    """A value no other job shares (part of the background job's cache key)."""
    return uuid.uuid4().hex


class JobManager(dash.DiskcacheManager):
    """A disk-cache job manager that reports a dead job instead of polling it in silence."""

    def get_result(self, key: str, job: Any) -> Any:
        result = super().get_result(key, job)
        if result is not self.UNDEFINED or not job or self.job_running(job):
            return result
        # The process is gone: it may have written its result just before it ended.
        result = super().get_result(key, job)
        return dict(STOPPED) if result is self.UNDEFINED else result


def background_manager(settings: Settings) -> JobManager:
    """The app's job manager, its state under the settings' cache folder."""
    import diskcache

    settings.cache_dir.mkdir(parents=True, exist_ok=True)
    return JobManager(
        diskcache.Cache(str(settings.cache_dir)),
        cache_by=[fresh_job_key],
        expire=JOB_RESULT_SECONDS,
    )
