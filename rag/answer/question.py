"""The question: its type, the thing it measures, the units it asks for, its content terms.

Everything here reads the question's wording only; rag/answer/extractive.py matches it against
passages.
"""

from __future__ import annotations

import math
import operator
import re
import threading
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import compress, pairwise

from rag.lang.figures import literal_figures as literal_figures
from rag.lang.measures import COUNTERS, IN_COMMON, UNITS
from rag.lang.periods import (
    ASKS_PLAN,
    ASKS_RESULT,
    CONJUNCTIONS,
    DOCUMENT_KINDS,
    TREND,
    asked_spans,
    five_year_plans,
    years_outside_documents,
)
from rag.lang.places import asked_groups, find_places
from rag.lang.tags import nominal, tagged, tagged_spans
from rag.lang.text import INTERROGATIVE, STOPWORDS, bigrams, segment, synonyms
from rag.records import Document
from rag.retrieval.retrieve import Scope, region_aliases

QTYPES = ("numeric", "list", "entity", "which_doc", "compare", "open")


_YEAR_WORD = re.compile(r"(?:19|20)\d\d\s*年?")
# a period named by a word (上半年, 今年) is scope, as a year is: rag.lang.periods reads it, and
# a sentence does not become evidence by saying 上半年 too
_PERIOD_WORD = re.compile(r"上半年|下半年|全年|今年|去年|明年")


# counters a question asks with: 「多少家」, 「几席」
_ASKING_COUNTERS = COUNTERS + "席只张"  # and the counters of seats, animals and sheets


_COUNTERS = ("家", "个", "座", "项", "件", "所", "场", "次", "批", "支", "条")


# what a question's wording says about the unit of the figure it wants
# the words that ask an amount of money (「募集多少资金」 asks a sum in 元, as 「多少钱」 does)
_MONEY_WORDS = "钱|资金|金额"
# the unit or counter written with the asking word comes first (「200亿元技改专项资金支持了多少
# 个项目」 asks a count, whatever the money named before it); the words of a measure after
_UNIT_HINTS = (
    (re.compile(r"多少(亿元|亿)"), ("亿",)),
    (re.compile(r"多少万元|多少万"), ("万",)),
    (re.compile(rf"多少(?:{_MONEY_WORDS})"), ("元",)),
    (re.compile(r"多少(名|人|位)|几(名|人|位)"), ("名", "人")),
    (re.compile(r"多长时间|几年|多少年"), ("年",)),
    (re.compile(r"多少家|几家"), ("家", "所")),
    (re.compile(r"多少项|几项"), ("项", "件")),
    # 「个」 is the generic counter (几个项目 is answered by 4项), so any counter will do
    (
        re.compile(r"多少(个(?!百分点|点|亿)|座|件|所|场|次)|几(个(?!百分点|点)|件|所|场|次)"),
        _COUNTERS,
    ),
    (re.compile(r"金额|资金.*多少|多少.*资金"), ("元",)),
    (re.compile(r"比重|比例|占比|强度|增速|增幅|百分"), ("%", "％", "百分点")),
)


# Words that look alike to a keyword matcher but ask different things: a sentence that uses
# another member of a group, and not the question's, does not answer the question. The groups
# are general distinctions of plan language: the administrative level of a programme, and a
# flow (新增) against a stock (总数, 累计). Periods (上半年/下半年) are rag/lang/periods.py's.
CONTRASTS: tuple[tuple[str, ...], ...] = (
    ("国家级", "省级", "市级", "县级"),
    ("新增", "总数", "累计"),
)


def contradicts(question: str, text: str) -> bool:
    """True when the text answers a neighbouring question (省级 asked, 国家级 stated)."""
    for group in CONTRASTS:
        asked = {w for w in group if _says(w, question)}
        if not asked:
            continue
        stated = {w for w in group if _says(w, text)}
        if stated and not asked & stated:
            return True
    return False


