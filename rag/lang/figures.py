"""Figures in a sentence and the words that are their own (what each figure measures).

A figure's own words run from the end of the previous figure or clause mark up to it, and on to
the next clause mark or figure after it: Chinese puts the measured noun before a figure as often
as after it (「新增高新技术企业1500家」, 「培育30家拟上市科技企业」). A figure closed by 、 or a
clause mark owns no words after it (「高新技术企业1500家、瞪羚企业200家」). Offsets are into the
text given.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rag.lang.measures import UNITS, YEARLIKE

FIGURE = re.compile(
    r"(?<![\d.])\d+(?:\.\d+)?(?:\s*[-~～至到]\s*\d+(?:\.\d+)?)?"
    r"(?:万|亿|千|百)?"
    rf"(?:{UNITS})?"
    r"(?:以上|左右|以内|以下|多|余)?"
)

YEAR_RANGE = re.compile(r"(?:19|20)\d\d\s*[-~～至到]\s*(?:19|20)\d\d")

CLAUSE_END = re.compile(r"[，,；;。！？!?：:\n]")

_LATIN = re.compile(r"[A-Za-z]")


def _glued(text: str, m: re.Match[str]) -> bool:
    """Whether a number is glued to Latin letters, so names something (PM2.5, G60, 5G, C919)
    rather than counts it."""
    if m.start() > 0 and _LATIN.match(text, m.start() - 1):
        return True
    digits = re.match(r"\d+(?:\.\d+)?", m.group())
    end = m.start() + (digits.end() if digits else 0)
    return _LATIN.match(text, end) is not None


# a figure's own words end at these marks: they close an enumeration item or a clause
_CLOSING = "、,,;;。"


@dataclass(frozen=True)
class FigureAt:
    """One figure of a text: its span (`start`, `end`, the figure as written) and the span of
    its own words around it (`left` .. `start` before it, `after` .. `right` after it)."""

    start: int
    end: int
    left: int
    after: int
    right: int

    def words(self, text: str) -> str:
        """The figure's own words without the figure: what it measures."""
        return (text[self.left : self.start] + text[self.after : self.right]).strip()


def figure_spans(text: str) -> list[FigureAt]:
    """Every figure of the text that is a quantity (not a year, a year range or an outline
    number such as 「10.」), with its own words."""
    years = [m.span() for m in YEAR_RANGE.finditer(text)]
    matches = [
        m
        for m in FIGURE.finditer(text)
        if not any(s <= m.start() < e for s, e in years) and not _glued(text, m)
    ]
    found: list[FigureAt] = []
    for i, m in enumerate(matches):
        if YEARLIKE.fullmatch(m.group().rstrip("年")):
            continue
        if m.start() == 0 and text[m.end() : m.end() + 1] in ".．、":
            continue
        left_from = matches[i - 1].end() if i else 0
        left = max([left_from] + [x.end() for x in CLAUSE_END.finditer(text, 0, m.start())])
        while left < m.start() and text[left] in _CLOSING + " ":
            left += 1  # the mark that closed the previous item is not this figure's word
        right_to = matches[i + 1].start() if i + 1 < len(matches) else len(text)
        stop = CLAUSE_END.search(text, m.end())
        right = min(right_to, stop.start() if stop else right_to)
        if text[m.end() : m.end() + 1] in _CLOSING:
            right = m.end()
        written = m.group().strip()
        found.append(FigureAt(m.start(), m.start() + len(written), left, m.end(), right))
    return found
