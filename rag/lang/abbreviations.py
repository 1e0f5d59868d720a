"""Abbreviations the documents never write, read as the phrase they stand for: 固投 is
固定资产投资, 社零 社会消费品零售总额.

A Chinese abbreviation takes a character from each word of its phrase, mostly the word's
first (固定|资产|投资 -> 固投). An asker's abbreviation that the dictionary does not know comes
out of jieba as single characters (固|投); where the documents never write it, the phrases of
the documents that begin a word with each of its characters in order are counted, and the
phrase most of them are is what it stands for. None is taken on one sighting, or where the
sightings disagree (科小: 科技小院, 科技型小型, 科技企业和小型 …): the question is then left
as it was typed.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator, Sequence
from functools import lru_cache

from rag.lang.text import STOPWORDS, word_spans

_CJK_CHAR = re.compile(r"[\u4e00-\u9fff]")
# between two characters of an abbreviation, its phrase has at most this many more
_GAP = 4
# the text around a sighting that is cut into words to see where they begin
_CONTEXT = 8


def expand(question: str, texts: Sequence[str]) -> str:
    """The question with each abbreviation the texts never write replaced by its phrase."""
    corpus = tuple(texts)
    for abbreviation in _candidates(question):
        if abbreviation not in question:
            continue  # part of one replaced already
        phrase = phrase_of(abbreviation, corpus)
        if phrase:
            question = question.replace(abbreviation, phrase)
    return question


def _candidates(question: str) -> Iterator[str]:
    """Runs of single characters jieba could not join into a word, longest first: 「固|投」."""
    run: list[str] = []
    runs: list[str] = []
    for word in [*(question[a:b] for a, b in word_spans(question)), ""]:
        if len(word) == 1 and _CJK_CHAR.match(word) and word not in STOPWORDS:
            run.append(word)
            continue
        if len(run) >= 2:
            runs.append("".join(run))
        run = []
    for text in runs:
        for size in range(min(len(text), 4), 1, -1):
            for start in range(len(text) - size + 1):
                yield text[start : start + size]


@lru_cache(maxsize=512)
def phrase_of(abbreviation: str, texts: tuple[str, ...]) -> str | None:
    """The phrase the abbreviation stands for in the texts, or None (see the module's doc)."""
    if any(abbreviation in text for text in texts):
        return None  # the documents write it: it is a word of theirs
    pattern = re.compile(
        "".join(re.escape(c) + f"[\u4e00-\u9fff]{{0,{_GAP}}}?" for c in abbreviation[:-1])
        + re.escape(abbreviation[-1])
    )
    seen: Counter[str] = Counter()
    for text in texts:
        for match in pattern.finditer(text):
            phrase = _phrase_at(text, match.start(), match.end(), abbreviation)
            if phrase:
                seen[phrase] += 1
    ranked = seen.most_common()
    if not ranked:
        return None
    phrase, count = ranked[0]
    others = sum(n for _p, n in ranked[1:])
    return phrase if count >= 2 and count > others else None


def _phrase_at(text: str, start: int, end: int, abbreviation: str) -> str | None:
    """The phrase of a sighting: from a word's beginning, each character of the abbreviation
    beginning a word in turn, to the end of the last one's word; None when they do not."""
    left = max(0, start - _CONTEXT)
    ends = {left + a: left + b for a, b in word_spans(text[left : min(len(text), end + _CONTEXT)])}
    if start not in ends:
        return None
    cursor, last = start, start
    for char in abbreviation:
        found = text.find(char, cursor, end)
        while found >= 0 and found not in ends:
            found = text.find(char, found + 1, end)
        if found < 0:
            return None
        cursor, last = found + 1, ends[found]
    return text[start:last]
