"""A document's region and its level (国家/省/市/县/区), by rule.

Found in the issuer, the congress a speech was made to, the title, the file name, and last in
the words the text uses for itself (我省, 全市 …). Place names come from the gazetteer
(rag/lang/places.py, cpca's table) or, for a name it lacks, from the unit word it ends with and
what follows it (an organisation, an office, a year).
"""

from __future__ import annotations

import functools
import logging
import re
from collections import Counter

from rag.lang.places import division_names

logger = logging.getLogger(__name__)

# The 34 province-level divisions: a closed official set, so the list is complete.
_PROVINCES = (
    "北京市 天津市 上海市 重庆市 河北省 山西省 辽宁省 吉林省 黑龙江省 江苏省 浙江省 安徽省 福建省"
    " 江西省 山东省 河南省 湖北省 湖南省 广东省 海南省 四川省 贵州省 云南省 陕西省 甘肃省 青海省"
    " 台湾省 内蒙古自治区 广西壮族自治区 西藏自治区 宁夏回族自治区 新疆维吾尔自治区"
    " 香港特别行政区 澳门特别行政区"
).split()
_MUNICIPALITIES = frozenset({"北京市", "天津市", "上海市", "重庆市"})
PROVINCE_SHORT = {
    re.sub(r"(省|市|特别行政区|(壮族|回族|维吾尔)?自治区)$", "", p): p for p in _PROVINCES
}
NATIONAL = "全国"
_NATIONAL_ORGS = ("国务院", "中共中央", "全国人民代表大会", "全国人大", "中华人民共和国")
# Gazetteer rows that name a kind of area, not a place.
_GENERIC_AREAS = frozenset({"市辖区", "城区", "郊区", "矿区", "县"})
UNITS = ("自治区", "自治州", "省", "市", "县", "区")

# a name, then what may follow an unknown one (an organisation, an office, a year)
NAME = r"[\u4e00-\u9fffxX×＊*]"
_PROVINCE_AT = re.compile(rf"(?![全各本我该外]){NAME}{{2,6}}?(?:省|自治区)")
_UNIT_AT = re.compile(rf"(?![全各本我该外]){NAME}{{2,6}}?(?:自治州|地区|市|县|区|旗|盟)")
_AFTER_PLACE = re.compile(
    r"\d{4}\s*年|[\u4e00-\u9fff]{0,10}?(?:局|厅|委|政府|人大|政协|部|院|办|中心|[省市州县区]长|主席)"
)
_SELF_WORD = re.compile(r"[我全本]([省市县区])(?!场)")
_INSPECTED = re.compile(r"(?:视察|考察)([\u4e00-\u9fff]{2,8}?)(?:期间|时)?的?重要讲话")
_SELF_WORD_MIN = 3


@functools.cache
def _gazetteer() -> frozenset[str]:
    """City, county and district names of the gazetteer (rag/lang/places.py, cpca's table)."""
    try:
        names = division_names(("市", "县", "区"))
    except ImportError:
        logger.warning("cpca is not installed: places are recognised by their suffix only")
        return frozenset()
    return frozenset(n for n in names if n not in _GENERIC_AREAS and level_of(n) is not None)


def level_of(place: str) -> str | None:
    """国家/省/市/县/区 from a place name's own suffix; municipalities are provincial."""
    if place == NATIONAL:
        return "国家"
    if place in _MUNICIPALITIES or place.endswith(("省", "自治区", "特别行政区")):
        return "省"
    if place.endswith(("市", "自治州", "地区", "盟")):
        return "市"
    if place.endswith(("县", "旗")):
        return "县"
    return "区" if place.endswith("区") else None


def unit_of(place: str) -> str | None:
    """The unit word a place ends with, as a speech uses it bare: 省, 市, 自治区 …"""
    return next((unit for unit in UNITS if place.endswith(unit)), None)


def _province_at(text: str) -> str | None:
    full = next((p for p in _PROVINCES if text.startswith(p)), None)
    if full:
        return full
    # 广西, 宁夏 … but 吉林市 and 海南藏族自治州 are not provinces
    known = _gazetteer()
    for short in PROVINCE_SHORT:
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


def place_in(anchor: str | None) -> tuple[str, str] | None:
    """(place, level) an issuer, title or file name opens with, the most local unit named."""
    if not anchor:
        return None
    text = re.sub(r"^\s*(?:19|20)\d\d\s*年度?", "", anchor.strip())
    if text.startswith(_NATIONAL_ORGS):
        return NATIONAL, "国家"
    text = re.sub(r"^(中共|中国共产党)", "", text)
    found: str | None = None
    if province := _province_at(text):
        found, text = PROVINCE_SHORT.get(province, province), text[len(province) :]
    for _ in range(2):  # a city, then a county or district
        unit = _unit_at(text)
        if unit is None:
            break
        found, text = unit, text[len(unit) :]
    level = level_of(found) if found else None
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
    places = {p for m in _INSPECTED.finditer(text) if (p := place_in(m.group(1)))}
    own = [p for p, _ in places if (unit_of(p) or "")[-1:] == word]
    if len(own) == 1:
        return own[0], level_of(own[0])
    # 全区 is said by autonomous regions and districts alike
    return None, (word if word != "区" else None)


def region_of(
    anchors: list[str | None], speech_place: str | None, name: str | None, text: str
) -> tuple[str | None, str | None]:
    """(region, level) from issuer, the congress a speech was made to, title, then file name."""
    issuer, title = anchors
    if found := place_in(issuer):
        return found
    if speech_place:
        return speech_place, level_of(speech_place)
    for anchor in (title, name):
        if found := place_in(anchor):
            return found
    for anchor in (a for a in anchors if a):
        for level in ("市", "省", "县"):
            if f"全{level}" in anchor or anchor.startswith(level):
                # the place name was left out (anonymised pages say only 全市): don't guess it
                return None, level
    return _place_in_body(text)
