"""Ratings of answers and the log of answered questions, kept in SQLite under the data directory
for those who tune the system. The log is written off the answer's path by
rag/server/question_log.py."""

from __future__ import annotations

import json
import sqlite3
import stat
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from urllib.parse import quote

from rag.errors import FeedbackUnavailableError

_SCHEMA = """
CREATE TABLE IF NOT EXISTS feedback (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    created TEXT NOT NULL,
    question TEXT NOT NULL,
    answer TEXT NOT NULL,
    citations TEXT NOT NULL,
    rating INTEGER NOT NULL CHECK (rating IN (-1, 1)),
    comment TEXT NOT NULL
)
"""
# every answered question (the admin view's counts per day); `kbs` is a JSON list of names
_QUESTIONS_SCHEMA = """
CREATE TABLE IF NOT EXISTS questions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    created TEXT NOT NULL,
    question TEXT NOT NULL,
    refused INTEGER NOT NULL CHECK (refused IN (0, 1)),
    qtype TEXT NOT NULL,
    kbs TEXT NOT NULL,
    total_ms REAL,
    endpoint TEXT NOT NULL
)
"""
_SCHEMAS = (
    _SCHEMA,
    _QUESTIONS_SCHEMA,
    "CREATE INDEX IF NOT EXISTS questions_created ON questions (created)",
)
RATINGS = {"up": 1, "down": -1}


@dataclass(frozen=True)
class LoggedQuestion:
    """One answered question as the question log keeps it."""

    question: str
    refused: bool
    qtype: str
    kbs: tuple[str, ...]
    total_ms: float | None
    endpoint: str
    created: str = ""


@dataclass(frozen=True)
class Feedback:
    """One stored rating; `rating` is 1 (helpful) or -1 (not helpful)."""

    id: int
    created: str
    question: str
    answer: str
    citations: tuple[dict[str, Any], ...]
    rating: int
    comment: str


# SQLite's primary result codes -> the cause a person can act on (sqlite_errorname may carry an
# extended suffix: SQLITE_BUSY_SNAPSHOT, SQLITE_READONLY_DBMOVED ...)
_CAUSES = {
    "SQLITE_BUSY": "locked",
    "SQLITE_LOCKED": "locked",
    "SQLITE_NOTADB": "corrupt",
    "SQLITE_CORRUPT": "corrupt",
    "SQLITE_READONLY": "read-only",
    "SQLITE_CANTOPEN": "cannot be opened",
    "SQLITE_PERM": "cannot be opened",
    "SQLITE_FULL": "full",
    "SQLITE_IOERR": "unreadable",
}
_ADVICE = {
    "locked": "another connection holds a write lock (waited {busy:g} s, setting "
    "feedback_busy_seconds); retry shortly",
    "corrupt": "the file is not a valid SQLite database; move it aside and a new one is created",
    "read-only": "the file or its folder is not writable; make it writable to store ratings",
    "cannot be opened": "check that the folder exists and is writable",
    "full": "the disk is full",
    "unreadable": "the disk reported an I/O error",
}


def _cause(exc: sqlite3.Error) -> str:
    name = getattr(exc, "sqlite_errorname", "") or ""
    for prefix, cause in _CAUSES.items():
        if name == prefix or name.startswith(prefix + "_"):
            return cause
    return "unavailable"


