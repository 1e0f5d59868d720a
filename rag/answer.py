"""Extractive answers: question type, evidence scoring, the answer span, citations and refusal.

No generator model is available here, so every answer is a span of a document: a figure with
its unit, a clause, an enumeration or whole sentences. Every digit sequence of an answer is
inside a quote the answer cites, and every quote is the document text at its offsets.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

from rag.chunking import sentence_spans
from rag.config import Settings
from rag.retrieve import Scope, region_aliases
from rag.text import STOPWORDS, bigrams, numbers, segment, synonyms
from rag.types import Answer, Citation, Document, Hit

QTYPES = ("numeric", "list", "entity", "which_doc", "compare", "open")

_FIGURE = re.compile(
    r"(?<![\d.])\d+(?:\.\d+)?(?:\s*[-~～至到]\s*\d+(?:\.\d+)?)?"
    r"(?:万|亿|千|百)?"
    r"(?:亿元|万元|元|万人次|人次|个百分点|场次|家|个|项|人|名|%|％|场|户|件|次|篇|所|座|台|倍|批|支|条|天|期|"
    r"类|种|大类|万|亿|团队|亿元左右)?"
    r"(?:以上|左右|以内|多|余)?"
)
_YEARLIKE = re.compile(r"(?:19|20)\d\d$")
_CLAUSE_END = re.compile(r"[，,；;。！？!?：:\n]")
_ASCII_WORD = re.compile(r"[A-Za-z][A-Za-z0-9&+]*|\d+[A-Za-z]+")


def classify(question: str, compare_regions: int = 0) -> str:
    """The question's type from its wording (see QTYPES)."""
    q = question
    if compare_regions >= 2 or re.search(r"分别|相比|对比|比较|各自|哪个更|谁更", q):
        return "compare"
    if re.search(
        r"哪个(省|市|地区|地方|城市|文件|文档|部门|单位)|哪份|哪一份|哪些(省|市|地区|文件)|哪里提出|谁提出",
        q,
    ):
        return "which_doc"
    if re.search(
        r"多少|几(家|个|项|名|人|场|次|所|批|倍|条)|比例|比重|占比|百分之|增幅|增长|金额|规模|数量|目标值|达到多",
        q,
    ):
        return "numeric"
    if re.search(
        r"(有什么|有哪些|作了什么|做了什么|如何|怎样)(安排|部署|打算|考虑)|怎么(做|安排)", q
    ):
        return "open"
    if re.search(r"哪些|有什么(措施|任务|领域|方面|举措)|包括什么|包含", q):
        return "list"
    if re.search(r"哪个|哪一|什么|谁|何种|何处|名称|叫什么", q):
        return "entity"
    return "open"


# --- evidence scoring -------------------------------------------------------------------------


@dataclass(frozen=True)
class Terms:
    """The question's content as weighted bigram sets, one set per synonym variant."""

    variants: tuple[frozenset[str], ...]
    weight: Mapping[str, float]

    def coverage(self, text: str) -> float:
        """Weighted share of the question's content found in the text (best variant)."""
        grams = set(bigrams(text)) | {w.lower() for w in _ASCII_WORD.findall(text)}
        best = 0.0
        for variant in self.variants:
            total = sum(self.weight.get(g, 1.0) for g in variant)
            if total:
                found = sum(self.weight.get(g, 1.0) for g in variant if g in grams)
                best = max(best, found / total)
        return best


def bigram_idf(texts: Iterable[str]) -> dict[str, float]:
    """Inverse document frequency of every bigram over the texts; a rarer bigram weighs more."""
    df: Counter[str] = Counter()
    n = 0
    for text in texts:
        n += 1
        df.update(set(bigrams(text)))
    return {g: math.log((n + 1) / (c + 1)) + 1.0 for g, c in df.items()} | {"": math.log(n + 1) + 1}


