"""Measure words: the heads that name a measure of something else (投资, 总量, 规模), fitted
from the targets table, and whether a name is such a head alone.

A name like 「完成投资」 or 「总量」 does not say whose investment or total it is: a reader takes it
from the phrase before it (「实施设备更新项目7910个、完成投资…」: the projects'). Which heads need
that is not written by hand: `fit_measure_words` reads it off a table's rows. A head is a
measure word when it is a noun and not a place or scope (全国, 全省), short (one word of at most
two characters: a longer head such as 高新技术企业 carries its own modifier), written after at
least five different nominal modifiers (固定资产投资, 民间投资, 工业投资 …: a head that many
things are measured by), and written before its figure, as the subject, in at least nine of its
rows in ten (投资达到…; a thing that is counted, 培育30家企业, 建设5个项目, stands after its
figure as often as not).

MEASURE_WORDS is that fit over the table of seeds + ../shared/corpus (6,006 rows) at commit
b84f6d1 (with the shared tree's figures of that time), before names used it; `python -m
rag.targets.heads` prints the fit of the current table. Some heads it finds are not measures
(乡, 城, 房): they name a figure alone rarely, and the phrase they then take only makes the name
longer.

A name with no owner (`ownerless`: no noun of its own but measure words, places and scopes,
「规模占比」, 「全国排名」, 「减税」) takes the subject the sentence opens with
(rag.targets.owners.sentence_topic).

Shared endings (`fit_shared_ends`, kept in rag/targets/shared_ends.txt with how it was fitted):
the endings of names, whole words, that the table writes after at least three different
modifiers (吞吐量, 贷款余额, 人均财政补助标准); an item of a list joined to the last by 和 that has
none of them shares the last item's (rag.targets.lists).
"""

from __future__ import annotations

import logging
import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from functools import cache, lru_cache
from pathlib import Path

from rag.lang.places import _gazetteer, find_places
from rag.lang.tags import tagged
from rag.targets.indicator import _SCOPE, strip_front

logger = logging.getLogger(__name__)

# the fewest different modifiers a head is written with before it is a measure word, its longest
# form, and the least share of its rows where it is written before the figure
_MIN_MODIFIERS = 5
_MAX_CHARS = 2
_MIN_BEFORE = 0.9
# word classes that modify a head (nouns, their abbreviations, distinguishing words, places …)
_MODIFIERS = ("n", "vn", "an", "j", "b", "l", "i", "eng", "nz", "ns", "nt", "nr", "ng", "s", "x")

# the words a bare measure word may follow: verbs and adverbs (完成, 新增, 累计)
_VERBS = ("v", "d")

MEASURE_WORDS = frozenset(
    {
        "主体",
        "乡",
        "产值",
        "产量",
        "人数",
        "人次",
        "住房",
        "余额",
        "出口",
        "利润",
        "占比",
        "城",
        "培训",
        "学位",
        "学校",
        "实际",
        "建议",
        "总数",
        "总量",
        "总额",
        "房",
        "投资",
        "数",
        "数量",
        "标准",
        "比例",
        "比率",
        "比重",
        "法规",
        "活动",
        "浓度",
        "管网",
        "经费",
        "网",
        "花费",
        "装机",
        "规模",
        "规章",
        "议案",
        "资金",
        "里程",
        "量",
        "面积",
    }
)


def _words(name: str) -> list[tuple[str, str]]:
    return [(w, f) for w, f in tagged(name) if w.strip()]


def _modifier(flag: str) -> bool:
    return flag in _MODIFIERS or flag[:1] == "n"


def fit_measure_words(rows: Iterable[tuple[str, bool]]) -> frozenset[str]:
    """The short heads of (name, written before its figure) rows that follow at least five
    different nominal modifiers and stand before their figure in nine rows of ten."""
    modifiers: dict[str, set[str]] = defaultdict(set)
    before: Counter[str] = Counter()
    total: Counter[str] = Counter()
    for name, ahead in rows:
        words = _words(name)
        if not words or len(words[-1][0]) > _MAX_CHARS or not _modifier(words[-1][1]):
            continue
        head = words[-1][0]
        if strip_front(head) or find_places(head):
            continue  # a place or a scope (全国, 全省) is whose measure, not a measure
        total[head] += 1
        before[head] += ahead
        modifier = "".join(w for w, f in words[:-1] if _modifier(f))
        if modifier:
            modifiers[head].add(modifier)
    return frozenset(
        h
        for h, m in modifiers.items()
        if len(m) >= _MIN_MODIFIERS and before[h] >= _MIN_BEFORE * total[h]
    )


def bare_measure(name: str, measure_words: frozenset[str] = MEASURE_WORDS) -> str:
    """The measure word when the name is one alone, after verbs, adverbs and a one-character
    distinguishing word at most (「完成投资」, 「总量」, 「总|投资」); "" when any other word says
    whose or which it is (「设备更新投资」, 「各类管网」, 「老旧管网」)."""
    if not name.endswith(tuple(measure_words)):
        return ""  # most names: no need to tag them
    words = _words(name)
    if not words or words[-1][0] not in measure_words:
        return ""
    verbs = all(
        (f[:1] in _VERBS and f not in ("vn", "an")) or (f == "b" and len(w) == 1)
        for w, f in words[:-1]
    )
    return words[-1][0] if verbs else ""