class FeedbackStore:
    """An SQLite table of ratings in WAL mode; a short-lived connection per call, so threads
    share none. A locked, corrupt or read-only database raises FeedbackUnavailableError naming
    the cause, after waiting at most `busy_seconds` for a lock."""

    def __init__(self, path: Path, busy_seconds: float = 2.0) -> None:
        if busy_seconds < 0:
            raise ValueError(f"busy_seconds must be 0 or more; got {busy_seconds}")
        self.path = path
        self.busy_seconds = busy_seconds

    def _read_only(self) -> bool:
        """A file without any write bit was made read-only on purpose: respect it even when the
        server runs as root (which the file system would let write anyway)."""
        try:
            mode = self.path.stat().st_mode
        except FileNotFoundError:
            return False
        return not stat.S_IMODE(mode) & 0o222

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        try:
            if self._read_only():
                uri = f"file:{quote(str(self.path.resolve()))}?mode=ro"
                conn = sqlite3.connect(uri, uri=True, timeout=self.busy_seconds)
            else:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                conn = sqlite3.connect(self.path, timeout=self.busy_seconds)
                # WAL: readers never wait for the writer; FULL: an acknowledged rating survives
                # a power cut (the mode persists in the file; setting it again costs nothing)
                conn.execute("PRAGMA journal_mode=WAL")
                conn.execute("PRAGMA synchronous=FULL")
        except sqlite3.Error as exc:
            raise self._unavailable(exc) from exc
        except OSError as exc:
            raise FeedbackUnavailableError(
                f"反馈暂时无法保存。Feedback database {self.path} is unavailable "
                f"(cannot be opened: {exc}); check that its folder exists and is writable",
                "cannot be opened",
            ) from exc
        try:
            with conn:
                for statement in _SCHEMAS:
                    conn.execute(statement)
                yield conn
        except sqlite3.Error as exc:
            raise self._unavailable(exc) from exc
        finally:
            conn.close()

    def _unavailable(self, exc: sqlite3.Error) -> FeedbackUnavailableError:
        cause = _cause(exc)
        advice = _ADVICE.get(cause, "see the server log").format(busy=self.busy_seconds)
        return FeedbackUnavailableError(
            f"反馈暂时无法保存。Feedback database {self.path} is unavailable ({cause}: {exc}); "
            f"{advice}",
            cause,
            retry_after=1 if cause == "locked" else None,
        )

    def add(
        self,
        question: str,
        answer: str,
        citations: Sequence[dict[str, Any]],
        rating: int,
        comment: str = "",
    ) -> Feedback:
        """Store one rating and return it with its id and UTC timestamp."""
        if rating not in (-1, 1):
            raise ValueError(f"rating must be 1 or -1; got {rating!r}")
        created = datetime.now(UTC).isoformat(timespec="seconds")
        cited = json.dumps(list(citations), ensure_ascii=False)
        with self._connect() as conn:
            cursor = conn.execute(
                "INSERT INTO feedback (created, question, answer, citations, rating, comment) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (created, question, answer, cited, rating, comment),
            )
            row_id = cursor.lastrowid
        if row_id is None:
            raise sqlite3.DatabaseError(f"no row id returned by {self.path}")
        return Feedback(row_id, created, question, answer, tuple(citations), rating, comment)

    def recent(self, limit: int = 100) -> list[Feedback]:
        """The newest ratings first."""
        if limit < 1:
            raise ValueError(f"limit must be at least 1; got {limit}")
        with self._connect() as conn:
            rows = conn.execute(
                "SELECT id, created, question, answer, citations, rating, comment "
                "FROM feedback ORDER BY id DESC LIMIT ?",
                (limit,),
            ).fetchall()
        return [Feedback(r[0], r[1], r[2], r[3], tuple(json.loads(r[4])), r[5], r[6]) for r in rows]

    def page(
        self, rating: int | None = None, limit: int = 50, offset: int = 0
    ) -> tuple[int, list[Feedback]]:
        """(how many ratings match, the newest `limit` of them after `offset`); `rating` 1 or
        -1 keeps only those, None keeps all."""
        if limit < 1 or offset < 0:
            raise ValueError(
                f"limit must be at least 1 and offset 0 or more; got {limit}, {offset}"
            )
        where, args = ("WHERE rating = ?", (rating,)) if rating is not None else ("", ())
        with self._connect() as conn:
            (total,) = conn.execute(f"SELECT count(*) FROM feedback {where}", args).fetchone()
            rows = conn.execute(
                "SELECT id, created, question, answer, citations, rating, comment "
                f"FROM feedback {where} ORDER BY id DESC LIMIT ? OFFSET ?",
                (*args, limit, offset),
            ).fetchall()
        return int(total), [
            Feedback(r[0], r[1], r[2], r[3], tuple(json.loads(r[4])), r[5], r[6]) for r in rows
        ]

    def rating_counts(self) -> dict[str, int]:
        """How many 👍 and 👎 are stored: {"up": n, "down": m}."""
        with self._connect() as conn:
            rows = conn.execute("SELECT rating, count(*) FROM feedback GROUP BY rating").fetchall()
        by_value = dict(rows)
        return {name: int(by_value.get(value, 0)) for name, value in RATINGS.items()}

    def log_questions(self, entries: Sequence[LoggedQuestion]) -> None:
        """Store answered questions in one transaction (one INSERT each). A log, not a rating:
        synchronous=NORMAL (in WAL, a commit survives a crash of the server, not a power cut)
        spares the fsync a rating pays."""
        now = datetime.now(UTC).isoformat(timespec="seconds")
        rows = [
            (
                e.created or now,
                e.question,
                int(e.refused),
                e.qtype,
                json.dumps(list(e.kbs), ensure_ascii=False),
                e.total_ms,
                e.endpoint,
            )
            for e in entries
        ]
        with self._connect() as conn:
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.executemany(
                "INSERT INTO questions (created, question, refused, qtype, kbs, total_ms, "
                "endpoint) VALUES (?, ?, ?, ?, ?, ?, ?)",
                rows,
            )

    def questions(self, limit: int = 100) -> list[LoggedQuestion]:
        """The newest logged questions first."""
        with self._connect() as conn:
            rows = conn.execute(
                "SELECT question, refused, qtype, kbs, total_ms, endpoint, created "
                "FROM questions ORDER BY id DESC LIMIT ?",
                (limit,),
            ).fetchall()
        return [
            LoggedQuestion(r[0], bool(r[1]), r[2], tuple(json.loads(r[3])), r[4], r[5], r[6])
            for r in rows
        ]

    def daily(
        self, days: int = 30, utc_offset_minutes: int = 0, today: date | None = None
    ) -> list[dict[str, Any]]:
        """Per day, oldest first, the last `days` days up to `today` (in the time zone
        `utc_offset_minutes` east of UTC, so a day is the asker's day): questions, refusals,
        👍 and 👎. Days without any are there with zeros, so a chart has every day."""
        if days < 1:
            raise ValueError(f"days must be at least 1; got {days}")
        zone = timezone(timedelta(minutes=utc_offset_minutes))
        last = today or datetime.now(zone).date()
        first = last - timedelta(days=days - 1)
        since = (
            datetime.combine(first, datetime.min.time(), zone)
            .astimezone(UTC)
            .isoformat(timespec="seconds")
        )
        shift = f"{utc_offset_minutes:+d} minutes"
        counts: dict[str, dict[str, int]] = {}
        with self._connect() as conn:
            for day, asked, refused in conn.execute(
                "SELECT date(created, ?) AS day, count(*), sum(refused) FROM questions "
                "WHERE created >= ? GROUP BY day",
                (shift, since),
            ):
                counts.setdefault(day, {}).update(questions=asked, refusals=refused or 0)
            for day, up, down in conn.execute(
                "SELECT date(created, ?) AS day, sum(rating = 1), sum(rating = -1) FROM feedback "
                "WHERE created >= ? GROUP BY day",
                (shift, since),
            ):
                counts.setdefault(day, {}).update(up=up or 0, down=down or 0)
        out = []
        for n in range(days):
            day = (first + timedelta(days=n)).isoformat()
            found = counts.get(day, {})
            out.append(
                {
                    "date": day,
                    **{k: int(found.get(k, 0)) for k in ("questions", "refusals", "up", "down")},
                }
            )
        return out
