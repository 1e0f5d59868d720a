"""Several things asked at once, each its own question: measures
(「城镇新增就业、粮食产量、能耗降低这三项预期目标分别是多少」) and places side by side
(「辽宁、吉林、黑龙江2025年粮食生产目标各是多少」, a group of provinces: 「西北五省区…分别
是多少」). Each is asked on its own (its own passages, period and measure checks) and answered
on a line of its own with its own citation; one the documents do not answer says so on its line
instead of being left out.

The measures are the items of an enumeration in the question (joined by 、, 和, 与, 及), read
by the dictionary's words: the first item runs back from the first joint to a form word (的,
a year, a place, a preposition), the last one forward to a count of the items (这三项, 四个), an
asking word or 的. A change or form word closing the last item (增长, 目标) that the others do
not end with is what the items share (「地区生产总值、一般公共预算收入增长目标」 asks two growth
targets). Two short items joined by 和 are as often one thing's modifiers
(「城镇和农村居民人均可支配收入」, 「国家级和省级创新型县」): an enumeration is split only when
a count follows it, it has three items or more, or every item is a name of its own (four
characters or more). Places, years and halves joined so are not measures.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise

from rag.answer.refusal import refusal
from rag.lang.measures import FALLS, RISES
from rag.lang.periods import CONJUNCTIONS, FIRST_HALF, SECOND_HALF, WHOLE_YEAR
from rag.lang.places import NATIONAL, REGION_GROUPS, asked_places, contains, find_places
from rag.lang.tags import tagged_spans
from rag.lang.text import STOPWORDS
from rag.records import CITATION_MARK, Answer, Citation, Hit

# what asks for each of several things (「分别是多少」, 「各是多少」)
_DISTRIBUTIVE = re.compile(r"分别|各自|各(?=是|为|有|要|定|达)")
# the count of the items after the last one (这三项, 四个, 两大); digits only with a counter
# and never a year's (「…高新技术企业2022年分别…」)
_COUNT = re.compile(
    r"这?(?:[两二三四五六七八九十]+(?:个|项|大|类|方面|者)?|\d{1,2}(?:个|项|大|类|方面|者))(?![\d年])"
)
_JOINTS = frozenset(CONJUNCTIONS.split("|"))
# the tags of the words that end an item: 的, numerals and years, prepositions, pronouns,
# times, conjunctions; forward also adverbs (分别) and the verbs that ask (是, 为, 达到)
_BEFORE_ITEM = {"uj", "ul", "m", "p", "r", "t", "c"}
_AFTER_ITEM = _BEFORE_ITEM | {"d"}
_ASKING_VERBS = {"是", "为", "有", "要", "达到", "达", "定", "定为"}
_CHANGE = re.compile(rf"(?:{RISES}|{FALLS})")
_LONGEST_ITEM = 14
# an item that is a name of its own, whatever joins it
_A_NAME = 4


@dataclass(frozen=True)
class Asked:
    """One thing of several asked at once (a measure, a place) and the question that asks it
    alone."""

    item: str
    question: str


def each_measure(question: str) -> list[Asked]:
    """The measures the question asks one figure each of, with the question for each; empty
    when it asks one thing (or compares places, years or periods)."""
    if not _DISTRIBUTIVE.search(question) or not re.search(r"多少|几", question):
        return []
    words = tagged_spans(question)
    joints = [n for n, (w, _f, _s, _e) in enumerate(words) if w in _JOINTS]
    if not joints:
        return []
    # the run of joints of one enumeration: each next joint one item after the last
    run = [joints[0]]
    for n in joints[1:]:
        between = words[run[-1] + 1 : n]
        if not between or not _item_words(between):
            break
        run.append(n)
    begin = run[0]
    while begin > 0 and _in_item(*words[begin - 1][:2], back=True):
        begin -= 1
    end = run[-1] + 1
    while end < len(words) and _in_item(*words[end][:2], back=False):
        end += 1

    def at(n: int) -> int:
        return words[n][2] if n < len(words) else len(question)

    counted = _COUNT.match(question, at(end))
    items = [question[at(a + (a in run)) : at(b)].strip() for a, b in pairwise([begin, *run, end])]
    if not counted:
        # a change or form word closing the last item, that no other item ends with, is the
        # items' shared measure
        while end - 1 > run[-1] + 1 and _shared(words[end - 1][0], items[:-1]):
            end -= 1
        items[-1] = question[at(run[-1] + 1) : at(end)].strip()
    if len(items) < 2 or not all(_a_measure(item) for item in items):
        return []
    if not counted and len(items) < 3 and min(map(len, items)) < _A_NAME:
        return []  # 「城镇和农村居民人均可支配收入」: modifiers of one thing, as often as two
    rest = question[at(end) :]
    if counted:
        rest = rest[counted.end() - counted.start() :]
    rest = _DISTRIBUTIVE.sub("", rest)
    prefix = question[: at(begin)]
    return [Asked(item, prefix + item + rest) for item in items]


_BETWEEN_PLACES = re.compile(rf"(?:{CONJUNCTIONS}|，|,|\s)*")
# a sum or a difference of the places is one figure, not one each
_ONE_OF_ALL = re.compile(r"相比|比较|对比|一共|总共|合计|共计|加起来|合起来|差距|相差|差多少|共")
# what follows a group to ask each of its places (「长三角各省市」, 「东北三省的省份」)
_EACH_OF_GROUP = re.compile(r"\s*的?(?:各省市|各省区市?|各省|各市|各地|省份|省区市?)")


def each_place(question: str) -> list[Asked]:
    """The places the question names side by side (「辽宁、吉林、黑龙江2025年…各是多少」, 「西藏和
    全国…分别」, a group of provinces: 「西北五省区…分别是多少」), each with the question asked of
    it alone; empty unless they stand together and a figure is asked of each (分别, 各, or a
    list of three or more). A place's line is then as good as the answer to its own question
    (its passages, its evidence), not read from passages found for all of them at once."""
    if re.search(r"哪", question) or not re.search(r"多少|几", question):
        return []
    if _ONE_OF_ALL.search(question):
        return []
    mentions = asked_places(question)
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
    grouped = any(question[s:e] in REGION_GROUPS for _p, s, e in mentions)
    each = _DISTRIBUTIVE.search(question) or re.match(r"\s*各", question[end:])
    if len(written) < 2 or not (each or grouped or len(written) >= 3):
        return []
    rest = question[end:]
    if grouped:
        rest = _EACH_OF_GROUP.sub("", rest, count=1)
    # 各 right after the places is theirs (「山东和河北各新增了多少」), as 分别 anywhere
    rest = _DISTRIBUTIVE.sub("", re.sub(r"^\s*各", "", rest))
    return [Asked(name, question[:start] + said + rest) for name, said in written.items()]


def _item_words(words: tuple[tuple[str, str, int, int], ...]) -> bool:
    """Whether the words between two joints are one item."""
    text = "".join(w for w, _f, _s, _e in words)
    return 1 <= len(text) <= _LONGEST_ITEM and all(
        f not in {"x", "uj", "m"} for _w, f, _s, _e in words
    )


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


def _shared(word: str, others: Sequence[str]) -> bool:
    """Whether a word closing the last item is the items' shared measure: a change or form
    word no other item ends with (「一般公共预算收入增长和居民收入增长」 share nothing)."""
    form = bool(_CHANGE.fullmatch(word)) or word in STOPWORDS or word in {"预期", "指标"}
    return form and not any(o.endswith(word) for o in others)


def _a_measure(item: str) -> bool:
    """Whether an item names a measure, not a place, a year or a period to compare."""
    if len(item) < 2 or len(item) > _LONGEST_ITEM or re.search(r"\d", item):
        return False
    if any(p in item for p in (FIRST_HALF, SECOND_HALF, WHOLE_YEAR)):
        return False
    return not any(e - s >= len(item) - 1 for _p, s, e in find_places(item))


def joined(question: str, asked: Sequence[Asked], answers: Sequence[Answer]) -> Answer:
    """One line per thing asked: its answer with its citations numbered among all of them, or
    that the documents do not say. Refused as a whole only when nothing is answered."""
    lines: list[str] = []
    cites: list[Citation] = []
    rows: list[tuple[str, str, int]] = []
    hits: list[Hit] = []
    for one, answer in zip(asked, answers, strict=True):
        hits += [h for h in answer.hits if h not in hits]
        if answer.refused:
            # the refusal's reason where it names one (文档不涉及浙江省), else not found
            reason = answer.answer.rstrip("。").partition("：")[2]
            said = "文档不涉及" if reason.startswith("文档不涉及") else "文档中没有找到"
            lines.append(f"{one.item}:{said}")
            rows.append((one.item, said, 0))
            continue
        offset = len(cites)
        cites += answer.citations
        text = " ".join(answer.answer.split("\n"))
        if CITATION_MARK.search(text):
            text = _renumbered(text, offset)
        else:
            text += "".join(f"【{offset + n}】" for n in range(1, len(answer.citations) + 1))
        lines.append(f"{one.item}:{text}")
        rows.append((one.item, text, offset + 1))
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
    return CITATION_MARK.sub(lambda m: f"【{int(m.group(1)) + offset}】", text)
