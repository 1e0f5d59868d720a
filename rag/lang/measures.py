"""Measures: what a figure measures, and what a question asks to be measured.

A plan states many figures about one indicator: 「研发经费投入增长8%」 is a growth rate,
「研发投入强度达到2.5%」 a share, 「新增高新技术企业1500家」 a count, 「技术合同成交额达到2500
亿元」 an amount of money. A question asking one of them is not answered by another.

The words are those of official statistics (国家统计局's 统计用语: 增长/增速/提高 for change,
比重/占比/强度/率 for shares and rates, 第N位 for ranks) and the measure words (量词) of
Chinese grammar for counts; they describe kinds of measure, never a topic.
"""

from __future__ import annotations

import re

GROWTH = "growth"
SHARE = "share"
COUNT = "count"
MONEY = "money"
RANK = "rank"
LEVEL = "level"

NAMES = {
    GROWTH: "增长率",
    SHARE: "比重或比率",
    COUNT: "数量",
    MONEY: "金额",
    RANK: "位次",
    LEVEL: "总量",
}

# the change words by direction (a rise, a fall); 翻 (doubling) is a rise written by its factor
RISES = "增长|增速|增幅|涨幅|提高|提升|增加|上涨|上升|扩大|翻"
FALLS = "降幅|下降|减少|降低|回落|缩小"
_DIRECTION = re.compile(rf"({RISES})|({FALLS})")

# a change verb right before a figure: the figure is the size of the change
_CHANGE = re.compile(
    rf"(?:{RISES}|{FALLS}|"
    # 高于/低于 compare with another figure; 不低于/不高于 bound this one (不低于80%: at least)
    r"(?<!不)高于[^，。；,;]{0,6}|(?<!不)低于[^，。；,;]{0,6}|快于[^，。；,;]{0,6}|高出[^，。；,;]{0,6})"
    r"(?:了|约|近|超过?)?$"
)
# 「提高到」, 「增加至」: the figure is the new level, not the change
_TO_LEVEL = re.compile(
    r"(?:提高|提升|增加|增长|下降|降低|减少|扩大|上升)(?:到|至)[^，。；,;]{0,8}$"
)
# a year inside the clause (「由2007年的1.4%提高到2012年的」) says when, not what is measured;
# rag.answer.spans reads it too
YEAR_WORDS = re.compile(r"(?:19|20)\d\d\s*年(?:底|末|初)?的?")
_SHARE_WORDS = re.compile(
    r"比重|占比|强度|比例|率|占[^，。；,;]{0,20}的?$|占$|相当于[^，。；,;]{0,20}的?$"
)
# the measure words (量词) of a count; rag.answer and rag.targets read it too
COUNTERS = "家个项名人件所场座批支条位户套台次种类"
_RANK = re.compile(r"第\s*$|前\s*$|居.{0,6}第\s*$")


def direction(text: str) -> str | None:
    """ "rise" or "fall" when every change word of the text goes one way, else None."""
    ways = {"rise" if m.group(1) else "fall" for m in _DIRECTION.finditer(text)}
    return ways.pop() if len(ways) == 1 else None


def figure_measure(before: str, figure: str, after: str = "") -> str:
    """The measure of a figure, from its unit, the words of its clause before it and the word
    right after it (「保持20%左右增幅」 is a growth)."""
    if re.match(r"(?:的)?(?:增幅|增速|增长|涨幅|降幅)", after):
        return GROWTH
    before = YEAR_WORDS.sub("", before)
    tail = before[-16:]
    unit_pct = "%" in figure or "％" in figure or "百分点" in figure
    if _RANK.search(before[-8:]) or (re.search(r"^\d+\s*(?:位|名)$", figure) and "第" in tail[-3:]):
        return RANK
    if _TO_LEVEL.search(tail):
        return SHARE if unit_pct else _unit_measure(figure)
    if _CHANGE.search(tail) or re.search(r"(?:比上年|同比|较上年)[^，。；,;]{0,8}$", tail):
        return GROWTH
    if "倍" in figure:
        return GROWTH
    if unit_pct:
        shared = _SHARE_WORDS.search(tail) or re.search(r"比重|占比|强度|比例", before)
        return SHARE if shared or not re.search(r"增|提|降|减|涨|升", tail) else GROWTH
    return _unit_measure(figure)


def _unit_measure(figure: str) -> str:
    if "元" in figure:
        return MONEY
    if re.search(rf"\d\s*(?:万|亿)?[{COUNTERS}]", figure):
        return COUNT
    return LEVEL


