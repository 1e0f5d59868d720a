"""Shallow noun phrases from part-of-speech tags, for naming what a figure counts.

Tags are jieba's dictionary tags (as jieba.posseg gives them without its HMM guesser, so a word
keeps the tag its dictionary line gives, read from a cached copy of its table: the ICTCLAS set,
n noun, v verb, d adverb, a adjective …). No word list of this module's own: a phrase is cut by
tag classes alone.

- `leading_noun(text)`: how many characters the noun phrase opening `text` takes, where `text`
  runs up to a later figure: verbs before the first noun are modifiers (「拟上市科技企业」);
  after a noun, a closing word (adverb, pronoun, conjunction, …) or a verb whose object runs
  to the figure starts the predicate (「重大项目|已开工」, 「省份|本级公务接待费减少」,
  「闽宁产业园|新入驻企业」154家).
- `words(text)`: its dictionary words.
- `fine_words(text)`: its smallest dictionary words (for abbreviations).
- `names_a_thing(text)`: whether a phrase has a noun at all.
- `noun_run(text)`: the nouns proper that open a phrase (a clause's own subject).
- `subject_run(text)`: the nouns proper that open a clause as its subject, a predicate after.
- `object_of(text)`: where a verb phrase's object starts.
- `opening_verbs(text)`: the same, a verbal noun before a verb counted as a verb (启动|实施).
- `ends_nominal(text)`: whether a phrase ends in a noun or a verbal noun.
- `ends_in_noun(text)`: whether a phrase ends in a noun proper (list items, parallel items).
- `all_nouns(text)`: whether a phrase is nouns alone (a subject with no verb).
- `nominal_phrase(text)`: whether a phrase is nominal words alone, ending in a noun proper.
- `distinguishing_run(text)`: the grade words (国家级, 省级) that open a phrase.
- `nominal_start(text)`: whether a phrase opens with a noun (a class figure's noun after it).
- `same_class(a, b)`: whether two words carry the same tag class (the halves of 城乡).
- `item_marks(text)`: where a list's items are joined (、 and the conjunction words).
- `head_noun(text)`: the noun that closes a phrase, which the items of a list share
  (「化学需氧量、氨氮|排放量」 分别下降 …).
"""

from __future__ import annotations

import re
from functools import lru_cache

import jieba

from rag.lang.tags import tagged as _tagged
from rag.lang.text import segment
from rag.targets.indicator import BOUND_BEFORE, MODAL

# tag classes (ICTCLAS, as jieba's dictionary writes them): nouns and the words that stand for
# them (verbal and adjectival nouns, abbreviations, distinguishing words like 省级, set phrases,
# foreign words, numerals inside a name like 5G)
_NOMINAL = ("n", "vn", "an", "j", "b", "l", "i", "eng", "nz", "ns", "nt", "nr", "ng", "s", "m")
# the classes that always close a noun phrase once a noun has been read: adverbs, pronouns
# (本级), conjunctions, directions, prepositions, particles, time words, modal particles
_CLOSING = ("d", "r", "c", "f", "p", "u", "t", "y")
# modifiers left dangling when a phrase is cut before a verb (「闽宁产业园新|入驻企业」)
_DANGLING = ("a", "d")
# a noun phrase this short is a piece of a word jieba split (「国|考断面」), not a phrase
_SHORTEST = 2


def _nominal(flag: str) -> bool:
    return flag in _NOMINAL or (flag[:1] == "n")


def _kind(flag: str) -> str:
    return flag if flag in ("vn", "an") else flag[:1]


def leading_noun(text: str) -> int:
    """Characters of the noun phrase that opens `text`, where `text` runs up to the next
    figure: the phrase ends at a closing word (adverb, pronoun, conjunction …) after a noun, or
    at a verb after a noun whose object, nouns alone, runs to the next figure (「小微企业|获得
    首贷」27亿元), without the modifiers such a cut leaves dangling. All of `text` when nothing
    cuts it, or when the cut would leave less than two characters."""
    tagged = _tagged(text)
    ends: list[tuple[int, str]] = []  # (end offset, tag class) of each word before the cut
    at, noun = 0, False
    for n, (word, flag) in enumerate(tagged):
        kind = _kind(flag)
        closing = not word.strip() or (flag == "x" and not word.isalnum())
        closing = closing or (noun and kind in _CLOSING)
        rest = list(tagged[n + 1 :])
        while rest and BOUND_BEFORE.fullmatch(rest[-1][0]):
            rest.pop()  # 「…安排援疆资金近」200亿元: a bound before the figure
        if closing or (noun and kind == "v" and rest and all(_nominal(f) for _w, f in rest)):
            while ends and ends[-1][1] in _DANGLING:
                ends.pop()
            cut = ends[-1][0] if ends else 0
            return cut if cut >= _SHORTEST else len(text)
        noun = noun or _nominal(flag)
        at += len(word)
        ends.append((at, kind))
    return len(text)