def figure_contradicts(question: str, words: str, path: str = "") -> bool:
    """contradicts, for a figure by its words (`words`, ending at the figure): of a group, the
    member nearest before the figure is the figure's own (「争创国家级创新型县1家、省级创新型县
    10家」: 1家 is 国家级 though its clause names 省级 too). Words naming no member of a group
    leave it to the headings (`path`)."""
    for group in CONTRASTS:
        asked = {w for w in group if _says(w, question)}
        if not asked:
            continue
        said = [(_last_at(w, words), w) for w in group]
        at, nearest = max(said)
        if at >= 0:
            if nearest not in asked:
                return True
        elif contradicts(question, path):
            return True
    return False


def _last_at(word: str, text: str) -> int:
    """Where the text last uses the word, or -1; 新增 stands for any flow: 新 before a verb is
    one too (新认定, 新培育, 新签约: jieba tags 新 as an adjective and the word after it as a
    verb)."""
    at = text.rfind(word)
    if word != "新增" or "新" not in text:
        return at
    flows = [
        start
        for (w, _f, start, _e), nxt in pairwise(tagged_spans(text))
        if w == "新" and nxt[1] in ("v", "vn")
    ]
    return max([at, *flows])


def _says(word: str, text: str) -> bool:
    """Whether the text uses the word (as _last_at reads it)."""
    return _last_at(word, text) >= 0


_CJK_ONLY = re.compile(r"[\u4e00-\u9fff]+")


_FORM_WORD = re.compile("|".join(map(re.escape, sorted(STOPWORDS, key=len, reverse=True))))


def neighbour_names(head: str, text: str, shared: int = 4, filler: int = 4) -> list[str]:
    """The names of the asked thing (a stretch of `head`) for which the text states a
    neighbour instead: the same frame with another filler (城镇调查失业率 asked, 城镇登记失业率
    stated; 常住人口城镇化率 asked, 户籍人口城镇化率 stated).

    A frame is what the two names share around the filler: a common beginning and a common
    ending of at least two characters, together at least `shared` characters. The fillers (up
    to `filler` characters each) have no character in common, the asked one is not beside the
    stated one and the stated one is no part of the asked name: a name with a word inserted
    (研发投入强度, 研发经费投入强度) or left out (地方政府专项债券, 地方专项债券) is no
    neighbour. The caller decides whether the asked name is a real one (the documents use it),
    which is what makes the neighbour a different thing rather than a paraphrase; each name
    comes with its filler and ending alone when those are `shared` characters or more.
    """
    found: list[str] = []
    if len(head) < shared or not text:
        return found
    for cut in range(len(head) - 2, 0, -1):
        ending = head[cut:]
        at = text.find(ending)
        while at > 0:
            for x in range(1, min(filler, cut) + 1):
                asked = head[cut - x : cut]
                before_x = head[: cut - x]
                for y in range(1, min(filler, at) + 1):
                    stated = text[at - y : at]
                    if set(asked) & set(stated) or not _CJK_ONLY.fullmatch(asked + stated):
                        continue
                    if _FORM_WORD.search(asked) or _FORM_WORD.search(stated):
                        continue  # a form word is no part of a name (「排放量分别下降」)
                    if asked in text[max(0, at - y - 2 * filler) : at] or stated in head:
                        # a word inserted beside the asked one, or a part of the asked name the
                        # text keeps while leaving another out: no other filler
                        continue
                    before_y = text[: at - y]
                    common = 0
                    while (
                        common < len(before_x)
                        and common < len(before_y)
                        and before_x[-1 - common] == before_y[-1 - common]
                    ):
                        common += 1
                    if not common or common + len(ending) < shared:
                        continue
                    begin = before_x[len(before_x) - common :]
                    if {begin + asked, begin + stated} & STOPWORDS:
                        # a form word (全省 in 全省研发投入强度 for 全社会…) scopes the name, it
                        # names no other thing
                        continue
                    name = begin + asked + ending
                    if name not in text and name not in found:
                        found.append(name)
                        if len(asked + ending) >= shared and asked + ending not in found:
                            # the name without the frame's beginning, an owner such as a place
                            # (郑州机场旅客吞吐量: the documents use 旅客吞吐量)
                            found.append(asked + ending)
            at = text.find(ending, at + 1)
    return found


# 「提高到(了)多少」, also with the rate it is per (提高到每人每年多少钱, 提高到每亩多少)
ASKED_VERB = re.compile(r"([\u4e00-\u9fff]{1,2}[到至])了?(?:每[\u4e00-\u9fff]){0,3}(?:多少|几)")