def question_terms(question: str, drop: Iterable[str], idf: Mapping[str, float]) -> Terms:
    """Content bigrams of the question and of its synonym rewrites, places and years removed."""
    texts = [question]
    for key, phrases in synonyms().items():
        if key in question:
            texts += [question.replace(key, p) for p in phrases]
    unseen = idf.get("", 5.0)
    variants = []
    for text in texts:
        for phrase in sorted(set(drop), key=len, reverse=True):
            text = text.replace(phrase, " ")
        text = re.sub(r"(?:19|20)\d\d\s*年?", " ", text)
        # drop stopwords as whole words: cutting 「工作」 out of 「工作站」 would lose evidence
        text = " ".join(w if w not in STOPWORDS else " " for w in segment(text))
        grams = {g for g in bigrams(text) if len(g) == 2}
        grams |= {w.lower() for w in _ASCII_WORD.findall(text)}
        if grams:
            variants.append(frozenset(grams))
    weight = {g: idf.get(g, unseen) for v in variants for g in v}
    return Terms(tuple(variants), weight)


@dataclass(frozen=True)
class Sentence:
    """A sentence of a retrieved chunk, with its evidence score."""

    doc_id: str
    start: int
    end: int
    text: str
    hit: Hit
    score: float


def candidate_sentences(
    hits: Sequence[Hit], documents: Mapping[str, Document], terms: Terms
) -> list[Sentence]:
    """Every sentence of the hits, scored by coverage (its own text plus its section heading)."""
    seen: set[tuple[str, int]] = set()
    out: list[Sentence] = []
    for rank, hit in enumerate(hits):
        doc = documents[hit.chunk.doc_id]
        heading = hit.chunk.section_path[-1] if hit.chunk.section_path else ""
        for s, e in sentence_spans(doc.text, hit.chunk.start, hit.chunk.end):
            if (doc.doc_id, s) in seen:
                continue
            seen.add((doc.doc_id, s))
            text = doc.text[s:e]
            own = terms.coverage(text)
            with_heading = terms.coverage(text + " " + heading)
            # the heading helps, but a sentence must carry most of the evidence itself
            score = 0.75 * max(own, with_heading) + 0.25 * own - 0.01 * rank
            out.append(Sentence(doc.doc_id, s, e, text, hit, score))
    out.sort(key=lambda x: -x.score)
    return out


# --- spans ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Span:
    """An answer span inside a sentence, with its local evidence score."""

    start: int
    end: int
    text: str
    local: float


def figures(sentence: Sentence, terms: Terms) -> list[Span]:
    """Figures in the sentence, each scored by the evidence in the words around it."""
    found: list[Span] = []
    matches = [
        m
        for m in _FIGURE.finditer(sentence.text)
        if not (_YEARLIKE.match(m.group()) and sentence.text[m.end() : m.end() + 1] in "年-—")
    ]
    for i, m in enumerate(matches):
        if _YEARLIKE.fullmatch(m.group()):
            continue
        left_from = matches[i - 1].end() if i else 0
        clause_start = max(
            [left_from] + [x.end() for x in _CLAUSE_END.finditer(sentence.text, 0, m.start())]
        )
        right_to = matches[i + 1].start() if i + 1 < len(matches) else len(sentence.text)
        stop = _CLAUSE_END.search(sentence.text, m.end())
        clause_end = min(right_to, stop.start() if stop else right_to)
        left = sentence.text[clause_start : m.start()]
        right = sentence.text[m.end() : clause_end]
        local = max(terms.coverage(left), 0.6 * terms.coverage(left + right))
        text = m.group().strip()
        found.append(
            Span(sentence.start + m.start(), sentence.start + m.start() + len(text), text, local)
        )
    return found


def clause_of(sentence: Sentence, terms: Terms) -> Span:
    """The clause of the sentence that carries the most evidence (trailing 。 dropped)."""
    best: Span | None = None
    cursor = 0
    for stop in [*(m.start() for m in _CLAUSE_END.finditer(sentence.text)), len(sentence.text)]:
        piece = sentence.text[cursor:stop]
        lead = len(piece) - len(piece.lstrip())
        piece = piece.strip()
        if piece:
            span = Span(
                sentence.start + cursor + lead,
                sentence.start + cursor + lead + len(piece),
                piece,
                terms.coverage(piece),
            )
            if best is None or span.local > best.local:
                best = span
        cursor = stop + 1
    return best or Span(sentence.start, sentence.end, sentence.text, sentence.score)