@lru_cache(maxsize=16384)
def words(text: str) -> tuple[str, ...]:
    """The dictionary words of `text` (jieba without the HMM guesser)."""
    return tuple(w for w, _f in _tagged(text))


@lru_cache(maxsize=16384)
def fine_words(text: str) -> tuple[str, ...]:
    """`text` cut into its smallest dictionary words: at each point the shortest word of two or
    more characters that jieba's search mode finds there (规模以上 -> 规模|以上, 增加值 ->
    增加|值), else one character."""
    segment("")
    starts: dict[int, int] = {}
    for word, begin, end in jieba.tokenize(text, mode="search", HMM=False):
        if len(word) >= 2:
            starts[begin] = min(starts.get(begin, end), end)
    out, at = [], 0
    while at < len(text):
        end = starts.get(at, at + 1)
        out.append(text[at:end])
        at = end
    return tuple(out)


def names_a_thing(text: str) -> bool:
    """True when the phrase has a noun (not only verbs: 「新投产」, 「废止」)."""
    return any(_nominal(f) and f not in ("vn", "an", "m") for _w, f in _tagged(text))


def noun_run(text: str) -> int:
    """Characters of the run of nouns proper (not verbal nouns or numerals) that opens the
    phrase: a clause's own subject (「酒泉经济总量|突破千亿」); 0 when it opens with a verb or
    a relation (「高于全国…」)."""
    at = 0
    for word, flag in _tagged(text):
        if flag in ("vn", "an", "m") or not _nominal(flag):
            break
        at += len(word)
    return at


# a clause's subject is followed by its predicate: a verb, adverb or adjective, or a set phrase
# (明显好转)
_PREDICATE_START = ("v", "d", "a", "i", "l")


def subject_run(text: str) -> int:
    """Characters of the nouns proper that open a clause as its subject: a run of them, the
    first not a set phrase (坚定不移, 深入开展: a manner, not a thing), followed by a predicate
    (「数字经济|撑起…」); 0 when a verb opens the clause or nothing predicates the nouns (a
    clause that is a noun phrase alone)."""
    tagged = [(w, f) for w, f in _tagged(text) if w]
    at = 0
    for n, (word, flag) in enumerate(tagged):
        if (
            flag in ("vn", "an", "m")
            or not _nominal(flag)
            or not re.fullmatch(r"[\u4e00-\u9fff]+", word)
        ):
            following = flag[:1] in _PREDICATE_START and flag not in ("vn", "an")
            opens = n > 0 and tagged[0][1] not in ("i", "l")
            return at if following and opens else 0
        at += len(word)
    return 0


def object_of(text: str) -> int:
    """Where the object of a verb phrase starts: after the verbs, adverbs and prepositions that
    open it (「启动实施|乡村振兴补短板工程」); 0 when it opens with a noun."""
    at = 0
    for word, flag in _tagged(text):
        if not word.strip() or _kind(flag) not in ("v", "d", "p"):
            break
        at += len(word)
    return at


def opening_verbs(text: str, leading_verbal_noun: bool = False) -> int:
    """Characters of the verbs, adverbs and prepositions that open a phrase, a verbal noun
    among them when a verb follows it (「启动|实施」乡村振兴…), or when it opens the phrase
    (`leading_verbal_noun`: 「启动|新的三年…计划」); 0 when it opens with a noun."""
    tagged = _tagged(text)
    at = 0
    for n, (word, flag) in enumerate(tagged):
        verb_next = n + 1 < len(tagged) and _kind(tagged[n + 1][1]) == "v"
        verb_next = verb_next or (leading_verbal_noun and n == 0)
        if not word.strip() or (
            _kind(flag) not in ("v", "d", "p") and not (flag == "vn" and verb_next)
        ):
            break
        at += len(word)
    return at


