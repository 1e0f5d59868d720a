"""Picking the answer span from assessed sentences: the figure of the asked measure, a clause
or a sentence, and the phrase an answer shows (「2022年目标:技术合同成交额达到2500亿元」)."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from rag.answer.assess import Scored
from rag.answer.question import (
    ASKED_VERB,
    Terms,
    contradicts,
    figure_contradicts,
    head_phrase,
    literal_figures,
    neighbour_names,
    question_terms,
    unit_hint,
)
from rag.answer.spans import (
    OUTLINE_MARK,
    Sentence,
    Span,
    clause_around,
    clause_of,
    figures,
    is_heading,
)
from rag.lang.figures import CLAUSE_END, holds_figures, stretch_end
from rag.lang.measures import (
    COUNTERS,
    FALLS,
    GROWTH,
    RISES,
    asked_measure,
    compatible,
    direction,
    figure_measure,
)
from rag.records import Document
from rag.retrieval.retrieve import region_aliases

# the last characters of the words of change (提高, 下降, 减少 …)
_CHANGE_ENDS = frozenset(w[-1] for w in f"{RISES}|{FALLS}".split("|"))
# the clauses of a question that ask a figure, each ending at its question word
_ASKING_CLAUSES = re.compile(r"[^，,；;。？?]*?(?:多少|几)[^，,；;。？?]*")
_BOUND_LEAD = re.compile(r"(?:突破|超过|超|逾|近|约|不少于|不低于|不超过|不高于)$")


_CHANGE_LEAD = re.compile(r"(?:较上年|比上年|同比)?(?:增长|提高|提升|增加|下降|减少|降低)了?$")


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
    documents: Mapping[str, Document] | None = None,
) -> Pick | None:
    """The best answer span of the given kind, or None when no sentence clears the bar.

    A sentence of another year, half or stance than the question asks is never used (it is
    noted in `misses`). A numeric pick must be a figure of the measure the question asks
    (a share is not answered by a growth rate) in the unit its wording asks for (「多少亿元」 is
    not answered by a %), and must stand next to some of the question's content. `own` gives,
    for each document whose place the question names, the words by which it names itself
    (我市, 全市): within a sentence, a figure stated of the place itself beats a district's.
    With `documents`, a sentence that states a neighbour of the asked name (城镇登记失业率 for
    城镇调查失业率) where the documents use the asked name itself is not used either.
    """
    misses = misses if misses is not None else Misses()
    numeric = kind == "numeric" and documents is not None
    asked_name = head_phrase(question, whole=True) if numeric else ""
    used: dict[str, bool] = {}  # whether the documents use a name, for this question's names
    # a figure the question quotes (「5个国家区域医疗中心分别是哪几个」) is in what answers it
    quoted_in = set(literal_figures(question)) if kind != "numeric" else set()
    pool = []
    for sc in scored:
        if sc.probability < threshold:
            break
        if not holds_figures(sc.sentence.text, quoted_in):
            continue
        # a figure's own clause is what must not answer a neighbouring question (the 总数 of
        # one thing beside the 新增 of another); other answers are whole sentences
        if kind != "numeric" and contradicts(question, sc.sentence.text + _path(sc)):
            continue
        if (
            asked_name
            and documents is not None
            and states_a_neighbour(asked_name, sc.sentence.text, documents, used)
        ):
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
        quoted = set(literal_figures(question))
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
        # whether a sentence names the asked thing at all may rest on a synonym (高企); a
        # question asking twice (「减贫目标是多少，农村贫困人口要减少多少」) names it either way
        related = heads + [
            t
            for clause in _ASKING_CLAUSES.findall(question)[1:]
            if (t := question_terms(head_phrase(clause, whole=True), (), terms.weight)).variants
        ]
        # 「提高到每月多少元」 asks the figure after 提高到, not the one it was raised from
        asked_verb_match = ASKED_VERB.search(question)
        asked_verb = asked_verb_match.group(1) if asked_verb_match else ""
        # 到 and 至 end the same change verb, and a modal before it is no part of it (要降到
        # asks what 降至 states): the verb's last character with either, when it ends a word
        # of change (rag.lang.measures' RISES and FALLS; 达到 reaches, it changes nothing)
        changes_to = asked_verb[-2:-1] in _CHANGE_ENDS
        asked_verbs = {asked_verb[-2] + end for end in "到至"} if changes_to else set()
        asks_start = bool(_ASKS_START.search(question))
        # 「同比下降了多少」 is not answered by 「同比增长16%」: a change asked one way
        asked_way = direction(question)
        best: (
            tuple[tuple[bool, bool, float, float, float, bool, bool, float], Scored, Span, str]
            | None
        ) = None
        missed_near = -1.0
        for sc in pool:
            sent = sc.sentence
            if not holds_figures(sent.text, quoted):
                continue
            figs = figures(sent, terms)
            # a sentence whose figure nearest the asked thing answers a neighbouring question
            # (总数 for 新增) is not used; its other figures are, unless their own words do
            nearest = max(
                figs, key=lambda f: sum(h.coverage(f.context) for h in head_terms), default=None
            )
            if nearest and contradicts(
                question, _words_to(_where(sent, nearest, figs), nearest) + _path(sc)
            ):
                continue
            for fig in figs:
                if units and not any(u in fig.text for u in units):
                    continue
                before = CLAUSE_END.split(sent.text[: fig.start - sent.start])[-1]
                measure = figure_measure(before, fig.text, sent.text[fig.end - sent.start :][:4])
                lead_way = direction(before[-6:]) if measure == GROWTH else None
                if asked_way and lead_way and lead_way != asked_way:
                    continue
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
                where = _where(sent, fig, figs)
                # a 分别 list gives each figure its item's words (「国家级、省级孵化器分别达到5家、
                # 20家」: 20家 is 省级孵化器's)
                own_words = fig.context if "分别" in where else _words_to(where, fig)
                if figure_contradicts(question, own_words, _path(sc)):
                    continue
                if related and not any(h.coverage(where) for h in related):
                    continue  # the figure's own words (its sentence's, if alone) miss the thing
                # 「提高到多少」 asks the figure a change reaches, whatever its verb: in 「由18%增至
                # 71%」 the figure after 至 that a 由/从 figure leads to
                lead_in = sent.text[: fig.start - sent.start][-6:]
                changes = re.search(r"[由从]", before) is not None
                reached = lead_in.endswith(("到", "至")) and changes
                # a 分别 list's verb stands before its figures: 「分别减少3%和5%」 reduces both
                verb = bool(asked_verb) and (
                    any(v in lead_in or v in fig.lead[-6:] for v in asked_verbs) or reached
                )
                # …and a figure a change starts from (由/从 it, then 到/至 another: 「赤字率从去年
                # 的2.1%提高到2.3%」) is not what is asked unless the question asks where it began
                after = sent.text[fig.end - sent.start :]
                start_point = changes and _TO_NEXT.match(after) is not None and not asks_start
                # a bound (突破8000公里) gives way to the exact figure of the same measure
                exact = _BOUND_LEAD.search(before) is None
                key = (
                    verb,
                    not start_point,
                    round(near, 1),
                    sc.probability,
                    round(fig.local, 1),
                    exact,
                    is_own,
                    fig.local,
                )
                if best is None or key > best[0]:
                    best = (key, sc, fig, before)
        if best is None:
            return None
        _, sc, fig, before = best
        # 「较上年增长10%以上」: a change is not a level, so its verb stays with it; so does a
        # bound written before the figure (突破1600亿斤, 超过5万家)
        lead = _CHANGE_LEAD.search(before) or _BOUND_LEAD.search(before)
        start = fig.start - (len(lead.group()) if lead else 0)
        # a stretch target joined to the figure is part of its answer
        offset = sc.sentence.start
        end = offset + stretch_end(sc.sentence.text, fig.start - offset, fig.end - offset)
        text = (lead.group() if lead else "") + sc.sentence.text[fig.start - offset : end - offset]
        return Pick(text, sc, (start, end), sc.probability)
    top = pool[0]
    if kind == "entity" and (named := _ASKED_NAME.search(question)):
        # a name is asked: a sentence that only counts the things asked (「新获批国家级众创空间
        # 1家」) names none of them, one that names one (「筑梦工场众创空间获批国家级」) does
        thing = named.group(1) or named.group(2)
        top = next((sc for sc in pool if not _counts_only(thing, sc.sentence.text)), top)
    if kind == "list":
        # a list is answered by an enumeration, not by the heading that announces it
        heading = next(
            (
                sc
                for sc in pool
                if sc.sentence.text.count("、") >= 2
                and not is_heading(
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


# the thing whose name is asked: before 叫什么/是哪个 (「那家国家级众创空间叫什么」), or after
# 哪个/哪家 (「成功登月的是哪个探测器」); its last four characters, where a noun keeps its head
_ASKED_NAME = re.compile(
    r"([\u4e00-\u9fff]{2,4})(?:叫什么|是哪个|是哪家|是哪一个|的名称)"
    r"|哪(?:个|家|一个|一家)([\u4e00-\u9fff]{2,4})"
)


def _counts_only(thing: str, text: str) -> bool:
    """Whether every mention of the thing in the text is a count of it (「众创空间1家」)."""
    at = [m.end() for m in re.finditer(re.escape(thing), text)]
    return bool(at) and all(re.match(r"\s*\d", text[end:]) for end in at)


def _path(sc: Scored) -> str:
    return " ".join(sc.sentence.hit.chunk.section_path)


_DIGIT = re.compile(r"\d")


def _where(sent: Sentence, fig: Span, figs: Sequence[Span]) -> str:
    """A figure's words: its clause and the one before, or its sentence when it is alone."""
    return clause_around(sent, fig) if len(figs) > 1 else sent.text