def _quote(doc: Document, sentence: Sentence, inner: tuple[int, int], limit: int) -> Citation:
    """Cite the sentence, or a window of whole clauses around the answer when it is long."""
    start, end = sentence.start, sentence.end
    if end - start > limit:
        start, end = inner
        while start > sentence.start and end - start < limit:
            prev = max(
                [sentence.start]
                + [m.end() for m in _CLAUSE_END.finditer(doc.text, sentence.start, start - 1)]
            )
            if end - prev > limit:
                break
            start = prev if prev < start else start - 1
        while end < sentence.end and end - start < limit:
            nxt = _CLAUSE_END.search(doc.text, end + 1, sentence.end)
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
    return Citation(doc.doc_id, doc.source, doc.title, path, start, end, doc.text[start:end])


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


# --- answering --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Pick:
    """One extracted answer with the sentence that supports it."""

    text: str
    sentence: Sentence
    span: tuple[int, int]
    confidence: float


def pick(kind: str, sentences: Sequence[Sentence], terms: Terms, settings: Settings) -> Pick | None:
    """The best answer span of the given kind from scored sentences, or None below threshold."""
    floor = settings.min_evidence
    pool = [s for s in sentences if s.score >= floor][:12]
    if not pool:
        return None
    if kind == "numeric":
        best: tuple[float, Pick] | None = None
        for sent in pool:
            for fig in figures(sent, terms):
                value = 0.55 * sent.score + 0.45 * fig.local
                if fig.local >= 0.25 and (best is None or value > best[0]):
                    best = (value, Pick(fig.text, sent, (fig.start, fig.end), value))
        return best[1] if best else None
    top = pool[0]
    if kind in {"entity", "list"}:
        clause = clause_of(top, terms)
        if kind == "list" or len(clause.text) < 8:
            return Pick(top.text.rstrip("。；;"), top, (top.start, top.end), top.score)
        return Pick(clause.text, top, (clause.start, clause.end), top.score)
    return Pick(top.text, top, (top.start, top.end), top.score)


def _refusal(question: str, qtype: str, reason: str, related: Sequence[Hit]) -> Answer:
    message = "文档中没有找到该问题的答案"
    if reason:
        message += f":{reason}"
    message += "。以下是最接近的段落,仅供参考。" if related else "。"
    return Answer(question, message, True, (), tuple(related), qtype)


def answer_question(
    question: str,
    hits: Sequence[Hit],
    scope: Scope,
    documents: Mapping[str, Document],
    idf: Mapping[str, float],
    settings: Settings,
    search_docs: Callable[[frozenset[str]], list[Hit]],
    related: Sequence[Hit] = (),
) -> Answer:
    """Answer from the hits, or refuse; comparisons search each document group separately."""
    qtype = classify(question, len(scope.per_region))
    if scope.empty:
        return _refusal(question, qtype, scope.reason, related or hits)
    drop = [a for r in scope.regions for a in region_aliases(r)] + list(scope.foreign_regions)
    terms = question_terms(question, drop, idf)
    if not terms.variants:
        return _refusal(question, qtype, "问题中没有可检索的内容", hits)
    limit = settings.max_quote_chars

    if qtype == "compare":
        return _compare(question, scope, documents, terms, settings, search_docs, hits)

    sentences = candidate_sentences(hits, documents, terms)
    kind = "numeric" if qtype == "numeric" else "list" if qtype == "list" else "span"
    if qtype == "entity":
        kind = "entity"
    if qtype == "which_doc":
        return _which_doc(question, sentences, documents, settings, hits)
    if qtype == "open":
        chosen = [s for s in sentences if s.score >= settings.min_evidence][:3]
        if not chosen:
            return _refusal(question, qtype, "", hits)
        chosen.sort(key=lambda s: (s.doc_id, s.start))
        cites = tuple(citation(documents[s.doc_id], s.hit, s.start, s.end) for s in chosen)
        return Answer(question, "\n".join(c.quote for c in cites), False, cites, tuple(hits), qtype)
    found = pick(kind, sentences, terms, settings)
    if found is None:
        reason = "相关段落没有给出这一数字" if qtype == "numeric" else ""
        return _refusal(question, qtype, reason, hits)
    doc = documents[found.sentence.doc_id]
    cite = _quote(doc, found.sentence, found.span, limit)
    return Answer(question, found.text, False, (cite,), tuple(hits), qtype)