def ends_nominal(text: str) -> bool:
    """True when the phrase's last word is a noun of any kind, a verbal noun too (「重大工程
    建设」), not a particle or a verb (「…调节基金等」)."""
    tagged = [(w, f) for w, f in _tagged(text) if w.strip()]
    return bool(tagged) and tagged[-1][1] != "m" and _nominal(tagged[-1][1])


def ends_in_noun(text: str) -> bool:
    """True when the phrase's last word is a noun proper (not a verbal noun: 管理, 建设)."""
    tagged = [(w, f) for w, f in _tagged(text) if w.strip()]
    if not tagged:
        return False
    word, flag = tagged[-1]
    # a word the project's dictionary adds without a tag (众创空间) is a name of a thing
    added = flag == "x" and len(word) > 1 and re.fullmatch(r"[\u4e00-\u9fff]+", word) is not None
    return added or (flag not in ("vn", "an", "m") and _nominal(flag))


def all_nouns(text: str) -> bool:
    """True when every word of the phrase is a noun proper or a word the project's dictionary
    adds untagged (「人均|地区生产总值」): a subject alone, no verb or numeral in it."""
    tagged = [(w, f) for w, f in _tagged(text) if w.strip()]
    return bool(tagged) and all(
        (f == "x" and re.fullmatch(r"[\u4e00-\u9fff]{2,}", w) is not None)
        or (f not in ("vn", "an", "m") and _nominal(f))
        for w, f in tagged
    )


def nominal_phrase(text: str) -> bool:
    """True when every word of the phrase is nominal, verbal and adjectival nouns included
    (「生产|安全|事故」), and the last a noun proper: a modifier that says whose, no verb in it."""
    tagged = [(w, f) for w, f in _tagged(text) if w.strip()]
    return (
        bool(tagged)
        and all(
            (f == "x" and re.fullmatch(r"[\u4e00-\u9fff]{2,}", w) is not None)
            or (f != "m" and _nominal(f))
            for w, f in tagged
        )
        and ends_in_noun(text)
    )


def distinguishing_run(text: str) -> int:
    """Characters of the distinguishing words (b: 国家级, 省级) that open a phrase: a grade of
    the noun after them."""
    at = 0
    for word, flag in _tagged(text):
        if flag != "b":
            break
        at += len(word)
    return at


def nominal_start(text: str) -> bool:
    """True when the phrase opens with a noun of any kind (「输变电|工程」, 「第二回|电源线路」),
    not a verb, particle or mark."""
    tagged = _tagged(text)
    return bool(tagged) and _nominal(tagged[0][1])


def same_class(first: str, second: str) -> bool:
    """Two words of the same tag class: the halves of a coordinate compound (城|乡, 进|出)."""
    return _kind(_tagged(first)[0][1]) == _kind(_tagged(second)[0][1])


def item_marks(text: str) -> list[tuple[int, int]]:
    """Where the items of a list are joined: every 、, and 和/与/及 where they stand as a
    conjunction word of their own (not in 普及率, 研究与试验发展, 20户及以上)."""
    marks, at = [], 0
    tagged = _tagged(text)
    for n, (word, flag) in enumerate(tagged):
        after = tagged[n + 1][1] if n + 1 < len(tagged) else ""
        if word == "、" or (word in ("和", "与", "及") and flag == "c" and after != "f"):
            marks.append((at, at + len(word)))
        at += len(word)
    return marks


def head_noun(text: str) -> str:
    """The head noun that closes a noun phrase: its last word, with the word before it when it
    is a single character (「通达|率」, 「营|收」), after the stance words that may trail a
    subject (「…营业收入预计」, 「…排放要」: rag.targets.indicator's modal words); "" when the
    phrase does not end in a Chinese noun."""
    tagged = [(w, f) for w, f in _tagged(text) if w.strip()]
    while tagged and MODAL.fullmatch(tagged[-1][0]):
        tagged.pop()
    if not tagged or not re.fullmatch(r"[\u4e00-\u9fff]+", tagged[-1][0]):
        return ""
    head, flag = tagged[-1]
    if len(head) == 1 and len(tagged) > 1:
        head = tagged[-2][0] + head
    elif not _nominal(flag):
        return ""
    return head if len(head) < len(text) else ""