_ASKED_COUNT = re.compile(rf"(?:多少|几)[{_ASKING_COUNTERS}]?")


_HEAD_BEFORE = re.compile(
    r"([\u4e00-\u9fffA-Za-z&]{2,16}?)的?(?:目标|计划|总额|规模|数量|金额)?值?"
    # 「目标定的多少」, 「定为多少」: the verb that sets the figure is no part of the thing
    r"(?:定(?:的|为|在)?|设(?:为|在))?"
    r"(?:是|为|要|将|计划|力争)?(?:达到|达)?了?(?:多少|几)"
)


_UNIT_ONLY = re.compile(rf"(?:万|亿|千|百)?(?:{UNITS})")


_HEAD_AFTER = re.compile(rf"(?:多少|几)(?:万|亿|千|百)?(?:{UNITS}|位)?([\u4e00-\u9fff、]{{2,}})")


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
    「科技型中小企业担保放款目标是多少」 measures 担保放款, not 科技型中小企业. A verb that follows
    its noun there is the predicate, not the thing: 「瞪羚企业新增目标是多少」 measures 瞪羚企业.
    """
    # a bracketed gloss is part of the phrase (「研发投入强度（研发投入占地区生产总值比重）是多少」)
    question = _BRACKET.sub("", _EACH.sub("", question))
    after = _HEAD_AFTER.search(_QUALIFIER.sub("", question))
    if after and _UNIT_ONLY.fullmatch(after.group(1)):
        after = None  # 「多少亿斤?」: the unit asked for, not the thing measured
    if after and (
        not _thing(after.group(1))
        or ASKS_PLAN.fullmatch(after.group(1).removeprefix("的")) is not None
    ):
        # 「…强度定了多少目标」, 「…定了多少人的任务」: a plan's form words only (目标, 任务); the
        # thing is before
        after = None
    if after and re.fullmatch(_MONEY_WORDS, after.group(1)):
        # 「引导基金全年打算募集多少资金」: the money is what the thing before it spends or raises
        # (a plan writes 募资5亿元, 资金2121.7万元): both name it
        thing = head_phrase(question[: after.start()] + "是多少", whole)
        return f"{thing}{after.group(1)}" if whole else f"{thing} {after.group(1)}".strip()
    if after:
        phrase = after.group(1).strip("、")
        tail = phrase.split("的")[-1]
        if whole:
            return phrase
        return phrase[:4] if len(phrase) <= 4 else f"{phrase[:4]} {_last(tail)}"
    before = _HEAD_BEFORE.search(question)
    if not before:
        return ""
    clause_start = max(
        (m.end() for m in _CLAUSE_MARK.finditer(question, 0, before.start())), default=0
    )
    phrase = _thing(before.group(1))
    if clause_start and _names_no_thing(before.group(1), phrase):
        # the thing measured is in the clause before
        return head_phrase(question[: clause_start - 1] + "是多少", whole)
    setting = _SET_FOR.search(before.group(1))
    if setting and _thing(setting.group(1)):
        # 「报告给城镇调查失业率定的控制目标」: what a target is set for is the thing measured,
        # with what follows the verb (「给物价定的涨幅」 measures 物价涨幅)
        phrase = _thing(setting.group(1) + before.group(1)[setting.end() :])
    return phrase if whole else _last(_without_predicate(phrase))


def _names_no_thing(clause: str, phrase: str) -> bool:
    """Whether the asking clause (`phrase`: its thing as _thing reads it) names nothing
    measured: places compared (「城镇新增就业目标，西藏和全国分别是多少」), or stance words and
    one-character verbs (做, 干, 有) alone (「…给低保困难老人免费做白内障手术，实际做了多少
    人」). Not a clause with no word left (「根据…报告，今年目标是多少」): its thing is unsaid."""
    if _only_places(clause):
        return True
    rest = ASKS_RESULT.sub("", ASKS_PLAN.sub("", phrase))
    return bool(rest) and all(len(w) == 1 for w in _words(rest))


def _thing(phrase: str) -> str:
    """A phrase before 「是多少」 without its years, periods, 的 and form words."""
    phrase = _PERIOD_WORD.sub("", re.sub(r"(?:19|20)\d\d年?|的", "", phrase))
    # 「研发经费支出比上年增长多少」: the base a change is measured from is no part of the thing
    phrase = _CHANGE_BASE.sub("", phrase)
    return "".join(w for w in _words(phrase) if w not in STOPWORDS)


_CLAUSE_MARK = re.compile(r"[，,；;：:]")
# 「给X定的…」, 「为X设定的…」: the thing a target or figure is set for
_SET_FOR = re.compile(r"(?:给|为)([\u4e00-\u9fffA-Za-z&]{2,12}?)(?:设定|制定|确定|定下|定)")
_BRACKET = re.compile(r"[（）()]")
_CHANGE_BASE = re.compile(r"(?:比|较)(?:上一?年|去年|前一年|同期)(?:同期)?")


def _only_places(phrase: str) -> bool:
    """Whether the phrase is place names (or a document and its year) and the words joining
    them, nothing measured."""
    rest = phrase
    for _place, start, end in sorted(find_places(phrase), key=lambda m: -m[1]):
        rest = rest[:start] + rest[end:]
    # the document named is no thing measured either (「…年度任务，2017年的报告定了多少」)
    rest = re.sub(rf"(?:19|20)\d\d\s*年|{'|'.join(DOCUMENT_KINDS)}|报告", "", rest)
    return len(re.sub(rf"{CONJUNCTIONS}|分别|各自|各|定|了|的", "", rest)) < 2


def _without_predicate(phrase: str) -> str:
    """The phrase without a closing verb that follows a noun (瞪羚企业|新增), by dictionary tags
    (rag.lang.tags); a verb after a verb (担保放款) is itself the thing measured and stays."""
    words = tagged(phrase)
    if len(words) >= 2 and words[-1][1] == "v" and nominal(*words[-2]):
        return phrase[: len(phrase) - len(words[-1][0])]
    return phrase


def _last(phrase: str, n: int = 4) -> str:
    """The last `n` characters, widened so as not to cut a Latin word (GDP比重, not DP比重)."""
    cut = max(len(phrase) - n, 0)
    while (
        cut > 0 and _ASCII_WORD_CHAR.match(phrase[cut - 1]) and _ASCII_WORD_CHAR.match(phrase[cut])
    ):
        cut -= 1
    return phrase[cut:]


_ASCII_WORD_CHAR = re.compile(r"[A-Za-z0-9&.]")


def unit_hint(question: str) -> tuple[str, ...]:
    """Units the question's wording requires of its figure (empty: any)."""
    if re.search(r"第(?:几|多少)", question):
        return ()  # an ordinal (居第几位, 第几名) asks a rank, whatever its counter
    legal = _ASKED_LEGAL_UNIT.search(question)
    if legal:
        # 「产量目标是多少万吨」 asks a weight: any unit of that dimension (亿斤 too), not 万亩
        dimension = IN_COMMON[legal.group(1)][0]
        return tuple(u for u, (common, _f) in IN_COMMON.items() if common == dimension)
    before = _UNIT_BEFORE_ASKING.search(question)
    if before:
        # 「接待游客总人次是多少」 asks a figure in 人次, not 「增长8%」
        return (before.group(1),)
    for pattern, units in _UNIT_HINTS:
        if pattern.search(question):
            return units
    # any other counter asked with (多少台, 几只, 多少席) is the figure's own; 个 is the generic
    # counter, answered by any
    asked = _ASKED_COUNTER.search(question)
    if asked and asked.group(1) != "个":
        return (asked.group(1),)
    return ()


