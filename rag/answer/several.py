"""Several measures asked at once: 「城镇新增就业、粮食产量、能耗降低这三项预期目标分别是多少」 is
three questions. Each is asked on its own (its own passages, period and measure checks) and
answered on a line of its own with its own citation; one the documents do not answer says so on
its line instead of being left out.

The measures are the items of an enumeration in the question (joined by 、, 和, 与, 及), read
by the dictionary's words: the first item runs back from the first joint to a form word (的,
a year, a place, a preposition), the last one forward to a count of the items (这三项, 四个), an
asking word or 的. A change or form word closing the last item (增长, 目标) is what the items
share (「地区生产总值、一般公共预算收入增长目标」 asks two growth targets). Places, years and
periods joined so are what compare.py compares, not measures.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise

from rag.answer.refusal import refusal
from rag.lang.measures import FALLS, RISES
from rag.lang.periods import FIRST_HALF, SECOND_HALF, WHOLE_YEAR
from rag.lang.places import (
    NATIONAL,
    REGION_GROUPS,
    abbreviated_provinces,
    asked_groups,
    contains,
    find_places,
)
from rag.lang.tags import tagged
from rag.lang.text import STOPWORDS
from rag.records import Answer, Citation, Hit

# what asks for each of several things (「分别是多少」, 「各是多少」)
_EACH = re.compile(r"分别|各自|各(?=是|为|有|要|定|达)")
# the count of the items after the last one (这三项, 四个, 两大)
_COUNT = re.compile(r"这?(?:[两二三四五六七八九十]+|\d+)(?:个|项|大|类|方面|者)?")
_JOINTS = {"、", "和", "与", "及", "以及"}
# the tags of the words that end an item: 的, numerals and years, prepositions, pronouns,
# times, conjunctions; forward also adverbs (分别) and the verbs that ask (是, 为, 达到)
_BEFORE_ITEM = {"uj", "ul", "m", "p", "r", "t", "c"}
_AFTER_ITEM = _BEFORE_ITEM | {"d"}
_ASKING_VERBS = {"是", "为", "有", "要", "达到", "达", "定", "定为"}
_CHANGE = re.compile(rf"(?:{RISES}|{FALLS})")
_LONGEST_ITEM = 14


@dataclass(frozen=True)
class Measure:
    """One measure of the enumeration and the question that asks it alone."""

    item: str
    question: str


def each_measure(question: str) -> list[Measure]:
    """The measures the question asks one figure each of, with the question for each; empty
    when it asks one thing (or compares places, years or periods)."""
    if not _EACH.search(question) or not re.search(r"多少|几", question):
        return []
    words = tagged(question)
    starts = [0]
    for word, _flag in words:
        starts.append(starts[-1] + len(word))
    joints = [n for n, (w, _f) in enumerate(words) if w in _JOINTS]
    if not joints:
        return []
    first = joints[0]
    # the run of joints of one enumeration: each next joint one item after the last
    run = [first]
    for n in joints[1:]:
        between = words[run[-1] + 1 : n]
        if not between or not _item_words(between):
            break
        run.append(n)
    begin = first
    while begin > 0 and _in_item(*words[begin - 1], back=True):
        begin -= 1
    end = run[-1] + 1
    while end < len(words) and _in_item(*words[end], back=False):
        end += 1
    # a change or form word closing the last item is the items' shared measure
    count = _COUNT.match(question, starts[end])
    if not count or count.end() == starts[end]:
        while end - 1 > run[-1] + 1 and _shared(words[end - 1][0]):
            end -= 1
    bounds = [begin, *run, end]
    items = []
    for a, b in pairwise(bounds):
        lo = starts[a + (1 if a in run else 0)]
        items.append(question[lo : starts[b]].strip())
    if len(items) < 2 or not all(_a_measure(item) for item in items):
        return []
    rest = question[starts[end] :]
    count = _COUNT.match(rest)
    if count and count.end():
        rest = rest[count.end() :]
    rest = _EACH.sub("", rest)
    prefix = question[: starts[begin]]
    return [Measure(item, prefix + item + rest) for item in items]


_BETWEEN_PLACES = re.compile(r"(?:和|与|及|以及|、|，|,|\s)*")


def each_place(question: str) -> list[Measure]:
    """The places the question names side by side (「辽宁、吉林、黑龙江2025年…各是多少」, 「西藏和
    全国…」, a group of provinces: 「西北五省区…分别是多少」), each with the question asked of it
    alone; empty unless they stand together and a figure is asked of each. A place's line is
    then as good as the answer to its own question (its passages, its evidence), not read from
    passages found for all of them at once."""
    if re.search(r"哪", question) or not re.search(r"多少|几", question):
        return []
    # as the scope reads them: a one-character name or a group only where no name is found
    found = find_places(question)
    found += [
        m
        for m in abbreviated_provinces(question) + asked_groups(question)
        if not any(s <= m[1] < e for _p, s, e in found)
    ]
    mentions = sorted(found, key=lambda m: (m[1], m[2]))
    if not mentions:
        return []
    start, end = mentions[0][1], mentions[0][2]
    for _place, s, e in mentions[1:]:
        if s < end:  # a group's provinces share its offsets
            continue
        if not _BETWEEN_PLACES.fullmatch(question[end:s]):
            return []  # places apart, each with words of its own (「安徽2021年…与芜湖…」)
        end = e
    places = list(dict.fromkeys(p for p, _s, _e in mentions))
    if any(a != b and a != NATIONAL and contains(a, b) for a in places for b in places):
        return []  # a place and one inside it (「江苏省南通市」) name one place
    # each as the question writes it (a group's provinces by their names)
    written: dict[str, str] = {}
    for place, s, e in mentions:
        said = question[s:e]
        written.setdefault(place.name, place.name if said in REGION_GROUPS else said)
    if len(written) < 2:
        return []
    # 各 right after the places is theirs (「山东和河北各新增了多少」), as 分别 anywhere
    rest = _EACH.sub("", re.sub(r"^\s*各", "", question[end:]))
    return [Measure(name, question[:start] + said + rest) for name, said in written.items()]


def _item_words(words: tuple[tuple[str, str], ...]) -> bool:
    """Whether the words between two joints are one item."""
    text = "".join(w for w, _f in words)
    return 1 <= len(text) <= _LONGEST_ITEM and all(f not in {"x", "uj", "m"} for _w, f in words)


def _in_item(word: str, flag: str, back: bool) -> bool:
    if word in _JOINTS or word.isdigit() or word in _ASKING_VERBS:
        return False
    if re.fullmatch(r"[A-Za-z&]+", word):
        return True  # R&D, GDP
    if not re.search(r"[\u4e00-\u9fff]", word) or word.startswith("这") or _COUNT.fullmatch(word):
        return False
    if flag.startswith("ns"):
        return not find_places(word)  # 城镇 is tagged a place
    return flag not in (_BEFORE_ITEM if back else _AFTER_ITEM)


def _shared(word: str) -> bool:
    return bool(_CHANGE.fullmatch(word)) or word in STOPWORDS or word in {"预期", "指标"}


def _a_measure(item: str) -> bool:
    """Whether an item names a measure, not a place, a year or a period to compare."""
    if len(item) < 2 or len(item) > _LONGEST_ITEM or re.search(r"\d", item):
        return False
    if any(p in item for p in (FIRST_HALF, SECOND_HALF, WHOLE_YEAR)):
        return False
    return not any(e - s >= len(item) - 1 for _p, s, e in find_places(item))


_MARK = re.compile(r"【(\d+)】")


def joined(question: str, measures: Sequence[Measure], answers: Sequence[Answer]) -> Answer:
    """One line per measure: its answer with its citations numbered among all of them, or that
    the documents do not say. Refused as a whole only when no measure is answered."""
    lines: list[str] = []
    cites: list[Citation] = []
    rows: list[tuple[str, str, int]] = []
    hits: list[Hit] = []
    for measure, answer in zip(measures, answers, strict=True):
        hits += [h for h in answer.hits if h not in hits]
        if answer.refused:
            # the refusal's reason where it names one (文档不涉及浙江省), else not found
            reason = answer.answer.rstrip("。").partition("：")[2]
            said = "文档不涉及" if reason.startswith("文档不涉及") else "文档中没有找到"
            lines.append(f"{measure.item}:{said}")
            rows.append((measure.item, said, 0))
            continue
        offset = len(cites)
        cites += answer.citations
        text = " ".join(answer.answer.split("\n"))
        if _MARK.search(text):
            text = _renumbered(text, offset)
        else:
            text += "".join(f"【{offset + n}】" for n in range(1, len(answer.citations) + 1))
        lines.append(f"{measure.item}:{text}")
        rows.append((measure.item, text, offset + 1))
    if not cites:
        return refusal(question, "compare", "", hits)
    confidences = [a.confidence for a in answers if a.confidence is not None]
    return Answer(
        question,
        "\n".join(lines),
        False,
        tuple(cites),
        tuple(hits),
        "compare",
        tuple(rows),
        confidence=min(confidences) if confidences else None,
    )


def _renumbered(text: str, offset: int) -> str:
    """The text with each citation mark 【n】 moved on by `offset`."""
    return _MARK.sub(lambda m: f"【{int(m.group(1)) + offset}】", text)