_ASK_GROWTH = re.compile(
    r"增长(?:了)?(?:多少|几)|增速|增幅|涨幅|上涨(?:了)?(?:多少|几)|增长率|提高(?:了)?(?:多少|几)|下降(?:了)?(?:多少|几)|"
    r"增加(?:了)?(?:多少|几)(?:个百分点|%)|(?:增长|下降|降低|减少|提高)的?.{0,2}(?:目标|预期|幅度)"
    r"|多少个百分点"
)
_ASK_SHARE = re.compile(
    r"比重|占比|强度|比例|百分比|覆盖率|占.{1,16}的?(?:多少|几)|[^增]率(?:分别|各自|各)?(?:是|为|达到|目标|多少|$)"
    # a rate asked by whatever verb sets it (「比率要降到多少」, 「利用率提高至多少」,
    # 「赤字率安排为多少」, 「失业率控制在多少」) asks its level; a growth rate is a growth
    r"|(?<!增)(?<!增长)率[^，。？?,，、]{0,6}?(?:多少|几)"
)
_ASK_RANK = re.compile(r"排名|第几|位次|排第|居第")
_ASK_MONEY = re.compile(r"多少(?:钱|资金|亿元|万元|元|亿美元|美元)|金额")
_ASK_COUNT = re.compile(rf"(?:多少|几)(?:万|千|百)?[{COUNTERS}]")
# a noun of amount asked with 「是多少」 wants the amount itself (成交额, 产量, 规模, 总数)
_ASK_LEVEL = re.compile(
    r"(?:额|量|规模|总值|产值|总数|数量|人数|收入|支出|投资|余额|总量)(?:的)?(?:目标|预期|计划)?(?:值)?"
    r"(?:是|为|要|将|要达到|达到|达|有|完成|实现|突破|超过)?了?(?:多少|几)"
)


def asked_measure(question: str) -> str | None:
    """The measure the question asks for, or None when its wording leaves it open."""
    if _ASK_RANK.search(question):
        return RANK
    if _ASK_GROWTH.search(question) and not re.search(r"(?:增长|提高|增加)(?:到|至)", question):
        return GROWTH
    if _ASK_SHARE.search(question):
        return SHARE
    if _ASK_MONEY.search(question):
        return MONEY
    if _ASK_COUNT.search(question):
        return COUNT
    level = _ASK_LEVEL.search(question)
    if level:
        # 成交额, 交易额, 收入, 投资: amounts of money
        return MONEY if re.search(r"额|收入|支出|投资", level.group()) else LEVEL
    return None


def compatible(asked: str | None, stated: str) -> bool:
    """Whether a figure of measure `stated` answers a question asking `asked`."""
    if asked is None:
        return True
    if asked == stated:
        return True
    # a level in money or in units is what 「多少」 asks of an amount; a count is a level too
    return (asked == LEVEL and stated in (MONEY, COUNT)) or {asked, stated} == {LEVEL, COUNT}


# The units a figure may carry: the legal units of measurement (GB 3100-1993: 千瓦, 吨, 公里,
# 平方米 …, with their 万/亿 multiples, and its non-SI units of time, volume and distance:
# 小时, 分钟, 秒, 升, 海里), currencies, and the measure words (量词) plans count with. Longer
# units first, so 万千瓦时 is not cut to 万千瓦 nor 个月 to 个.
UNITS = (
    "万千瓦时|亿千瓦时|千瓦时|万千瓦|亿千瓦|千瓦|兆瓦|吉瓦|万吨标准煤|吨标准煤|万吨|亿吨|吨|"
    "平方公里|平方千米|平方米|立方米|公里|千米|万亩|亩|公顷|亿斤|万斤|斤|公斤|千克|"
    "微克/立方米|微克／立方米|标准箱|"
    "亿美元|万美元|美元|亿欧元|欧元|万亿元|亿元|万元|元|"
    "万人次|人次|万户|万人|个百分点|百分点|场次|架次|个月|小时|分钟|海里|"
    "家|个|项|人|名|%|％|‰|场|户|件|次|篇|所|座|台|辆|艘|架|部|套|张|床|倍|批|支|条|天|期|"
    "列|只|头|株|棵|处|栋|间|宗|例|起|册|份|段|级|枚|颗|秒|升|"
    "类|种|大类|万|亿|团队|年时间|年"
)


# Units of one dimension in a common one, by their legal definitions: the SI prefixes of GB
# 3100-1993 and the 市制 units as the State Council's 1984 order on legal units fixes them (1 斤
# = 0.5 千克, 1 亩 = 1/15 公顷); 兆瓦/吉瓦 are 10^3/10^6 千瓦. A unit outside it is compared only
# with itself.
IN_COMMON: dict[str, tuple[str, float]] = {
    "克": ("克", 1.0),
    "千克": ("克", 1e3),
    "公斤": ("克", 1e3),
    "斤": ("克", 500.0),
    "吨": ("克", 1e6),
    "米": ("米", 1.0),
    "千米": ("米", 1e3),
    "公里": ("米", 1e3),
    "平方米": ("平方米", 1.0),
    "亩": ("平方米", 1e4 / 15),
    "公顷": ("平方米", 1e4),
    "平方千米": ("平方米", 1e6),
    "平方公里": ("平方米", 1e6),
    "千瓦": ("千瓦", 1.0),
    "兆瓦": ("千瓦", 1e3),
    "吉瓦": ("千瓦", 1e6),
}


def in_common(unit: str, amount: float) -> tuple[str, float]:
    """An amount in `unit` (no 万/亿 multiple) as an amount of its dimension's common unit:
    (吨, 1955e4) -> (克, 1.955e13); a unit without one is returned as it is."""
    common, factor = IN_COMMON.get(unit, (unit, 1.0))
    return common, amount * factor


YEARLIKE = re.compile(r"(?:19|20)\d\d")
