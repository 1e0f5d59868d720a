"""Document metadata by rule: title, issuer, region, year, publish date, issue number.

Read from the raw text (the publish date and the source sit on web-page boilerplate lines) and
from a speech's header: 「——2025年1月15日在…人民代表大会…会议上」, the speaker's office and
「我代表…向大会」. What the file says about itself (docx core properties, the file name) is used
only where the text is silent. An optional `<file>.meta.json` sidecar overrides any field.
"""

from __future__ import annotations

import dataclasses
import datetime
import functools
import json
import logging
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from rag.errors import IngestError
from rag.lang.places import division_names

logger = logging.getLogger(__name__)

SIDECAR_SUFFIX = ".meta.json"

# The 34 province-level divisions: a closed official set, so the list is complete.
_PROVINCES = (
    "北京市 天津市 上海市 重庆市 河北省 山西省 辽宁省 吉林省 黑龙江省 江苏省 浙江省 安徽省 福建省"
    " 江西省 山东省 河南省 湖北省 湖南省 广东省 海南省 四川省 贵州省 云南省 陕西省 甘肃省 青海省"
    " 台湾省 内蒙古自治区 广西壮族自治区 西藏自治区 宁夏回族自治区 新疆维吾尔自治区"
    " 香港特别行政区 澳门特别行政区"
).split()
_MUNICIPALITIES = frozenset({"北京市", "天津市", "上海市", "重庆市"})
_PROVINCE_SHORT = {
    re.sub(r"(省|市|特别行政区|(壮族|回族|维吾尔)?自治区)$", "", p): p for p in _PROVINCES
}
_NATIONAL = "全国"
_NATIONAL_ORGS = ("国务院", "中共中央", "全国人民代表大会", "全国人大", "中华人民共和国")
# Gazetteer rows that name a kind of area, not a place.
_GENERIC_AREAS = frozenset({"市辖区", "城区", "郊区", "矿区", "县"})

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

# ---- places: a name, then what may follow an unknown one (an organisation, an office, a year)
_NAME = r"[\u4e00-\u9fffxX×＊*]"
_PROVINCE_AT = re.compile(rf"(?![全各本我该外]){_NAME}{{2,6}}?(?:省|自治区)")
_UNIT_AT = re.compile(rf"(?![全各本我该外]){_NAME}{{2,6}}?(?:自治州|地区|市|县|区|旗|盟)")
_AFTER_PLACE = re.compile(
    r"\d{4}\s*年|[\u4e00-\u9fff]{0,10}?(?:局|厅|委|政府|人大|政协|部|院|办|中心|[省市州县区]长|主席)"
)
_SELF_WORD = re.compile(r"[我全本]([省市县区])(?!场)")
_INSPECTED = re.compile(r"(?:视察|考察)([\u4e00-\u9fff]{2,8}?)(?:期间|时)?的?重要讲话")

# ---- a speech's header and opening
_CN_NUM = "一二三四五六七八九十百零〇"
_DELIVERY = re.compile(
    r"^[-—－–─~～]*(?P<y>\d{4})年(?P<m>\d{1,2})月(?P<d>\d{1,2})日(?P<before>.*?)在"
    rf"(?P<place>[^第在]{{0,12}}?)(?P<meeting>第[{_CN_NUM}]+届(?P<nat>全国)?人民代表大会"
    rf"第[{_CN_NUM}]+次(?:全体)?会议)[上的]?(?P<after>.*)$"
)
_SPEAKER = re.compile(
    rf"(?P<place>国务院|{_NAME}{{2,10}}?(?:省|市|自治区|自治州|县|区))?(?:人民政府)?(?:代理|代)?"
    r"(?P<office>总理|省长|市长|县长|区长|州长|主席)"
)
_OFFICE_UNIT = {"省长": "省", "市长": "市", "县长": "县", "区长": "区", "州长": "自治州"}
_UNITS = ("自治区", "自治州", "省", "市", "县", "区")
_OPENING = re.compile(r"我代表(?P<org>[\u4e00-\u9fff]{2,24}?)[，,、\s]*向(?:大会|全会)")
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
_SELF_WORD_MIN = 3


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


@dataclass(frozen=True)
class _Speech:
    """A report's header and opening: when and where it was delivered, and for whom."""

    published: str | None = None
    meeting: str | None = None
    place: str | None = None
    issuer: str | None = None
    opening: str | None = None


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


# ------------------------------------------------------------------------------------ places


