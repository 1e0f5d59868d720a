"""Chunking: offsets are exact, long items split on sentence boundaries with overlap."""

from __future__ import annotations

import pytest

from rag.index.chunking import chunk_document, own_ranges, sentence_spans, split_range
from rag.records import Document, Section


def test_sentence_spans_are_trimmed_and_cover_sentences() -> None:
    text = "  甲乙。丙丁；戊\n己  "
    spans = sentence_spans(text, 0, len(text))
    assert [text[s:e] for s, e in spans] == ["甲乙。", "丙丁；", "戊", "己"]


def test_split_range_keeps_whole_sentences_and_overlaps() -> None:
    text = "一二三四五。六七八九十。甲乙丙丁戊。己庚辛壬癸。"
    pieces = split_range(text, 0, len(text), max_chars=12, overlap_chars=6)
    quoted = [text[s:e] for s, e in pieces]
    assert quoted == [
        "一二三四五。六七八九十。",
        "六七八九十。甲乙丙丁戊。",
        "甲乙丙丁戊。己庚辛壬癸。",
    ]
    assert all(q.endswith("。") for q in quoted)


def test_split_range_short_text_is_one_piece() -> None:
    text = "  短句。 "
    assert split_range(text, 0, len(text), 100, 10) == [(2, 5)]


def test_split_rejects_overlap_not_smaller_than_max() -> None:
    doc = Document("d", "d.txt", "x", "t", "0")
    with pytest.raises(ValueError, match="overlap_chars must be smaller"):
        chunk_document(doc, 10, 10)


def test_own_ranges_skip_children() -> None:
    parent = Section("s0", "一、", "总", 1, 0, 20, ("一、总",))
    kids = [
        Section("s1", "1.", "a", 2, 5, 10, ("一、总", "1.a"), "s0"),
        Section("s2", "2.", "b", 2, 12, 18, ("一、总", "2.b"), "s0"),
    ]
    assert own_ranges(parent, kids) == [(0, 5), (10, 12), (18, 20)]


def test_seed_chunks_have_exact_offsets_and_paths(seed_documents: list[Document]) -> None:
    for doc in seed_documents:
        chunks = chunk_document(doc, 360, 60)
        assert chunks, doc.doc_id
        for chunk in chunks:
            assert doc.text[chunk.start : chunk.end] == chunk.text
            assert chunk.text == chunk.text.strip()
            assert chunk.text in chunk.embed_text
            assert chunk.doc_id == doc.doc_id and chunk.source == doc.source


def test_numbered_item_is_one_chunk_with_its_path(seed_documents: list[Document]) -> None:
    anhui = next(d for d in seed_documents if d.doc_id.startswith("000"))
    chunks = chunk_document(anhui, 360, 60)
    item = [c for c in chunks if "新备案省级科技特派员工作站50家" in c.text]
    assert len(item) == 1
    path = item[0].section_path
    assert path[0].startswith("三、") and "(四)" in path[1] and path[2].startswith("13.")
    assert item[0].embed_text.startswith(anhui.title)


def test_every_plan_sentence_is_in_some_chunk(seed_documents: list[Document]) -> None:
    """No plan text is lost between sections (heading-only lines excepted)."""
    for doc in seed_documents:
        chunks = chunk_document(doc, 360, 60)
        for s, e in sentence_spans(doc.text, 0, len(doc.text)):
            if e - s < 30:
                continue
            assert any(c.start <= s and e <= c.end for c in chunks) or any(
                c.start <= s < c.end or c.start < e <= c.end for c in chunks
            ), (doc.doc_id, doc.text[s:e])
