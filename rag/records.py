"""Frozen records passed between the stages: documents, sections, chunks, hits, answers."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

# how an answer's text marks its n-th citation: 「…2500亿元【1】」
CITATION_MARK = re.compile(r"【(\d+)】")


@dataclass(frozen=True)
class Section:
    """A node of a document's outline.

    `number` is the outline marker as written (「三、」, 「（五）」, 「15.」, or "" for an
    unnumbered paragraph section); `title` is its heading text (the line after the marker, or
    the opening topic sentence). `start`/`end` span the whole section, children included, in
    `Document.text`. `path` is the labels from the root down to this section.
    """

    id: str
    number: str
    title: str
    level: int
    start: int
    end: int
    path: tuple[str, ...]
    parent: str | None = None

    @property
    def label(self) -> str:
        """Short display label: marker plus heading."""
        return f"{self.number}{self.title}" if self.number else self.title


@dataclass(frozen=True)
class Document:
    """A cleaned plan document; every offset in the system refers to `text`."""

    doc_id: str
    source: str
    text: str
    title: str
    sha256: str
    issuer: str | None = None
    region: str | None = None
    region_level: str | None = None
    year: int | None = None
    published: str | None = None
    doc_number: str | None = None
    sections: tuple[Section, ...] = ()

    def meta(self) -> dict[str, object]:
        """Metadata without text or sections, as the API lists documents."""
        return {
            "doc_id": self.doc_id,
            "source": self.source,
            "title": self.title,
            "issuer": self.issuer,
            "region": self.region,
            "region_level": self.region_level,
            "year": self.year,
            "published": self.published,
            "doc_number": self.doc_number,
            "chars": len(self.text),
            "sections": len(self.sections),
        }


@dataclass(frozen=True)
class Chunk:
    """A retrievable span of one document: `text == document.text[start:end]`."""

    chunk_id: str
    doc_id: str
    source: str
    section_id: str
    section_path: tuple[str, ...]
    start: int
    end: int
    text: str
    embed_text: str


@dataclass(frozen=True)
class Hit:
    """A ranked chunk with its score breakdown."""

    chunk: Chunk
    score: float
    bm25: float = 0.0
    dense: float = 0.0
    bm25_rank: int | None = None
    dense_rank: int | None = None


@dataclass(frozen=True)
class Citation:
    """A verbatim quote: `quote == document.text[start:end]`."""

    doc_id: str
    source: str
    title: str
    section_path: tuple[str, ...]
    start: int
    end: int
    quote: str
    period: str = ""  # the period the quote speaks of, as labelled in the answer (2024年完成情况)


@dataclass(frozen=True)
class Answer:
    """What the answerer returns for one question."""

    question: str
    answer: str
    refused: bool
    citations: tuple[Citation, ...] = ()
    hits: tuple[Hit, ...] = ()
    qtype: str = "open"
    rows: tuple[tuple[str, str, int], ...] = ()
    timings_ms: dict[str, float] = field(default_factory=dict)
    withheld: bool = False  # an answer that would have broken the number promise, withheld
    confidence: float | None = None  # the evidence model's probability for the best sentence
