"""The indicator a figure is about: the noun phrase before it, as written and normalised.

A plan states a figure as 「subject + predicate + figure」 (「全社会研发投入强度达3.35%左右」) or,
as often in Chinese, 「verb + figure + noun」 (「培育30家拟上市科技企业」). The method is general
and names no indicator:

1. the words of the figure's clause before it, from the clause mark (or the previous figure);
2. minus the framing at the front: outline numbers (spans.OUTLINE_MARK), time adverbials
   (years as rag.lang.periods reads them, and the relative year words below), the stance words
   rag.lang.periods reads as a plan (力争, 预计, 计划 …) and the place that is the subject (a name
   of the rag.lang.places gazetteer, or 全/我/本 + an administrative suffix: 全省, 我市);
3. minus the predicate at the end: the change words of rag.lang.measures (增长, 提高到 …) and the
   copulas and bounds of statistical statements (达到, 为, 突破, 超过, 不少于 …);
4. when nothing is left, the subject of the figure before it in the same clause run
   (「达到5.2万亿元、增长5.6%」, with the comparison it states: 「高于全国」), else the noun
   after the figure (培育30家「拟上市科技企业」);
   a count's noun is read with rag.targets.phrase's part-of-speech chunker: when the phrase
   after a count is the subject of a later figure of its clause, the count names only the
   phrase's leading noun (「12个闽宁产业园|新入驻企业154家」); list items are split at 、 and at
   conjunction words (not inside 普及率), share the head noun the last item ends with when they
   are parallel to its modifier (「二氧化硫、化学需氧量|排放量」), and a 分别 with no items of its
   own takes the subjects of the figures before it; a part (其中, 含) is named under its whole;
5. normalised: NFKC, traditional to simplified (OpenCC, as rag.lang.normalize does for questions),
   without spaces, quotation marks, the place prefix and the trailing growth nouns of
   rag.lang.measures (增速, 增幅, 涨幅, 降幅: they say the measure, which is a column of its own).
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache, lru_cache

from rag.answer.spans import OUTLINE_MARK
from rag.lang.measures import _CHANGE, _TO_LEVEL
from rag.lang.normalize import _t2s
from rag.lang.periods import PLAN_WORDS
from rag.lang.places import _SUFFIXES, Place, _gazetteer, _words, contains, find_places

# 全省, 全市, 我区, 本县: a scope word made of 全/我/本 and an administrative suffix
# (rag.lang.places);
# 全国 and 我国 are the country's names in the gazetteer
_SCOPE = re.compile(
    "^(?:全|我|本)(?:" + "|".join(sorted(_SUFFIXES, key=len, reverse=True)) + "|社会)"
)
# years as rag.lang.periods reads them, with the prepositions and the relative year words of the
# genre (今年, 去年, 全年 …) and quarters; 「2025年」, 「到2025年底」, 「上半年」, 「“十四五”期间」
_TIME = re.compile(
    r"^(?:截至|截止|到|至|在|于|从)?\s*(?:(?:19|20)\d\d\s*年(?:底|末|初|前|度|内)?|今年|去年|明年|"
    r"上年|当年|全年|年内|年底|年末|上半年|下半年|[一二三四]季度|前[一二三四]季度|"
    r"[“\"]?十[一二三四五六七八九]五[”\"]?(?:时期|期间)?|同期|期间|以来)(?:以来|期间)?\s*(?:的|，|,)?"
)
# circled numbers (Unicode ①–⑳, U+2460–2473) mark list items like 「1.」 does
_CIRCLED = re.compile("^[\u2460-\u2473]")
# stance and manner words in front of a figure's subject (rag.lang.periods' plan words and the
# adverbs that go with them)
MODAL = re.compile(
    r"^(?:" + PLAN_WORDS + r"|努力|确保|争取|预期|力求|共|累计|其中|还要|要|将|"
    r"实现|完成|达到)"
)
# the predicate between a subject and its figure: copulas and the bounds of statistical
# statements (以上/不少于 …); the change words come from rag.lang.measures
_PREDICATE = re.compile(
    r"(?:达到|达|为|是|突破|超过|超|逾|实现|完成|保持在|保持|控制在|稳定在|维持在|稳定|上升|"
    r"增至|降至|减至|升至|到|至|在|约|近|接近|不少于|不低于|不超过|不高于|不到|以上|"
    r"同比|比上年|较上年|年均|平均|分别|共|累计|总计|合计|了|的|再|又|也|还|已|等|和|及|与|"
    r"由|从|较|按|拟)$"
    # a time at the end of the subject (「比重从2009年的」) says when, not what
    r"|(?:从|由|在|较|比)?(?:(?:19|20)\d\d\s*年(?:底|末)?|去年|上年|今年)的?$"
)
_GROWTH_NOUN = re.compile(r"(?:的)?(?:增速|增幅|涨幅|降幅|增长幅度)$")
_BRACKETED_LIST = re.compile(r"\([^()]*、[^()]*\)")
_QUOTES = re.compile(r"[\s“”\"'‘’《》「」()（）]")
_CJK_OR_WORD = re.compile(r"[\u4e00-\u9fffA-Za-z0-9]")
# bounds of a figure written in front of it (the ones after it come with the figure)
BOUND_BEFORE = re.compile(r"(突破|超过|超|逾|不少于|不低于|不超过|不高于|接近|约|近|不到)\s*$")
# where the noun after a classifier phrase ends and its predicate begins (「19项典型经验「在」全国
# 推广」): the prepositions that open a predicate
RIGHT_PREDICATE = re.compile(r"[在于向对为]")


def strip_front(text: str, framing: bool = True, within: Place | None = None) -> int:
    """How many leading characters of a clause are framing (outline number, time, stance,
    place), not the subject; with framing=False only the scope prefix (全省, 我市). With
    `within`, a place is framing only when it is that place or lies inside it: a provincial
    report's 「全国重点实验室」 is a name, its 「西安市…」 a place."""
    patterns = (OUTLINE_MARK, _CIRCLED, _TIME, MODAL, _SCOPE) if framing else (_SCOPE,)
    at = 0
    while True:
        rest = text[at:]
        lead = len(rest) - len(rest.lstrip(" \t\u3000，,、：:"))
        if lead:
            at += lead
            continue
        for pattern in patterns:
            m = pattern.match(rest)
            if m and m.end() and (pattern is not MODAL or m.end() > 1 or _ends_a_word(rest, 1)):
                at += m.end()
                break
        else:
            places = find_places(rest) if framing and _opens_with_alias(rest) else []
            opening = places[0] if places and places[0][1] == 0 else None
            inside = opening is not None and (within is None or contains(within, opening[0]))
            if opening is not None and inside and _names_own_place(rest, opening, within):
                return at
            # a place that begins a longer word (上海港, 北京地区) is part of the name
            whole = opening is not None and _ends_a_word(rest, opening[2])
            if opening is not None and inside and whole and _place_prefix(rest, opening[2]):
                at += opening[2]
                continue
            return at


