"""Lists before a figure: the items a subject shares (「东南亚、日韩、欧美入境游客」), the item
of a list that each of several figures belongs to (「A、B分别增长x、y」, figures listed one after
another after as many items), and the verb an item shares with the item before it (「新增高标准
农田…、高效节水灌溉面积…」)."""

from __future__ import annotations

import re
from collections.abc import Mapping

from rag.answer.spans import CLAUSE_END
from rag.lang.places import Place
from rag.lang.tags import tagged
from rag.targets.figures import CLAUSE_OR_LIST, Figure, figure_chain
from rag.targets.heads import MEASURE_WORDS, shared_ends
from rag.targets.indicator import BOUND_BEFORE, strip_back, strip_front, substantive
from rag.targets.phrase import (
    ends_in_noun,
    head_noun,
    item_marks,
    names_a_thing,
    opening_verbs,
    same_class,
)

# a list item short enough to be a noun (飞机, 东南亚, 基本养老), not a verb phrase; longer when
# it ends in a noun (「新建省级数字化车间、智能化工厂100个」)
_ITEM_CHARS = 6
_NOUN_ITEM_CHARS = 12


def listed_before(text: str, clause_start: int) -> int:
    """Where a subject starts that a list before it shares: 「东南亚、日韩、欧美入境游客超120万」
    and 「飞机、船舶、海工平台跨境租赁业务占全国比重」 are about every item, not the last."""
    start = clause_start
    while start > 0 and text[start - 1] == "、":
        marks = [m.end() for m in CLAUSE_OR_LIST.finditer(text, 0, start - 1)]
        begin = marks[-1] if marks else 0
        item = text[begin : start - 1]
        noun_item = len(item) <= _NOUN_ITEM_CHARS and ends_in_noun(item)
        if not item.strip() or (len(item) > _ITEM_CHARS and not noun_item):
            break
        if re.search(r"\d", item):
            break
        start = begin
    return start


SEPARATELY = "分别"
# a subject that only relates a figure to another thing (占全国, 居全国, 增速, 相当于): what it
# relates is the subject before it
# (比去年预算, 高于全国: a lead over another figure)
RELATIONAL = re.compile(
    r"占|居(?!民)|位居|增速|增幅|相当于|比(?![重例率值])|较(?=上年|去年|年初)|高于|低于|快于|慢于"
)


# the longest modifier that a list's items share the rest of the last item with
_MODIFIER_CHARS = 4