def _words_to(where: str, fig: Span) -> str:
    """A figure's words (`where`) up to its end, from the item it ends: 「新培育A 2000家、B总数
    达到10000家」 gives 10000家 「B总数达到10000家」, the 新 of A being no word of it."""
    at = where.find(fig.text)
    if at < 0:
        return where
    # the item before ends at the 、 after its own figure; items sharing this figure stay
    # (「新增省级以上众创空间、星创天地2家以上」)
    digits = [m.end() for m in _DIGIT.finditer(where, 0, at)]
    item = where.find("、", digits[-1], at) if digits else -1
    return where[item + 1 : at + len(fig.text)]


def states_a_neighbour(
    head: str, text: str, documents: Mapping[str, Document], used: dict[str, bool]
) -> bool:
    """Whether the text states a neighbour of a name of the asked thing that the documents
    themselves use (so the asked name is a real one, not the asker's paraphrase). `used`
    remembers the names looked up: the candidates of one question share their frames."""
    for name in neighbour_names(head, text):
        if name not in used:
            used[name] = any(name in d.text for d in documents.values())
        if used[name]:
            return True
    return False


def phrase_of(doc: Document, found: Pick) -> str:
    """A numeric answer as a short verbatim phrase: the words of its clause before the figure
    (「技术合同成交额达到2500亿元」), so the answer names what the figure measures."""
    sent = found.sentence
    stops = [m.end() for m in CLAUSE_END.finditer(doc.text, sent.start, found.span[0])]
    begin = max([sent.start, *stops])
    begin = max(begin, found.span[0] - _MAX_PHRASE_LEAD)
    # a count's noun that closes its clause right after it is shown with it (扩大到1000个县,
    # 引进30家企业): the counted thing, not more of the sentence
    counted = _COUNTED.match(doc.text, found.span[1], sent.end)
    end = counted.end(1) if counted and _COUNT_END.search(found.text) else found.span[1]
    phrase = doc.text[begin:end].strip()
    phrase = OUTLINE_MARK.sub("", phrase)
    return phrase if found.text in phrase else found.text


_MAX_PHRASE_LEAD = 30
# the change that follows a figure to the one it reaches (2.1%提高到2.3%, 1.4%提高到2012年的…)
_TO_NEXT = re.compile(r"[^，。；,;\d]{0,8}?(?:到|至)")
# a question asking where a change began (从多少, 原来是多少)
_ASKS_START = re.compile(r"[由从](?:多少|几)|原来|原先|起初|此前")
_COUNTED = re.compile(r"([\u4e00-\u9fff]{1,2})(?:[、，,；;。：:）)]|$)")
_COUNT_END = re.compile(rf"\d\s*(?:万|亿)?[{COUNTERS}](?:以上|左右)?$")


def labelled(found: Pick, doc: Document, numeric: bool, place: str = "") -> str:
    """The answer text: 「2022年目标:技术合同成交额达到2500亿元」 for a figure, else the span;
    with `place`, the label names it (「甘肃省2025年目标:…」: the question named no place)."""
    if not numeric:
        return found.text
    label = place + found.scored.period.label()
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
