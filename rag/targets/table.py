"""The targets table of a loaded index: extracted once per loaded generation, filtered, exported.

Extraction reads only the documents and their time segments (no vectors), so it runs lazily the
first time a generation's table is asked for and is kept while that generation is loaded.
"""

from __future__ import annotations

import csv
import io
import threading
import weakref
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from functools import lru_cache

from rag.errors import InputError
from rag.kb.base import Loaded
from rag.lang.measures import NAMES
from rag.lang.places import Place, contains, place_of
from rag.lang.text import synonyms
from rag.targets.extract import extract
from rag.targets.indicator import BOUND_BEFORE, normalise_indicator, ratio_form
from rag.targets.phrase import fine_words
from rag.targets.target import STANCES, Target

KINDS = (*STANCES.values(), *NAMES)  # target, result; growth, share, count, money, rank, level
COLUMNS = (
    "place",
    "level",
    "year",
    "stance",
    "kind",
    "indicator",
    "indicator_norm",
    "value",
    "unit",
    "qualifier",
    "amount",
    "base_amount",
    "base_unit",
    "period",
    "doc_id",
    "title",
    "start",
    "end",
    "value_start",
    "quote",
)

# the bounds written before a figure (rag.targets.indicator.BOUND_BEFORE), longest first
BOUNDS_BEFORE = tuple(
    sorted(BOUND_BEFORE.pattern.split("(", 1)[1].split(")", 1)[0].split("|"), key=len, reverse=True)
)

_LOCK = threading.Lock()
_TABLES: OrderedDict[int, tuple[weakref.ref[Loaded], tuple[Target, ...]]] = OrderedDict()
_KEEP = 4


def table_of(loaded: Loaded) -> tuple[Target, ...]:
    """Every row of the loaded index, computed once per loaded generation."""
    key = id(loaded)
    with _LOCK:
        held = _TABLES.get(key)
        if held is not None and held[0]() is loaded:
            _TABLES.move_to_end(key)
            return held[1]
    rows = tuple(extract(loaded.index.documents, loaded.times))
    with _LOCK:
        _TABLES[key] = (weakref.ref(loaded), rows)
        while len(_TABLES) > _KEEP:
            _TABLES.popitem(last=False)
    return rows


@lru_cache(maxsize=4096)
def indicator_variants(asked: str) -> tuple[str, ...]:
    """The asked indicator and its rewrites by the project's synonym groups
    (config/synonyms.txt, read by rag.lang.text.synonyms; two rounds, as rag.answer.question does
    for questions: 研发投入强度 -> 研发经费占GDP比重 -> R&D经费占GDP比重)."""
    texts = [asked]
    for _ in range(2):
        for text in list(texts):
            for key, phrases in synonyms().items():
                if key in text:
                    texts += [v for p in phrases if (v := text.replace(key, p)) not in texts]
    # each written as rows' names are (「占地区生产总值的比重」 is 「占地区生产总值比重」)
    return tuple(dict.fromkeys(ratio_form(t) for t in texts))


def _own_scope(asked: str, written_norm: str) -> bool:
    """「地区X」 asked is a row named X exactly: 地区 names a place's own scope, which its report
    writes 全省, 全市 … and the normaliser strips (上海's 「全市生产总值」 is its 地区生产总值)."""
    return asked.startswith("地区") and len(asked) >= 4 and written_norm == asked[2:]


def _in_order(asked: str, written_norm: str) -> bool:
    rest = iter(written_norm)
    return all(ch in rest for ch in asked)


def _abbreviated(asked: str, written_norm: str) -> bool:
    """The row writes the asked name abbreviated: a stretch of it that begins and ends with the
    asked name's first and last characters and keeps, in order, at least one character of
    every smallest word of the asked name (规上工业增加值 for 规模|以上|工业|增加|值: how Chinese
    abbreviations are formed); 投资 drops 固定资产 and abbreviates nothing, 科技型企业 drops 中小.
    Abbreviations that drop whole words (高企 for 高新|技术|企业) are left to the synonyms."""
    if len(asked) < 4:
        return False
    ends, at = [], 0
    for word in fine_words(asked):
        at += len(word)
        ends.append(at)
    for i, ch in enumerate(written_norm):
        if ch != asked[0]:
            continue
        for j in range(len(written_norm) - 1, i, -1):
            piece = written_norm[i : j + 1]
            if written_norm[j] == asked[-1] and _keeps_every_word(piece, asked, ends):
                return True
    return False