def bare_measure_end(name: str, measure_words: frozenset[str] = MEASURE_WORDS) -> str:
    """The fitted measure word of two or more characters that closes the name (「…补助资金」:
    资金); "" otherwise."""
    words = _words(name)
    last = words[-1][0] if words else ""
    return last if len(last) >= 2 and last in measure_words else ""


def measures_in(name: str, measure_words: frozenset[str] = MEASURE_WORDS) -> bool:
    """True when a word of the name is a fitted measure word (「智算规模」): it names a measure,
    whose owner may be written in it."""
    return any(w in measure_words for w, _f in _words(name))


# the longest name that is a short head after verbs (「启动实施项目」)
_BARE_HEAD_CHARS = 8


def bare_head(name: str) -> str:
    """The head noun when the name is a short noun alone, after verbs and adverbs at most
    (「实施项目」, 「项目」); "" otherwise."""
    if len(name) > _BARE_HEAD_CHARS:
        return ""  # most names: no need to tag them
    words = _words(name)
    if not words or len(words[-1][0]) > _MAX_CHARS or words[-1][1][:1] != "n":
        return ""
    verbs = all(f[:1] in _VERBS and f not in ("vn", "an") for _w, f in words[:-1])
    return words[-1][0] if verbs else ""


# the word classes that say whose a measure is: nouns proper, abbreviations, set phrases, foreign
# words, verbal and adjectival nouns (出口, 发电), distinguishing words (公共), and words the
# project's dictionary adds untagged (众创空间)
_OWNERS = ("n", "nz", "ns", "nt", "nr", "ng", "j", "l", "i", "eng", "x", "vn", "an", "b")


@lru_cache(maxsize=4096)
def _scope(word: str) -> bool:
    """A place or a scope (全国, 全省): in a name with no other noun it is where a figure is
    ranked or counted (「全国排名」), not whose figure it is."""
    return bool(_SCOPE.match(word)) or word in _gazetteer().by_alias


def ownerless(name: str, measure_words: frozenset[str] = MEASURE_WORDS) -> bool:
    """True when a short name has no word that says whose figure it is: no noun of two or
    more characters other than a fitted measure word, a place or a scope (「开工」, 「减税」,
    「规模占比」, 「全国排名」), so a reader takes the owner from the sentence
    (rag.targets.owners.sentence_topic)."""
    if not name or len(name) > _BARE_HEAD_CHARS or bare_measure(name, measure_words):
        # most names: no need to tag them; a measure word alone is measured_thing's
        return False
    for word, flag in _words(name):
        if (
            len(word) < 2
            or word in measure_words
            or not re.fullmatch(r"[\u4e00-\u9fffA-Za-z]+", word)
        ):
            continue
        if (flag in _OWNERS or flag[:1] == "n") and not _scope(word):
            return False
    return True


# the fewest different modifiers a name's ending is written after before lists share it
_MIN_SHARING = 3
_SHARED_ENDS = Path(__file__).with_name("shared_ends.txt")


def fit_shared_ends(names: Iterable[str]) -> frozenset[str]:
    """The endings of names (one or more whole words, at least two characters, ending in a
    nominal word) that the table writes after at least three different modifiers: 吞吐量 (货物,
    集装箱, 旅客 …), 人均财政补助标准, 贷款余额. A list item without one (「居民医保和…人均财政补助
    标准」) shares the last item's."""
    modifiers: dict[str, set[str]] = defaultdict(set)
    for name in set(names):
        words = _words(name)
        if not words or not _modifier(words[-1][1]):
            continue
        for j in range(1, len(words)):
            modifiers["".join(w for w, _f in words[j:])].add("".join(w for w, _f in words[:j]))
    return frozenset(
        end for end, m in modifiers.items() if len(end) >= 2 and len(m) >= _MIN_SHARING
    )


@cache
def shared_ends() -> frozenset[str]:
    """fit_shared_ends over the table, as rag/targets/shared_ends.txt keeps it (one a line,
    after its comment lines)."""
    if not _SHARED_ENDS.is_file():
        # an install without the package's data files (pyproject lists no package-data): the
        # lists keep their other rules
        logger.warning("%s is missing: list items share no fitted endings", _SHARED_ENDS)
        return frozenset()
    lines = _SHARED_ENDS.read_text(encoding="utf-8").splitlines()
    return frozenset(line for line in lines if line and not line.startswith("#"))


def main() -> None:
    """Print the measure words of the current table of seeds + ../shared/corpus; with
    --shared-ends, the fitted endings (rag/targets/shared_ends.txt) instead."""
    import sys
    from pathlib import Path

    from rag.ingest.readers import ingest_paths
    from rag.lang.periods import time_map
    from rag.targets.extract import extract

    root = Path(__file__).resolve().parents[2]
    documents, _failures = ingest_paths([root / "seeds", root.parent / "shared" / "corpus"])
    docs = {d.doc_id: d for d in documents}
    rows = extract(docs, time_map(docs))
    if "--shared-ends" in sys.argv:
        sys.stdout.write("\n".join(sorted(fit_shared_ends(r.indicator_norm for r in rows))) + "\n")
        return
    fitted = fit_measure_words((r.indicator_norm, r.indicator_start < r.value_start) for r in rows)
    sys.stdout.write(" ".join(sorted(fitted)) + "\n")


if __name__ == "__main__":
    main()
