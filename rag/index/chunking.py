"""Sections -> chunks with exact character offsets into the cleaned document text."""

from __future__ import annotations

import re
from collections.abc import Iterator

from rag.records import Chunk, Document, Section

# where a sentence ends (also read by the outline parser and the counted-name answers)
SENTENCE_END = re.compile(r"[。！？；!?;]|\n")
# Where a sentence longer than the hard cap is preferably cut: after a clause mark or a space.
_SOFT_CUT = frozenset("，,、：: \t\u3000")
# Settings.chunk_hard_max_chars: the longest sentence in seeds + corpus is 448 characters.
DEFAULT_HARD_MAX_CHARS = 1000


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    """Shrink [start, end) so it neither starts nor ends with white space."""
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def own_ranges(section: Section, children: list[Section]) -> list[tuple[int, int]]:
    """Parts of a section's span not covered by its children, in order."""
    ranges: list[tuple[int, int]] = []
    cursor = section.start
    for child in sorted(children, key=lambda s: s.start):
        if child.start > cursor:
            ranges.append((cursor, child.start))
        cursor = max(cursor, child.end)
    if cursor < section.end:
        ranges.append((cursor, section.end))
    return ranges


def sentence_spans(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Split text[start:end] after each sentence-ending mark; spans are trimmed and non-empty."""
    spans: list[tuple[int, int]] = []
    cursor = start
    for match in SENTENCE_END.finditer(text, start, end):
        s, e = _trim(text, cursor, match.end())
        if e > s:
            spans.append((s, e))
        cursor = match.end()
    s, e = _trim(text, cursor, end)
    if e > s:
        spans.append((s, e))
    return spans


def _cut_at(text: str, start: int, cap: int) -> int:
    """Where to end a piece of at most cap characters from start: after the last clause mark or
    space in the window's second half, else on the cap itself."""
    for i in range(start + cap - 1, start + cap // 2 - 1, -1):
        if text[i] in _SOFT_CUT:
            return i + 1
    return start + cap


def capped_spans(text: str, start: int, end: int, cap: int) -> Iterator[tuple[int, int]]:
    """[start, end) cut into trimmed, non-empty pieces of at most cap characters."""
    while True:
        start, end = _trim(text, start, end)
        if end - start <= cap:
            break
        cut = _cut_at(text, start, cap)
        s, e = _trim(text, start, cut)
        if e > s:
            yield s, e
        start = cut
    if end > start:
        yield start, end


def split_range(
    text: str,
    start: int,
    end: int,
    max_chars: int,
    overlap_chars: int,
    hard_max_chars: int = DEFAULT_HARD_MAX_CHARS,
) -> list[tuple[int, int]]:
    """Cut [start, end) into pieces of at most ~max_chars on sentence boundaries, with overlap.

    A single sentence longer than max_chars stays whole: cutting inside a sentence would cut a
    figure away from what it measures. Only a "sentence" longer than hard_max_chars (a text
    without sentence punctuation, a flattened table) is cut, on that cap, so no piece is ever
    longer than max(max_chars, hard_max_chars).
    """
    start, end = _trim(text, start, end)
    if end - start <= max_chars:
        return [(start, end)] if end > start else []
    cap = max(max_chars, hard_max_chars)
    sentences = [
        piece
        for s, e in sentence_spans(text, start, end)
        for piece in capped_spans(text, s, e, cap)
    ]
    pieces: list[tuple[int, int]] = []
    i = 0
    while i < len(sentences):
        j = i
        while j + 1 < len(sentences) and sentences[j + 1][1] - sentences[i][0] <= max_chars:
            j += 1
        pieces.append((sentences[i][0], sentences[j][1]))
        if j + 1 >= len(sentences):
            break
        # carry trailing sentences of this piece into the next one, up to overlap_chars
        k = j + 1
        while k - 1 > i and sentences[j][1] - sentences[k - 1][0] <= overlap_chars:
            k -= 1
        i = k
    return pieces


def chunk_document(
    doc: Document,
    max_chars: int,
    overlap_chars: int,
    hard_max_chars: int = DEFAULT_HARD_MAX_CHARS,
) -> list[Chunk]:
    """Chunks that follow the section tree: one per leaf (split when long), plus parents' own text.

    A parent's own text that is only its heading line is left out: the heading travels with
    every child in the embedded text, and a bare heading would outrank the content under it.
    No chunk is longer than max(max_chars, hard_max_chars) (see split_range).
    """
    if overlap_chars >= max_chars:
        raise ValueError(
            f"overlap_chars must be smaller than max_chars; got {overlap_chars} >= {max_chars}"
        )
    children: dict[str | None, list[Section]] = {}
    for section in doc.sections:
        children.setdefault(section.parent, []).append(section)
    chunks: list[Chunk] = []
    for section in sorted(doc.sections, key=lambda s: (s.start, s.level)):
        kids = children.get(section.id, [])
        for r_start, r_end in own_ranges(section, kids):
            s, e = _trim(doc.text, r_start, r_end)
            if e <= s or (kids and "\n" not in doc.text[s:e] and e - s <= 60):
                continue
            pieces = split_range(doc.text, s, e, max_chars, overlap_chars, hard_max_chars)
            for p_start, p_end in pieces:
                body = doc.text[p_start:p_end]
                heading = " › ".join(section.path)
                chunks.append(
                    Chunk(
                        chunk_id=f"{doc.doc_id}:{len(chunks)}",
                        doc_id=doc.doc_id,
                        source=doc.source,
                        section_id=section.id,
                        section_path=section.path,
                        start=p_start,
                        end=p_end,
                        text=body,
                        embed_text=f"{doc.title} › {heading}\n{body}" if heading else body,
                    )
                )
    return chunks