def _keeps_every_word(piece: str, asked: str, ends: list[int]) -> bool:
    """The piece's characters, matched in order into `asked`, touch every word of it."""
    kept, at = set(), 0
    for ch in piece:
        found = asked.find(ch, at)
        if found < 0:
            return False
        kept.add(next(n for n, end in enumerate(ends) if found < end))
        at = found + 1
    return len(kept) == len(ends)


def _general_match(asked: str, written_norm: str) -> bool:
    return _in_order(asked, written_norm) or _abbreviated(asked, written_norm)


def indicator_matches(asked: str, written_norm: str) -> bool:
    """True when the row's normalised indicator names the asked one: by the general method,
    character-level containment either way (the asked characters in order in the row's name:
    研发投入强度 in 全社会研发经费投入强度; or the row's name abbreviating the asked one:
    规上工业增加值 for 规模以上工业增加值); only when that fails, by a rewrite of the asked name
    with the synonym groups, for what no character-level method finds (R&D for 研发, GDP for
    地区生产总值, 研发投入强度 defined as 研发经费占GDP比重)."""
    if not asked:
        return True
    variants = indicator_variants(asked)
    return (
        _general_match(asked, written_norm)
        or any(_in_order(v, written_norm) for v in variants[1:])
        or _own_scope(asked, written_norm)
    )


def indicator_distance(asked: str, written_norm: str) -> tuple[int, int, int, int]:
    """How far a matching row's indicator is from the asked one: first whether the row's name
    ends as the asked one does (a Chinese name ends in its head: GDP inside 单位GDP能耗 is a
    modifier, 地区生产总值 for GDP is the thing), then the asked wording before a rewrite,
    contiguous matches, then the fewest extra characters."""
    if not indicator_matches(asked, written_norm):
        return (1, 2, 2, len(written_norm))
    if _general_match(asked, written_norm):
        head = 0 if written_norm.endswith(asked[-1:]) else 1
        return (head, 0, 0 if asked in written_norm else 1, abs(len(written_norm) - len(asked)))
    if _own_scope(asked, written_norm):
        return (0, 1, 0, 0)
    return min(
        (
            0 if written_norm.endswith(v[-1:]) else 1,
            1,
            0 if v in written_norm else 1,
            abs(len(written_norm) - len(v)),
        )
        for v in indicator_variants(asked)[1:]
        if _in_order(v, written_norm)
    )


@lru_cache(maxsize=4096)
def _place(name: str) -> Place:
    return place_of(name)


def place_matches(asked: Place, row_place: str) -> bool:
    """True when the row's place is the asked place or lies inside it."""
    return contains(asked, _place(row_place)) if row_place else False


def select(
    rows: Iterable[Target],
    indicator: str | None = None,
    place: str | None = None,
    year: int | None = None,
    kind: str | None = None,
) -> list[Target]:
    """The rows matching every given filter; `kind` is a stance (target, result) or a measure
    (growth, share, count, money, rank, level)."""
    if kind is not None and kind not in KINDS:
        raise InputError(f"kind must be one of {', '.join(KINDS)}; got {kind!r}")
    asked_place = place_of(place) if place and place.strip() else None
    asked = normalise_indicator(indicator.strip()) if indicator and indicator.strip() else ""
    out = []
    for row in rows:
        if kind is not None and kind not in (row.stance, row.kind):
            continue
        if year is not None and row.year != year:
            continue
        if asked_place is not None and not place_matches(asked_place, row.place):
            continue
        if asked and not indicator_matches(asked, row.indicator_norm):
            continue
        out.append(row)
    return out


def figure_text(row: Target) -> str:
    """The figure with its bound where the text puts it: 「突破7500家」, 「500家以上」."""
    before = next((q for q in BOUNDS_BEFORE if row.qualifier.startswith(q)), "")
    return before + row.value + row.qualifier[len(before) :]


def to_csv(rows: Sequence[Target]) -> str:
    """The rows as CSV (UTF-8 with the COLUMNS header; a spreadsheet opens it as is)."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, COLUMNS, extrasaction="ignore")
    writer.writeheader()
    for row in rows:
        writer.writerow(row.as_dict())
    return buffer.getvalue()


def to_xlsx(rows: Sequence[Target]) -> bytes:
    """The rows as an .xlsx workbook (openpyxl), one sheet 指标 with the COLUMNS header."""
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "指标"
    sheet.append(list(COLUMNS))
    for row in rows:
        values = row.as_dict()
        sheet.append([_cell(values[c]) for c in COLUMNS])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _cell(value: object) -> object:
    # openpyxl refuses control characters; document text never holds them after cleaning
    return "" if value is None else value
