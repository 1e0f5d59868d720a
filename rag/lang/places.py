"""Gazetteer of Chinese administrative divisions: places, their aliases, their hierarchy, and
where a text names them.

The divisions come from the table shipped by the `cpca` package (MIT licence,
`cpca/resources/adcodes.csv`: 12-digit adcode, name, longitude, latitude; the first 2 digits are
the province, 4 the prefecture, 6 the county). The file is read directly, without importing
`cpca` (that imports pandas).
"""

from __future__ import annotations

import csv
import importlib.util
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path

from rag.lang.periods import RELATIVE_YEARS
from rag.lang.tags import word_tag
from rag.lang.text import word_spans

LEVELS = ("国家", "省", "市", "县", "区")

# administrative suffixes, longest first so that 自治区 is stripped before 区
_SUFFIXES = tuple("特别行政区 自治区 自治州 自治县 自治旗 地区 省 市 盟 县 区 旗".split())
# rows of the table that are bookkeeping, not places; their children hang on the level above
_PSEUDO = re.compile(r"^(市辖区|县|省直辖县级行政区划|自治区直辖县级行政区划)$")
# a county or district whose stem is made only of these says nothing on its own (城区, 新城区,
# 城关区, 市中区, 东区): it counts only beside its city or province
_GENERIC_STEM = re.compile(r"^[东西南北中上下前后内外新老古旧城市关郊矿]+$")
# prefecture stems that are also everyday words or names, so the bare stem is not the city
# (the full name 安康市 still counts). 安康 (幸福安康), 阿里 (阿里云) and 海西 (海峡西岸经济区)
# are the short forms that were not places when find_places ran over every sentence of the 43
# plans in the evaluation corpus; 朝阳 (rising), 来宾 (guests), 白银 (silver), 日照 (sunshine)
# and 大同 (great harmony) are dictionary words jieba keeps whole. Stems jieba joins into a
# longer word (长治久安, 三明治, 中山大学) need no entry: find_places skips them.
_COMMON_WORD_STEMS = frozenset("安康 阿里 海西 朝阳 来宾 白银 日照 大同".split())

NATIONAL_NAME = "全国"
# 全国/我国/国务院 name the country in every context; 中国 and 国家 open common words
# (中国特色, 中国式, 国家级, 国家重点) and count only before a year, 的, punctuation or the end
_NATIONAL_ALIASES = ("全国", "我国", "国务院", "中国", "国家")
_MODIFIER_ALIASES = frozenset({"中国", "国家"})
_AFTER_MODIFIER = re.compile(r"$|[^\u4e00-\u9fff]|的")

NATIONAL_ADCODE = "000000000000"


@dataclass(frozen=True)
class Place:
    """An administrative division; `parents` runs from the province down to the direct parent.

    `adcode` is "" for a place the gazetteer does not know (an anonymised 「xx市」): such a place
    is equal only to a place of the same name and contains nothing but itself.
    """

    name: str
    adcode: str
    level: str
    parents: tuple[Place, ...] = ()

    def __post_init__(self) -> None:
        if self.level not in LEVELS:
            raise ValueError(f"place level must be one of {LEVELS}; got {self.level!r}")
        if not self.name:
            raise ValueError("place name must not be empty")

    @property
    def known(self) -> bool:
        """True when the place is in the gazetteer (or is the country)."""
        return bool(self.adcode)


NATIONAL = Place(NATIONAL_NAME, NATIONAL_ADCODE, "国家")


@dataclass(frozen=True)
class _Gazetteer:
    # alias -> the places it may mean (several for a name shared by districts of two cities)
    by_alias: dict[str, tuple[Place, ...]]
    # names that count in a text only beside an ancestor: shared names and generic stems
    weak: frozenset[str]
    lengths: tuple[int, ...]


def _data_file(name: str) -> Path:
    spec = importlib.util.find_spec("cpca")
    if spec is None or spec.origin is None:
        raise ImportError("the gazetteer ships with cpca: pip install 'cpca==0.5.5'")
    return Path(spec.origin).parent / "resources" / name