@functools.cache
def _gazetteer() -> frozenset[str]:
    """City, county and district names of the gazetteer (rag/lang/places.py, cpca's table)."""
    try:
        names = division_names(("市", "县", "区"))
    except ImportError:
        logger.warning("cpca is not installed: places are recognised by their suffix only")
        return frozenset()
    return frozenset(n for n in names if n not in _GENERIC_AREAS and _level_of(n) is not None)


def _level_of(place: str) -> str | None:
    """国家/省/市/县/区 from a place name's own suffix; municipalities are provincial."""
    if place == _NATIONAL:
        return "国家"
    if place in _MUNICIPALITIES or place.endswith(("省", "自治区", "特别行政区")):
        return "省"
    if place.endswith(("市", "自治州", "地区", "盟")):
        return "市"
    if place.endswith(("县", "旗")):
        return "县"
    return "区" if place.endswith("区") else None


def _unit_of(place: str) -> str | None:
    """The unit word a place ends with, as a speech uses it bare: 省, 市, 自治区 …"""
    return next((unit for unit in _UNITS if place.endswith(unit)), None)


def _province_at(text: str) -> str | None:
    full = next((p for p in _PROVINCES if text.startswith(p)), None)
    if full:
        return full
    # 广西, 宁夏 … but 吉林市 and 海南藏族自治州 are not provinces
    known = _gazetteer()
    for short in _PROVINCE_SHORT:
        local = text[len(short) : len(short) + 1] in ("市", "县", "区") or any(
            text[:size] in known for size in range(len(short) + 1, 10)
        )
        if text.startswith(short) and not local:
            return short
    match = _PROVINCE_AT.match(text)
    if match and _AFTER_PLACE.match(text[match.end() :]):
        return match.group()
    return None


def _unit_at(text: str) -> str | None:
    known = _gazetteer()
    for size in range(min(len(text), 9), 1, -1):
        # 2-character names (新县, 东区) are words too: they need the context unknown names need
        if text[:size] in known and (size > 2 or _AFTER_PLACE.match(text[size:])):
            return text[:size]
    match = _UNIT_AT.match(text)
    # an unknown name needs an organisation, an office or a year after it; 城市 is a common noun
    if match and not match.group().endswith("城市") and _AFTER_PLACE.match(text[match.end() :]):
        return match.group()
    return None


def _place_in(anchor: str | None) -> tuple[str, str] | None:
    """(place, level) an issuer, title or file name opens with, the most local unit named."""
    if not anchor:
        return None
    text = re.sub(r"^\s*(?:19|20)\d\d\s*年度?", "", anchor.strip())
    if text.startswith(_NATIONAL_ORGS):
        return _NATIONAL, "国家"
    text = re.sub(r"^(中共|中国共产党)", "", text)
    found: str | None = None
    if province := _province_at(text):
        found, text = _PROVINCE_SHORT.get(province, province), text[len(province) :]
    for _ in range(2):  # a city, then a county or district
        unit = _unit_at(text)
        if unit is None:
            break
        found, text = unit, text[len(unit) :]
    level = _level_of(found) if found else None
    return (found, level) if found and level else None


def _place_in_body(text: str) -> tuple[str | None, str | None]:
    """(place, level) from the words a text uses for itself, when no heading names it.

    Its level is the self-word it uses most (我省/全省/本省 …, clearly ahead of the others);
    its place is the one whose 「视察/考察X重要讲话」 it follows, if that has the same level.
    """
    ranked = Counter(m.group(1) for m in _SELF_WORD.finditer(text)).most_common(2)
    if not ranked or ranked[0][1] < _SELF_WORD_MIN:
        return None, None
    if len(ranked) > 1 and ranked[0][1] < 2 * ranked[1][1]:
        return None, None
    word = ranked[0][0]
    places = {p for m in _INSPECTED.finditer(text) if (p := _place_in(m.group(1)))}
    own = [p for p, _ in places if (_unit_of(p) or "")[-1:] == word]
    if len(own) == 1:
        return own[0], _level_of(own[0])
    # 全区 is said by autonomous regions and districts alike
    return None, (word if word != "区" else None)


def _region(
    anchors: list[str | None], speech_place: str | None, name: str | None, text: str
) -> tuple[str | None, str | None]:
    """(region, level) from issuer, the congress a speech was made to, title, then file name."""
    issuer, title = anchors
    if found := _place_in(issuer):
        return found
    if speech_place:
        return speech_place, _level_of(speech_place)
    for anchor in (title, name):
        if found := _place_in(anchor):
            return found
    for anchor in (a for a in anchors if a):
        for level in ("市", "省", "县"):
            if f"全{level}" in anchor or anchor.startswith(level):
                # the place name was left out (anonymised pages say only 全市): don't guess it
                return None, level
    return _place_in_body(text)