def respectively(
    text: str,
    fig: Figure,
    found: list[Figure],
    within: Place | None = None,
    earlier: Mapping[int, tuple[int, int]] | None = None,
) -> tuple[tuple[int, int], str] | None:
    """「A、B分别增长x、y」: the figure's own item of the list before 分别, and the words
    between 分别 and the figures (「交通、水利分别完成投资…」: 投资) for its normalised name."""
    marks = [m.end() for m in CLAUSE_END.finditer(text, 0, fig.start)]
    run_start = marks[-1] if marks else 0
    at, word = text.find(SEPARATELY, run_start, fig.start), SEPARATELY
    if at < 0:
        # 「城镇和农村人均住房面积32.9平方米、37.1平方米」: figures listed one after another
        # after a list of as many items are theirs in order, as with 分别
        chain = figure_chain(text, fig, found)
        if len(chain) < 2 or CLAUSE_END.search(text, run_start, chain[0].start):
            return None
        head = text[run_start : chain[0].start]
        at, word = run_start + strip_back(head), ""
        if re.search(r"\d", head):
            return None
        if len(item_marks(text[run_start:at])) != len(chain) - 1:
            return None
    listed = [f for f in found if at <= f.start <= fig.start]
    head = text[run_start:at]
    front = strip_front(head, within=within)
    items, cursor = [], run_start + front
    base = cursor
    for a, b in item_marks(text[base:at]):
        items.append((cursor, base + a))
        cursor = base + b
    items.append((cursor, at))
    items = [(a, b) for a, b in items if substantive(text[a:b])]
    index = len(listed) - 1
    if not items and earlier:
        # 「生产钾肥749万吨、碳酸锂13.5万吨，分别增长4.8%、22.3%」: no items before 分别, the
        # items are the subjects of the figures of the clauses before, in their order
        run = [f for f in found if at < f.start and not CLAUSE_END.search(text, at, f.start)]
        before = [earlier[f.start] for f in found if f.start < run_start and f.start in earlier]
        if len(run) >= 2 and len(before) >= len(run) and index < len(run):
            return before[len(before) - len(run) + index], ""
    run = [f for f in found if at < f.start and not CLAUSE_END.search(text, at, f.start)]
    if len(items) == 1 and len(run) == 2 and index < 2:
        # 「城乡居民收入分别增长4.4%、7.1%」, 「“保交楼”“保交房”交付率分别达…」: one item for
        # two figures is a coordination: its quoted parts, else its first two characters
        (a, b), word = items[0], text[items[0][0] : items[0][1]]
        quoted = re.findall(r"“([^”]+)”", word)
        if len(quoted) == 2:
            head = word[word.rfind("”") + 1 :]
            return (a, b), f"·{quoted[index]}{head}"
        if RELATIONAL.match(word) and earlier:
            pass  # 「…，占规模以上工业比重分别提高到…」: the items are the subjects before
        elif re.match(r"[\u4e00-\u9fff]{2}", word) and same_class(word[0], word[1]):
            return (a, b), f"·{word[index]}"  # 城乡: 城, 乡
        else:
            return (a, b), f"·{index + 1}"  # the first or second of the pair the item names
    if len(items) == 1 and RELATIONAL.match(text[items[0][0] : items[0][1]]) and earlier:
        before = [earlier[f.start] for f in found if f.start < run_start and f.start in earlier]
        if len(before) >= len(run) and index < len(run):
            a, b = before[len(before) - len(run) + index]
            return (a, b), text[items[0][0] : items[0][1]]
    if len(items) < 2 or index >= len(items):
        return None
    tail = text[at + len(word) : listed[0].start]
    tail = tail[strip_front(tail, within=within) :]
    tail = tail[: strip_back(tail)]
    own = text[items[index][0] : items[index][1]]
    last = text[items[-1][0] : items[-1][1]]
    if index < len(items) - 1:
        # 「化学需氧量、氨氮排放量」, 「原煤、原油、天然气产量」: the last item ends with the head
        # noun the list shares; an item parallel to its modifier takes it
        head = head_noun(last)
        modifier = last[: last.rfind(head)] if head else last
        same_end = ends_in_noun(own) == ends_in_noun(modifier)
        parallel = abs(len(own) - len(modifier)) <= 1 and same_end
        chinese = re.search(r"[\u4e00-\u9fff]$", own)
        # an item the table writes as a head on its own (rag.targets.heads: 「浦东新区法规、
        # 管理措施分别新增…」: 法规) is complete, not a modifier of the last item's head
        complete = own in MEASURE_WORDS
        if head and parallel and not own.endswith(head[-1]) and chinese and not complete:
            tail = head + tail
        elif (
            len(last) > len(own) + 1
            and not complete
            and (len(own) <= 2 or (len(own) <= _MODIFIER_CHARS and own[-1] == last[len(own) - 1]))
        ):
            # 「城镇、农村居民人均可支配收入」, 「星火镇和光谷镇人均住房面积」: a bare modifier
            # (two characters, or a short one ending like the last item's opening) shares its
            # rest
            tail = last[len(own) :] + tail
        elif (
            not complete
            and index == len(items) - 2
            and text[items[index][1] : items[-1][0]].strip() in ("和", "与", "及")
            and not any(own.endswith(e) for e in shared_ends())
        ):
            # 「居民医保和基本公共卫生服务经费人均财政补助标准」: an item joined to the last by a
            # conjunction, with no ending that names are written with, shares the last item's
            # longest (rag.targets.heads.shared_ends)
            end = max(
                (e for e in shared_ends() if last.endswith(e) and substantive(last[: -len(e)])),
                key=len,
                default="",
            )
            # (an item that already ends like it has its own: 「…可支配收入和…纯收入」)
            tail = ("" if own[-2:] in end else end) + tail
    return items[index], tail


def shared_verb(
    text: str, clause_start: int, subject: tuple[int, int], fig: int, before: str
) -> str:
    """The verb the list item before a figure's opens with (`before`, its name), when it is this
    item's too: the figure's item is a noun phrase alone after 、, nothing before it and no
    predicate between it and the figure (「新增高标准农田8000万亩以上、|高效节水灌溉面积2000万亩」;
    the caller checks that the figure before ends the item before and is in the same measure, an
    area or a length, not a count or money). Named alone, such an item reads as the stock (the
    country's irrigated area), not what the verb adds. Only the verb's first word: the words after
    it may modify the noun (「修复治理|退化草原」, 「新增|统调煤电装机」). "" otherwise; and for a
    total (「…、总装机近1.4亿千瓦」: 总 says it is the stock)."""
    written = text[subject[0] : subject[1]]
    gap = text[subject[1] : fig].strip()
    if (
        clause_start < 1
        or text[clause_start - 1] != "、"
        or text[clause_start : subject[0]].strip()
        or (gap and not BOUND_BEFORE.fullmatch(gap))
        or written.startswith("总")
        or not substantive(written)
        or opening_verbs(written)
        or not names_a_thing(written)
    ):
        return ""
    first = tagged(before)[:1]
    verb = first[0][0] if first and first[0][1] == "v" else ""
    return verb if 2 <= len(verb) < len(before) else ""