@cache
def _ethnic_names() -> tuple[str, ...]:
    """The 56 nationalities with and without 族, longest first (维吾尔族 before 维吾尔)."""
    lines = _data_file("56_nations.csv").read_text(encoding="utf-8").split()
    names = {n for line in lines for n in (line, line.removesuffix("族"))}
    return tuple(sorted(names, key=len, reverse=True))


def _stem(name: str) -> str:
    """The name without its administrative suffix (and, for an autonomous area, its peoples).

    陕西省 -> 陕西, 广西壮族自治区 -> 广西, 恩施土家族苗族自治州 -> 恩施, 内蒙古自治区 -> 内蒙古
    (a stem keeps at least two characters, so 蒙古 is not stripped from 内蒙古).
    """
    suffix = next((s for s in _SUFFIXES if name.endswith(s) and len(name) > len(s)), "")
    stem = name[: len(name) - len(suffix)]
    if suffix.startswith("自治"):
        stripped = True
        while stripped:
            stripped = False
            for people in _ethnic_names():
                if stem.endswith(people) and len(stem) - len(people) >= 2:
                    stem = stem[: -len(people)]
                    stripped = True
                    break
    return stem


def _autonomous_short(name: str) -> str | None:
    """How an autonomous prefecture, county or banner is written in running text: its stem with
    the last character of its suffix (孟连傣族拉祜族佤族自治县 -> 孟连县, 恩施土家族苗族自治州 ->
    恩施州); None for any other name."""
    suffix = next((s for s in ("自治州", "自治县", "自治旗") if name.endswith(s)), None)
    stem = _stem(name) if suffix else ""
    return stem + suffix[-1] if suffix and len(stem) >= 2 else None


def _level(adcode: str, name: str) -> str:
    if adcode[2:] == "0" * 10:
        return "省"
    if adcode[4:] == "0" * 8:
        return "市"
    return "区" if name.endswith("区") else "县"


@cache
def _gazetteer() -> _Gazetteer:
    with _data_file("adcodes.csv").open(encoding="utf-8", newline="") as handle:
        rows = sorted((r["adcode"], r["name"]) for r in csv.DictReader(handle))
    by_code: dict[str, Place] = {}
    for adcode, name in rows:  # sorted: a parent's row comes before its children's
        if _PSEUDO.match(name):
            continue
        ancestors = (adcode[:2] + "0" * 10, adcode[:4] + "0" * 8)
        parent = next(
            (by_code[a] for a in reversed(ancestors) if a != adcode and a in by_code), None
        )
        parents = (*parent.parents, parent) if parent else ()
        by_code[adcode] = Place(name, adcode, _level(adcode, name), parents)

    full: dict[str, list[Place]] = {}
    short: dict[str, list[Place]] = {}
    for place in by_code.values():
        full.setdefault(place.name, []).append(place)
        stem = _stem(place.name)
        if place.level == "省" or (
            place.level == "市" and len(stem) >= 2 and stem not in _COMMON_WORD_STEMS
        ):
            short.setdefault(stem, []).append(place)
    by_alias: dict[str, tuple[Place, ...]] = {n: tuple(ps) for n, ps in full.items()}
    written: dict[str, list[Place]] = {}
    for place in by_code.values():
        short_form = _autonomous_short(place.name)
        if short_form and short_form not in by_alias:
            written.setdefault(short_form, []).append(place)
    by_alias.update({n: tuple(ps) for n, ps in written.items() if len(ps) == 1})
    for stem, places in short.items():
        if stem in by_alias:
            continue
        # 海南 is the province, not 海南藏族自治州; 吉林 the province, not 吉林市
        top = min(LEVELS.index(p.level) for p in places)
        highest = [p for p in places if LEVELS.index(p.level) == top]
        if len(highest) == 1:
            by_alias[stem] = (highest[0],)
    for alias in _NATIONAL_ALIASES:
        by_alias[alias] = (NATIONAL,)
    weak = frozenset(
        name
        for name, places in full.items()
        if len(places) > 1
        or (
            places[0].level in ("县", "区")
            and (len(_stem(name)) < 2 or _GENERIC_STEM.match(_stem(name)))
        )
    )
    lengths = tuple(sorted({len(a) for a in by_alias}, reverse=True))
    return _Gazetteer(by_alias, weak, lengths)


