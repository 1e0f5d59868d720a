"""Every quantitative statement of a document as a row: who, when, what, how much, where.

A figure is what rag.answer.spans.figures finds in a sentence (digits with magnitude, unit and
bound; years, year ranges and outline numbers excluded), plus a Chinese numeral before a unit
(rag.lang.normalize's figure pattern, read with cn2an: 「新增三百家」). A figure without a unit is a
name or a date (5G, 3月5日, PM2.5), not a quantity, unless it is a rank (第2位); a duration
(3年) is not an indicator's value (rag.targets.figures). Each row (rag.targets.target) knows:

- place and level: the document's region (rag.lang.places), or a place inside it that the clause
  opens with (「西安市高新技术企业…」 in a provincial plan);
- year and stance: rag.lang.periods' period of the sentence (section cues plus the sentence's own
  「到2025年」): a plan is a target, a review a result (rag.targets.dating);
- kind: rag.lang.measures.figure_measure (growth, share, count, money, rank, level);
- indicator: where it is written (rag.targets.naming, lists in rag.targets.lists), whose it is
  when the name does not say (rag.targets.owners) and its normalised name
  (rag.targets.indicator);
- value verbatim, unit as written and in base units (万/亿 multiples of rag.lang.measures.UNITS),
  bound (以上, 左右, 突破, 不少于 …), and the sentence's span: the quote is the document's
  text at [start, end) and contains the value at value_start.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import cache

from rag.answer.spans import CLAUSE_END, Sentence, display_title, safe_label, section_path_at
from rag.index.chunking import sentence_spans
from rag.lang.measures import COUNT, GROWTH, LEVEL, RANK, SHARE, figure_measure
from rag.lang.periods import Segment, document_period, period_at, time_segments
from rag.lang.places import Place, _gazetteer, contains, find_places, place_of
from rag.lang.tags import tagged
from rag.records import Chunk, Document, Hit
from rag.targets.dating import figure_period, opening_frame
from rag.targets.figures import (
    CLAUSE_OR_LIST,
    COUNTED,
    Figure,
    base_unit,
    classes,
    sentence_figures,
)
from rag.targets.heads import bare_head, bare_measure, measures_in, ownerless
from rag.targets.indicator import BOUND_BEFORE, normalise_indicator, strip_front
from rag.targets.lists import SEPARATELY, shared_verb
from rag.targets.naming import indicator_span, object_after, qualified_after
from rag.targets.owners import (
    example_before,
    item_owner,
    measured_thing,
    opening_clause,
    programme_before,
    repeated_owner,
    sentence_object,
    sentence_topic,
    without_addition,
)
from rag.targets.target import LEVEL_NAMES, STANCES, Target

_NO_HIT = Hit(Chunk("", "", "", "", (), 0, 0, "", ""), 0.0)


def _rate(unit: str) -> bool:
    return base_unit(unit)[0] in ("%", "个百分点", "百分点", "倍")


def _stock(unit: str) -> bool:
    """A unit a stock is measured in (亩, 公里, 万吨), not a count, a rate or money."""
    base = base_unit(unit)[0]
    return bool(unit) and base not in COUNTED and not _rate(unit) and "元" not in base


def _place_of_doc(doc: Document) -> tuple[str, str, Place | None]:
    """(place name, level, gazetteer place) of a document."""
    level = LEVEL_NAMES.get(doc.region_level or "", "")
    if not doc.region:
        return safe_label(doc), level, None
    place = place_of(doc.region, doc.region_level)
    return doc.region, LEVEL_NAMES.get(place.level, level), place


def _word_after(text: str, at: int) -> str:
    """The words right after a figure that may say its measure (「20%左右增幅」); not a change
    word that opens the next figure's predicate (「2.76万亿元增长6.1%」)."""
    opens_next = re.match(r"(?:的)?(?:增幅|增速|增长|涨幅|降幅)\s*\d", text[at : at + 8])
    return "" if opens_next else text[at : at + 4]


@cache
def _full_names() -> tuple[frozenset[str], frozenset[str], tuple[int, ...]]:
    """Every place's full name in the gazetteer, their first characters and their lengths."""
    names = frozenset(p.name for places in _gazetteer().by_alias.values() for p in places)
    lengths = tuple(sorted({len(n) for n in names}, reverse=True))
    return names, frozenset(n[0] for n in names if n), lengths


