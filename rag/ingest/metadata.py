"""Document metadata by rule: title, issuer, region, year, publish date, issue number.

Read from the raw text (the publish date and the source sit on web-page boilerplate lines) and
from a speech's header (rag/ingest/speeches.py). What the file says about itself (docx core
properties, the file name) is used only where the text is silent. The region is found by
rag/ingest/regions.py; an optional `<file>.meta.json` sidecar (rag/ingest/sidecar.py)
overrides any field.
"""

from __future__ import annotations

import datetime
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from rag.ingest.regions import region_of
from rag.ingest.speeches import Speech, delivery_line, government, read_speech

_YEAR = re.compile(r"((?:19|20)\d\d)\s*年")
_PUBLISHED = re.compile(
    r"(?:^|[^\u4e00-\u9fff])(?:发布)?(?:时间|日期)\s*[\]】]?\s*[:：]?\s*"
    r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})"
)
_DOC_NUMBER = re.compile(r"[\u4e00-\u9fff]{1,10}[〔\[［【(（]\d{4}[〕\]］】)）]\s*\d{1,4}\s*号")
_SOURCE = re.compile(r"来源\s*[:：]\s*([^\s|｜]+)")
_ORG_END = re.compile(r"(局|厅|委|委员会|政府|部|工委|院|办|中心)$")
_NOTICE = re.compile(r"^(.*?)关于印发(.+)的通知$")
_TITLE_WORD = re.compile(r"要点|计划|规划|方案|总结|安排|意见|通知|报告|工作")
_KIND_END = re.compile(r"(工作要点|计划|规划|方案|总结|报告)$")
_TITLE_SUFFIX = re.compile(r"(范文|全文|原文)$")
_NOT_IN_TITLE = re.compile(r"[。，,;；:：!！?？]")
_MARKER = re.compile(r"^([(（]?[一二三四五六七八九十\d]+[)）、.．]|第.{1,4}[章节条])")
_CJK = re.compile(r"[\u4e00-\u9fff]")

# 「向大会作政府工作报告」「向大会报告(过去五年的)政府工作」「…会议上省长X作政府工作报告」:
# the speech names its own kind
_ADDRESS_KIND = re.compile(
    r"我代表[^。]{2,30}?向大会[^。，,]{0,12}?政府工作|人民代表大会第.{1,4}次会议.{0,20}作政府工作报告"
)
_REVIEW = re.compile(
    r"^[一二三四五六七八九十、.．\s]*((?:19|20)\d\d)\s*年(?:工作)?回顾", re.MULTILINE
)
_TOP_LINES = 12
_OPENING_LINES = 40


@dataclass(frozen=True)
class Metadata:
    """Document fields found by the rules below (or set by a sidecar)."""

    title: str | None = None
    issuer: str | None = None
    region: str | None = None
    region_level: str | None = None
    year: int | None = None
    published: str | None = None
    doc_number: str | None = None
    meeting: str | None = None


@dataclass(frozen=True)
class FileProperties:
    """What a file says about itself beside its text; used only where the text is silent."""

    name: str | None = None
    title: str | None = None
    author: str | None = None
    created: datetime.date | None = None
    modified: datetime.date | None = None


def looks_like_title(line: str) -> bool:
    """A short line naming a dated plan, notice or summary: a title, or a site's copy of it."""
    return (
        6 <= len(line) <= 60
        and _YEAR.search(line) is not None
        and _TITLE_WORD.search(line) is not None
        and _NOT_IN_TITLE.search(line) is None
        and _MARKER.match(line) is None
    )


def _kind_line(line: str) -> bool:
    """A short line naming only a document kind: 「政府工作报告」, 「…工作要点」, 「…计划」."""
    return (
        4 <= len(line) <= 40
        and _KIND_END.search(line) is not None
        and _NOT_IN_TITLE.search(line) is None
        and _MARKER.match(line) is None
    )


def _despaced(line: str) -> str:
    """「政 府 工 作 报 告」 -> 政府工作报告; a space between two names is kept."""
    tokens = line.split()
    if len(tokens) >= 3 and all(len(t) == 1 or not _CJK.search(t) for t in tokens):
        return "".join(tokens)
    return line


# ------------------------------------------------------------------------------------- fields


def _published(raw: str) -> str | None:
    for match in _PUBLISHED.finditer(raw):
        try:
            date = datetime.date(*(int(part) for part in match.groups()))
        except ValueError:
            continue
        return date.isoformat()
    return None


def _doc_number(lines: list[str]) -> str | None:
    """The issue number on its own line or labelled 文号, not one cited inside the text."""
    for line in lines:
        match = _DOC_NUMBER.search(line)
        if match and (match.group() == line or re.search(r"文\s*号", line[: match.start()])):
            return match.group()
    return None


def _head(kept: list[str]) -> list[str]:
    """The lines above the body, which starts at a salutation or the first sentence."""
    head = []
    for line in kept[:_TOP_LINES]:
        if len(line) > 60 or "。" in line or line.endswith((":", "：")):
            break
        head.append(_despaced(line))
    return head