def division_names(levels: Iterable[str]) -> frozenset[str]:
    """The full names of every division of these levels (芜湖市, 雁塔区 …)."""
    wanted = set(levels)
    return frozenset(
        name
        for name, places in _gazetteer().by_alias.items()
        if any(p.name == name and p.level in wanted for p in places)
    )


def aliases(place: Place) -> tuple[str, ...]:
    """Every name the place goes by in text: 陕西省 -> (陕西省, 陕西); 雁塔区 -> (雁塔区,)."""
    if place == NATIONAL:
        return _NATIONAL_ALIASES
    if not place.known:
        return (place.name,)
    by_alias = _gazetteer().by_alias
    names = [place.name]
    short_form = _autonomous_short(place.name)
    if short_form and by_alias.get(short_form) == (place,):
        names.append(short_form)
    stem = _stem(place.name)
    if by_alias.get(stem) == (place,):
        names.append(stem)
    return tuple(names)


def substring_aliases(place: Place) -> tuple[str, ...]:
    """Aliases safe for a plain `alias in text` test: 中国 and 国家 open common words."""
    return tuple(a for a in aliases(place) if a not in _MODIFIER_ALIASES)


def contains(a: Place, b: Place) -> bool:
    """True when b is a or lies inside a (every place lies inside the country)."""
    return a in (b, NATIONAL) or a in b.parents


def _anonymous_level(name: str, level: str | None) -> str:
    if level in LEVELS:
        return level
    if name.endswith(("省", "自治区", "特别行政区")):
        return "省"
    if name.endswith(("州", "盟", "地区")):
        return "市"
    if name.endswith("旗"):
        return "县"
    # an unknown place with no level suffix is taken as a city: most plans below the province
    # are a city's
    return name[-1] if name[-1] in "市县区" else "市"


def place_of(name: str, level: str | None = None) -> Place:
    """The place an alias or a document's region string names.

    A name the gazetteer does not know, or shares between places (「xx市」, 「朝阳区」), becomes a
    place of its own that matches only itself; `level` (a document's region_level) sets its level.
    """
    name = name.strip()
    if not name:
        raise ValueError("a place name must not be empty; got ''")
    places = _gazetteer().by_alias.get(name, ())
    if len(places) == 1:
        return places[0]
    return Place(name, "", _anonymous_level(name, level))