def _writes_a_full_name(text: str) -> bool:
    """A cheap test before find_places (a jieba segmentation and a scan of the gazetteer):
    some place's full name is written in the text."""
    names, firsts, lengths = _full_names()
    return any(text[i : i + n] in names for i, c in enumerate(text) if c in firsts for n in lengths)


# the growth nouns of rag.lang.measures' change words (增速, 涨幅 …) right after a name or
# closing it: the rate is the name's change (「居民消费价格涨幅控制在3%」)
_GROWTH_NOUN = "(?:增速|增幅|涨幅|降幅|增长幅度)"
_NAME_OF_GROWTH = re.compile(_GROWTH_NOUN + "$")
_GROWTH_AFTER = re.compile("的?" + _GROWTH_NOUN)
# the copulas that state a position, not a change (排名为53位, 位列…)
_AT_RANK = re.compile(r"为|是|达到?|居|列|位列|位居|排在?|处于")
# the nouns of a position in a ranking (rag.lang.measures' rank words: 排名, 位次) and the units
# a rank is written in (第2位, 第3名)
_RANK_NOUN = re.compile(r"排名|位次|名次|排位")
_RANK_UNITS = ("位", "名")


def _rate_or_rank_change(text: str, fig: Figure, subj: tuple[int, int], kind: str) -> str:
    """The kind, told apart where rag.lang.measures reads it from the words before the figure
    alone: a rate whose name closes with a growth noun, or is followed by one, is a growth
    (「居民消费价格涨幅控制在3%」: 涨 is none of its change words); a figure in 位/名 whose name
    is a position in a ranking (「全国排名」) is a rank when the name is followed by a copula or
    nothing (「全国排名53位」), a growth when by a verb (「全国排名上升3位」: a change of rank),
    not a count of places."""
    name, gap = text[subj[0] : subj[1]], text[subj[1] : fig.start]
    if subj[1] > fig.start:
        return kind
    if kind == SHARE and (_NAME_OF_GROWTH.search(name) or _GROWTH_AFTER.match(gap)):
        return GROWTH
    if kind in (COUNT, GROWTH) and fig.unit in _RANK_UNITS and _RANK_NOUN.search(name + gap):
        verbs = gap.strip()
        moves = any(f[:1] == "v" and not _AT_RANK.fullmatch(w) for w, f in tagged(verbs or " "))
        return GROWTH if moves else RANK
    return kind


def _without_verbs(name: str) -> str:
    """A name without the verbs and adverbs it opens with (「设立|总规模」: 总规模)."""
    words = [(w, f) for w, f in tagged(name) if w.strip()]
    at = 0
    while at < len(words) - 1 and words[at][1][:1] in ("v", "d") and words[at][1] != "vn":
        at += 1
    return "".join(w for w, _f in words[at:])


def _joined(first: str, second: str) -> str:
    """Two names as one, the words the first ends with and the second opens with written once
    (「工业增加值全国排名有望」 + 「全国排名有望居」)."""
    overlap = next(
        (k for k in range(min(len(first), len(second)), 0, -1) if first.endswith(second[:k])), 0
    )
    return normalise_indicator(first + second[overlap:])


# a sentence with a figure: a digit or a Chinese magnitude
_NUMBER = re.compile(r"\d|[十百千万亿]")
# a clause that states a total: 累计 (MODAL, framing) or the total nouns before the copula
_TOTAL = re.compile(r"\s*(?:累计|总数|总量|总计)")
# a name this short (收益, 劳务收入) after a count in a list says which money, not whose
_SHORT_NAME = 4
# a growth's rank is the rank of its growth noun (rag.lang.measures' 增速), which the growth's
# own name leaves to its kind
_GROWTH_WORD = "增速"
# a comparison with another figure right before a figure (rag.targets.naming's 高于/低于/快于/
# 慢于; not 不低于, a bound), with what it compares with and no figure or clause in between
_LEAD = re.compile(r"(?<!不)((?:高于|低于|快于|慢于)[^\d、，,。；;：:]{1,12}?)(?:分别|均)?\s*$")
# the lead a name keeps (below), which is no part of the thing a later figure takes as owner
_LED = re.compile(r"(?<!不)(?:高于|低于|快于|慢于).*$")


