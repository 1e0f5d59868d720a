"""Extractive answers: question type, evidence scoring, the answer span, citations and refusal.

No generator model is available here, so every answer is a span of a document: a figure with
its unit, a clause, an enumeration or whole sentences. Every digit sequence of an answer is
inside a quote the answer cites, and every quote is the document text at its offsets.
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from rag.chunking import sentence_spans
from rag.config import Settings
from rag.evidence import Candidate, EvidenceModel
from rag.index import SentenceVectors, Vectors
from rag.measures import NAMES, asked_measure, compatible, figure_measure
from rag.periods import (
    Period,
    Segment,
    period_at,
    period_conflict,
    question_period,
    sentence_period,
)
from rag.places import Place, contains, find_places, place_of, places_in
from rag.retrieve import Scope, region_aliases
from rag.text import STOPWORDS, bigrams, numbers, segment, synonyms
from rag.types import Answer, Citation, Document, Hit, Section

QTYPES = ("numeric", "list", "entity", "which_doc", "compare", "open")

# The units a figure may carry: the legal units of measurement (GB 3100-1993: 千瓦, 吨, 公里,
# 平方米 …, with their 万/亿 multiples), currencies, and the measure words (量词) plans count
# with. Longer units first, so 万千瓦时 is not cut to 万千瓦.
_UNITS = (
    "万千瓦时|亿千瓦时|千瓦时|万千瓦|亿千瓦|千瓦|兆瓦|吉瓦|万吨标准煤|吨标准煤|万吨|亿吨|吨|"
    "平方公里|平方千米|平方米|立方米|公里|千米|万亩|亩|公顷|亿斤|万斤|斤|公斤|千克|"
    "微克/立方米|微克／立方米|标准箱|"
    "亿美元|万美元|美元|亿欧元|欧元|万亿元|亿元|万元|元|"
    "万人次|人次|万户|万人|个百分点|百分点|场次|架次|"
    "家|个|项|人|名|%|％|‰|场|户|件|次|篇|所|座|台|辆|艘|架|部|套|张|床|倍|批|支|条|天|期|"
    "列|只|头|株|棵|处|栋|间|宗|例|起|册|份|段|级|枚|颗|"
    "类|种|大类|万|亿|团队|年时间|年"
)
_FIGURE = re.compile(
    r"(?<![\d.])\d+(?:\.\d+)?(?:\s*[-~～至到]\s*\d+(?:\.\d+)?)?"
    r"(?:万|亿|千|百)?"
    rf"(?:{_UNITS})?"
    r"(?:以上|左右|以内|以下|多|余)?"
)
_YEARLIKE = re.compile(r"(?:19|20)\d\d")
_YEAR_WORD = re.compile(r"(?:19|20)\d\d\s*年?")
_YEAR_RANGE = re.compile(r"(?:19|20)\d\d\s*[-~～至到]\s*(?:19|20)\d\d")
# counters a question asks with: 「多少家」, 「几席」
_ASKING_COUNTERS = "家个项名人件所场次座批支条位席只张台种类"
_COUNTERS = ("家", "个", "座", "项", "件", "所", "场", "次", "批", "支", "条")
# what a question's wording says about the unit of the figure it wants
_UNIT_HINTS = (
    (re.compile(r"多少(亿元|亿)"), ("亿",)),
    (re.compile(r"多少万元|多少万"), ("万",)),
    (re.compile(r"多少(钱|资金|金额)|金额|资金.*多少|多少.*资金"), ("元",)),
    (re.compile(r"比重|比例|占比|强度|增速|增幅|百分"), ("%", "％", "百分点")),
    (re.compile(r"多少(名|人|位)|几(名|人|位)"), ("名", "人")),
    (re.compile(r"多长时间|几年|多少年"), ("年",)),
    (re.compile(r"多少家|几家"), ("家", "所")),
    (re.compile(r"多少项|几项"), ("项", "件")),
    # 「个」 is the generic counter (几个项目 is answered by 4项), so any counter will do
    (re.compile(r"多少(个|座|件|所|场|次)|几(个|件|所|场|次)"), _COUNTERS),
)


# Words that look alike to a keyword matcher but ask different things: a sentence that uses
# another member of a group, and not the question's, does not answer the question. The groups
# are general distinctions of plan language: the administrative level of a programme, and a
# flow (新增) against a stock (总数, 累计). Periods (上半年/下半年) are rag/periods.py's.
CONTRASTS: tuple[tuple[str, ...], ...] = (
    ("国家级", "省级", "市级", "县级"),
    ("新增", "总数", "累计"),
)


def contradicts(question: str, text: str) -> bool:
    """True when the text answers a neighbouring question (省级 asked, 国家级 stated)."""
    for group in CONTRASTS:
        asked = {w for w in group if w in question}
        stated = {w for w in group if w in text}
        if asked and stated and not asked & stated:
            return True
    return False


_ASKED_VERB = re.compile(r"([\u4e00-\u9fff]{1,2}[到至])(?:每[年月人户])?(?:多少|几)")
_BOUND_LEAD = re.compile(r"(?:突破|超过|超|逾|近|约|不少于|不低于|不超过|不高于)$")
_CHANGE_LEAD = re.compile(r"(?:较上年|比上年|同比)?(?:增长|提高|提升|增加|下降|减少|降低)了?$")


_ASKED_COUNT = re.compile(rf"(?:多少|几)[{_ASKING_COUNTERS}]?")
_HEAD_BEFORE = re.compile(
    r"([\u4e00-\u9fffA-Za-z&]{2,16}?)的?(?:目标|计划|总额|规模|数量|金额)?值?"
    r"(?:是|为|要|将|计划|力争)?(?:达到|达)?了?(?:多少|几)"
)
_UNIT_ONLY = re.compile(rf"(?:万|亿|千|百)?(?:{_UNITS})")
_HEAD_AFTER = re.compile(rf"(?:多少|几)(?:万|亿|千|百)?(?:{_UNITS}|位)?([\u4e00-\u9fff、]{{2,}})")


# 「多少以下」, 「多少以上」: a qualifier of the figure, not the thing measured
_QUALIFIER = re.compile(r"(?<=多少)(?:以下|以上|左右|以内)")
# 「分别是多少」, 「各是多少」: a comparison's asking words, not part of the measured thing
_EACH = re.compile(r"分别|各自|各(?=是|为|有|要)")


def head_phrase(question: str, whole: bool = False) -> str:
    """The thing a numeric question measures: the noun after 「多少家」 or before 「是多少」.

    After the counter, the phrase may be a bare noun followed by more question (「多少家企业跻身
    百强」) or a long noun phrase whose head ends it (「多少个专门做试验放大、技术熟化的成果转化
    基地」): both its first and its last four characters are kept, and either may match. Before
    「是多少」 a noun phrase ends in its head, so only the last four characters are kept:
    「科技型中小企业担保放款目标是多少」 measures 担保放款, not 科技型中小企业.
    """
    question = _EACH.sub("", question)
    after = _HEAD_AFTER.search(_QUALIFIER.sub("", question))
    if after and _UNIT_ONLY.fullmatch(after.group(1)):
        after = None  # 「多少亿斤?」: the unit asked for, not the thing measured
    if after:
        phrase = after.group(1).strip("、")
        tail = phrase.split("的")[-1]
        if whole:
            return phrase
        return phrase[:4] if len(phrase) <= 4 else f"{phrase[:4]} {tail[-4:]}"
    before = _HEAD_BEFORE.search(question)
    if not before:
        return ""
    phrase = re.sub(r"(?:19|20)\d\d年?|的", "", before.group(1))
    phrase = "".join(w for w in segment(phrase) if w not in STOPWORDS)
    return phrase if whole else phrase[-4:]


def literal_figures(question: str) -> list[str]:
    """Figures the question quotes (「2500亿元是哪个省的目标?」), years aside, and figures
    that are part of a wording with synonyms (「100强」 is also written 百强)."""
    text = re.sub(r"(?:19|20)\d\d\s*年", " ", question)
    for key in synonyms():
        if key in text and numbers(key):
            text = text.replace(key, " ")
    return [n for n in numbers(text) if not _YEARLIKE.fullmatch(n)]


def unit_hint(question: str) -> tuple[str, ...]:
    """Units the question's wording requires of its figure (empty: any)."""
    for pattern, units in _UNIT_HINTS:
        if pattern.search(question):
            return units
    return ()