def _which_doc(
    question: str,
    sentences: Sequence[Sentence],
    documents: Mapping[str, Document],
    settings: Settings,
    hits: Sequence[Hit],
) -> Answer:
    """Name the document(s) whose best sentence clears the evidence bar, each cited."""
    best_per_doc: dict[str, Sentence] = {}
    for s in sentences:
        if s.score >= settings.min_evidence and s.doc_id not in best_per_doc:
            best_per_doc[s.doc_id] = s
    if not best_per_doc:
        return _refusal(question, "which_doc", "", hits)
    top = max(s.score for s in best_per_doc.values())
    chosen = [s for s in best_per_doc.values() if s.score >= top - 0.1]
    lines, cites = [], []
    for s in chosen:
        doc = documents[s.doc_id]
        cites.append(_quote(doc, s, (s.start, s.end), settings.max_quote_chars))
        lines.append(f"{_safe_label(doc)}【{len(cites)}】")
    return Answer(question, "、".join(lines), False, tuple(cites), tuple(hits), "which_doc")


def _safe_label(doc: Document) -> str:
    """A document label whose digits cannot break the number promise (years are dropped)."""
    return re.sub(r"\d+年?", "", doc_label(doc)) or doc.doc_id.split("_")[0].lstrip("0") or "文档"


def _compare(
    question: str,
    scope: Scope,
    documents: Mapping[str, Document],
    terms: Terms,
    settings: Settings,
    search_docs: Callable[[frozenset[str]], list[Hit]],
    hits: Sequence[Hit],
) -> Answer:
    """One line per document, each with its own figure or clause and citation."""
    if len(scope.per_region) >= 2:
        groups = [frozenset(ids) for ids in scope.per_region.values()]
    else:
        allowed = scope.doc_ids if scope.doc_ids is not None else frozenset(documents)
        groups = [frozenset({d}) for d in sorted(allowed)]
    numeric = bool(re.search(r"多少|几|比例|比重|增长|目标|数量|金额", question))
    rows: list[tuple[str, str, int]] = []
    cites: list[Citation] = []
    lines: list[str] = []
    for group in groups:
        group_hits = search_docs(group)
        sentences = candidate_sentences(group_hits, documents, terms)
        found = pick("numeric" if numeric else "entity", sentences, terms, settings)
        if found is None:
            if len(scope.per_region) >= 2:
                label = _safe_label(documents[sorted(group)[0]])
                lines.append(f"{label}:文档中没有找到")
                rows.append((label, "文档中没有找到", 0))
            continue
        doc = documents[found.sentence.doc_id]
        cites.append(_quote(doc, found.sentence, found.span, settings.max_quote_chars))
        label = _safe_label(doc)
        lines.append(f"{label}:{found.text}【{len(cites)}】")
        rows.append((label, found.text, len(cites)))
    if not cites:
        return _refusal(question, "compare", "", hits)
    return Answer(
        question, "\n".join(lines), False, tuple(cites), tuple(hits), "compare", tuple(rows)
    )


def number_violations(answer: Answer) -> list[str]:
    """Digit sequences of the answer that no cited quote contains (must be empty)."""
    if answer.refused:
        return []
    quotes = " ".join(c.quote for c in answer.citations)
    body = re.sub(r"【\d+】", "", answer.answer)
    return [n for n in numbers(body) if n not in quotes]
