"""Property tests (hypothesis) for the readers, the outline parser and chunking.

Whatever the input: readers fail only with IngestError (a per-file message, never a crash that
stops an ingest); every section and chunk offset indexes the text it claims to; chunks stay
within the hard cap and together cover the text they were cut from.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rag.config import Settings
from rag.errors import IngestError
from rag.index.chunking import capped_spans, chunk_document, split_range
from rag.ingest.clean import clean_text
from rag.ingest.formats import decode_bytes, html_text
from rag.ingest.outline import parse_sections
from rag.ingest.readers import load_document
from rag.records import Document

# ~5 s for the whole file on a loaded 2-core machine (2,000 examples each: ~30 s, also clean)
QUICK = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Pieces that plan texts are made of: outline markers of every family, sentence and clause
# marks, Chinese and ASCII text, blank lines and odd white space.
_MARKERS = [
    "一、",
    "二、",
    "三、",
    "(一)",
    "（二）",
    "1.",
    "2．",
    "3、",
    "(1)",
    "（2）",
    "第一条",
    "第二章",
]
_PIECES = [*_MARKERS, "。", "；", "，", ":", "\n", "\n\n", " ", "\u3000", "\t", "\r\n", "2022年"]
plan_text = st.lists(
    st.one_of(st.sampled_from(_PIECES), st.text(alphabet="科技创新目标发展ab 1", max_size=12)),
    max_size=60,
).map("".join)
any_text = st.one_of(plan_text, st.text(max_size=300))

_TAGS = ["div", "p", "span", "br", "td", "th", "tr", "table", "pre", "script", "style", "li"]
_MARKUP = [f"<{t}>" for t in _TAGS] + [f"</{t}>" for t in _TAGS]
_MARKUP += ["<!-- 注释 -->", "<![CDATA[x]]>", "<!DOCTYPE html>", "&nbsp;", "&amp;", "<head>", "<"]
markup = st.lists(
    st.one_of(st.sampled_from(_MARKUP), st.text(alphabet="科技 \n\t。a<>&", max_size=8)),
    max_size=50,
).map("".join)


def _non_space(text: str, start: int, end: int) -> set[int]:
    return {i for i in range(start, end) if not text[i].isspace()}


# ------------------------------------------------------------------------------------- readers


@QUICK
@given(st.binary(max_size=400))
def test_decode_bytes_returns_text_or_raises_ingest_error(data: bytes) -> None:
    try:
        text = decode_bytes(data, "x.txt")
    except IngestError as exc:
        assert str(exc).startswith("x.txt: ")
        return
    assert text.strip()


@QUICK
@given(st.text(max_size=300))
def test_decode_bytes_reads_back_any_utf8_text(text: str) -> None:
    try:
        decoded = decode_bytes(text.encode("utf-8"), "x.txt")
    except IngestError:
        return  # empty, or control characters that make it look binary
    assert decoded == text.removeprefix("\ufeff")


@QUICK
@given(st.text(max_size=300), st.integers(min_value=1, max_value=300))
def test_decode_bytes_refuses_text_over_the_character_cap(text: str, cap: int) -> None:
    try:
        decoded = decode_bytes(text.encode("utf-8"), "x.txt", max_chars=cap)
    except IngestError:
        return
    assert len(decoded) <= cap


@QUICK
@given(any_text)
def test_clean_text_is_stripped_lines_without_blank_runs(raw: str) -> None:
    cleaned = clean_text(raw)
    assert cleaned == cleaned.strip()
    assert "\n\n\n" not in cleaned
    assert all(line == line.strip() for line in cleaned.split("\n"))
    assert clean_text(cleaned) == cleaned


@QUICK
@given(markup)
def test_html_text_never_raises_and_leaves_comments_out(page: str) -> None:
    text = html_text(page)
    assert isinstance(text, str)
    assert "注释" not in text


@QUICK
@given(st.binary(max_size=300), st.sampled_from([".txt", ".md", ".html", ".docx", ".pdf"]))
def test_load_document_fails_only_with_ingest_error(data: bytes, suffix: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"doc{suffix}"
        path.write_bytes(data)
        try:
            doc = load_document(path)
        except IngestError as exc:
            assert str(exc).startswith(f"doc{suffix}: ")
            return
    assert doc.text and doc.sections


# ------------------------------------------------------------------------------------- outline


@QUICK
@given(any_text)
def test_sections_index_the_text_and_nest(raw: str) -> None:
    text = clean_text(raw)
    sections = parse_sections(text)
    by_id = {s.id: s for s in sections}
    assert len(by_id) == len(sections)
    assert [s.start for s in sections] == sorted(s.start for s in sections)
    for section in sections:
        assert 0 <= section.start < section.end <= len(text)
        body = text[section.start : section.end]
        assert body == body.strip()
        if section.parent is not None:
            parent = by_id[section.parent]
            assert parent.start <= section.start and section.end <= parent.end
            assert section.path[:-1] == parent.path and section.level > parent.level
    # every non-blank character belongs to a top-level section
    covered = set().union(*(range(s.start, s.end) for s in sections if s.parent is None))
    assert _non_space(text, 0, len(text)) <= covered


@QUICK
@given(any_text, st.integers(min_value=1, max_value=8))
def test_section_cap_raises_ingest_error_or_holds(raw: str, cap: int) -> None:
    text = clean_text(raw)
    try:
        sections = parse_sections(text, max_sections=cap)
    except IngestError as exc:
        assert str(exc) == f"more than {cap:,} sections"
        assert len(parse_sections(text)) > cap
        return
    assert len(sections) <= cap


# ------------------------------------------------------------------------------------ chunking

sizes = st.tuples(
    st.integers(min_value=2, max_value=60),  # max_chars
    st.integers(min_value=0, max_value=59),  # overlap (clipped below max_chars)
    st.integers(min_value=1, max_value=80),  # hard cap
)


@QUICK
@given(any_text, sizes)
def test_split_range_pieces_are_capped_in_order_and_cover_the_range(
    raw: str, size: tuple[int, int, int]
) -> None:
    max_chars, overlap, hard = size[0], min(size[1], size[0] - 1), size[2]
    text = raw
    pieces = split_range(text, 0, len(text), max_chars, overlap, hard)
    cap = max(max_chars, hard)
    covered: set[int] = set()
    for start, end in pieces:
        assert 0 <= start < end <= len(text)
        assert end - start <= cap
        assert text[start:end] == text[start:end].strip()
        covered.update(range(start, end))
    assert [p[0] for p in pieces] == sorted(p[0] for p in pieces)
    assert _non_space(text, 0, len(text)) <= covered


@QUICK
@given(st.text(max_size=400), st.integers(min_value=1, max_value=50))
def test_capped_spans_tile_the_range(text: str, cap: int) -> None:
    spans = list(capped_spans(text, 0, len(text), cap))
    assert all(0 < e - s <= cap for s, e in spans)
    # between, before and after the pieces there is only white space
    bounds = [0, *(i for span in spans for i in span), len(text)]
    gaps = [text[bounds[i] : bounds[i + 1]] for i in range(0, len(bounds), 2)]
    assert all(not gap.strip() for gap in gaps)


@QUICK
@given(any_text, sizes)
def test_chunks_index_the_document_and_stay_within_the_cap(
    raw: str, size: tuple[int, int, int]
) -> None:
    max_chars, overlap, hard = size[0], min(size[1], size[0] - 1), size[2]
    text = clean_text(raw)
    doc = Document("d", "d.txt", text, "标题", "0", sections=parse_sections(text))
    chunks = chunk_document(doc, max_chars, overlap, hard)
    for chunk in chunks:
        assert text[chunk.start : chunk.end] == chunk.text
        assert chunk.text and chunk.text == chunk.text.strip()
        assert len(chunk.text) <= max(max_chars, hard)
        section = next(s for s in doc.sections if s.id == chunk.section_id)
        assert section.start <= chunk.start and chunk.end <= section.end
    leaves = [s for s in doc.sections if not any(c.parent == s.id for c in doc.sections)]
    covered = set().union(*(range(c.start, c.end) for c in chunks))
    for leaf in leaves:
        assert _non_space(text, leaf.start, leaf.end) <= covered


@QUICK
@given(any_text)
def test_ingest_limits_from_default_settings_accept_small_texts(raw: str) -> None:
    """Under the default bounds a small text is never refused for size."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "plan.txt"
        path.write_text(raw, encoding="utf-8")
        try:
            load_document(path, Settings())
        except IngestError as exc:
            assert "(ingest_" not in str(exc)
