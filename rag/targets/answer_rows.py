"""The rows that answer a question across places or years: those matching its indicator, year,
stance and measure, the best of a place's, and the figure as shown and cited."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Sequence

from rag.answer.spans import Sentence, citation, quote_of
from rag.lang.figures import stretch_end
from rag.lang.measures import asked_measure, compatible
from rag.records import Chunk, Citation, Document, Hit
from rag.targets.form import RANKING
from rag.targets.table import indicator_distance, indicator_matches
from rag.targets.target import Target


def best_row(rows: Sequence[Target], asked: str, stance: str | None) -> Target:
    """The row that answers best: the asked stance, the closest indicator, the latest year,
    the first in the text."""
    return min(
        rows,
        key=lambda r: (
            0 if stance is None or r.stance == stance else 1,
            indicator_distance(asked, r.indicator_norm),
            -(r.year or 0),
            r.doc_id,
            r.value_start,
        ),
    )


def matching_rows(
    rows: Sequence[Target], asked: str, question: str, years: tuple[int, ...], stance: str | None
) -> list[Target]:
    # 「排名」 names the form (a ranking of places), not a measure of rank
    measure = asked_measure(RANKING.sub("", question))
    out = []
    for row in rows:
        if not indicator_matches(asked, row.indicator_norm):
            continue
        if years and row.year not in years:
            continue
        if stance is not None and row.stance not in (stance, ""):
            continue
        if not compatible(measure, row.kind):
            continue
        out.append(row)
    return out


def _shown(row: Target, doc: Document) -> tuple[str, int]:
    """The figure as the answer shows it, copied from the text (indicator to bound when they
    stand close together), and where it starts."""
    value_end = row.value_start + len(row.value)
    bound = re.match(r"以上|左右|以内|以下|多|余", doc.text[value_end : value_end + 2])
    end = stretch_end(doc.text, row.value_start, value_end + (len(bound.group()) if bound else 0))
    if row.indicator and 0 <= row.value_start - row.indicator_start <= 24:
        return doc.text[row.indicator_start : end], row.indicator_start
    return doc.text[row.value_start : end], row.value_start


def cite_row(row: Target, doc: Document, limit: int) -> tuple[str, Citation]:
    shown, begin = _shown(row, doc)
    chunk = Chunk("", doc.doc_id, doc.source, "", row.section_path, row.start, row.end, "", "")
    sentence = Sentence(doc.doc_id, row.start, row.end, row.quote, Hit(chunk, 0.0), 0.0)
    cite = quote_of(doc, sentence, (begin, begin + len(shown)), limit)
    if shown not in cite.quote:  # a window too short for the phrase: cite the sentence
        cite = citation(doc, sentence.hit, row.start, row.end)
    return shown, dataclasses.replace(cite, period=row.period)