# a unit of two characters or more (rag.lang.measures.UNITS: 人次, 标准箱, 千瓦时) that ends the
# asked thing right before its question word; one character (率, 量, 数 are no units, and 人 or 家
# end many nouns) is not read so
_UNIT_BEFORE_ASKING = re.compile(
    "(" + "|".join(u for u in UNITS.split("|") if len(u) >= 2 and not u[0].isascii()) + ")"
    r"(?:是|为|有|达到|达)?(?:多少|几)"
)
_ASKED_COUNTER = re.compile(rf"(?:多少|几)([{_ASKING_COUNTERS}])")
# a legal unit of measurement asked with (多少万吨, 多少公顷): rag.lang.measures.IN_COMMON's
_ASKED_LEGAL_UNIT = re.compile(
    rf"(?:多少|几)(?:万|亿|千|百)?({'|'.join(sorted(IN_COMMON, key=len, reverse=True))})"
)


# the issuing body names the document, it is not evidence of an answer
ISSUER = re.compile(r"(?:科学技术|科技)(?:厅|局|委员会|委)|科技工委|市委|省委|党组")


_ASCII_WORD = re.compile(r"[A-Za-z][A-Za-z0-9&+]*|\d+[A-Za-z]+")


# a figure with the character after it (「100强」, 「2500亿」) is a term bigrams cannot see
_FIGURE_WORD = re.compile(r"(?<![\d.])\d+(?:\.\d+)?[\u4e00-\u5e73\u5e75-\u9fff]")  # not 年


