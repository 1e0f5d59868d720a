"""Whose figure a name is, when the name does not say it: the owner written elsewhere in the
sentence (the name of the figure before, the programme or the subject the sentence opens with,
the object of its opening verbs, the nouns before an earlier mention of the name's verb, the
example before 等), and a total's name without the verb of the addition before it.
The callers (rag.targets.extract) decide when a name needs one (rag.targets.heads: a measure
word alone, a short head alone, a name with no owner)."""

from __future__ import annotations

import re

from rag.answer.spans import CLAUSE_END
from rag.lang.places import Place
from rag.lang.tags import tagged
from rag.targets.figures import CLAUSE_OR_LIST
from rag.targets.indicator import BOUND_BEFORE, strip_back, strip_front, substantive
from rag.targets.phrase import (
    ends_in_noun,
    ends_nominal,
    fine_words,
    names_a_thing,
    nominal_phrase,
    nominal_start,
    noun_run,
    object_of,
    opening_verbs,
    subject_run,
)


def measured_thing(
    text: str,
    clause_start: int,
    previous_end: int | None,
    previous_name: str,
    within: Place | None = None,
) -> str:
    """What a measure word named alone (「完成投资」, 「总量」: rag.targets.heads) measures: the
    name of the figure before it when that figure ends the clause before (「实施设备更新项目
    7910个、完成投资…」, 「新增…企业1200家，总量达到…」), else the phrase the clause before is
    about: its subject when it opens with one, else its verb's object, when that ends in a noun
    (「推进重大工程建设，全年完成投资…」); "" when neither is there."""
    if (
        previous_end is not None
        and len(CLAUSE_OR_LIST.findall(text, previous_end, clause_start)) <= 1
    ):
        return previous_name
    clause = _clause_before(text, clause_start, "，,、")
    if clause is None:
        return ""
    front = strip_front(clause, within=within)
    run = noun_run(clause[front:])
    if substantive(clause[front : front + run]):
        return clause[front : front + run]
    verbs = object_of(clause[front:])
    rest = clause[front + verbs :]
    rest = rest[: strip_back(rest)]
    noun = verbs > 0 and substantive(rest) and ends_nominal(rest) and "、" not in rest
    return rest if noun else ""


def _clause_before(text: str, clause_start: int, closers: str) -> str | None:
    """The clause before the one starting at `clause_start`, when one of `closers` ends it and
    it holds no figure of its own; None otherwise."""
    if clause_start < 1 or text[clause_start - 1] not in closers:
        return None
    marks = [m.end() for m in CLAUSE_END.finditer(text, 0, clause_start - 1)]
    begin = marks[-1] if marks else 0
    clause = text[begin : clause_start - 1]
    return None if re.search(r"\d", clause) else clause


def programme_before(text: str, clause_start: int, within: Place | None = None) -> str:
    """The programme the clause before a figure's clause sets up, as its verbs' object, when
    that clause has no figure of its own and its object ends in a noun proper (「启动实施乡村
    振兴补短板工程，|实施项目2113个」: 乡村振兴补短板工程); "" otherwise. A verbal noun followed by
    a verb is one of the verbs (启动|实施)."""
    clause = _clause_before(text, clause_start, "，,")
    if clause is None:
        return ""
    clause = clause[strip_front(clause, within=within) :]
    verbs = opening_verbs(clause)
    rest = clause[verbs:].rstrip()
    # the whole object, no predicate after it (「推进旅游服务质量提升」 is no programme)
    whole = strip_back(rest) == len(rest)
    programme = (
        verbs > 0 and whole and substantive(rest) and ends_in_noun(rest) and "、" not in rest
    )
    return rest if programme else ""


# where a sentence run starts: the marks that end a sentence or a clause group (not ， or 、)
_RUN_END = re.compile(r"[。；;！？!?\n]")
# a shorter opening noun is as often a manner word the dictionary tags a noun (大力, 科学)
_TOPIC_CHARS = 4


def opening_clause(text: str, before: int) -> tuple[int, int] | None:
    """The first clause of the sentence run, when it ends before `before` (a figure's own
    clause) and no figure stands between (figures in between have subjects of their own, which
    the figure may share); None otherwise, or when a framing ends it with ：(「主要预期目标是：」).
    A test of marks and digits only, before any tagging."""
    run = max([0, *(m.end() for m in _RUN_END.finditer(text, 0, before))])
    first = CLAUSE_OR_LIST.search(text, run, before)
    if first is None or first.group() in "：:" or re.search(r"\d", text[first.end() : before]):
        return None
    return run, first.start()


def sentence_topic(text: str, before: int, within: Place | None = None) -> str:
    """The noun phrase a sentence run opens with (its opening_clause's): the nouns proper after
    the framing, followed by a predicate (「数字经济|撑起…，规模占比…」); "" when there is none
    (a verb opens the clause, or the nouns are the whole clause)."""
    span = opening_clause(text, before)
    if span is None:
        return ""
    clause = text[span[0] : span[1]]
    front = strip_front(clause, within=within)
    topic = clause[front : front + subject_run(clause[front:])]
    long_enough = len(topic) >= _TOPIC_CHARS and ends_in_noun(topic)
    return topic if long_enough else ""


def sentence_object(text: str, before: int, within: Place | None = None) -> str:
    """The object of the verbs a sentence run opens with (its opening_clause's), when the clause
    is those verbs and their object alone, ending in a noun proper (「启动新的三年|棚改攻坚计划，
    今年开工…」, without the modifiers before a 的); "" otherwise."""
    span = opening_clause(text, before)
    # the clause right before the figure's, with no figure of its own
    if span is None or span[1] + 1 != before or re.search(r"\d", text[span[0] : span[1]]):
        return ""
    clause = text[span[0] : span[1]]
    clause = clause[strip_front(clause, within=within) :]
    verbs = opening_verbs(clause, leading_verbal_noun=True)
    rest = clause[verbs:]
    rest = rest[rest.rfind("的") + 1 :]
    whole = strip_back(rest) == len(rest) and "、" not in rest
    owner = verbs > 0 and whole and substantive(rest) and nominal_start(rest)
    return rest if owner and ends_in_noun(rest) else ""


