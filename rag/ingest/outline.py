"""Section tree from Chinese outline numbering (一、 / (一) / 1. / (1) / 第X章·节·条).

A marker is a heading only at the start of a line and only when it continues its family's
numbering: the next number, or 1 again after a heading of a higher family. That keeps a stray
「(四)」 or a line opening with a year out of the outline. Families get levels in the order they
first appear, so 一、 then 1. makes 1. level 2, while 一、 (一) 1. makes it level 3.

Every non-blank character ends up in a leaf section, except the heading of a section that has
children: that heading belongs to the parent alone, because a leaf holding only 「三、重点任务」
would become a bare-heading chunk (the heading already travels in every child's path). Text
before the first heading becomes a 「前言」 section, and text between a parent's heading and its
first child an unnumbered intro leaf. A document without numbering gets one section per
paragraph, titled by its opening sentence.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from rag.errors import IngestError
from rag.index.chunking import SENTENCE_END
from rag.records import Section

PREAMBLE_TITLE = "前言"
MAX_TOPIC_CHARS = 40

_CN = "[一二三四五六七八九十百零〇两]+"
_CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5}
_CN_DIGITS |= {"六": 6, "七": 7, "八": 8, "九": 9}
_CN_UNITS = {"十": 10, "百": 100}

# (family, pattern matched at a line start); group 1 is the number. (一) and （一） are one family,
# and so are 1. 1． 1、: documents mix the widths of one scheme, never the schemes.
_FAMILIES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("一、", re.compile(rf"({_CN})、")),
    ("(一)", re.compile(rf"[(（]({_CN})[)）]")),
    ("1.", re.compile(r"(\d{1,3})[.．、](?!\d)")),
    ("(1)", re.compile(r"[(（](\d{1,3})[)）]")),
    ("第章", re.compile(rf"第({_CN}|\d{{1,3}})章")),
    ("第节", re.compile(rf"第({_CN}|\d{{1,3}})节")),
    ("第条", re.compile(rf"第({_CN}|\d{{1,3}})条")),
)
_TITLE_END = re.compile(r"[。；;]")
_CLAUSE_END = re.compile(r"[,，:：]")
_LINE = re.compile(r"[^\n]+")


@dataclass(frozen=True)
class _Heading:
    """A heading line candidate: where it starts, its marker, title and number."""

    start: int
    head_end: int
    family: str
    value: int
    number: str
    title: str


@dataclass
class _Node:
    """A section while the tree is being built; ids and paths are assigned afterwards."""

    number: str
    title: str
    level: int
    start: int
    end: int
    parent: _Node | None = None
    head_end: int = 0
    children: list[_Node] = field(default_factory=list)


def cn_to_int(numeral: str) -> int:
    """Value of a Chinese numeral such as 「三十二」 or 「一百零一」, or of ASCII digits."""
    if numeral.isdigit():
        return int(numeral)
    total = digit = 0
    for char in numeral:
        if char in _CN_UNITS:
            total += (digit or 1) * _CN_UNITS[char]
            digit = 0
        else:
            digit = _CN_DIGITS[char]
    return total + digit


def topic_sentence(text: str) -> str:
    """The opening sentence of a paragraph (without its 。), cut at a clause when long."""
    first = SENTENCE_END.split(text.strip(), maxsplit=1)[0].strip()
    if len(first) > MAX_TOPIC_CHARS:
        clause = _CLAUSE_END.search(first)
        if clause and clause.start() >= 4:
            first = first[: clause.start()]
    return first[:MAX_TOPIC_CHARS]


def _trim_end(text: str, start: int, end: int) -> int:
    while end > start and text[end - 1].isspace():
        end -= 1
    return end


def _skip_space(text: str, start: int, end: int) -> int:
    while start < end and text[start].isspace():
        start += 1
    return start


def _candidate(start: int, line: str) -> _Heading | None:
    """The heading a line opens with, if its first characters are an outline marker."""
    for family, pattern in _FAMILIES:
        match = pattern.match(line)
        if match is None:
            continue
        rest_at = _skip_space(line, match.end(), len(line))
        rest = line[rest_at:]
        stop = _TITLE_END.search(rest)
        title = (rest[: stop.start()] if stop else rest).strip()
        head_end = start + rest_at + stop.end() if stop else start + len(line)
        value = cn_to_int(match.group(1))
        return _Heading(start, head_end, family, value, match.group(0), title)
    return None


def _continues(
    cand: _Heading, accepted: list[_Heading], levels: dict[str, int], last: dict[str, int]
) -> bool:
    """Whether a candidate continues its family's numbering (see the module docstring)."""
    if cand.family not in levels:
        return cand.value == 1
    previous = last[cand.family]
    if cand.value == accepted[previous].value + 1:
        return True
    level = levels[cand.family]
    return cand.value == 1 and any(levels[h.family] < level for h in accepted[previous + 1 :])


