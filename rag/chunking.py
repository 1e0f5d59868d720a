"""Sections -> chunks with exact character offsets into the cleaned document text."""

from __future__ import annotations

import re

from rag.types import Chunk, Document, Section

_SENTENCE_END = re.compile(r"[。！？；!?;]|\n")


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
    for match in _SENTENCE_END.finditer(text, start, end):
        s, e = _trim(text, cursor, match.end())
        if e > s:
            spans.append((s, e))
        cursor = match.end()
    s, e = _trim(text, cursor, end)
    if e > s:
        spans.append((s, e))
    return spans


def split_range(
    text: str, start: int, end: int, max_chars: int, overlap_chars: int
) -> list[tuple[int, int]]:
    """Cut [start, end) into pieces of at most ~max_chars on sentence boundaries, with overlap.

    A single sentence longer than max_chars stays whole: cutting inside a sentence would cut a
    figure away from what it measures.
    """
    start, end = _trim(text, start, end)
    if end - start <= max_chars:
        return [(start, end)] if end > start else []
    sentences = sentence_spans(text, start, end)
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


def chunk_document(doc: Document, max_chars: int, overlap_chars: int) -> list[Chunk]:
    """Chunks that follow the section tree: one per leaf (split when long), plus parents' own text.

    A parent's own text that is only its heading line is left out: the heading travels with
    every child in the embedded text, and a bare heading would outrank the content under it.
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
            for p_start, p_end in split_range(doc.text, s, e, max_chars, overlap_chars):
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