# two years joined as a pair (2018年和2019年, 2018、2019年, keywords 「2018 2019」)
_TWO_YEARS = re.compile(rf"(?:19|20)\d\d\s*年?\s*(?:{CONJUNCTIONS}|\s)\s*(?:19|20)\d\d\s*年")


# a figure of the whole span (「2021年到2025年累计…」), not one per year
_OVER_THE_SPAN = re.compile(r"累计|合计|总共|一共|期间|以来")


def classify(question: str, compare_regions: int = 0) -> str:
    """The question's type from its wording (see QTYPES)."""
    q = question
    # 「分别是哪些」 enumerates the items of one place; a comparison needs two places or years, or
    # words that compare
    # (a verb between them too: 「分别定了哪些数量目标」)
    listing = bool(re.search(r"分别[^，,。；;？?]{0,3}?(?:哪些|哪几|什么)", q))
    if compare_regions >= 2 or re.search(r"相比|对比|比较|各自|哪个更|谁更", q):
        return "compare"
    if re.search(r"分别", q) and not listing:
        return "compare"
    several_years = (
        bool(_TWO_YEARS.search(q))
        or len(asked_spans(q)) >= 2
        or len(five_year_plans(q)) >= 2
        or len(years_outside_documents(q)) >= 2
    )
    # a figure asked (多少, 几, a trend word, or keywords with no question word at all)
    per_year = re.search(r"多少|几", q) or TREND.search(q) or not INTERROGATIVE.search(q)
    if several_years and per_year and not _OVER_THE_SPAN.search(q):
        # 「2018年和2019年…各是多少」, 「2013年、2014年、2015年…增长了多少」, 「2016年到2019年…
        # 怎么变」: one figure per year
        return "compare"
    if re.search(
        r"哪个(省|市|县|区(?!域)|地区|地方|城市|文件|文档|部门|单位)|哪份|哪一份"
        r"|哪些(省|市|县|区(?!域)|地区|文件)"
        r"|哪里提出|谁提出|哪一?年的?[^，。？?]{0,8}报告|哪一?年提出|哪一?年(?:开始|起)",
        q,
    ):
        return "which_doc"
    if (re.search(r"哪些|哪几|有什么", q) or ASKS_MEMBERS.search(q)) and not re.search(
        r"多少|(?<!哪)几", q
    ):
        # 「打造哪些新增长引擎」: the 增长 inside a name does not make it a figure question
        return (
            "list"
            if not re.search(r"(有什么|有哪些|作了什么|做了什么)(安排|部署|打算|考虑)", q)
            else "open"
        )
    if re.search(r"哪些|哪几", q) and re.search(r"各(?:有|是|为|要)?(?:多少|几)", q):
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
    if _KEYWORDS_FOR_A_FIGURE.search(q) and not INTERROGATIVE.search(q):
        return "numeric"  # 「陕西省 2022年 技术合同成交额 目标」: a search-box query for a figure
    return "open"