def _check_count(count: int, limit: int | None) -> None:
    if limit is not None and count > limit:
        raise IngestError(f"more than {limit:,} sections")


def find_headings(text: str, limit: int | None = None) -> list[tuple[_Heading, int]]:
    """Accepted headings in document order, each with its level; more than limit is an error."""
    accepted: list[_Heading] = []
    levels: dict[str, int] = {}
    last: dict[str, int] = {}
    for line in _LINE.finditer(text):
        cand = _candidate(line.start(), line.group())
        if cand is None or not _continues(cand, accepted, levels, last):
            continue
        levels.setdefault(cand.family, len(levels) + 1)
        last[cand.family] = len(accepted)
        accepted.append(cand)
        _check_count(len(accepted), limit)
    return [(h, levels[h.family]) for h in accepted]


def _paragraph_nodes(text: str, limit: int | None) -> list[_Node]:
    nodes = []
    for line in _LINE.finditer(text):
        start = _skip_space(text, line.start(), line.end())
        end = _trim_end(text, start, line.end())
        if end > start:
            nodes.append(_Node("", topic_sentence(text[start:end]), 1, start, end))
            _check_count(len(nodes), limit)
    return nodes


_LABEL = re.compile(r"([\u4e00-\u9fff]{2,8})[:：]")


def _preamble_nodes(text: str, start: int, first: int) -> list[_Node]:
    """The text before the first heading: 「前言」, split where a paragraph opens with a label.

    「主要目标:…」 becomes a section of its own, so a citation reads 「主要目标」 rather than
    「前言」 for the plan's targets.
    """
    cuts = []
    for line in _LINE.finditer(text, start, first):
        begin = _skip_space(text, line.start(), line.end())
        label = _LABEL.match(text, begin, line.end())
        if label and begin > start:
            cuts.append((begin, label.group(1)))
    bounds = [(start, PREAMBLE_TITLE), *cuts]
    nodes = []
    for i, (begin, title) in enumerate(bounds):
        stop = bounds[i + 1][0] if i + 1 < len(bounds) else first
        nodes.append(_Node("", title, 1, begin, _trim_end(text, begin, stop)))
    return nodes


def _outline_nodes(text: str, headings: list[tuple[_Heading, int]]) -> list[_Node]:
    nodes: list[_Node] = []
    first = headings[0][0].start
    start = _skip_space(text, 0, first)
    if start < first:
        nodes.extend(_preamble_nodes(text, start, first))
    stack: list[_Node] = []
    for i, (head, level) in enumerate(headings):
        following = (h.start for h, lv in headings[i + 1 :] if lv <= level)
        end = _trim_end(text, head.start, next(following, len(text)))
        while stack and stack[-1].level >= level:
            stack.pop()
        parent = stack[-1] if stack else None
        node = _Node(head.number, head.title, level, head.start, end, parent, head.head_end)
        if parent is not None:
            parent.children.append(node)
        stack.append(node)
        nodes.append(node)
    for node in list(nodes):
        if not node.children:
            continue
        intro_start = _skip_space(text, node.head_end, node.children[0].start)
        intro_end = _trim_end(text, intro_start, node.children[0].start)
        if intro_end > intro_start:
            title = topic_sentence(text[intro_start:intro_end])
            intro = _Node("", title, node.level + 1, intro_start, intro_end, node)
            nodes.append(intro)
    return nodes


def parse_sections(text: str, max_sections: int | None = None) -> tuple[Section, ...]:
    """The section tree of a cleaned document, flattened in document order (ids s1, s2, ...).

    More than max_sections sections raises IngestError as soon as that many are found.
    """
    headings = find_headings(text, max_sections)
    if headings:
        nodes = _outline_nodes(text, headings)
        _check_count(len(nodes), max_sections)
    else:
        nodes = _paragraph_nodes(text, max_sections)
    nodes.sort(key=lambda n: n.start)
    built: dict[int, Section] = {}
    for i, node in enumerate(nodes, start=1):
        label = f"{node.number}{node.title}" if node.number else node.title
        parent = built[id(node.parent)] if node.parent is not None else None
        built[id(node)] = Section(
            id=f"s{i}",
            number=node.number,
            title=node.title,
            level=node.level,
            start=node.start,
            end=node.end,
            path=(*parent.path, label) if parent else (label,),
            parent=parent.id if parent else None,
        )
    return tuple(built[id(node)] for node in nodes)
