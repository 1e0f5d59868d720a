"""Ingest jobs of the server: one worker runs them in order and records their progress.

A job's snapshot (`Job.json`) is what GET /api/jobs/{id} returns and what the SSE stream sends:
its stage (queued, read, chunk, embed, save, done, failed), done/total of that stage, and a
line per file (ok, or the reason it was skipped).
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rag.errors import NotFoundError, RagError
from rag.kb.build import IngestReport

logger = logging.getLogger(__name__)

_KEPT_JOBS = 200  # finished jobs remembered for GET /api/jobs/{id}


@dataclass
class Job:
    """One upload or re-index and how far it got."""

    id: str
    kb: str
    files: list[dict[str, str]]
    stage: str = "queued"
    done: int = 0
    total: int = 0
    error: str | None = None
    report: dict[str, Any] | None = None
    created: float = field(default_factory=time.time)
    version: int = 0

    @property
    def finished(self) -> bool:
        return self.stage in {"done", "failed"}

    def json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kb": self.kb,
            "stage": self.stage,
            "done": self.done,
            "total": self.total,
            "finished": self.finished,
            "error": self.error,
            "files": self.files,
            "report": self.report,
        }


class Jobs:
    """A single worker thread: ingests of one server never compete for the two cores."""

    def __init__(self) -> None:
        self._jobs: OrderedDict[str, Job] = OrderedDict()
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ingest")
        self._changed = threading.Condition()

    def submit(
        self,
        kb: str,
        files: list[dict[str, str]],
        work: Callable[[Callable[[str, int, int], None]], IngestReport],
    ) -> Job:
        """Queue `work(progress)`; files already refused (too large, wrong type) are listed
        with their reason and the rest are worked on."""
        job = Job(uuid.uuid4().hex[:16], kb, files)
        with self._changed:
            self._jobs[job.id] = job
            while len(self._jobs) > _KEPT_JOBS:
                oldest = next(iter(self._jobs))
                if not self._jobs[oldest].finished:
                    break
                self._jobs.pop(oldest)
        self._pool.submit(self._run, job, work)
        return job

    def _update(self, job: Job, **changes: Any) -> None:
        with self._changed:
            for key, value in changes.items():
                setattr(job, key, value)
            job.version += 1
            self._changed.notify_all()

    def _run(
        self, job: Job, work: Callable[[Callable[[str, int, int], None]], IngestReport]
    ) -> None:
        def progress(stage: str, done: int, total: int) -> None:
            self._update(job, stage=stage, done=done, total=total)

        try:
            report = work(progress)
        except RagError as exc:
            self._update(job, stage="failed", error=str(exc))
            return
        except Exception as exc:  # a job must end with a state, whatever went wrong
            logger.exception("ingest job %s failed", job.id)
            self._update(job, stage="failed", error=f"{type(exc).__name__}: {exc}")
            return
        failed = {Path(path).name: why for path, why in report.failures}
        files = [
            {**f, "status": "error", "message": failed[f["name"]]}
            if f["name"] in failed and f["status"] == "ok"
            else f
            for f in job.files
        ]
        self._update(
            job,
            stage="done",
            files=files,
            report={
                "documents": report.documents,
                "chunks": report.chunks,
                "embedded": report.embedded,
                "generation": report.generation,
                "seconds": round(report.seconds, 2),
            },
        )

    def get(self, job_id: str) -> Job:
        """A job by id; NotFoundError when unknown."""
        job = self._jobs.get(job_id)
        if job is None:
            raise NotFoundError(f"unknown job {job_id[:40]!r}")
        return job

    def wait(self, job: Job, version: int, timeout: float) -> int:
        """Block until the job changes past `version` (or `timeout`); its new version."""
        with self._changed:
            self._changed.wait_for(lambda: job.version > version or job.finished, timeout)
            return job.version

    def shutdown(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