# The one-character names (简称) of the province-level divisions, as the State Council fixes
# them: a closed official set (the same table as jionlp's CHINA_PROVINCE_ALIAS).
PROVINCE_ABBREVIATIONS = {
    "京": "北京市", "津": "天津市", "沪": "上海市", "渝": "重庆市", "冀": "河北省",
    "晋": "山西省", "辽": "辽宁省", "吉": "吉林省", "黑": "黑龙江省", "苏": "江苏省",
    "浙": "浙江省", "皖": "安徽省", "闽": "福建省", "赣": "江西省", "鲁": "山东省",
    "豫": "河南省", "鄂": "湖北省", "湘": "湖南省", "粤": "广东省", "琼": "海南省",
    "川": "四川省", "蜀": "四川省", "贵": "贵州省", "黔": "贵州省", "云": "云南省",
    "滇": "云南省", "陕": "陕西省", "秦": "陕西省", "甘": "甘肃省", "陇": "甘肃省",
    "青": "青海省", "台": "台湾省", "蒙": "内蒙古自治区", "桂": "广西壮族自治区",
    "藏": "西藏自治区", "宁": "宁夏回族自治区", "新": "新疆维吾尔自治区",
}  # fmt: skip
# Groups of provinces by their official names: the four economic regions of the National Bureau
# of Statistics (《东西中部和东北地区划分方法》, 2011), the six great regions of the statistical
# yearbooks (华北, 东北, 华东, 中南, 西南, 西北: the 大区 of 1949-1954, still the regional
# grouping of 《中国统计年鉴》 tables), and the regions of the State Council's regional
# strategies (《长江三角洲区域一体化发展规划纲要》 2019, 《京津冀协同发展规划纲要》 2015,
# 《长江经济带发展规划纲要》 2016, 《黄河流域生态保护和高质量发展规划纲要》 2021).
_EAST = "北京市 天津市 河北省 上海市 江苏省 浙江省 福建省 山东省 广东省 海南省"
_CENTRAL = "山西省 安徽省 江西省 河南省 湖北省 湖南省"
_WEST = (
    "内蒙古自治区 广西壮族自治区 重庆市 四川省 贵州省 云南省 西藏自治区 陕西省 甘肃省 青海省"
    " 宁夏回族自治区 新疆维吾尔自治区"
)
_NORTHEAST = "辽宁省 吉林省 黑龙江省"
_DELTA = "上海市 江苏省 浙江省 安徽省"
REGION_GROUPS: dict[str, tuple[str, ...]] = {
    name: tuple(members.split())
    for names, members in (
        ("东部地区 东部省份 东部十省", _EAST),
        ("中部地区 中部省份 中部六省", _CENTRAL),
        ("西部地区 西部省份 西部十二省", _WEST),
        ("东北地区 东北三省", _NORTHEAST),
        ("华北地区 华北五省区", "北京市 天津市 河北省 山西省 内蒙古自治区"),
        ("华东地区 华东六省一市", "上海市 江苏省 浙江省 安徽省 福建省 江西省 山东省"),
        ("中南地区 中南六省区", "河南省 湖北省 湖南省 广东省 广西壮族自治区 海南省"),
        ("西南地区 西南五省区市", "重庆市 四川省 贵州省 云南省 西藏自治区"),
        ("西北地区 西北五省区", "陕西省 甘肃省 青海省 宁夏回族自治区 新疆维吾尔自治区"),
        ("长三角 长江三角洲", _DELTA),
        ("京津冀", "北京市 天津市 河北省"),
        (
            "长江经济带",
            "上海市 江苏省 浙江省 安徽省 江西省 湖北省 湖南省 重庆市 四川省 云南省 贵州省",
        ),
        (
            "黄河流域",
            "青海省 四川省 甘肃省 宁夏回族自治区 内蒙古自治区 山西省 陕西省 河南省 山东省",
        ),
    )
    for name in names.split()
}
# after a group's name, what makes its provinces the places asked: a year, each of them or which
# of them (「东北三省2025年…」, 「西部地区哪些省份…」, 「长三角各省市…」)
_GROUP_ASKED = re.compile(
    rf"\s*(?:(?:19|20)\d\d\s*年|{RELATIVE_YEARS}|各|哪|的?(?:省份|省区|省市|各省))"
)
_COUNTS_PROVINCES = re.compile(r"(?:省|省区|省市|一市|省份|地区)$")
_GROUP_NAMES = re.compile("|".join(sorted(REGION_GROUPS, key=len, reverse=True)))


def asked_groups(text: str) -> list[tuple[Place, int, int]]:
    """The provinces of each group of provinces the text asks about (REGION_GROUPS), each with
    the group's offsets: a group followed by a year or by the words that ask each or which of
    its places, or a name counting provinces that opens the text (a year aside). A group named
    as a topic (「推进长三角一体化」, 「京津冀协同发展有哪些任务」) is not asked."""
    found: list[tuple[Place, int, int]] = []
    for m in _GROUP_NAMES.finditer(text):
        # opening the text, a name that counts provinces (东北三省, 东部省份) is its provinces;
        # a strategy's name (京津冀, 长三角) there is as often its topic (「京津冀协同发展…」)
        opens = re.fullmatch(r"[\s\d年，,。？?]*", text[: m.start()]) is not None
        if (opens and _COUNTS_PROVINCES.search(m.group())) or _GROUP_ASKED.match(text, m.end()):
            found += [
                (place_of(name, "省"), m.start(), m.end()) for name in REGION_GROUPS[m.group()]
            ]
    return found