# the issuing body names the document, it is not evidence of an answer
_ISSUER = re.compile(r"(?:科学技术|科技)(?:厅|局|委员会|委)|科技工委|市委|省委|党组")
_OUTLINE_MARK = re.compile(r"^[(（]?[一二三四五六七八九十百\d]+[)）、.．]")
_CLAUSE_END = re.compile(r"[，,；;。！？!?：:\n]")
_ASCII_WORD = re.compile(r"[A-Za-z][A-Za-z0-9&+]*|\d+[A-Za-z]+")
# a figure with the character after it (「100强」, 「2500亿」) is a term bigrams cannot see
_FIGURE_WORD = re.compile(r"(?<![\d.])\d+(?:\.\d+)?[\u4e00-\u5e73\u5e75-\u9fff]")  # not 年


def classify(question: str, compare_regions: int = 0) -> str:
    """The question's type from its wording (see QTYPES)."""
    q = question
    if compare_regions >= 2 or re.search(r"分别|相比|对比|比较|各自|哪个更|谁更", q):
        return "compare"
    if re.search(
        r"哪个(省|市|县|区(?!域)|地区|地方|城市|文件|文档|部门|单位)|哪份|哪一份"
        r"|哪些(省|市|县|区(?!域)|地区|文件)"
        r"|哪里提出|谁提出|哪一?年的?(?:政府工作)?报告|哪一?年提出",
        q,
    ):
        return "which_doc"
    if "哪些" in q and re.search(r"各(?:有|是|为|要)?(?:多少|几)", q):
        return "list"  # 「培育哪些类别的人才,各多少?」: the enumeration with its figures
    if re.search(
        rf"多少|几[{_ASKING_COUNTERS}倍]|比例|比重|占比|百分之|增幅|增长|金额|规模|数量|目标值|达到多",
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
        """Weighted share of the question's content found in the text (best variant).

        A synonym rewrite counts a little less than the question's own wording, so a sentence
        that uses the asker's words wins a tie against one that matches only a rewrite.
        """
        grams = set(bigrams(text)) | {w.lower() for w in _ASCII_WORD.findall(text)}
        grams |= set(_FIGURE_WORD.findall(text))
        best = 0.0
        for n, variant in enumerate(self.variants):
            total = sum(self.weight.get(g, 1.0) for g in variant)
            if total:
                found = sum(self.weight.get(g, 1.0) for g in variant if g in grams)
                best = max(best, found / total * (1.0 if n == 0 else 0.85))
        return best


def bigram_idf(texts: Iterable[str]) -> dict[str, float]:
    """Inverse document frequency of every bigram over the texts; a rarer bigram weighs more."""
    df: Counter[str] = Counter()
    n = 0
    for text in texts:
        n += 1
        df.update(set(bigrams(text)))
    return {g: math.log((n + 1) / (c + 1)) + 1.0 for g, c in df.items()} | {"": math.log(n + 1) + 1}


# the words that only ask (kept out of the content even when the other stopwords are kept)
_ASKING_WORDS = frozenset(
    "多少 几 几个 什么 哪些 哪个 哪 哪里 哪份 谁 怎么 怎样 如何 是否 吗 呢 么 啥 请问 请 有".split()
)


def question_terms(
    question: str, drop: Iterable[str], idf: Mapping[str, float], keep_stopwords: bool = False
) -> Terms:
    """Content bigrams of the question and of its synonym rewrites, places and years removed."""
    texts = [question]
    # two rounds, so 「R&D投入强度」 -> 「研发投入强度」 -> 「研发经费支出占地区生产总值的比重」
    for _ in range(2):
        for text in list(texts):
            for key, phrases in synonyms().items():
                if key in text:
                    texts += [
                        text.replace(key, p) for p in phrases if text.replace(key, p) not in texts
                    ]
    # a bigram the corpus never uses is most often paraphrase wording that nothing can match;
    # weigh it like an ordinary bigram rather than a decisive one
    seen = sorted(v for k, v in idf.items() if k)
    unseen = seen[len(seen) // 2] if seen else 1.0
    variants = []
    # years go first, from the dropped phrases too, so that no stray 「1年」 is left behind
    dropped = sorted({_YEAR_WORD.sub(" ", p).strip() for p in drop} - {""}, key=len, reverse=True)
    for text in texts:
        text = _YEAR_WORD.sub(" ", text)
        for phrase in dropped:
            text = text.replace(phrase, " ")
        latin = {w.lower() for w in _ASCII_WORD.findall(text)} | set(_FIGURE_WORD.findall(text))
        # drop stopwords as whole words: cutting 「工作」 out of 「工作站」 would lose evidence
        stop = _ASKING_WORDS if keep_stopwords else STOPWORDS
        # the asking words with their counter (几席, 多少名) are form, not content
        text = " ".join(" " if w in stop or _ASKED_COUNT.fullmatch(w) else w for w in segment(text))
        grams = {g for g in bigrams(text) if len(g) == 2} | latin
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


def _is_heading(text: str, label: str) -> bool:
    """True for a sentence that only repeats its section heading (「12.加大…选认力度。」)."""
    bare = text.strip().rstrip("。:：")
    if not bare or not label or not (bare == label or (len(bare) <= 30 and bare in label)):
        return False
    # an unnumbered section's opening sentence (the Jiangxi plan) often is the content itself:
    # 「积极创建井冈山国家农业高新区。」; only a short one is a mere label
    return bool(_OUTLINE_MARK.match(label)) or len(bare) <= 10


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
    seen: set[tuple[str, int]] = set()
    out: list[Sentence] = []
    for rank, hit in enumerate(hits):
        doc = documents[hit.chunk.doc_id]
        heading = hit.chunk.section_path[-1] if hit.chunk.section_path else ""
        carried = 0.0
        for s, e in sentence_spans(doc.text, hit.chunk.start, hit.chunk.end):
            text = doc.text[s:e]
            own = terms.coverage(text)
            with_heading = terms.coverage(text + " " + heading)
            # the heading helps, but a sentence must carry most of the evidence itself
            score = max(0.75 * max(own, with_heading) + 0.25 * own, carried) - 0.01 * rank
            carried = 0.0
            if _is_heading(text, heading):
                carried, score = 0.95 * score, 0.5 * score
            if literal_numbers and not all(n in text for n in literal_numbers):
                score *= 0.3
            if (doc.doc_id, s) in seen:
                continue
            seen.add((doc.doc_id, s))
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
    context: str = ""


def figures(sentence: Sentence, terms: Terms) -> list[Span]:
    """Figures in the sentence, each scored by the evidence in the words around it."""
    found: list[Span] = []
    year_spans = [m.span() for m in _YEAR_RANGE.finditer(sentence.text)]
    matches = [
        m
        for m in _FIGURE.finditer(sentence.text)
        if not any(s <= m.start() < e for s, e in year_spans)
    ]
    for i, m in enumerate(matches):
        if _YEARLIKE.fullmatch(m.group().rstrip("年")):
            continue
        if m.start() == 0 and sentence.text[m.end() : m.end() + 1] in ".．、":
            continue  # an outline number such as 「10.」 is not a figure
        left_from = matches[i - 1].end() if i else 0
        clause_start = max(
            [left_from] + [x.end() for x in _CLAUSE_END.finditer(sentence.text, 0, m.start())]
        )
        right_to = matches[i + 1].start() if i + 1 < len(matches) else len(sentence.text)
        stop = _CLAUSE_END.search(sentence.text, m.end())
        clause_end = min(right_to, stop.start() if stop else right_to)
        left = sentence.text[clause_start : m.start()]
        # 「新增高新技术企业1500家、瞪羚企业200家」: a figure closed by 、 owns no words after it
        closed = sentence.text[m.end() : m.end() + 1] in "、,,;;。"
        right = "" if closed else sentence.text[m.end() : clause_end]
        # Chinese puts a figure before its noun as often as after it (培育30家拟上市科技企业)
        local = max(
            terms.coverage(left), 0.9 * terms.coverage(right), 0.8 * terms.coverage(left + right)
        )
        text = m.group().strip()
        found.append(
            Span(
                sentence.start + m.start(),
                sentence.start + m.start() + len(text),
                text,
                local,
                left + right,
            )
        )
    return found


def clauses(sentence: Sentence) -> list[tuple[int, int]]:
    """Clause spans (absolute offsets, trimmed, without the closing mark) of a sentence."""
    spans: list[tuple[int, int]] = []
    cursor = 0
    for stop in [*(m.start() for m in _CLAUSE_END.finditer(sentence.text)), len(sentence.text)]:
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


def title_overlaps(question: str, titles: Iterable[str], shortest: int = 4) -> list[str]:
    """Stretches of the question (4+ characters) quoted from a document title.

    They name the document, so they steer retrieval but are not evidence of the answer:
    「芜湖市科技局2020年上半年工作总结中,全市高新技术企业达到多少家?」 asks about 高新技术企业.
    """
    found: list[str] = []
    for title in titles:
        i = 0
        while i < len(question):
            length = 0
            while i + length < len(question) and question[i : i + length + 1] in title:
                length += 1
            piece = question[i : i + length]
            # what is left once place and year are gone must itself be title-like
            rest = re.sub(r"(?:19|20)\d\d年?|[\u4e00-\u9fff]{2,3}(?:省|市)", "", piece)
            if length >= shortest and len(rest) >= 3:
                found.append(piece)
            # matches are maximal: a suffix of a rejected stretch is not tried again
            i += max(length, 1)
    return found


def doc_label(doc: Document) -> str:
    """How an answer names a document: its region, or its title for an unnamed place."""
    return doc.region or doc.title


# --- evidence ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Evidence:
    """What the answerer reads beyond the passages: when each passage speaks of, the sentence
    vectors and the question's vector (meaning), and the calibrated evidence model."""

    times: Mapping[str, list[Segment]] = field(default_factory=dict)
    vectors: SentenceVectors | None = None
    query: Vectors | None = None
    model: EvidenceModel | None = None


@dataclass(frozen=True)
class Scored:
    """A candidate sentence with its features, its period and the model's probability."""

    sentence: Sentence
    candidate: Candidate
    period: Period
    conflict: str | None
    probability: float


def assess(
    question: str,
    sentences: Sequence[Sentence],
    hits: Sequence[Hit],
    terms: Terms,
    evidence: Evidence,
    places: Sequence[Place] = (),
    years_only: bool = False,
) -> list[Scored]:
    """Every candidate sentence described, dated and scored; the most probable first.

    Without a model file the lexical score stands in for the probability (a bootstrap for
    `rag calibrate`, which fits the model from these same features). When the question names
    a place inside a document's region (合肥 of an 安徽 plan), `places` holds it: a sentence
    that names neither it nor a place inside it speaks of the region, and conflicts.
    """
    head = head_phrase(question)
    head_terms = question_terms(head, (), {}) if len(head) >= 2 else None
    rank_of = {h.chunk.chunk_id: n + 1 for n, h in enumerate(hits)}
    keys = [(s.doc_id, s.start, s.end) for s in sentences]
    cosines: list[float | None] = [None] * len(keys)
    if evidence.vectors is not None and evidence.query is not None:
        cosines = evidence.vectors.cosines(evidence.query, keys)
    candidates = []
    for s, cos in zip(sentences, cosines, strict=True):
        heading = " ".join(s.hit.chunk.section_path[-2:])
        head_cov = (
            head_terms.coverage(s.text + heading) if head_terms and head_terms.variants else 1.0
        )
        candidates.append(
            Candidate(
                coverage=s.score,
                own_coverage=terms.coverage(s.text),
                cosine=cos if cos is not None else 0.0,
                passage_score=s.hit.score,
                passage_rank=rank_of.get(s.hit.chunk.chunk_id, len(hits) + 1),
                head=head_cov,
            )
        )
    asked = question_period(question)
    if years_only:
        # a comparison's half and stance may belong to one of its places only
        asked = (asked[0], None, None)
    periods: list[Period] = []
    conflicts: list[str | None] = []
    for s in sentences:
        context = period_at(evidence.times.get(s.doc_id, []), s.start)
        period = sentence_period(s.text, context)
        conflict = period_conflict(asked, period)
        if conflict is None and places:
            where = s.text + " " + " ".join(s.hit.chunk.section_path)
            named = [found for found, _, _ in find_places(where)]
            if not any(contains(p, f) for p in places for f in named):
                conflict = "place"
        periods.append(period)
        conflicts.append(conflict)
    # the model compares a candidate with the best of the others that could answer: a sentence
    # of another year is set aside first, so it does not overshadow the right one
    fitting = [n for n, c in enumerate(conflicts) if c is None]
    probabilities = [0.0] * len(candidates)
    for group in (fitting, [n for n, c in enumerate(conflicts) if c is not None]):
        chosen = [candidates[n] for n in group]
        if evidence.model is not None:
            values = evidence.model.probabilities(chosen)
        else:
            values = [c.coverage for c in chosen]
        for n, value in zip(group, values, strict=True):
            probabilities[n] = value
    out = [
        Scored(s, c, period, conflict, p)
        for s, c, period, conflict, p in zip(
            sentences, candidates, periods, conflicts, probabilities, strict=True
        )
    ]
    out.sort(key=lambda x: -x.probability)
    return out


def enclosed_places(scope: Scope) -> tuple[Place, ...]:
    """The places the question asks about inside a document's wider region."""
    return tuple(place_of(name) for name in scope.enclosed)


def threshold_of(evidence: Evidence, settings: Settings) -> float:
    """The acceptance bar: the model's fitted threshold, else the lexical setting."""
    return evidence.model.threshold if evidence.model is not None else settings.min_evidence


# --- answering --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Pick:
    """One extracted answer with the sentence that supports it."""

    text: str
    scored: Scored
    span: tuple[int, int]
    confidence: float

    @property
    def sentence(self) -> Sentence:
        """The supporting sentence."""
        return self.scored.sentence


@dataclass
class Misses:
    """Why good evidence was set aside: the best sentence of another period or measure."""

    period: Scored | None = None
    measure: tuple[Scored, Span, str] | None = None


def pick(
    kind: str,
    scored: Sequence[Scored],
    terms: Terms,
    threshold: float,
    question: str = "",
    own: Mapping[str, tuple[str, ...]] | None = None,
    misses: Misses | None = None,
) -> Pick | None:
    """The best answer span of the given kind, or None when no sentence clears the bar.

    A sentence of another year, half or stance than the question asks is never used (it is
    noted in `misses`). A numeric pick must be a figure of the measure the question asks
    (a share is not answered by a growth rate) in the unit its wording asks for (「多少亿元」 is
    not answered by a %), and must stand next to some of the question's content. `own` gives,
    for each document whose place the question names, the words by which it names itself
    (我市, 全市): within a sentence, a figure stated of the place itself beats a district's.
    """
    misses = misses if misses is not None else Misses()
    pool = []
    for sc in scored:
        if sc.probability < threshold:
            break
        if contradicts(question, sc.sentence.text + " ".join(sc.sentence.hit.chunk.section_path)):
            continue
        if sc.conflict is not None:
            misses.period = misses.period or sc
            continue
        pool.append(sc)
        if len(pool) >= 12:
            break
    if not pool:
        return None
    if kind == "numeric":
        units = unit_hint(question)
        asked = asked_measure(question)
        quoted = literal_figures(question)
        # the measured thing in the asker's own words (a synonym rewrite, 高企 -> 高新技术企业,
        # would let a neighbouring figure's words count too), weighted like the question: its
        # whole phrase (瞪羚企业新增 picks 瞪羚企业200家 over 高新技术企业1500家) and its last
        # words, where a Chinese noun phrase keeps its head (…项目计划完成投资 measures 完成投资)
        heads = [
            t
            for t in (
                question_terms(head_phrase(question, whole=True), (), terms.weight),
                question_terms(head_phrase(question), (), terms.weight),
            )
            if t.variants
        ]
        head_terms = [Terms(t.variants[:1], t.weight) for t in heads]
        # whether a sentence names the asked thing at all may rest on a synonym (高企)
        related = heads
        # 「提高到每月多少元」 asks the figure after 提高到, not the one it was raised from
        asked_verb_match = _ASKED_VERB.search(question)
        asked_verb = asked_verb_match.group(1) if asked_verb_match else ""
        best: tuple[tuple[bool, float, float, float, bool, float], Scored, Span, str] | None = None
        missed_near = -1.0
        for sc in pool:
            sent = sc.sentence
            if quoted and not all(n in sent.text for n in quoted):
                continue
            figs = figures(sent, terms)
            for fig in figs:
                if units and not any(u in fig.text for u in units):
                    continue
                before = _CLAUSE_END.split(sent.text[: fig.start - sent.start])[-1]
                measure = figure_measure(before, fig.text)
                near = sum(h.coverage(fig.context) for h in head_terms)
                if not compatible(asked, measure):
                    # the refusal names the figure of another measure that is nearest the asked
                    # thing (较上年增长10%以上 for 技术合同成交额), not the first one in a sentence
                    if near > missed_near:
                        misses.measure, missed_near = (sc, fig, measure), near
                    continue
                # a figure whose own words name the measured thing first (完成投资1.2万亿元, not
                # 项目4600个), then the most probable sentence, then the figure nearest the asked
                # words; among equals, one the named place states of itself (我市…)
                is_own = bool(own and any(w in before for w in own.get(sent.doc_id, ())))
                where = _around(sent, fig) if len(figs) > 1 else sent.text
                if related and not any(h.coverage(where) for h in related):
                    continue  # the figure's own words (its sentence's, if alone) miss the thing
                verb = bool(asked_verb and asked_verb in sent.text[: fig.start - sent.start][-6:])
                key = (verb, round(near, 1), sc.probability, round(fig.local, 1), is_own, fig.local)
                if best is None or key > best[0]:
                    best = (key, sc, fig, before)
        if best is None:
            return None
        _, sc, fig, before = best
        # 「较上年增长10%以上」: a change is not a level, so its verb stays with it; so does a
        # bound written before the figure (突破1600亿斤, 超过5万家)
        lead = _CHANGE_LEAD.search(before) or _BOUND_LEAD.search(before)
        start = fig.start - (len(lead.group()) if lead else 0)
        text = (lead.group() if lead else "") + fig.text
        return Pick(text, sc, (start, fig.end), sc.probability)
    top = pool[0]
    if kind == "list":
        # a list is answered by an enumeration, not by the heading that announces it
        heading = next(
            (
                sc
                for sc in pool
                if sc.sentence.text.count("、") >= 2
                and not _is_heading(
                    sc.sentence.text,
                    sc.sentence.hit.chunk.section_path[-1:][0]
                    if sc.sentence.hit.chunk.section_path
                    else "",
                )
            ),
            None,
        )
        top = heading or top
    sent = top.sentence
    if kind in {"entity", "list"}:
        clause = clause_of(sent, terms)
        if kind == "list" or len(clause.text) < 8:
            return Pick(sent.text.rstrip("。；;"), top, (sent.start, sent.end), top.probability)
        return Pick(clause.text, top, (clause.start, clause.end), top.probability)
    return Pick(sent.text, top, (sent.start, sent.end), top.probability)


def _around(sentence: Sentence, fig: Span) -> str:
    """The figure's clause and the one before it: a Chinese clause's subject often stands in
    the clause before (「粮食总产量再上新台阶，突破1600亿斤大关」)."""
    text, at = sentence.text, fig.start - sentence.start
    stops = [m.end() for m in _CLAUSE_END.finditer(text, 0, at)]
    begin = stops[-2] if len(stops) >= 2 else 0
    end = _CLAUSE_END.search(text, at + len(fig.text))
    return text[begin : end.start() if end else len(text)]


def _enumerates(sentence: Sentence) -> bool:
    """A sentence that lists things (two or more 、) and is not just a heading."""
    path = sentence.hit.chunk.section_path
    return sentence.text.count("、") >= 2 and not _is_heading(
        sentence.text, path[-1] if path else ""
    )


def phrase_of(doc: Document, found: Pick) -> str:
    """A numeric answer as a short verbatim phrase: the words of its clause before the figure
    (「技术合同成交额达到2500亿元」), so the answer names what the figure measures."""
    sent = found.sentence
    stops = [m.end() for m in _CLAUSE_END.finditer(doc.text, sent.start, found.span[0])]
    begin = max([sent.start, *stops])
    begin = max(begin, found.span[0] - _MAX_PHRASE_LEAD)
    phrase = doc.text[begin : found.span[1]].strip()
    phrase = _OUTLINE_MARK.sub("", phrase)
    return phrase if found.text in phrase else found.text


_MAX_PHRASE_LEAD = 30


def labelled(found: Pick, doc: Document, numeric: bool) -> str:
    """The answer text: 「2022年目标:技术合同成交额达到2500亿元」 for a figure, else the span."""
    if not numeric:
        return found.text
    label = found.scored.period.label()
    phrase = phrase_of(doc, found)
    return f"{label}:{phrase}" if label else phrase


_SELF_NAMES = {level: (f"我{level}", f"全{level}", f"本{level}") for level in "省市县"}


def self_names(question: str, documents: Mapping[str, Document]) -> dict[str, tuple[str, ...]]:
    """For each document whose place the question names, the words it uses for itself."""
    out: dict[str, tuple[str, ...]] = {}
    for doc in documents.values():
        level = doc.region_level or ""
        named = doc.region and any(a in question for a in region_aliases(doc.region))
        if named and level in _SELF_NAMES:
            out[doc.doc_id] = _SELF_NAMES[level]
    return out


def _refusal(
    question: str,
    qtype: str,
    reason: str,
    related: Sequence[Hit],
    citations: Sequence[Citation] = (),
) -> Answer:
    message = "文档中没有找到该问题的答案"
    if reason:
        message += f":{reason}"
    message += "。以下是最接近的段落,仅供参考。" if related else "。"
    return Answer(question, message, True, tuple(citations), tuple(related), qtype)


def _asked_label(question: str) -> str:
    years, half, stance = question_period(question)
    when = "、".join(f"{y}年" for y in years) + (half or "")
    what = {"result": "完成情况", "plan": "目标或安排"}.get(stance or "", "相应内容")
    return when + what


def explain_misses(
    question: str, misses: Misses, documents: Mapping[str, Document], limit: int
) -> tuple[str, list[Citation]]:
    """A refusal's reasons when good evidence was of another place, period or measure, each
    with its quote: what the text gives instead of what was asked."""
    reasons: list[str] = []
    cites: list[Citation] = []
    if misses.period is not None:
        sc = misses.period
        doc = documents[sc.sentence.doc_id]
        cites.append(_quote(doc, sc.sentence, (sc.sentence.start, sc.sentence.end), limit))
        if sc.conflict == "place":
            reasons.append(f"文档只给出{_safe_label(doc)}的情况,没有单独给出所问地方的数字")
        else:
            given = sc.period.label() or "其他时期"
            reasons.append(f"文档给出的是{given},没有{_asked_label(question)}")
    if misses.measure is not None:
        sc, fig, measure = misses.measure
        doc = documents[sc.sentence.doc_id]
        wanted = NAMES.get(asked_measure(question) or "", "所问的量")
        when = sc.period.label()
        reasons.append(
            f"{when + '给出的是' if when else '文档给出的是'}{NAMES[measure]},不是{wanted}"
        )
        cites.append(
            dataclasses.replace(_quote(doc, sc.sentence, (fig.start, fig.end), limit), period=when)
        )
    return ";".join(reasons), cites


def terms_for(
    question: str, scope: Scope, documents: Mapping[str, Document], idf: Mapping[str, float]
) -> Terms:
    """The question's content terms: places, years, quoted titles and issuers are scope."""
    # every place the question names is scope, not evidence, even one the year filter set aside
    places = {d.region for d in documents.values() if d.region} | set(scope.regions)
    drop = [a for r in places for a in region_aliases(r) if a in question]
    drop += list(scope.foreign_regions)
    scoped = scope.doc_ids if scope.doc_ids is not None else frozenset(documents)
    drop += title_overlaps(question, [documents[d].title for d in scoped])
    drop += _ISSUER.findall(question)
    terms = question_terms(question, drop, idf)
    if not terms.variants:
        # 「陕西省2022年的主要目标有哪些?」 is all stopwords but for 主要目标: keep them
        terms = question_terms(question, drop, idf, keep_stopwords=True)
    return terms


def answer_question(
    question: str,
    hits: Sequence[Hit],
    scope: Scope,
    documents: Mapping[str, Document],
    idf: Mapping[str, float],
    settings: Settings,
    search_docs: Callable[[frozenset[str] | None], list[Hit]],
    related: Sequence[Hit] = (),
    evidence: Evidence | None = None,
) -> Answer:
    """Answer from the hits, or refuse; comparisons search each document group separately."""
    evidence = evidence or Evidence()
    qtype = classify(question, len(scope.per_region))
    if scope.empty:
        return _refusal(question, qtype, scope.reason, related or hits)
    meta = metadata_answer(question, scope, documents)
    if meta is not None:
        return meta
    terms = terms_for(question, scope, documents, idf)
    if not terms.variants:
        return _refusal(question, qtype, "问题中没有可检索的内容", hits)
    limit = settings.max_quote_chars
    threshold = threshold_of(evidence, settings)

    if qtype == "compare":
        return _compare(question, scope, documents, terms, settings, search_docs, hits, evidence)

    sentences = candidate_sentences(hits, documents, terms)
    scored = assess(question, sentences, hits, terms, evidence, enclosed_places(scope))
    answer = _from_evidence(question, qtype, scored, terms, documents, threshold, limit, hits)
    return dataclasses.replace(answer, confidence=scored[0].probability if scored else None)


def _from_evidence(
    question: str,
    qtype: str,
    scored: Sequence[Scored],
    terms: Terms,
    documents: Mapping[str, Document],
    threshold: float,
    limit: int,
    hits: Sequence[Hit],
) -> Answer:
    """The answer of a non-comparison question from its scored sentences, or a refusal."""
    if qtype == "which_doc":
        return _which_doc(question, scored, documents, threshold, limit, hits)
    misses = Misses()
    if qtype == "list":
        listed = section_list(question, scored, terms, documents, threshold, hits)
        if listed is not None:
            return listed
    if qtype == "open":
        chosen = [sc for sc in scored if sc.probability >= threshold and sc.conflict is None][:3]
        if not chosen:
            reason, cites = explain_misses(
                question, _misses_of(scored, threshold), documents, limit
            )
            return _refusal(question, qtype, reason, hits, cites)
        chosen.sort(key=lambda sc: (sc.sentence.doc_id, sc.sentence.start))
        quotes = tuple(
            citation(
                documents[sc.sentence.doc_id], sc.sentence.hit, sc.sentence.start, sc.sentence.end
            )
            for sc in chosen
        )
        text = "\n".join(c.quote for c in quotes)
        return Answer(question, text, False, quotes, tuple(hits), qtype)
    kind = {"numeric": "numeric", "list": "list", "entity": "entity"}.get(qtype, "span")
    own = self_names(question, documents)
    found = pick(kind, scored, terms, threshold, question=question, own=own, misses=misses)
    if found is None:
        reason, cites = explain_misses(question, misses, documents, limit)
        if not reason and qtype == "numeric":
            reason = "相关段落没有给出这一数字"
        return _refusal(question, qtype, reason, hits, cites)
    doc = documents[found.sentence.doc_id]
    text = labelled(found, doc, kind == "numeric")
    span = found.span
    if kind == "numeric" and text != found.text:
        phrase_start = doc.text.rfind(text.split(":", 1)[-1], found.sentence.start, span[1])
        span = (min(span[0], phrase_start), span[1]) if phrase_start >= 0 else span
    cite = dataclasses.replace(
        _quote(doc, found.sentence, span, limit), period=found.scored.period.label()
    )
    return Answer(question, text, False, (cite,), tuple(hits), qtype)


def section_list(
    question: str,
    scored: Sequence[Scored],
    terms: Terms,
    documents: Mapping[str, Document],
    threshold: float,
    hits: Sequence[Hit],
) -> Answer | None:
    """「有哪些重点任务?」 answered by the items of the section it names: each child heading,
    cited. A section above a retrieved passage qualifies when it has at least two items and its
    heading holds all of the question's content, or at least as much as the best usable
    sentence does."""
    usable = [sc for sc in scored if sc.probability >= threshold and sc.conflict is None]
    best_sentence = max((sc.candidate.own_coverage for sc in usable), default=1.0)
    best: tuple[float, Document, Section] | None = None
    for hit in hits:
        doc = documents[hit.chunk.doc_id]
        for section in doc.sections:
            if not section.start <= hit.chunk.start < section.end:
                continue
            children = [c for c in doc.sections if c.parent == section.id]
            cover = terms.coverage(section.title)
            if cover < min(best_sentence, 0.999) or (len(children) < 2 and cover < 0.999):
                continue
            if best is None or cover > best[0]:
                best = (cover, doc, section)
    if best is None:
        return None
    _, doc, section = best
    children = [c for c in doc.sections if c.parent == section.id]
    if len(children) < 2:
        # 「主要目标有哪些?」 names a section without items: its own text is the answer
        body = [
            (a, b)
            for a, b in sentence_spans(doc.text, section.start, section.end)
            if not _is_heading(doc.text[a:b], section.label)
        ][:2]
        if not body:
            return None
        cites = [citation(doc, None, a, b) for a, b in body]
        text = "\n".join(c.quote for c in cites)
        return Answer(question, text, False, tuple(cites), tuple(hits), "list")
    cites = []
    for child in children:
        line_end = doc.text.find("\n", child.start)
        end = min(line_end if line_end >= 0 else child.end, child.end)
        cites.append(citation(doc, None, child.start, end))
    # each item's own heading, number and all: no digit is added that the quote does not have
    text = "\n".join(c.quote.strip() for c in cites)
    return Answer(question, text, False, tuple(cites), tuple(hits), "list")


def _misses_of(scored: Sequence[Scored], threshold: float) -> Misses:
    misses = Misses()
    misses.period = next(
        (sc for sc in scored if sc.probability >= threshold and sc.conflict is not None), None
    )
    return misses


# 文号, issuer and date are metadata: answered from the document's own line, cited
_META_ASKS = (
    (re.compile(r"文号|发文字号|字号是"), "doc_number"),
    (
        re.compile(
            r"发文单位|发文机关|印发单位|哪个(?:部门|单位|机关)(?:印发|发布|制定)|谁(?:印发|发布)"
        ),
        "issuer",
    ),
    (
        re.compile(
            r"(?:发布|印发|作报告|报告)(?:的)?(?:日期|时间)|哪(?:一)?天(?:发布|印发)|什么时候(?:发布|印发)"
        ),
        "published",
    ),
)


def metadata_answer(
    question: str, scope: Scope, documents: Mapping[str, Document]
) -> Answer | None:
    """A 文号 / 发文单位 / 日期 question about one named document, answered from its metadata
    and cited where the document's text states it; None for any other question."""
    field_name = next((f for pattern, f in _META_ASKS if pattern.search(question)), None)
    if field_name is None or scope.doc_ids is None or len(scope.doc_ids) != 1:
        return None
    doc = documents[next(iter(scope.doc_ids))]
    value = getattr(doc, field_name)
    if not value:
        return None
    written = [str(value)]
    if field_name == "published":
        y, m, d = str(value).split("-")
        written = [f"{int(y)}年{int(m)}月{int(d)}日", str(value)]
    for form in written:
        at = doc.text.find(form)
        if at >= 0:
            line_start = doc.text.rfind("\n", 0, at) + 1
            line_end = doc.text.find("\n", at)
            line_end = len(doc.text) if line_end < 0 else line_end
            cite = citation(doc, None, line_start, line_end)
            return Answer(question, form, False, (cite,), (), "metadata")
    return None


def _which_doc(
    question: str,
    scored: Sequence[Scored],
    documents: Mapping[str, Document],
    threshold: float,
    limit: int,
    hits: Sequence[Hit],
) -> Answer:
    """Name the document(s) (or their places, when a place is asked) whose best sentence is
    evidence, each cited: the best one, and any other as probable as it."""
    best_per_doc: dict[str, Scored] = {}
    quoted = literal_figures(question)
    for sc in scored:
        if quoted and not all(n in sc.sentence.text for n in quoted):
            continue  # 「…达到95.3万辆的是哪个地方」: the document must state that figure
        if sc.probability >= threshold and sc.sentence.doc_id not in best_per_doc:
            best_per_doc[sc.sentence.doc_id] = sc
    if not best_per_doc:
        return _refusal(question, "which_doc", "", hits)
    top = max(sc.probability for sc in best_per_doc.values())
    chosen = [sc for sc in best_per_doc.values() if sc.probability >= top - _SAME_EVIDENCE]
    asked_level = _ASKED_LEVEL.search(question)
    if asked_level is not None:
        level = _LEVEL_OF[asked_level.group(1)]
        best = max(chosen, key=lambda x: x.probability)
        doc = documents[best.sentence.doc_id]
        if doc.region_level != level:
            # 「哪个市…」 over a province's plan: the cities its evidence names, not the province
            named = [p.name for p in places_in(best.sentence.text, level)]
            if not named:
                return _refusal(question, "which_doc", f"证据中没有点名的{level}", hits)
            cite = _quote(doc, best.sentence, (best.sentence.start, best.sentence.end), limit)
            return Answer(question, "、".join(named), False, (cite,), tuple(hits), "which_doc")
    asks_place = bool(re.search(r"哪(?:个|些)?(?:省|市|地区|地方|城市|县|区)", question))
    lines, cites = [], []
    for sc in sorted(chosen, key=lambda x: -x.probability):
        doc = documents[sc.sentence.doc_id]
        cites.append(_quote(doc, sc.sentence, (sc.sentence.start, sc.sentence.end), limit))
        name = _safe_label(doc) if asks_place else display_title(doc)
        lines.append(f"{name}【{len(cites)}】")
    return Answer(question, "、".join(lines), False, tuple(cites), tuple(hits), "which_doc")


_ASKED_LEVEL = re.compile(r"哪(?:个|些|一个)(省份|省|城市|市|县|区)(?!域)")
_LEVEL_OF = {"省份": "省", "省": "省", "城市": "市", "市": "市", "县": "县", "区": "区"}
# documents whose best evidence is this close to the best one's are named with it
_SAME_EVIDENCE = 0.05


def _safe_label(doc: Document) -> str:
    """A document's place (or title for an unnamed place) without digits that could break the
    number promise (years are dropped)."""
    return re.sub(r"\d+年?", "", doc_label(doc)) or _safe_title(doc)


def _safe_title(doc: Document) -> str:
    """A document's title with its years spelled as the title has them removed; the year is
    in the citation's document, so nothing is lost."""
    title = re.sub(r"(?:19|20)\d\d年?", "", doc.title).strip() or "文档"
    who = doc.issuer or doc.region or ""
    return title if not who or who in title else f"{who}{title}"


def _compare(
    question: str,
    scope: Scope,
    documents: Mapping[str, Document],
    terms: Terms,
    settings: Settings,
    search_docs: Callable[[frozenset[str] | None], list[Hit]],
    hits: Sequence[Hit],
    evidence: Evidence,
) -> Answer:
    """One line per document, each with its own figure or clause, period and citation."""
    if len(scope.per_region) >= 2:
        groups = [frozenset(ids) for ids in scope.per_region.values()]
    else:
        allowed = scope.doc_ids if scope.doc_ids is not None else frozenset(documents)
        groups = [frozenset({d}) for d in sorted(allowed)]
    numeric = bool(re.search(r"多少|几|比例|比重|增长|目标|数量|金额", question))
    threshold = threshold_of(evidence, settings)
    rows: list[tuple[str, str, int]] = []
    cites: list[Citation] = []
    lines: list[str] = []
    own = self_names(question, documents)
    for group in groups:
        group_hits = search_docs(group)
        sentences = candidate_sentences(group_hits, documents, terms)
        scored = assess(question, sentences, group_hits, terms, evidence, years_only=True)
        kind = "numeric" if numeric else "entity"
        found = pick(kind, scored, terms, threshold, question=question, own=own)
        if found is None:
            if len(scope.per_region) >= 2:
                label = _safe_label(documents[sorted(group)[0]])
                lines.append(f"{label}:文档中没有找到")
                rows.append((label, "文档中没有找到", 0))
            continue
        doc = documents[found.sentence.doc_id]
        when = found.scored.period.label() if numeric else ""
        quote = _quote(doc, found.sentence, found.span, settings.max_quote_chars)
        cites.append(dataclasses.replace(quote, period=when))
        label = _safe_label(doc)
        value = found.text + (f"({when})" if when else "")
        lines.append(f"{label}:{value}【{len(cites)}】")
        rows.append((label, value, len(cites)))
    if not cites:
        return _refusal(question, "compare", "", hits)
    return Answer(
        question, "\n".join(lines), False, tuple(cites), tuple(hits), "compare", tuple(rows)
    )


def number_violations(answer: Answer) -> list[str]:
    """Digit sequences of the answer that no cited quote contains (must be empty).

    A period label (「2024年完成情况」) is the cited passage's own period, read from the
    document's headings and framing sentences; it is exempt only as the label its citation
    carries, so no other figure can hide in it.
    """
    if answer.refused:
        return []
    quotes = " ".join(c.quote for c in answer.citations)
    body = re.sub(r"【\d+】", "", answer.answer)
    # period labels and document names are the cited passages' own metadata
    for label in sorted(
        {x for c in answer.citations for x in (c.period, c.title) if x}, key=len, reverse=True
    ):
        body = body.replace(label, " ")
    return [n for n in numbers(body) if n not in quotes]