def _raw_title(kept: list[str]) -> str | None:
    for line in kept:
        notice = _NOTICE.match(line)
        if notice and looks_like_title(line):
            prefix, inner = notice.group(1).strip(), notice.group(2).strip().strip("《》")
            return prefix + inner if prefix and inner[:1].isdigit() else inner
    head = [line for line in _head(kept) if not delivery_line(line)]
    for line in head:
        if looks_like_title(line) or _kind_line(line):
            return _TITLE_SUFFIX.sub("", line)
    # a title broken over lines: 「政府工作报」「告」
    for start in range(len(head)):
        for end in range(start + 2, min(start + 4, len(head)) + 1):
            pieces = head[start:end]
            joined = "".join(pieces)
            if all(len(p) <= 10 for p in pieces) and (
                looks_like_title(joined) or _kind_line(joined)
            ):
                return joined
    if any(_ADDRESS_KIND.search(line) for line in kept[:_OPENING_LINES]):
        return "政府工作报告"
    for line in kept:
        if looks_like_title(line) and not delivery_line(line):
            return _TITLE_SUFFIX.sub("", line)
    return None


def _file_title(title: str | None) -> str | None:
    """A docx title property worth showing: it names a document, unlike 「文档1」 or 'Slide'."""
    title = (title or "").strip()
    meaningful = (
        4 <= len(title) <= 60
        and _CJK.search(title) is not None
        and _TITLE_WORD.search(title) is not None
        and _NOT_IN_TITLE.search(title) is None
    )
    return title if meaningful else None


def _issuer(raw_lines: list[str], title: str | None) -> str | None:
    """The 来源 organisation when it is one, else the organisation a title opens with."""
    source = next((m.group(1) for m in map(_SOURCE.search, raw_lines) if m), None)
    if source is not None and _ORG_END.search(source) is None:
        source = None
    prefix = None
    if title is not None and (year := _YEAR.search(title)) is not None:
        prefix = title[: year.start()].strip() or None
        if prefix is not None and _ORG_END.search(prefix) is None:
            prefix = None
    if source and (prefix is None or source.endswith(prefix)):
        return source
    return prefix


def _year(
    title: str | None, speech: Speech, text: str, published: str | None, name: str | None
) -> int | None:
    """The plan year, from the first of: the title; a report's delivery date; the year after
    the one a 「YYYY年工作回顾」 reviews; 「YYYY年是…」; the publication date; the file name;
    the year the text names most."""
    if title and (match := _YEAR.search(title)):
        return int(match.group(1))
    if speech.published:
        return int(speech.published[:4])
    if match := _REVIEW.search(text):
        return int(match.group(1)) + 1
    if match := re.search(r"((?:19|20)\d\d)年是", text):
        return int(match.group(1))
    if published:
        return int(published[:4])
    if name and (match := _YEAR.search(name)):
        return int(match.group(1))
    years = Counter(m.group(1) for m in _YEAR.finditer(text))
    return int(years.most_common(1)[0][0]) if years else None


def _file_date(props: FileProperties, year: int | None) -> str | None:
    """A docx created/modified date in the plan year or the year before it.

    A template's own date (python-docx's is 2013-12-23) says nothing about the document.
    """
    for date in (props.created, props.modified):
        if date is not None and year is not None and date.year in (year - 1, year):
            return date.isoformat()
    return None


def extract_metadata(
    raw: str, kept: list[str], text: str, props: FileProperties | None = None
) -> Metadata:
    """Metadata from the raw text, its non-blank lines that are not boilerplate, the cleaned
    text, and (only where those are silent) the file's own properties."""
    props = props or FileProperties()
    raw_lines = [line.strip() for line in raw.splitlines()]
    speech = read_speech(kept[:_TOP_LINES], kept[:_OPENING_LINES])
    title = _raw_title(kept) or _file_title(props.title)
    issuer = speech.issuer or _issuer(raw_lines, title)
    if title and issuer and (in_title := _YEAR.search(title)):
        prefix = title[: in_title.start()]
        # 「市科技局2020年…」 on a page whose source is 芜湖市科技局: name the city in the title
        if prefix and issuer != prefix and issuer.endswith(prefix):
            title = issuer + title[len(prefix) :]
    author = (props.author or "").strip()
    if issuer is None and _CJK.search(author) and _ORG_END.search(author):
        issuer = author
    stem = Path(props.name).stem if props.name else None
    region, level = region_of([issuer, title], speech.place, stem, text)
    if issuer is None and speech.opening:
        # 「我代表省人民政府」 in a report whose title or file name names the province
        issuer = government(speech.opening, [region])
    web_published = _published(raw)
    year = _year(title, speech, text, web_published, stem)
    published = speech.published or web_published or _file_date(props, year)
    return Metadata(
        title, issuer, region, level, year, published, _doc_number(raw_lines), speech.meeting
    )