def _ends_a_word(text: str, end: int) -> bool:
    """A stance word that ends where a dictionary word of the text starts, not the first
    character of a longer word (「共|建产业园区」 is 共建: built jointly, not 共 in total; only
    one-character stance words are tested, 共, 要, 将: a longer one is a word of its own)."""
    return end >= len(text) or end in _words(text[: end + _WORD_WINDOW])


# characters enough to hold the word a stance word may begin (共建, 实现率)
_WORD_WINDOW = 4


# what must follow a place for it to be the subject's framing, not part of a name: a place
# before one word of two characters names it (浦东新区法规, 上海标准)
_AFTER_PLACE = 3


def _place_prefix(text: str, end: int) -> bool:
    """The place text[:end] stands before the subject rather than inside a name, or as the
    first item of a list of places (「厦门、福州机场旅客吞吐量」: the places are the items)."""
    return not text[end:].startswith("、") and strip_back(text[end:]) >= _AFTER_PLACE


def _names_own_place(text: str, opening: tuple[Place, int, int], within: Place | None) -> bool:
    """A place inside the document's own, written in a short form (郑州机场, 酒泉经济总量 in a
    provincial report), is part of the subject's name: the row stays the document's place, so
    without it the figure would read as the province's. Written in full (西安市…), the extractor
    moves it to the row's place instead (rag.targets.extract)."""
    place, a, b = opening
    return within is not None and place.name != within.name and text[a:b] != place.name


