"""Spans of a document: candidate sentences, the figures and clauses in them, and quotes.

Every offset is into `Document.text`; a quote is always the text at its offsets.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from rag.answer.question import Terms
from rag.index.chunking import sentence_spans
from rag.lang.figures import CLAUSE_END as CLAUSE_END  # re-exported: rag.targets reads it here
from rag.lang.figures import FigureAt, figure_spans, holds_figures, respective_words
from rag.lang.measures import YEAR_WORDS
from rag.lang.tags import names_a_thing, tagged
from rag.records import Citation, Document, Hit

OUTLINE_MARK = re.compile(r"^[(（]?[一二三四五六七八九十百\d]+[)）、.．]")


@dataclass(frozen=True)
class Sentence:
    """A sentence of a retrieved chunk, with its evidence score."""

    doc_id: str
    start: int
    end: int
    text: str
    hit: Hit
    score: float


def is_heading(text: str, label: str) -> bool:
    """True for a sentence that only repeats its section heading (「12.加大…选认力度。」)."""
    bare = text.strip().rstrip("。:：")
    if not bare or not label or not (bare == label or (len(bare) <= 30 and bare in label)):
        return False
    # an unnumbered section's opening sentence (the Jiangxi plan) often is the content itself:
    # 「积极创建井冈山国家农业高新区。」; only a short one is a mere label
    return bool(OUTLINE_MARK.match(label)) or len(bare) <= 10


def candidate_sentences(
    hits: Sequence[Hit],
    documents: Mapping[str, Document],
    terms: Terms,
    literal_numbers: Sequence[str] = (),
) -> list[Sentence]:
    """Every sentence of the hits, scored by coverage (its own text plus its section heading).

    A heading sentence hands most of its score to the sentence after it: the heading names
    the topic, the body says what is planned. A figure quoted in the question must be in the
    sentence.
    """
    quoted = set(literal_numbers)
    seen: set[tuple[str, int]] = set()
    out: list[Sentence] = []
    for rank, hit in enumerate(hits):
        doc = documents[hit.chunk.doc_id]
        heading = hit.chunk.section_path[-1] if hit.chunk.section_path else ""
        carried = 0.0
        for s, e in sentence_spans(doc.text, hit.chunk.start, hit.chunk.end):
            text = doc.text[s:e]
            own = terms.coverage(text)
            with_heading = terms.coverage(text, heading)  # as text + " " + heading
            # the heading helps, but a sentence must carry most of the evidence itself
            score = max(0.75 * max(own, with_heading) + 0.25 * own, carried) - 0.01 * rank
            carried = 0.0
            if is_heading(text, heading):
                carried, score = 0.95 * score, 0.5 * score
            if not holds_figures(text, quoted):
                score *= 0.3
            if (doc.doc_id, s) in seen:
                continue
            seen.add((doc.doc_id, s))
            out.append(Sentence(doc.doc_id, s, e, text, hit, score))
    out.sort(key=lambda x: -x.score)
    return out


@dataclass(frozen=True)
class Span:
    """An answer span inside a sentence, with its local evidence score."""

    start: int
    end: int
    text: str
    local: float
    context: str = ""
    lead: str = ""  # the words before the figure it owns (its item's, in a 分别 list)


def figures(sentence: Sentence, terms: Terms) -> list[Span]:
    """Figures in the sentence, each scored by the evidence in its own words."""
    found: list[Span] = []
    text = sentence.text
    for f, left, right in owned_words(text):
        # Chinese puts a figure before its noun as often as after it (培育30家拟上市科技企业)
        local = max(
            terms.coverage(left), 0.9 * terms.coverage(right), 0.8 * terms.coverage(left + right)
        )
        found.append(
            Span(
                sentence.start + f.start,
                sentence.start + f.end,
                text[f.start : f.end],
                local,
                left + right,
                left,
            )
        )
    return found


@lru_cache(maxsize=4096)
def owned_words(text: str) -> tuple[tuple[FigureAt, str, str], ...]:
    """Each figure of the text with the words before and after it that it owns.

    Cached by text: they depend on the sentence alone, and the same retrieved sentences are
    scored question after question (tagging a restated figure's clause is not cheap)."""
    spans = figure_spans(text)
    given = respective_words(text, spans)
    owned: list[tuple[FigureAt, str, str]] = []
    for n, f in enumerate(spans):
        left, right = text[f.left : f.start], text[f.after : f.right]
        if n in given:
            left, right = given[n], ""  # 「水利…分别达…、600亿元」: 600亿元 is 水利领域投资
        elif n and restates(text, spans[n - 1], f):
            _, left, right = owned[n - 1]  # 「总里程突破8000公里、达8184公里」: the same 总里程
        elif n and (shared := elided_measure(text, spans[n - 1], f, owned[n - 1][1])):
            # 「整车产量200万辆、新能源汽车140万辆」: 140万辆 is 新能源汽车产量
            left = left + shared
        elif n and same_subject(text, spans[n - 1], f):
            # 「国内生产总值达到134.9万亿元、增长5%」: another measure of the same subject, named
            # by the subject and this figure's own verb
            left = owned[n - 1][1] + left.rsplit("、", 1)[-1]
        owned.append((f, left, right))
    return tuple(owned)


_DIGITS = re.compile(r"[\d.]+")


def _unit(text: str, fig: FigureAt) -> str:
    """A figure as written without its digits: its multiple, unit and bound (万元, %左右)."""
    return _DIGITS.sub("", text[fig.start : fig.end])


def same_subject(text: str, before: FigureAt, fig: FigureAt) -> bool:
    """Whether `fig` speaks of what the figure before it measures: it follows in the same
    clause, or in the clause right after a comma, and its own words name nothing (a verb
    only: 、达, 、达到, 、增长; 「国内生产总值达到56.9万亿元，比上年增长7.7%」: a Chinese topic runs
    on over the comma into a clause without a subject)."""
    ends = [m.group() for m in CLAUSE_END.finditer(text, before.end, fig.start)]
    if ends and (ends != ["，"] or "、" in text[before.end : fig.start]):
        return False
    if ends:
        # over a comma, only a clause of a predicate alone (比上年增长, 下降) by jieba's tags
        # (a preposition, time word, verb or adverb each): tagging misses nouns such as 收入
        clause = text[before.end : fig.start].split("，", 1)[1].strip()
        return bool(clause) and all(
            flag[:1] in "ptvd" and flag != "vn" for _w, flag in tagged(clause)
        )
    # its own item: the words after the 、 that closed the figure before (关口、达到 -> 达到);
    # a year in it says when, not what (由2007年的1.4%提高到2012年的1.97%)
    item = text[fig.left : fig.start].rsplit("、", 1)[-1].strip()
    what = YEAR_WORDS.sub("", item).strip()
    if not item or not what:
        return bool(item)
    return not names_a_thing(what)  # a bare enumeration (1500家、200家) lists several things


def elided_measure(text: str, before: FigureAt, fig: FigureAt, before_words: str) -> str:
    """The measure word a 、 item leaves out because the item before it names it: in 「整车产量
    200万辆、新能源汽车140万辆」 the second item is 新能源汽车 and its figure, in the same unit, is
    a 产量 too. That word is the last word of the item before (a noun, as jieba tags it), when
    this item names a thing of its own and does not end in it; otherwise ''."""
    between = text[before.end : fig.left]
    item = text[fig.left : fig.start].strip()
    if between.strip() != "、" or not item or not names_a_thing(item):
        return ""
    if _unit(text, before) != _unit(text, fig):
        return ""
    words = tagged(before_words.rsplit("、", 1)[-1].strip())
    if len(words) < 2 or not words[-1][1].startswith("n"):
        return ""
    measure = words[-1][0]
    return "" if measure in item else measure


def restates(text: str, before: FigureAt, fig: FigureAt) -> bool:
    """Whether `fig` states again what the figure before it measures: of the same subject
    (same_subject) and its unit the same or the same with more precision (突破5万、达到5.28万元).
    A bound and then the exact value (突破8000公里、达8184公里) are one measure given twice."""
    if not same_subject(text, before, fig):
        return False
    unit_a, unit_b = _unit(text, before), _unit(text, fig)
    return unit_a.startswith(unit_b) or unit_b.startswith(unit_a)


def clauses(sentence: Sentence) -> list[tuple[int, int]]:
    """Clause spans (absolute offsets, trimmed, without the closing mark) of a sentence."""
    spans: list[tuple[int, int]] = []
    cursor = 0
    for stop in [*(m.start() for m in CLAUSE_END.finditer(sentence.text)), len(sentence.text)]:
        piece = sentence.text[cursor:stop]
        lead = len(piece) - len(piece.lstrip())
        if piece.strip():
            begin = sentence.start + cursor + lead
            spans.append((begin, begin + len(piece.strip())))
        cursor = stop + 1
    return spans


def clause_of(sentence: Sentence, terms: Terms, context: int = 1) -> Span:
    """The shortest run of clauses holding most of the sentence's evidence, plus `context`
    clauses before it (the subject of a Chinese clause often stands in the one before)."""
    spans = clauses(sentence)
    if not spans:
        return Span(sentence.start, sentence.end, sentence.text, sentence.score)
    offset = sentence.start

    def text(a: int, b: int) -> str:
        return sentence.text[spans[a][0] - offset : spans[b][1] - offset]

    full = terms.coverage(sentence.text)
    best = (0, len(spans) - 1)
    for a in range(len(spans)):
        for b in range(a, len(spans)):
            if terms.coverage(text(a, b)) >= 0.85 * full:
                if b - a < best[1] - best[0]:
                    best = (a, b)
                break
    a, b = max(0, best[0] - context), best[1]
    return Span(spans[a][0], spans[b][1], text(a, b), terms.coverage(text(a, b)))


def quote_of(doc: Document, sentence: Sentence, inner: tuple[int, int], limit: int) -> Citation:
    """Cite the sentence, or a window of whole clauses around the answer when it is long."""
    start, end = sentence.start, sentence.end
    if end - start > limit:
        start, end = inner
        while start > sentence.start and end - start < limit:
            prev = max(
                [sentence.start]
                + [m.end() for m in CLAUSE_END.finditer(doc.text, sentence.start, start - 1)]
            )
            if end - prev > limit:
                break
            start = prev if prev < start else start - 1
        while end < sentence.end and end - start < limit:
            nxt = CLAUSE_END.search(doc.text, end + 1, sentence.end)
            new_end = nxt.end() if nxt else sentence.end
            if new_end - start > limit:
                break
            end = new_end
        while start < end and doc.text[start].isspace():
            start += 1
    return citation(doc, sentence.hit, start, end)


def citation(doc: Document, hit: Hit | None, start: int, end: int) -> Citation:
    """A citation of doc.text[start:end] under the section that contains it."""
    path = hit.chunk.section_path if hit is not None else section_path_at(doc, start)
    return Citation(
        doc.doc_id, doc.source, display_title(doc), path, start, end, doc.text[start:end]
    )


def display_title(doc: Document) -> str:
    """How citations name a document: its title, with the issuer and year the title leaves out
    (thirteen reports are all titled 政府工作报告; 2019年国务院政府工作报告 tells them apart)."""
    title = doc.title
    if title == Path(doc.source).stem:
        return title  # no title in the text: the file's name, as it is
    who = doc.issuer or doc.region or ""
    if who and who not in title and not (doc.region and doc.region in title):
        title = who + title
    if doc.year and not re.search(r"(?:19|20)\d\d", title):
        title = f"{doc.year}年{title}"
    return title


def section_path_at(doc: Document, offset: int) -> tuple[str, ...]:
    """Path of the deepest section containing the offset."""
    best: tuple[str, ...] = ()
    for section in doc.sections:
        if section.start <= offset < section.end and len(section.path) >= len(best):
            best = section.path
    return best


def doc_label(doc: Document) -> str:
    """How an answer names a document: its region, or its title for an unnamed place."""
    return doc.region or doc.title


def clause_around(sentence: Sentence, fig: Span) -> str:
    """The figure's clause and the one before it: a Chinese clause's subject often stands in
    the clause before (「粮食总产量再上新台阶，突破1600亿斤大关」, 「旅客吞吐量增长16.6%，突破8700万
    人次」). A clause that names its own subject and follows a clause with a figure of its own is
    an item of a list, and stands alone (「地区生产总值增长5%左右，城镇调查失业率控制在5.5%左右」:
    5.5% is not about 地区生产总值)."""
    text, at = sentence.text, fig.start - sentence.start
    stops = [m.end() for m in CLAUSE_END.finditer(text, 0, at)]
    begin = stops[-2] if len(stops) >= 2 else 0
    own = stops[-1] if stops else 0
    if own > begin and figure_spans(text[begin:own]) and names_a_thing(text[own:at]):
        begin = own
    end = CLAUSE_END.search(text, at + len(fig.text))
    return text[begin : end.start() if end else len(text)]


def enumerates(sentence: Sentence) -> bool:
    """A sentence that lists things (two or more 、) and is not just a heading."""
    path = sentence.hit.chunk.section_path
    return sentence.text.count("、") >= 2 and not is_heading(
        sentence.text, path[-1] if path else ""
    )


def safe_label(doc: Document) -> str:
    """A document's place (or title for an unnamed place) without digits that could break the
    number promise (years are dropped)."""
    return re.sub(r"\d+年?", "", doc_label(doc)) or _safe_title(doc)


def _safe_title(doc: Document) -> str:
    """A document's title with its years spelled as the title has them removed; the year is
    in the citation's document, so nothing is lost."""
    title = re.sub(r"(?:19|20)\d\d年?", "", doc.title).strip() or "文档"
    who = doc.issuer or doc.region or ""
    return title if not who or who in title else f"{who}{title}"
