"""The members of a counted name: 「“五向图强”指哪五个方向?」, 「三大攻坚战是哪三个?」.

Plans name a group of things by its count and the word its members share (三大攻坚战, 五向图强,
四下基层, 六大科创城) and list the members beside one mention of it:
- as an enumeration just before the shared word
  (「打好防范化解重大风险、精准脱贫、污染防治的攻坚战」,
  「在南昌航空、…、南昌VR现有六大科创城基础上」);
- after the name, behind a colon or 即/是指/包括 (「“三保”：保基本民生、保工资、保运转」);
- as parallel phrases opening the sentences after it, each repeating the name's own characters
  (「“五向图强”聚势谋远。向种图强，…。向海图强，…。向天图强，…」).

The count is the check: a list of exactly that many members next to the name is taken as its
members; any other list is not, and the question goes to the sentence answerer.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence

from rag.answer.question import ASKS_MEMBERS
from rag.answer.spans import citation
from rag.index.chunking import SENTENCE_END
from rag.lang.figures import CLAUSE_END
from rag.lang.normalize import _number
from rag.lang.text import word_spans
from rag.records import Answer, Citation, Document, Hit
from rag.retrieval.retrieve import Scope

_NUMERAL = "一二三四五六七八九十两"
# the measure word a count may take before the name (三大攻坚战, 五个中心, 三项改革)
_MEASURE = "(?:个|大|项|条|类|种)"
# a counted name in the question: quoted as written, or a numeral, a measure word and the name
# (「哪三个」 asks the count, so a numeral right after 哪 is no name)
_QUOTED = re.compile(rf"[“\"]([{_NUMERAL}]+[^”\"]{{1,8}})[”\"]")
_BARE = re.compile(rf"(?<![哪{_NUMERAL}])[{_NUMERAL}]+{_MEASURE}?[\u4e00-\u9fff]{{2,10}}")
_SPLIT = re.compile(rf"^([{_NUMERAL}]+){_MEASURE}?(.+)$")
# what introduces the members after the name
_INTRODUCES = re.compile(r"[”\"]?\s*(?:[：:]|，?(?:即|是指|指的是|包括|分别是|就是))")
# what joins an enumeration to the shared word after it: an attributive 的
# (「…污染防治的攻坚战」) or the count itself (「…南昌VR现有六大科创城」, 「…人工智能三大先导产业」,
# 「…等“五大体系”」). A member glued to the word (「形象工程、政绩工程」) or a 等 without a count
# (「家政、康养、托幼等服务」, things such as these) names no counted group.
_JOIN = re.compile(rf"(?:的|(?:等|现有)?[“\"]?[{_NUMERAL}]+{_MEASURE}?)$")
_MAX_MEMBER = 24
# a parallel opener: the first clause of a sentence, short, repeating the name's characters
_MAX_OPENER = 12
_SCAN = 1500


def counted_name(
    question: str, documents: Sequence[Document], other_words: bool = True
) -> tuple[str, str, int] | None:
    """The counted name the question asks about, as (name, shared word, count): the longest
    numeral-led phrase of the question that one of the documents writes verbatim; else the
    documents' own name of that count ending in the longest tail (two characters or more) of
    the asked one (「三类人才队伍」 asks the 「三支队伍」 a plan writes), unless `other_words` is
    off."""
    # a quoted name is whole as written (「“三保”」); a bare one needs two characters after its
    # count, or any 「三类」 of the text would do
    phrases = [(m.group(1), 1) for m in _QUOTED.finditer(question)]
    phrases += [(m.group(), 2) for m in _BARE.finditer(question)]
    names = [
        (phrase[:end], split)
        for phrase, least in phrases
        for end in range(len(phrase), 1, -1)
        if (split := _SPLIT.match(phrase[:end])) is not None and len(split.group(2)) >= least
    ]
    for name, split in names:
        if any(name in doc.text for doc in documents):
            return name, split.group(2), _count(split.group(1))
    if not other_words:
        return None
    for _name, split in names:
        count, rest = _count(split.group(1)), split.group(2)
        for size in range(len(rest), 1, -1):
            written = re.compile(
                rf"(?<![{_NUMERAL}])[{_NUMERAL}]+[\u4e00-\u9fff]?{re.escape(rest[-size:])}"
            )
            for doc in documents:
                for match in written.finditer(doc.text):
                    own = _SPLIT.match(match.group())
                    if own is not None and _count(own.group(1)) == count:
                        return match.group(), own.group(2), count
    return None


def named_elsewhere(
    question: str, narrowed: Scope, scope: Scope, documents: Mapping[str, Document]
) -> bool:
    """Whether a name the question quotes or counts (「“五向图强”」, 「六大科创城」) is written in
    the documents of its scope but in none of the narrowed ones: 「江西现有六大科创城有哪些?」
    asks the 2021 plan that names them, not the newest one that does not."""
    every = scope.doc_ids if scope.doc_ids is not None else frozenset(documents)
    kept = narrowed.doc_ids if narrowed.doc_ids is not None else frozenset(documents)
    others = [documents[d] for d in sorted(every - kept)]
    names = [m.group(1) for m in _ANY_QUOTED.finditer(question)]
    counted = counted_name(question, others, other_words=False) if others else None
    names += [counted[0]] if counted else []
    return any(
        any(name in d.text for d in others) and not any(name in documents[k].text for k in kept)
        for name in names
    )


# a name quoted in the question, as written
_ANY_QUOTED = re.compile(r"[“\"「]([^”\"」]{2,12})[”\"」]")


def _count(numeral: str) -> int:
    """A count written in Chinese numerals (read with cn2an, imported on first use)."""
    return int(_number(numeral) or 0)


def counted_members(
    question: str, documents: Mapping[str, Document], hits: Sequence[Hit]
) -> Answer | None:
    """The members of the counted name the question asks about, cited where the document lists
    them; None when the question names no counted name, or no list of its count stands beside
    it in the documents retrieved."""
    ordered = list(dict.fromkeys(h.chunk.doc_id for h in hits))
    docs = [documents[d] for d in ordered if d in documents]
    found = counted_name(question, docs)
    if found is None:
        return None
    name, shared, count = found
    asked = ASKS_MEMBERS.search(question)
    if count < 2 or (asked and _count(asked.group(1)) != count):
        return None
    for doc in docs:
        if name not in doc.text:
            continue
        cites = _listed(doc, name, shared, count)
        if cites:
            text = "、".join(c.quote for c in cites)
            return Answer(question, text, False, tuple(cites), tuple(hits), "list")
    return None


def _listed(doc: Document, name: str, shared: str, count: int) -> list[Citation]:
    """The first list of `count` members beside the name or its shared word in the document."""
    text = doc.text
    for at in _find(text, name):
        after = _introduced(text, at + len(name), count)
        if after is not None:
            return [citation(doc, None, at, after)]
        openers = _openers(text, at + len(name), shared, count) if len(shared) >= 2 else []
        if openers:
            return [citation(doc, None, a, b) for a, b in openers]
    for at in _find(text, shared) if len(shared) >= 2 else ():
        start = _enumerated_before(text, at, count)
        if start is not None:
            return [citation(doc, None, start, at + len(shared))]
    for at in _find(text, name):
        led = _led_alike(text, at + len(name), count)
        if led:
            return [citation(doc, None, a, b) for a, b in led]
    return []


def _find(text: str, word: str) -> Iterator[int]:
    at = text.find(word)
    while at >= 0:
        yield at
        at = text.find(word, at + 1)


def _members(span: str) -> list[str]:
    """The members of an enumeration: split at 、 (and at 和/及/与 before its last member)."""
    parts = [p.strip() for p in span.split("、")]
    if len(parts) >= 2:
        last = re.split(r"和|及|与|以及", parts[-1], maxsplit=1)
        parts = parts[:-1] + [p.strip() for p in last]
    return [p for p in parts if p]


def _fits(members: list[str], count: int) -> bool:
    return len(members) == count and all(1 <= len(m) <= _MAX_MEMBER for m in members)


def _enumerated_before(text: str, at: int, count: int) -> int | None:
    """Where an enumeration of `count` members ending just before `at` begins (its clause's
    start), the last member at most a few characters from the shared word."""
    starts = [m.end() for m in CLAUSE_END.finditer(text, max(0, at - 200), at)]
    begin = starts[-1] if starts else max(0, at - 200)
    join = _JOIN.search(text, begin, at)
    if join is None or join.end() != at or text[join.start() - 1 : join.start()] == "、":
        return None  # after a 、 the name is one member of a list (「…邓小平理论、“三个代表”」)
    joined = re.match(rf"\D*?([{_NUMERAL}]+)", join.group())
    if joined and _count(joined.group(1)) != count:
        return None
    members = _members(text[begin : join.start()])
    if any(re.search(rf"[“\"][{_NUMERAL}]", m) for m in members):
        return None  # a quoted count among them is another group (「“两个确立”、…“两个维护”」)
    return begin if _fits(members, count) else None


def _introduced(text: str, end: int, count: int) -> int | None:
    """The end of an enumeration of `count` members introduced right after the name."""
    intro = _INTRODUCES.match(text, end)
    if intro is None:
        return None
    stop = SENTENCE_END.search(text, intro.end())
    close = stop.start() if stop else len(text)
    members = [m.strip() for m in re.split(r"[、，,]", text[intro.end() : close]) if m.strip()]
    return close if _fits(members, count) else None


def _repeats(shared: str, phrase: str) -> bool:
    """Whether the phrase opens with the shared word's first character or ends with its last,
    and holds all its characters in order with at most two others between each."""
    pattern = ".{0,2}".join(map(re.escape, shared))
    return bool(re.search(pattern, phrase)) and (
        phrase.startswith(shared[0]) or phrase.endswith(shared[-1])
    )


def _first_clauses(text: str, end: int) -> Iterator[tuple[int, int]]:
    """(start, end) of the first clause of each sentence after `end`, within the scan."""
    limit = min(len(text), end + _SCAN)
    seen = -1
    for mark in SENTENCE_END.finditer(text, end, limit):
        start = mark.end()
        while start < limit and text[start].isspace():
            start += 1
        if start == seen:
            continue  # two sentence ends in a row (「。”」) open one sentence
        seen = start
        clause = CLAUSE_END.search(text, start, limit)
        yield start, clause.start() if clause else limit


def _led_alike(text: str, end: int, count: int, within: int = 3) -> list[tuple[int, int]]:
    """The first clauses of exactly `count` sentences in a row that open with one word of two
    characters or more, the run beginning within `within` sentences after the name: 「确保
    七大攻坚战见行见效。…。聚焦封关运作，…。聚焦投资扩容，…」 (a plan's parallel paragraphs)."""
    clauses = list(_first_clauses(text, end))
    for first in range(min(within, len(clauses))):
        a, b = clauses[first]
        lead = next(iter(word_spans(text[a:b])), None)
        if lead is None or lead[1] < 2 or lead[1] >= b - a:
            continue
        word = text[a : a + lead[1]]
        run = 0
        while first + run < len(clauses) and text.startswith(word, clauses[first + run][0]):
            run += 1
        # the whole run, every opener short
        found = clauses[first : first + run]
        distinct = len({text[x:y] for x, y in found}) == run
        if run == count and distinct and all(0 < y - x <= _MAX_OPENER for x, y in found):
            return found
        if run >= 2:
            return []  # a parallel run of another count
    return []


def _openers(text: str, end: int, shared: str, count: int) -> list[tuple[int, int]]:
    """The first clauses of the sentences after the name that repeat its shared word, when
    exactly the first `count` of them are found, all aligned alike, before the text moves on."""
    found: list[tuple[int, int]] = []
    for start, stop in _first_clauses(text, end):
        phrase = text[start:stop]
        if re.search(rf"[“”\"]|[{_NUMERAL}](?:个|大|项)", phrase):
            continue  # one naming a group of its own
        if 0 < len(phrase) <= _MAX_OPENER and _repeats(shared, phrase):
            found.append((start, stop))
            if len(found) == count:
                break
    if len(found) < count:
        return []
    opening = all(text[a] == shared[0] for a, _ in found)
    closing = all(text[b - 1] == shared[-1] for _, b in found)
    return found if opening or closing else []