def _opens_with_alias(text: str) -> bool:
    """A cheap test before find_places: some alias of the gazetteer starts the text."""
    gazetteer = _gazetteer()
    if text[:1] not in _alias_initials():
        return False
    return any(text[:n] in gazetteer.by_alias for n in gazetteer.lengths if n <= len(text))


@cache
def _alias_initials() -> frozenset[str]:
    """The first characters of the gazetteer's aliases."""
    return frozenset(alias[:1] for alias in _gazetteer().by_alias)


def strip_back(text: str) -> int:
    """Where the subject of a clause ends: before its predicate (change words, copulas)."""
    end = len(text.rstrip())
    while end:
        head = text[:end]
        m = _TO_LEVEL.search(head) or _CHANGE.search(head) or _PREDICATE.search(head)
        if m is None or m.start() == end:
            break
        # a negation before a comparison is the bound's (不|低于: 不低于), not the subject's
        end = m.start() - (text[: m.start()].endswith("不"))
        end = len(text[:end].rstrip(" \t，,"))
    return end


def substantive(text: str) -> bool:
    """A phrase that can name something: at least two letters, digits or Chinese characters."""
    return len(_CJK_OR_WORD.findall(text)) >= 2


@cache
def _convertible() -> tuple[frozenset[str], re.Pattern[str]] | None:
    """The keys of OpenCC's traditional-to-simplified dictionaries: its characters (~4,100) and
    its phrases (~280). A text that contains none of them converts to itself, so most names need
    no conversion (each costs OpenCC a parse tree). None when the converter does not expose its
    dictionaries (another OpenCC build): then every name is converted."""
    chain: object = getattr(_t2s(), "_dict_chain_data", None)
    if not isinstance(chain, list):
        return None
    try:
        keys = [k for group in chain for _n, _m, table in group for k in table]
    except (TypeError, ValueError):
        return None
    # the phrases as one pattern: a name is tested against all of them in one scan
    phrases = sorted({k for k in keys if len(k) > 1}, key=len, reverse=True)
    pattern = re.compile("|".join(map(re.escape, phrases)) or r"(?!)")
    return frozenset(k for k in keys if len(k) == 1), pattern


def _simplified(text: str) -> str:
    """The text in simplified characters (OpenCC t2s)."""
    keys = _convertible()
    if keys is not None and keys[0].isdisjoint(text) and not keys[1].search(text):
        return text
    return _t2s().convert(text)


@lru_cache(maxsize=65536)
def normalise_indicator(text: str) -> str:
    """One form of an indicator's name: NFKC, simplified characters, no spaces or quotes, no
    scope prefix (全省, 我市), no trailing growth noun. Place prefixes are framing only in their
    document's context: the extractor strips them (strip_front with `within`), not this."""
    text = _simplified(unicodedata.normalize("NFKC", text))
    # a list inside brackets is an aside of one word (县（市、区）: 县市区), not items of the name
    text = _BRACKETED_LIST.sub(lambda m: m.group().replace("、", ""), text)
    text = ratio_form(_QUOTES.sub("", text))
    text = text[strip_front(text, framing=False) :]
    return _GROWTH_NOUN.sub("", text) or text


# the ways a ratio to a whole is written (「相当于全市生产总值的比例」, 「占GDP的比重」,
# 「占…比例」) and a plan's own scope word before its 生产总值 (全市, 全省: the 地区 of
# 地区生产总值)
_RATIO = re.compile(r"(?:相当于|占)(.{2,14}?)的?(?:比例|比重)")
_OWN_OUTPUT = re.compile(r"(?:全市|全省|全区|本市|本省)(?=生产总值)")


def ratio_form(text: str) -> str:
    """One way of writing a ratio: 「A相当于B的比例」 and 「A占B的比例」 are 「A占B比重」, and a
    plan's 全市生产总值 is 地区生产总值, so 「研发经费支出相当于全市生产总值的比例」 is the
    synonym groups' 「研发经费支出占地区生产总值比重」."""
    return _RATIO.sub(r"占\1比重", _OWN_OUTPUT.sub("地区", text))
