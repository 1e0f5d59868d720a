"""Document metadata by rule: title, issuer, region, year, publish date, issue number.

Everything is read from the raw text, because the publish date and the source sit on web-page
boilerplate lines; an optional `<file>.meta.json` sidecar overrides any field.
"""

from __future__ import annotations

import dataclasses
import datetime
import json
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from rag.errors import IngestError

SIDECAR_SUFFIX = ".meta.json"

_PROVINCES = (
    "北京市 天津市 上海市 重庆市 河北省 山西省 辽宁省 吉林省 黑龙江省 江苏省 浙江省 安徽省 福建省"
    " 江西省 山东省 河南省 湖北省 湖南省 广东省 海南省 四川省 贵州省 云南省 陕西省 甘肃省 青海省"
    " 台湾省 内蒙古自治区 广西壮族自治区 西藏自治区 宁夏回族自治区 新疆维吾尔自治区"
).split()
_PROVINCE_SHORT = {re.sub(r"(省|市|自治区|壮族|回族|维吾尔)+$", "", p): p for p in _PROVINCES}
_MIN_PROVINCE_MENTIONS = 3

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
_TITLE_SUFFIX = re.compile(r"(范文|全文|原文)$")
_NOT_IN_TITLE = re.compile(r"[。，,;；:：!！?？]")
_MARKER = re.compile(r"^([(（]?[一二三四五六七八九十\d]+[)）、.．]|第.{1,4}[章节条])")
# a place name right after the start, a province or 中共; 全省市/各市县 are not places
_CITY = re.compile(r"(?:^|省|自治区|中共)((?![全各本我该])[\u4e00-\u9fff]{2,3}?[市县])")


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


def looks_like_title(line: str) -> bool:
    """A short line naming a dated plan, notice or summary: a title, or a site's copy of it."""
    return (
        6 <= len(line) <= 60
        and _YEAR.search(line) is not None
        and _TITLE_WORD.search(line) is not None
        and _NOT_IN_TITLE.search(line) is None
        and _MARKER.match(line) is None
    )


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


def _raw_title(kept: list[str]) -> str | None:
    for line in kept:
        notice = _NOTICE.match(line)
        if notice and looks_like_title(line):
            prefix, inner = notice.group(1).strip(), notice.group(2).strip().strip("《》")
            return prefix + inner if prefix and inner[:1].isdigit() else inner
    for line in kept:
        if looks_like_title(line):
            return _TITLE_SUFFIX.sub("", line)
    return None


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


def _region_in(anchor: str) -> tuple[str, str] | None:
    city = _CITY.search(anchor)
    # 北京市 and the other municipalities are provinces for every comparison users make
    if city and city.group(1) not in _PROVINCES:
        return city.group(1), city.group(1)[-1]
    return next(((p, "省") for p in _PROVINCES if p in anchor), None)


def _region(anchors: list[str], text: str) -> tuple[str | None, str | None]:
    """(region, level) from issuer or title; else the province the text names most often."""
    for anchor in anchors:
        found = _region_in(anchor)
        if found:
            return found
    for anchor in anchors:
        for level in ("市", "省", "县"):
            if f"全{level}" in anchor or anchor.startswith(level):
                # the place name was left out (anonymised pages say only 全市): don't guess it
                return None, level
    counts = Counter({full: text.count(short) for short, full in _PROVINCE_SHORT.items()})
    ranked = counts.most_common(2)
    top = ranked[0][1] if ranked else 0
    if top >= _MIN_PROVINCE_MENTIONS and (len(ranked) == 1 or top > ranked[1][1]):
        return ranked[0][0], "省"
    return None, None


def _year(title: str | None, text: str, published: str | None) -> int | None:
    """The plan year: the title's, else 「YYYY年是…」, else publication year, else most frequent."""
    if title and (match := _YEAR.search(title)):
        return int(match.group(1))
    if match := re.search(r"((?:19|20)\d\d)年是", text):
        return int(match.group(1))
    if published:
        return int(published[:4])
    years = Counter(m.group(1) for m in _YEAR.finditer(text))
    return int(years.most_common(1)[0][0]) if years else None


def extract_metadata(raw: str, kept: list[str], text: str) -> Metadata:
    """Metadata from the raw text, its lines that are not boilerplate, and the cleaned text."""
    raw_lines = [line.strip() for line in raw.splitlines()]
    title = _raw_title(kept)
    issuer = _issuer(raw_lines, title)
    if title and issuer and (in_title := _YEAR.search(title)):
        prefix = title[: in_title.start()]
        # 「市科技局2020年…」 on a page whose source is 芜湖市科技局: name the city in the title
        if prefix and issuer != prefix and issuer.endswith(prefix):
            title = issuer + title[len(prefix) :]
    region, level = _region([a for a in (issuer, title) if a], text)
    published = _published(raw)
    year = _year(title, text, published)
    if title is None and year is not None:
        title = f"{region or ''}{year}年科技工作要点"
    return Metadata(title, issuer, region, level, year, published, _doc_number(raw_lines))


_SIDECAR_RULES = {f.name: "a string or null" for f in dataclasses.fields(Metadata)} | {
    "title": "a non-empty string",
    "year": "an integer or null",
    "published": "a date YYYY-MM-DD or null",
}


def _sidecar_value_ok(key: str, value: object) -> bool:
    if key == "title":
        return isinstance(value, str) and bool(value.strip())
    if value is None:
        return True
    if key == "year":
        return type(value) is int
    if key == "published":
        return isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value) is not None
    return isinstance(value, str)


def sidecar_path(path: Path) -> Path:
    """Where the optional metadata override for a file lives."""
    return path.with_name(path.name + SIDECAR_SUFFIX)


def apply_sidecar(meta: Metadata, path: Path) -> Metadata:
    """Metadata with the fields of `<file>.meta.json` (if present) taking precedence."""
    sidecar = sidecar_path(path)
    if not sidecar.exists():
        return meta
    try:
        overrides = json.loads(sidecar.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise IngestError(f"{sidecar.name}: not a readable JSON file ({exc})") from exc
    if not isinstance(overrides, dict):
        raise IngestError(
            f"{sidecar.name}: must hold a JSON object; got {type(overrides).__name__}"
        )
    for key, value in overrides.items():
        rule = _SIDECAR_RULES.get(key)
        if rule is None:
            allowed = ", ".join(_SIDECAR_RULES)
            raise IngestError(f"{sidecar.name}: unknown field {key!r}; allowed are {allowed}")
        if not _sidecar_value_ok(key, value):
            raise IngestError(f"{sidecar.name}: {key} must be {rule}; got {value!r}")
    return dataclasses.replace(meta, **overrides)