def _unled(name: str) -> str:
    """A name without the lead over another figure it ends with (「产值高于全市」: 产值)."""
    return _LED.sub("", name) or name


# a clause that names a part of the figure before it: 其中 (of which), 含/包括 (including)
_PART_OF = re.compile(r"\s*[（(]?\s*(?:其中|含|包括)")


def extract_document(doc: Document, segments: list[Segment] | None = None) -> list[Target]:
    """Every figure of the document as a Target row, in text order."""
    segments = segments if segments is not None else time_segments(doc)
    place_name, doc_level, doc_place = _place_of_doc(doc)
    title = display_title(doc)
    rows: list[Target] = []
    base = document_period(doc)
    paragraph, frame = -1, None
    for s, e in sentence_spans(doc.text, 0, len(doc.text)):
        text = doc.text[s:e]
        line = doc.text.rfind("\n", 0, s)
        if line != paragraph:
            paragraph, frame = line, None
        frame = opening_frame(text, base) or frame
        if not _NUMBER.search(text):
            continue
        sentence = Sentence(doc.doc_id, s, e, text, _NO_HIT, 0.0)
        found, named = classes(text, sentence_figures(sentence))
        if not found:
            continue
        context = period_at(segments, s)
        path = section_path_at(doc, s)
        previous: tuple[int, int, int] | None = None  # (subject start, end, figure end)
        subjects: dict[int, tuple[int, int]] = {}  # figure start -> its subject's span
        for fig in found:
            marks = [m.end() for m in CLAUSE_OR_LIST.finditer(text, 0, fig.start)]
            clause_start = max([0, *marks, *(previous[2:] if previous else ())])
            subj, lead, tail = indicator_span(
                text, fig, clause_start, previous, found, doc_place, subjects, named
            )
            written = text[subj[0] : subj[1]]
            whole = next((f for f in reversed(found) if f.start < fig.start), None)
            if (
                not lead
                and previous is not None
                and whole is not None
                and base_unit(whole.unit)[0] == base_unit(fig.unit)[0]
                and _PART_OF.match(text, clause_start)
                and not written.lstrip("（( ").startswith("其中")
            ):
                # 「新增公路60.9万公里，其中高速公路4.2万公里」, 「2000人（含重点产业1000人）」:
                # a part of the figure before (in its unit) is named as a part of its subject
                lead = text[previous[0] : previous[1]] + "其中"
            # a classifier phrase's noun comes after it: the verb before it does not make the
            # figure a change (提升100家…机构)
            listed = next((f for f in found if subj[1] <= f.start <= fig.start), fig)
            # the words between a 分别 list and its first figure say what they measure
            # (「…分别下降13.3%、12.1%」)
            before = (
                ""
                if subj[0] >= fig.end
                else text[
                    min(clause_start, subj[0]) : listed.start
                    if SEPARATELY in text[subj[1] : fig.start]
                    else fig.start
                ]
            )
            run = max([0, *(m.end() for m in CLAUSE_END.finditer(text, 0, fig.start))])
            if subj[1] <= run and SEPARATELY in text[run : fig.start]:
                # a 分别 whose items are the clauses before: its own words say the measure
                first = next(f for f in found if run <= f.start)
                before = text[run : first.start]
            name = normalise_indicator(lead + written + tail) if written else ""
            if name and subj[1] <= fig.start and bare_measure(name):
                # a measure word alone (「完成投资」, 「总量」): whose measure it is, the phrase
                # before says; a rate only after a figure of another measure (「规模近9.8万亿元，
                # 增长18%」), not in a run of rates, each an indicator of its own (「投资增长8%，
                # 出口增长3%」)
                last = rows[-1] if previous is not None and rows else None
                owned = qualified_after(text, fig)
                if owned:
                    # 「总投资711亿元的古雷炼化一体化工程二期项目开工建设」: the measure of the
                    # noun the figure qualifies with 的
                    name = normalise_indicator(owned + _without_verbs(name))
                elif not _rate(fig.unit) or (last is not None and not _rate(last.unit)):
                    thing = measured_thing(
                        text,
                        clause_start,
                        previous[2] if last is not None and previous is not None else None,
                        _unled(last.indicator_norm) if last is not None else "",
                        doc_place,
                    )
                    name = thing if thing.endswith(name) else normalise_indicator(thing + name)
            elif (
                name
                and subj[1] <= fig.start
                and base_unit(fig.unit)[0] in COUNTED
                and not lead
                and bare_head(name)
            ):
                # a thing counted with no word of its own to say which (「实施项目2113个」): the
                # programme the clause before names (「启动实施乡村振兴补短板工程，」) is whose
                thing = programme_before(text, clause_start, doc_place)
                name = normalise_indicator(thing + name) if thing else name
            last = rows[-1] if previous is not None and rows else None
            if (
                last is not None
                and previous is not None
                and previous[2] + 1 == clause_start
                and _stock(fig.unit)
                and base_unit(fig.unit)[0] == last.base_unit
                and name == normalise_indicator(written)
            ):
                # 「新增高标准农田8000万亩以上、高效节水灌溉面积2000万亩」: the verb of the item
                # before, whose figure ends it in the same measure, is this one's too
                verb = shared_verb(text, clause_start, subj, fig.start, last.indicator_norm)
                name = normalise_indicator(verb + name) if verb else name
            if (
                name
                and previous is not None
                and _TOTAL.match(text, clause_start)
                and (subj[0] < clause_start or bare_measure(normalise_indicator(written)))
            ):
                # 「新增公园141座、累计达到973座」, 「新增…企业1200家，总量达到1.8万家」: a total
                # named from the figure before is of the things, not of the ones added
                name = without_addition(name)
            opening = min(clause_start, subj[0])
            if name and opening_clause(text, opening) is not None and ownerless(name):
                # a name with no word that says whose figure it is (「开工」, 「规模占比」): the
                # noun phrase the sentence opens with is whose (「数字经济撑起…，规模占比…」)
                topic = sentence_topic(text, opening, doc_place)
                topic = topic or sentence_object(text, opening, doc_place)
                topic = normalise_indicator(topic) if topic else ""
                if topic and topic not in name:
                    name = topic if topic.endswith(name) else normalise_indicator(topic + name)
            if (
                name
                and last is not None
                and last.indicator_norm
                and subj[0] > 0
                and text[subj[0] - 1] in "、和与"
                and SEPARATELY in text[subj[1] : fig.start]
                and (ownerless(name) or bare_head(name))
            ):
                # 「生产安全事故起数、死亡人数分别下降…」: an item of a 分别 list with no owner of
                # its own shares the modifier of the item before
                owner = item_owner(_unled(last.indicator_norm))
                name = normalise_indicator(owner + name) if owner and owner not in name else name
            if (
                name
                and not lead
                and subj[0] >= fig.end
                and "等" in text[clause_start : fig.start]
                and base_unit(fig.unit)[0] in COUNTED
                and bare_head(name)
            ):
                # 「开工长深高速改扩建等2个项目」: a count of a head alone after examples ending
                # in 等 counts things of their kind
                example = example_before(text, clause_start, fig.start)
                name = normalise_indicator(example + "等" + name) if example else name
            if (
                name
                and not lead
                and last is not None
                and previous is not None
                and previous[2] + 1 == clause_start
                and text[previous[2]] == "、"
                and name == normalise_indicator(written)
                and subj[1] <= fig.start
                and len(name) <= _SHORT_NAME
                and "元" in base_unit(fig.unit)[0]
                and last.base_unit in COUNTED
            ):
                # 「出让矿业权558个、收益290亿元」: money named short after a count in a list, its
                # predicate the count's, is the money of the things counted
                name = normalise_indicator(_unled(last.indicator_norm) + name)
            if name and subj[0] >= fig.end and subj[1] < len(text) and text[subj[1]].isdigit():
                # 「投入125亿元办好40件群众急难愁盼民生实事」: a figure for what the verb after it
                # does to the things a later figure counts
                thing = object_after(text, subj, found)
                name = normalise_indicator(name + thing) if thing else name
            # (the cheap test first: the name's opening characters are written before it)
            repeats = name[:2] in text[:opening] if name and not lead else False
            short = bare_head(name) if repeats else ""
            if short and name == normalise_indicator(written):
                # 「开展城中村改造专项行动，年内完成6000套改造计划」: a short name whose verbs
                # repeat an action written earlier with its owner before it drops that owner
                owner = repeated_owner(name, short, text[:opening])
                name = normalise_indicator(owner + name) if owner else name
            if (
                fig.rank
                and name
                and last is not None
                and last.indicator_norm
                and previous is not None
                and not re.search(r"[。；;]", text[previous[2] : fig.start])
                and SEPARATELY not in text[run : fig.start]
                and ownerless(name)
                and not measures_in(name)
            ):
                # 「经济总量达到64697亿元，保持全国第5位」: a rank with no owner of its own ranks
                # the figure before it in the sentence run; a growth's rank ranks the growth,
                # which the growth's own name leaves to its kind (「投资增长13%、保持全国第2位」)
                ranked = _unled(last.indicator_norm)
                if last.kind == GROWTH and _rate(last.unit) and last.base_unit != "倍":
                    ranked += _GROWTH_WORD
                name = _joined(ranked, name)
            over = _LEAD.search(before) if name and "于" in before else None
            if over is not None and over.start() >= subj[1] - min(clause_start, subj[0]):
                # 「增加值、税收增速分别高于全省2.2个和3.7个百分点」: a comparison between the name
                # and its figure says the figure is a lead over another, not the thing's own
                # growth; the name keeps it, as a subjectless lead's does (rag.targets.naming)
                compared = normalise_indicator(over.group(1))
                name = name if compared in name else normalise_indicator(name + compared)
            bound = BOUND_BEFORE.search(before)
            local_place, level = place_name, doc_level
            framing = text[clause_start : subj[0]] if subj[0] > clause_start else ""
            if subj[0] < clause_start:
                # an item of a list before the figure's clause (「浦东新区法规、管理措施分别新增
                # 4部、10部」): the framing in front of the list is the item's too
                head = max([0, *(m.end() for m in CLAUSE_END.finditer(text, 0, subj[0]))])
                front = strip_front(text[head:clause_start], within=doc_place)
                framing = text[head : min(head + front, subj[0])]
            # only a full name can move the row (the test below): most framings have none
            for p, a, b in find_places(framing) if _writes_a_full_name(framing) else []:
                # a place inside the document's own, written in full (「西安市…」), is the subject
                inside = doc_place is not None and p != doc_place and contains(doc_place, p)
                if inside and framing[a:b] == p.name:
                    local_place, level = p.name, LEVEL_NAMES.get(p.level, level)
            kind = (
                RANK
                if fig.rank
                else figure_measure(
                    before,
                    fig.value + fig.bound if fig.numeral is None else fig.numeral,
                    _word_after(text, fig.end + len(fig.bound)),
                )
            )
            own = figure_period(text, fig, clause_start, context, path, frame)
            unit_base, scale = base_unit(fig.unit)
            if kind == LEVEL and (unit_base in COUNTED or (fig.unit and not unit_base)):
                kind = COUNT  # rag.lang.measures counts with fewer measure words than UNITS lists
            kind = _rate_or_rank_change(text, fig, subj, kind)
            rows.append(
                Target(
                    doc_id=doc.doc_id,
                    title=title,
                    place=local_place,
                    level=level,
                    year=own.year,
                    stance=STANCES.get(own.stance or "", ""),
                    kind=kind,
                    indicator=written,
                    indicator_norm=name,
                    value=fig.value,
                    amount=fig.amount,
                    unit=fig.unit,
                    base_amount=None if fig.amount is None else fig.amount * scale,
                    base_unit=unit_base,
                    qualifier="".join(
                        x for x in ((bound.group(1) if bound else ""), fig.bound) if x
                    ),
                    start=s,
                    end=e,
                    value_start=s + fig.start,
                    indicator_start=s + subj[0],
                    quote=text,
                    section_path=path,
                    period=own.label(),
                )
            )
            previous = (subj[0], subj[1], fig.end + len(fig.bound))
            if subj[1] > subj[0]:
                subjects[fig.start] = subj
    return rows


def extract(
    documents: Mapping[str, Document], times: Mapping[str, list[Segment]] | None = None
) -> list[Target]:
    """The rows of every document (its time segments from `times` when given)."""
    rows: list[Target] = []
    for doc_id, doc in documents.items():
        rows.extend(extract_document(doc, (times or {}).get(doc_id)))
    return rows