# 「哪五个方向」, 「哪三项」: the members of a group of that count (not 「哪两个省」, a place
# question, or 「哪两年」)
ASKS_MEMBERS = re.compile(
    r"哪([两二三四五六七八九十]+)(?![年份])(?!个(?:省|市|县|地区|地方|城市|文件))[\u4e00-\u9fff]"
)
# keywords that end in a measured thing or its target name the figure they want
_KEYWORDS_FOR_A_FIGURE = re.compile(
    r"(?:额|量|率|强度|比重|占比|规模|总值|产值|增速|增幅|数|指标|目标)\s*[?？]?\s*$"
)


@lru_cache(maxsize=1024)
def text_grams(text: str) -> frozenset[str]:
    """What coverage matches in a text: its bigrams, ASCII words (lower case), figure words.

    Cached: an answer covers the same candidate sentences with several term sets, and the same
    passages come back question after question (this was the answerer's largest cost). An
    entry of a 150-character sentence is ~20 KB, so the cache stays under ~20 MB."""
    grams = set(bigrams(text)) | {w.lower() for w in _ASCII_WORD.findall(text)}
    grams |= set(_FIGURE_WORD.findall(text))
    return frozenset(grams)


@dataclass(frozen=True)
class Terms:
    """The question's content as weighted bigram sets, one set per synonym variant."""

    variants: tuple[frozenset[str], ...]
    weight: Mapping[str, float]
    # per variant: its bigrams and their weights in the variant's own order, and their total,
    # computed once instead of on every coverage call (same values, same summation order)
    _weighted: tuple[tuple[tuple[str, ...], tuple[float, ...], float], ...] = field(
        init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        weighted = []
        for variant in self.variants:
            keys = tuple(variant)
            weights = tuple(self.weight.get(g, 1.0) for g in keys)
            weighted.append((keys, weights, sum(weights)))
        object.__setattr__(self, "_weighted", tuple(weighted))

    def coverage(self, text: str, extra: str = "") -> float:
        """Weighted share of the question's content found in the text (best variant); with
        `extra`, in the text and `extra` joined by a space (a sentence and its heading).

        A synonym rewrite counts a little less than the question's own wording, so a sentence
        that uses the asker's words wins a tie against one that matches only a rewrite. A space
        joins no bigram, word or figure, so the joined text's grams are the two texts' grams
        together: each is looked up in its own cached set instead of cutting the joined text.

        The weights found are summed in the variant's order, left to right, as a generator
        would; the lookups run in C (map, compress): coverage is called ~170 times an answer.
        """
        grams = text_grams(text)
        other = text_grams(extra) if extra else None
        best = 0.0
        for n, (keys, weights, total) in enumerate(self._weighted):
            if total:
                found_in = map(grams.__contains__, keys)
                if other is not None:
                    found_in = map(operator.or_, found_in, map(other.__contains__, keys))
                found = sum(compress(weights, found_in))
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


# idf table -> its median weight: sorting a corpus' bigram weights took ~1 ms per question_terms
# call, several per answer. Keyed by identity (an index's table is built once and not changed);
# the table itself is kept so that its id cannot be reused while the entry lives.
_MEDIANS: dict[int, tuple[Mapping[str, float], float]] = {}
_MEDIANS_LOCK = threading.Lock()


def _median_idf(idf: Mapping[str, float]) -> float:
    """The median weight of the corpus' bigrams (the "" entry excluded); 1.0 when none."""
    if len(idf) < 256:  # a question's own small weight table: sorting it costs nothing, and
        return _median_of(idf)  # caching it would push the corpus' table out
    with _MEDIANS_LOCK:
        hit = _MEDIANS.get(id(idf))
        if hit is not None and hit[0] is idf:
            return hit[1]
    median = _median_of(idf)
    with _MEDIANS_LOCK:
        if len(_MEDIANS) >= 16:  # old indexes' tables go once a few generations were adopted
            _MEDIANS.clear()
        _MEDIANS[id(idf)] = (idf, median)
    return median


def _median_of(idf: Mapping[str, float]) -> float:
    seen = sorted(v for k, v in idf.items() if k)
    return seen[len(seen) // 2] if seen else 1.0


@lru_cache(maxsize=4096)
def _words(text: str) -> tuple[str, ...]:
    """segment(text), cached: an answer cuts the question and its rewrites ~12 times (each
    term set, each round), mostly the same texts. (Not inside rag.lang.text: its source is
    the analyzer's fingerprint, and a cache changes no word.)"""
    return tuple(segment(text))


# the words that only ask (kept out of the content even when the other stopwords are kept)
_ASKING_WORDS = frozenset(
    "多少 几 几个 什么 哪些 哪个 哪 哪里 哪份 谁 怎么 怎样 如何 是否 吗 呢 么 啥 请问 请 有".split()
)


_REGION_WORD = re.compile(r"(?<!全)地区(?=[\u4e00-\u9fff])")


def question_terms(
    question: str, drop: Iterable[str], idf: Mapping[str, float], keep_stopwords: bool = False
) -> Terms:
    """Content bigrams of the question and of its synonym rewrites, places and years removed."""
    texts = [question]
    # two rounds, so 「R&D投入强度」 -> 「研发投入强度」 -> 「研发经费支出占地区生产总值的比重」
    # a wording matches with or without the particle 的, which writers insert freely
    # (「研发经费占GDP的比重」 is 「研发经费占GDP比重」)
    for _ in range(2):
        for text in list(texts):
            bare = text.replace("的", "")
            for key, phrases in synonyms().items():
                base = text if key in text else bare if key.replace("的", "") in bare else None
                if base is None:
                    continue
                found = key if key in base else key.replace("的", "")
                texts += [
                    base.replace(found, p) for p in phrases if base.replace(found, p) not in texts
                ]
    # a measure of 「地区」 (地区生产总值) is written by a plan with its own scope word
    # (全省生产总值, 全市生产总值, 全区生产总值): a form word, like the self-names of
    # rag.answer.pick's levels, so the rewrite leaves 地区 out
    bare = _REGION_WORD.sub("", question)
    if bare != question and bare not in texts:
        texts.append(bare)
    # a bigram the corpus never uses is most often paraphrase wording that nothing can match;
    # weigh it like an ordinary bigram rather than a decisive one
    unseen = _median_idf(idf)
    variants = []
    # years go first, from the dropped phrases too, so that no stray 「1年」 is left behind
    dropped = sorted({_YEAR_WORD.sub(" ", p).strip() for p in drop} - {""}, key=len, reverse=True)
    for text in texts:
        text = _PERIOD_WORD.sub(" ", _YEAR_WORD.sub(" ", text))
        for phrase in dropped:
            text = text.replace(phrase, " ")
        latin = {w.lower() for w in _ASCII_WORD.findall(text)} | set(_FIGURE_WORD.findall(text))
        # drop stopwords as whole words: cutting 「工作」 out of 「工作站」 would lose evidence
        stop = _ASKING_WORDS if keep_stopwords else STOPWORDS
        # the asking words with their counter (几席, 多少名) are form, not content
        text = " ".join(" " if w in stop or _ASKED_COUNT.fullmatch(w) else w for w in _words(text))
        grams = frozenset({g for g in bigrams(text) if len(g) == 2} | latin)
        if grams and grams not in variants:  # rewrites often end in the same grams (全省, 全市)
            variants.append(grams)
    weight = {g: idf.get(g, unseen) for v in variants for g in v}
    return Terms(tuple(variants), weight)


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


def terms_for(
    question: str, scope: Scope, documents: Mapping[str, Document], idf: Mapping[str, float]
) -> Terms:
    """The question's content terms: places, years, quoted titles and issuers are scope."""
    # every place the question names is scope, not evidence, even one the year filter set aside
    places = {d.region for d in documents.values() if d.region} | set(scope.regions)
    drop = [a for r in places for a in region_aliases(r) if a in question]
    drop += list(scope.foreign_regions)
    # a group of provinces asked about (东北三省) names places, as their names do
    drop += list(dict.fromkeys(question[s:e] for _p, s, e in asked_groups(question)))
    scoped = scope.doc_ids if scope.doc_ids is not None else frozenset(documents)
    drop += title_overlaps(question, [documents[d].title for d in scoped])
    drop += ISSUER.findall(question)
    terms = question_terms(question, drop, idf)
    if not terms.variants:
        # 「陕西省2022年的主要目标有哪些?」 is all stopwords but for 主要目标: keep them
        terms = question_terms(question, drop, idf, keep_stopwords=True)
    return terms
