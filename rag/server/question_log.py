"""The question log's writer: every answered question stored without ever failing or slowing
its answer."""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Sequence
from datetime import UTC, datetime

from rag.server.feedback import FeedbackStore, LoggedQuestion

logger = logging.getLogger(__name__)

GATHER_SECONDS = 0.2


class QuestionLog:
    """Every answered question into the feedback database, without ever failing or slowing an
    answer: `record` only puts the entry on a bounded queue (microseconds); a writer thread
    stores what has gathered in one transaction. Measured on this machine, a direct INSERT
    (connect, WAL, commit) takes 3.8 ms at p50 and 15 ms at p95 against a 26-30 ms answer, and a
    locked database would hold the answer for feedback_busy_seconds: hence the queue.

    A failed write (locked, read-only, full disk) is logged and its entries dropped; a full
    queue drops the new entry with a warning. The thread exits after `idle_seconds` without
    work and starts again on the next entry; it is not a daemon, so entries queued at shutdown
    are still written."""

    def __init__(
        self,
        store: FeedbackStore,
        enabled: bool = True,
        default_kb: str = "",
        capacity: int = 1000,
        idle_seconds: float = 0.5,
    ) -> None:
        self.store = store
        self.enabled = enabled
        self.default_kb = default_kb
        self.idle_seconds = idle_seconds
        self.dropped = 0
        self._queue: queue.Queue[LoggedQuestion] = queue.Queue(capacity)
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def record(
        self,
        question: str,
        refused: bool,
        qtype: str,
        kbs: Sequence[str] | None,
        total_ms: float | None,
        endpoint: str,
    ) -> None:
        """Queue one answered question; never raises."""
        if not self.enabled:
            return
        try:
            names = tuple(dict.fromkeys(kbs or [self.default_kb]))
            entry = LoggedQuestion(
                question,
                bool(refused),
                qtype,
                names,
                total_ms,
                endpoint,
                datetime.now(UTC).isoformat(timespec="seconds"),
            )
            self._queue.put_nowait(entry)
            self._ensure_writer()
        except queue.Full:
            self.dropped += 1
            logger.warning("question log queue is full: %r not logged", question[:80])
        except Exception:  # logging a question must never fail its answer
            self.dropped += 1
            logger.exception("question not logged: %r", question[:80])

    def _ensure_writer(self) -> None:
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(
                    target=self._write, name="question-log", daemon=False
                )
                self._thread.start()

    def _write(self) -> None:
        while True:
            try:
                first = self._queue.get(timeout=self.idle_seconds)
            except queue.Empty:
                with self._lock:
                    if self._queue.empty():
                        self._thread = None
                        return
                continue
            # gather what arrives within GATHER_SECONDS: one connection and one fsync for a
            # batch, not for every question of a steady stream
            batch = [first]
            until = time.monotonic() + GATHER_SECONDS
            while len(batch) < 500:
                left = until - time.monotonic()
                try:
                    batch.append(
                        self._queue.get(timeout=left) if left > 0 else self._queue.get_nowait()
                    )
                except queue.Empty:
                    break
            try:
                self.store.log_questions(batch)
            except Exception as exc:  # a log: say so and go on
                self.dropped += len(batch)
                logger.warning("%d question(s) not logged: %s", len(batch), exc)
            finally:
                for _ in batch:
                    self._queue.task_done()

    def flush(self, timeout: float = 5.0) -> bool:
        """Wait until every queued entry is written or dropped; False on timeout."""
        deadline = time.monotonic() + timeout
        while self._queue.unfinished_tasks:
            if time.monotonic() > deadline:
                return False
            time.sleep(0.005)
        return True