def without_addition(name: str) -> str:
    """The name without the verb of an addition around its nouns (「新增|公园」, 「新|获|批|国家
    先进制造业集群」, 「外卡POS机|新增」): the verbs, adverbs, adjectives and classifiers before
    the first noun, when a verb is among them, and the verbs after the last; the name itself
    when nothing is left."""
    words = [(w, f) for w, f in tagged(name) if w.strip()]
    start = 0
    while start < len(words) and words[start][1] in _ADDING:
        start += 1
    if not any(f == "v" for _w, f in words[:start]):
        start = 0
    end = len(words)
    while end > start and words[end - 1][1] == "v":
        end -= 1
    rest = "".join(w for w, _f in words[start:end])
    return rest if substantive(rest) and rest != name and names_a_thing(rest) else name


# the words of an addition before its noun (新增, 新|获|批, 新|入选): verbs, adverbs, adjectives,
# classifiers
_ADDING = ("v", "d", "a", "q")


def item_owner(name: str) -> str:
    """The modifier of a list item's name, the nouns before its last word (「生产安全事故|起数」:
    生产安全事故), which a later item of a 分别 list with no owner of its own shares; "" when
    the words before the last are not nouns alone."""
    words = [w for w, _f in tagged(name) if w.strip()]
    if len(words) < 2:
        return ""
    # a one-character head goes with the word before it (登记|数), as head_noun reads it
    head = words[-2] + words[-1] if len(words) > 2 and len(words[-1]) == 1 else words[-1]
    owner = name[: len(name) - len(head)]
    return owner if len(owner) >= 2 and nominal_phrase(owner) else ""


def repeated_owner(name: str, head: str, earlier: str) -> str:
    """The owner a short name drops (verbs before a head noun alone: rag.targets.heads'
    bare_head) when its verbs repeat an action written earlier with its owner before it
    (「开展城中村|改造|专项行动，年内完成6000套|改造|计划」: 城中村; 「研发经费投入增长25%、
    投入强度…」: 研发经费): the nouns right before the last earlier mention of those verbs
    as words of their own; "" when there is none."""
    action = name[: len(name) - len(head)] if name.endswith(head) else ""
    if len(action) < _REPEATED_CHARS or action not in earlier:
        return ""
    owner = _owner_before(earlier, action)
    return owner if owner and owner not in name else ""


# the shortest action a name opens with that can repeat an earlier mention (改造, 投入)
_REPEATED_CHARS = 2


def _owner_before(earlier: str, action: str) -> str:
    """The nouns proper right before the last mention of `action` in `earlier` that is written
    as words of their own there (「…城中村|改造…」: 城中村); "" when there is none."""
    at = earlier.rfind(action)
    while at > 0:
        clause = earlier[: at + len(action)]
        begin = max([0, *(m.end() for m in CLAUSE_OR_LIST.finditer(clause, 0, at))])
        words = [(w, f) for w, f in tagged(earlier[begin : at + len(action)]) if w]
        mention, n = "", len(words)
        while n > 0 and len(mention) < len(action):
            n -= 1
            mention = words[n][0] + mention
        if mention == action:
            owner = ""
            while n > 0 and _owning(*words[n - 1]):
                n -= 1
                owner = words[n][0] + owner
            owner = owner[len(owner) - len(owner.lstrip("一二三四五六七八九十两")) :]
            if len(owner) >= 2 and nominal_phrase(owner) and not _verb_inside(owner):
                return owner
        at = earlier.rfind(action, 0, at)
    return ""


def _owning(word: str, flag: str) -> bool:
    """A word that may say whose a phrase is: a noun of any kind, an untagged word the project's
    dictionary adds (研发经费), a Chinese numeral inside a name (两江|四|岸)."""
    if flag == "x":
        return re.fullmatch(r"[\u4e00-\u9fff]{2,}", word) is not None
    if flag == "m":
        return re.fullmatch(r"[一二三四五六七八九十两]", word) is not None
    return flag not in ("vn", "an") and (flag[:1] == "n" or flag in ("j", "b"))


def _verb_inside(owner: str) -> bool:
    """The owner ends in a verb the dictionary writes inside a longer noun word (全面|推行,
    tagged a noun whole): a manner and an action, not whose."""
    last = fine_words(owner)[-1]
    return len(last) >= 2 and any(f == "v" for _w, f in tagged(last))


def example_before(text: str, clause_start: int, at: int) -> str:
    """The example a count's examples end with when the count follows them with 等 (「开工长深
    高速改扩建等2个项目」: 长深高速改扩建): the item after the last 、 of the clause (after its
    opening verbs when it is the first), up to 等 right before the figure at `at`, when it is a
    phrase ending in a noun; "" otherwise."""
    left = text[clause_start:at].rstrip()
    bound = BOUND_BEFORE.search(left)
    left = left[: bound.start()] if bound else left
    if not left.endswith("等"):
        return ""
    items = left[:-1]
    cut = items.rfind("、")
    item = items[cut + 1 :] if cut >= 0 else items[strip_front(items) :]
    if cut < 0:
        item = item[opening_verbs(item) :]
    item = item.strip(' “”"')
    return item if len(item) >= 2 and ends_nominal(item) and not re.search(r"\d", item) else ""
