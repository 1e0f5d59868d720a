"""A figure over the years for one place: one cited row per year, and the years of its documents
without the figure listed as 「未提及」."""

from __future__ import annotations

from collections.abc import Sequence

from rag.answer.spans import citation
from rag.kb.base import Loaded
from rag.lang.places import NATIONAL, Place, place_of
from rag.records import Answer, Citation, Document
from rag.targets.answer_rows import best_row, cite_row, matching_rows
from rag.targets.target import Target


def _year_line(doc: Document, limit: int) -> Citation | None:
    """The line of a document that states its year (its title or date line), cited."""
    if doc.year is None:
        return None
    at = doc.text.find(f"{doc.year}年")
    if at < 0:
        return None
    start = doc.text.rfind("\n", 0, at) + 1
    end = doc.text.find("\n", at)
    end = len(doc.text) if end < 0 else end
    end = min(end, start + limit)
    return citation(doc, None, start, end)


def trend_answer(
    question: str,
    loaded: Loaded,
    rows: Sequence[Target],
    asked: str,
    stance: str | None,
    named: list[Place],
    limit: int,
    allowed: frozenset[str] | None,
    years: tuple[int, ...] = (),
) -> Answer | None:
    """One cited row per year for one place, of the years asked when the question names some
    (「2016年到2019年…怎么变的」); a year of its documents without the figure is listed as
    「未提及」 with the line that dates the document."""
    place = named[0] if named else NATIONAL
    docs = loaded.index.documents
    own_docs = [
        d
        for d in docs.values()
        if d.region
        and (allowed is None or d.doc_id in allowed)
        and place_of(d.region, d.region_level) == place
    ]
    if not own_docs:
        return None
    own_ids = {d.doc_id for d in own_docs}
    matching = [r for r in matching_rows(rows, asked, question, (), stance) if r.doc_id in own_ids]
    by_year: dict[int, list[Target]] = {}
    for row in matching:
        if row.year is not None:
            by_year.setdefault(row.year, []).append(row)
    lines: list[str] = []
    cites: list[Citation] = []
    table: list[tuple[str, str, int]] = []
    doc_years = {d.year for d in own_docs if d.year is not None}
    known = set(by_year) | doc_years
    shown = sorted(known & set(years) if years else known)
    if not any(year in by_year for year in shown):
        return None
    for year in shown:
        if year in by_year:
            row = best_row(by_year[year], asked, stance)
            text, cite = cite_row(row, docs[row.doc_id], limit)
            cites.append(cite)
            label = row.period or f"{year}年"
            lines.append(f"{label}：{text}【{len(cites)}】")
            table.append((label, text, len(cites)))
        else:
            doc = next(d for d in own_docs if d.year == year)
            dated = _year_line(doc, limit)
            if dated is None:
                continue
            cites.append(dated)
            lines.append(f"{year}年：未提及【{len(cites)}】")
            table.append((f"{year}年", "未提及", len(cites)))
    return Answer(question, "\n".join(lines), False, tuple(cites), qtype="table", rows=tuple(table))