# ----------------------------------------------------------------------------------- speeches


def _delivery_line(line: str) -> re.Match[str] | None:
    """「——YYYY年M月D日在…人民代表大会…会议上」, spaces and a closing 。 aside."""
    return _DELIVERY.match(re.sub(r"\s+", "", line).rstrip("。"))


def _delivery(top: list[str]) -> tuple[re.Match[str] | None, str | None]:
    """The line saying when and to which congress a report was made, and that congress's place."""
    for line in top:
        if match := _delivery_line(line):
            place = _NATIONAL if match.group("nat") else match.group("place") or None
            return match, _PROVINCE_SHORT.get(place or "", place)
    return None, None


def _speakers(top: list[str], delivery: re.Match[str] | None) -> list[tuple[str | None, str]]:
    """(place as written or None, office) of the speaker: on its own line or in the date line."""
    found = []
    if delivery:
        for part in (delivery.group("before"), delivery.group("after")):
            if match := _SPEAKER.search(part):
                found.append((match.group("place"), match.group("office")))
    for line in (re.sub(r"\s+", "", line) for line in top):
        match = _SPEAKER.match(line)
        rest = line[match.end() :] if match else ""
        if match and re.fullmatch(r"[\u4e00-\u9fff·]{0,8}", rest):
            found.append((match.group("place"), match.group("office")))
    return found


def _government(org: str, places: list[str | None]) -> str | None:
    """「省人民政府」 + 云南省 -> 云南省人民政府; an org named in full is kept as written."""
    org = re.sub(r"(?<!人民)政府$", "人民政府", org)
    bare = next((u for u in _UNITS if org.startswith(u)), None)
    if bare is None:
        return org
    place = next((p for p in places if p and p != bare and _unit_of(p) == bare), None)
    return place + org[len(bare) :] if place else None


def _speech(top: list[str], opening_lines: list[str]) -> _Speech:
    """Delivery date, congress and issuer of a report made to a people's congress."""
    delivery, place = _delivery(top)
    speakers = _speakers(top, delivery)
    published = meeting = None
    if delivery:
        meeting = delivery.group("place") + delivery.group("meeting")
        try:
            published = datetime.date(*(int(delivery.group(k)) for k in "ymd")).isoformat()
        except ValueError:
            logger.debug("not a date in %r", delivery.group())
    opening = next((m.group("org") for m in map(_OPENING.search, opening_lines) if m), None)
    national = opening == "国务院" or any(
        office == "总理" and where in (None, "国务院") for where, office in speakers
    )
    places = [place, *(where for where, _ in speakers)]
    issuer = "国务院" if national else None
    if issuer is None and opening:
        issuer = _government(opening, places)
    if issuer is None:
        for where, office in speakers:
            # 主席 heads an autonomous region's government, but also many other bodies
            unit = _OFFICE_UNIT.get(office) or (
                "自治区" if (where or "").endswith("自治区") else None
            )
            if unit and (issuer := _government(unit + "人民政府", [where, *places])):
                break
    return _Speech(published, meeting, place, issuer, opening)


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
    head = [line for line in _head(kept) if not _delivery_line(line)]
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
        if looks_like_title(line) and not _delivery_line(line):
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
    title: str | None, speech: _Speech, text: str, published: str | None, name: str | None
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
    speech = _speech(kept[:_TOP_LINES], kept[:_OPENING_LINES])
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
    region, level = _region([issuer, title], speech.place, stem, text)
    if issuer is None and speech.opening:
        # 「我代表省人民政府」 in a report whose title or file name names the province
        issuer = _government(speech.opening, [region])
    web_published = _published(raw)
    year = _year(title, speech, text, web_published, stem)
    published = speech.published or web_published or _file_date(props, year)
    return Metadata(
        title, issuer, region, level, year, published, _doc_number(raw_lines), speech.meeting
    )


# ------------------------------------------------------------------------------------ sidecar


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
    """Metadata with the fields of `<file>.meta.json` (if present) taking precedence.

    A region the sidecar leaves unset follows a new issuer or title that names a place.
    """
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
    meta = dataclasses.replace(meta, **overrides)
    if overrides.keys() & {"issuer", "title"} and not overrides.keys() & {"region", "region_level"}:
        found = _place_in(meta.issuer) or _place_in(meta.title)
        if found:
            meta = dataclasses.replace(meta, region=found[0], region_level=found[1])
    return meta