# what may follow provinces named so: a year, a count of places (三地, 两省), a report or an
# office (names_an_office)
_AFTER_ABBREVIATED = re.compile(
    rf"\s*(?:(?:19|20)\d\d\s*年|{RELATIVE_YEARS}|[两二三四五六七八九十]?[地省市]|报告)"
)
# the last characters of a government organ's name, by the kinds of organ a people's
# government sets up (《地方各级人民政府机构设置和编制管理条例》: 厅, 局, 委员会, 办公室; a
# commission is shortened to 委, an office to 办): 科技厅, 统计局, 发展改革委, 省政府办
_ORGAN_ENDS = ("厅", "局", "委", "委员会", "办", "办公室")
_GOVERNMENT = re.compile(r"(?:人民)?政府")


def names_an_office(text: str, end: int, longest: int = 7) -> bool:
    """Whether a government organ's name (its dictionary words, at most `longest` characters)
    or the government itself follows a place named up to `end`: 「浙江省科技厅2021年…」 asks
    about the place whose office writes the plan, not about 浙江 as a topic."""
    if _GOVERNMENT.match(text, end):
        return True
    for start, stop in word_spans(text):
        if start < end:
            continue
        word = text[start:stop]
        if stop - end > longest or not re.fullmatch(r"[\u4e00-\u9fff]+", word):
            return False
        # an organ's own word names its field (科技厅, 统计局); a word of two characters
        # ending so is most often none (格局, 布局, 举办, 全局)
        if word.endswith(_ORGAN_ENDS) and len(word) != 2:
            return True
    return False


def _after_abbreviated(text: str, end: int) -> bool:
    return bool(_AFTER_ABBREVIATED.match(text, end)) or names_an_office(text, end)


def abbreviated_provinces(text: str) -> list[tuple[Place, int, int]]:
    """Provinces a question names by their one-character names (「沪2025年…」, 「皖科技厅…」,
    「川渝滇三地…」). Most of these characters are common words (新, 青, 云), so only a run of
    them that jieba leaves as words of their own, or as a word made of them alone (苏浙皖),
    counts: opening the text or a clause, with a year, a count of places or an office after it."""
    spans = word_spans(text)

    def named(k: int) -> bool:
        return k < len(spans) and all(
            c in PROVINCE_ABBREVIATIONS for c in text[spans[k][0] : spans[k][1]]
        )

    found: list[tuple[Place, int, int]] = []
    i = 0
    while i < len(spans):
        j = i
        while named(j) or (
            j > i and text[spans[j][0] : spans[j][1]] in _LIST_JOINTS and named(j + 1)
        ):
            # 「川、鲁、豫三省…」, 「苏和闽去年…」: one-character names listed are one run
            j += 1
        if j == i:
            i += 1
            continue
        start, end = spans[i][0], spans[j - 1][1]
        opens = start == 0 or text[start - 1] in "，,、；;：:（(“ "
        if opens and _after_abbreviated(text, end):
            found += [
                (place_of(PROVINCE_ABBREVIATIONS[text[k]]), k, k + 1)
                for k in range(start, end)
                if text[k] in PROVINCE_ABBREVIATIONS
            ]
        i = j
    return found


# the words that join the items of a list of names
_LIST_JOINTS = frozenset({"、", "和", "与", "及", ",", "，"})


