"""Ratings of answers, kept in SQLite under the data directory for those who tune the system."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

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


class FeedbackStore:
    """An SQLite table of ratings; a short-lived connection per call, so threads share none."""

    def __init__(self, path: Path) -> None:
        self.path = path

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(self.path, timeout=10)
        try:
            with conn:
                conn.execute(_SCHEMA)
                yield conn
        finally:
            conn.close()

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