def asked_places(text: str, extra: Iterable[Place] = ()) -> list[tuple[Place, int, int]]:
    """Every place the text names as the scope reads them, in order: names (find_places), then
    groups of provinces asked about (asked_groups), then provinces named by one character
    (abbreviated_provinces), each only where no earlier kind is found (京津冀 is a group, not
    京, 津 and 冀). Cached by text: the scope and the split of a question both read it."""
    return list(_asked_places(text, tuple(extra)))


@lru_cache(maxsize=4096)
def _asked_places(text: str, extra: tuple[Place, ...]) -> tuple[tuple[Place, int, int], ...]:
    found = find_places(text, extra)
    for more in (asked_groups(text), abbreviated_provinces(text)):
        found += [m for m in more if not any(s <= m[1] < e for _p, s, e in found)]
    return tuple(sorted(found, key=lambda m: (m[1], m[2])))


def opening_place_word(text: str) -> tuple[Place, int, int] | None:
    """A word the dictionary tags as a place name (ns) that opens the question before a year
    or an office and that the gazetteer does not know (龙江, 内蒙, 苏南): the place asked. The
    only province whose name it begins is that province (内蒙 is 内蒙古); any other is a place
    of its own, which no document covers, rather than no place at all (then the country's
    reports would answer 「龙江今年粮食产量目标」)."""
    spans = word_spans(text)
    if not spans:
        return None
    start, end = spans[0]
    word = text[start:end]
    if len(word) < 2 or word_tag(word) != "ns" or not _after_abbreviated(text, end):
        return None
    if word in _NATIONAL_ALIASES:
        return NATIONAL, start, end  # 「中国今年…」: the country, before a year as before 的
    if word in _gazetteer().by_alias:
        return None  # a name the finder knows and left out by its own rules
    provinces = {
        p
        for alias, places in _gazetteer().by_alias.items()
        if word in alias
        for p in places
        if p.level == "省"
    }
    if len(provinces) == 1:
        return provinces.pop(), start, end
    return Place(word, "", _anonymous_level(word, None)), start, end


def _words(text: str) -> dict[int, int]:
    """Start -> end of each word of jieba's dictionary segmentation (no guessing of new words)."""
    return dict(word_spans(text))


def _whole(text: str, start: int, end: int, words: dict[int, int], full: bool) -> bool:
    """True when text[start:end] is not a piece of a longer word.

    A short form must start and end on word boundaries (吉林大学, 长治久安 are one word), or
    start a word the dictionary tags as a place name (青岛港), or be one itself where jieba cut
    its end into the next word (山|东三省). A full
    name must start on one, and no word may begin inside it and run past its end (环泰山区域 is
    泰山/区域, not 泰山区); a word that starts with the name and goes on (上海市政府) is fine.
    """
    if start not in words:
        return False
    if full:
        return all(words.get(j, end) <= end for j in range(start + 1, end))
    if end == len(text) or end in words:
        return True
    if words[start] < end:
        # jieba joined the name's last characters to the next word (山|东三省 in 「湖南、山东
        # 三省」): a name the dictionary tags as a place counts, unless that word is a known
        # place too
        crossing = next(s for s in range(end - 1, start, -1) if s in words)
        return (
            word_tag(text[start:end]) == "ns"
            and text[crossing : words[crossing]] not in _gazetteer().by_alias
        )
    # a longer word the dictionary tags as a place name (ns) is a place of it: 青岛港, 成都平原;
    # an organisation (吉林大学, nt) or an idiom (长治久安) is not
    return word_tag(text[start : words[start]]) == "ns"


Resolver = Callable[[str, tuple[Place, ...]], Place | None]


@cache
def _first_characters() -> frozenset[str]:
    """The first character of every alias in the gazetteer."""
    return frozenset(alias[0] for alias in _gazetteer().by_alias if alias)


def _scan(
    text: str,
    table: Mapping[str, tuple[Place, ...]],
    exact: frozenset[str],
    words: dict[int, int],
    resolve: Resolver,
) -> list[tuple[Place, int, int]]:
    """Leftmost-longest matches of the table's aliases that pass the word checks."""
    lengths = sorted({*_gazetteer().lengths, *(len(a) for a in exact)}, reverse=True)
    # no alias starts with most characters of a text: skip those positions without trying
    # every length (the table is the gazetteer's aliases plus `exact`)
    firsts = _first_characters() | {a[0] for a in exact if a}
    out: list[tuple[Place, int, int]] = []
    i = 0
    while i < len(text):
        if text[i] not in firsts:
            i += 1
            continue
        found = None
        for n in lengths:
            alias = text[i : i + n]
            if len(alias) < n or alias not in table:
                continue
            places = table[alias]
            full = any(alias == p.name and p != NATIONAL for p in places)
            if alias not in exact and not _whole(text, i, i + n, words, full):
                continue
            if alias in _MODIFIER_ALIASES and not _AFTER_MODIFIER.match(text, i + n):
                continue
            place = resolve(alias, places)
            if place is not None:
                found = (place, i, i + n)
                break
        if found is None:
            i += 1
        else:
            out.append(found)
            i = found[2]
    return out


def find_places(text: str, extra: Iterable[Place] = ()) -> list[tuple[Place, int, int]]:
    """Places the text names, with their offsets: longest match first, never overlapping.

    A short form (陕西, 芜湖, 全国) counts only where it is a whole word of the text (吉林大学 and
    长治久安 name no place); 中国 and 国家 only before a year, 的 or punctuation; a name shared by
    several places or made of generic characters (城区, 新城区, 和县) only beside its city or
    province. `extra` adds places matched by their exact names, wherever they occur (a corpus's
    anonymised 「xx市」).
    """
    extra = tuple(extra)
    if not extra:
        return list(_find_known(text))
    table = dict(_gazetteer().by_alias)
    exact = set()
    for place in extra:
        for alias in aliases(place):
            if alias not in table:
                table[alias] = (place,)
                exact.add(alias)
    return _find(text, table, frozenset(exact))


@lru_cache(maxsize=4096)
def _find_known(text: str) -> tuple[tuple[Place, int, int], ...]:
    """find_places without extra places: the gazetteer's table as it is (copying its ~4,000
    aliases for every call was most of the cost), cached by text, since the same candidate
    sentences come back question after question."""
    return tuple(_find(text, _gazetteer().by_alias, frozenset()))


def _find(
    text: str, table: Mapping[str, tuple[Place, ...]], exact: frozenset[str]
) -> list[tuple[Place, int, int]]:
    gazetteer = _gazetteer()

    def unique(alias: str, places: tuple[Place, ...]) -> Place | None:
        return places[0] if len(places) == 1 and alias not in gazetteer.weak else None

    words = _words(text)
    strong = [p for p, _s, _e in _scan(text, table, exact, words, unique)]

    def beside_ancestor(alias: str, places: tuple[Place, ...]) -> Place | None:
        if alias not in gazetteer.weak:
            return unique(alias, places)
        # a weak name counts beside an ancestor: 北京市朝阳区, 马鞍山市和县
        beside = [p for p in places if any(s in p.parents for s in strong)]
        return beside[0] if len(beside) == 1 else None

    return _scan(text, table, exact, words, beside_ancestor)


def places_in(text: str, level: str) -> list[Place]:
    """Places of a level the text names, in order of first mention, each once.

    A 市 includes the municipalities (北京市) and county-level cities (晋江市) people call cities;
    likewise a 区 any district-named place.
    """
    return list(named_in(text, level))


def named_in(text: str, level: str) -> dict[Place, str]:
    """Places of a level the text names (as places_in), each with the words the text first
    names it by (孟连县 for 孟连傣族拉祜族佤族自治县): what an answer quoting the text shows."""
    if level not in LEVELS:
        raise ValueError(f"level must be one of {LEVELS}; got {level!r}")
    out: dict[Place, str] = {}
    for place, start, end in find_places(text):
        fits = place.level == level or (level in "市县区" and place.name.endswith(level))
        if fits and place not in out:
            out[place] = text[start:end]
    return out
