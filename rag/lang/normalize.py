"""One written form for a question: half-width, simplified characters, figures in digits.

Only questions are normalised. Document text is never changed here: citations point into it by
character offset, and the retriever already matches a digit with its character bigrams either way.
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache, lru_cache
from typing import Protocol

from opencc import OpenCC

from rag.lang.measures import COUNTERS, UNITS
from rag.lang.text import word_spans

# The units that follow figures in these plans: counted over the seed plans and the evaluation
# corpus (元, 亿元, 人, 家, 个, 项, 套, 吨, 户, 亩, 千瓦, 人次, 件, 辆 …). Longest first, so 人次
# wins over 人. Not 年/月/日 (dates), 次 or 届 (「十九届」, 「十二次党代会」 are ordinals), 期 or 大
# (「十四五期间」, 「二十大」).
FIGURE_UNITS: tuple[str, ...] = tuple(
    sorted(
        """家 个 项 名 人 人次 位 件 条 户 种 场 场次 批 篇 所 座 台 套 支 株 部 辆 元 万元 亿元
        美元 倍 平方米 平方公里 公里 千米 米 亩 公顷 吨 斤 公斤 千克 立方米 千瓦 千瓦时""".split(),
        key=len,
        reverse=True,
    )
)

_DIGIT = {c: str(i) for i, c in enumerate("零一二三四五六七八九")} | {"〇": "0", "○": "0"}
# a year written digit by digit, 二〇二五年 or 一九九八年, alone or opening a range (二〇二一至
# 二〇二五年); not after 第, not the tail of a longer numeral
_YEAR_DIGITS = "[一二][〇○零一二三四五六七八九]{3}"
_YEAR = re.compile(
    rf"(?<![〇○零一二两三四五六七八九十百千万亿第])({_YEAR_DIGITS})"
    rf"(?=年|\s*[至到~\-—]\s*{_YEAR_DIGITS}年)"
)
_PERCENT = re.compile(r"百分之([〇零一二两三四五六七八九十百千万点]+)")
# a numeral in a figure's role: directly (or after 多/余) before a unit. Not after 第 (ordinal),
# 几 or 数 (「几十万」 is not a figure), nor starting inside a longer numeral.
_FIGURE = re.compile(
    r"(?<![〇零一二两三四五六七八九十百千万亿第几数])"
    r"([〇零一二两三四五六七八九十百千][〇零一二两三四五六七八九十百千万亿点]*)"
    rf"(?=[多余]?(?:{'|'.join(FIGURE_UNITS)}))"
)


class _Converter(Protocol):
    def convert(self, text: str) -> str: ...


@cache
def _t2s() -> _Converter:
    """OpenCC's traditional-to-simplified converter, built once (its dictionaries are large)."""
    converter: _Converter = OpenCC("t2s")
    return converter


def _number(numeral: str) -> str | None:
    """「三百五十」 -> 「350」; None when cn2an cannot read it (「二三十」 is a range)."""
    # imported here: cn2an costs ~0.1-0.3 s to import (regexes built at import), which every
    # cold start paid although most questions write their figures in digits
    import cn2an

    try:
        value = cn2an.cn2an(numeral, "normal")
    except (ValueError, KeyError, IndexError):
        return None
    return str(value)


def _figure(match: re.Match[str]) -> str:
    numeral = match.group(1)
    # one character stays a word: plans write counts up to ten in words (「两个中心」,
    # 「十项任务」), and a lone 百/千/万 is part of a phrase (「千家万户」)
    if len(numeral) < 2:
        return numeral
    # digit by digit (「九五」) is a name, not a count; a figure has a magnitude or a decimal point
    if not re.search("[十百千万亿]", numeral) or numeral.endswith("点"):
        return numeral
    # 万 and 亿 stay as written, the way the plans write their figures: 十万人 -> 10万人
    head = numeral.rstrip("万亿")
    if not head:
        return numeral
    number = _number(head)
    return numeral if number is None else number + numeral[len(head) :]


def _percent(match: re.Match[str]) -> str:
    number = _number(match.group(1))
    return match.group() if number is None else f"{number}%"


@lru_cache(maxsize=4096)
def normalise_question(text: str) -> str:
    """The question in one written form, for retrieval and for reading its slots (cached by
    text: `ask` reads it to split several things asked, then prepares it).

    NFKC (full-width letters, digits, punctuation and space to half-width), traditional to
    simplified characters, and Chinese numerals to digits where they are a figure: a year before
    年 (二〇二五年 -> 2025年), a percentage (百分之五 -> 5%), or a numeral before a unit (三百五十家
    -> 350家, 两千亿元 -> 2000亿元). Set phrases (一带一路, 十四五, 第一产业, 一季度) are kept.
    A year typed as a keyword, alone between spaces, is written with its 年; one written with
    its last two digits (21年) with all four.
    """
    text = unicodedata.normalize("NFKC", text)
    text = _t2s().convert(text)
    text = _YEAR.sub(lambda m: "".join(_DIGIT[c] for c in m.group(1)), text)
    text = _PERCENT.sub(_percent, text)
    text = _FIGURE.sub(_figure, text)
    text = re.sub(r"\s+", " ", text).strip()
    # a year typed as a keyword (「2014 政府工作报告 财政赤字」) is a year, as 2014年 is; so is
    # one typed between words without 年 (「江西2021科技要点」), not an amount before its unit
    text = _GLUED_YEAR.sub(r"\1年", text)
    text = _SHORT_YEAR.sub(_short_year, text)
    return without_ruled_out(_BARE_YEAR.sub(r"\1年", text))


# what opens a clause that rules a reading out (「…，不是去年干了多少」, 「…，别给今年目标」,
# 「…，而非增速」): a negation of being or of a request; 别 as a word of its own (not 别的)
_RULING_OUT = re.compile(r"\s*(?:而?不是|并非|而非|不要(?!求)|别)")
_CLAUSE = re.compile(r"([，,；;。？?！!])")
_RECALLED = re.compile(r"\s*不是说")


def without_ruled_out(text: str) -> str:
    """The question without the clauses after its first that rule a reading out: what the asker
    does not want is not what is asked (its year, measure or stance would otherwise be read as
    asked). A clause asking with 吗 (「不是说要翻番吗」) is kept, and so is the first clause."""
    parts = _CLAUSE.split(text)  # clause, mark, clause, …, mark, clause (maybe empty)
    if len(parts) < 3 or not any(_RULING_OUT.match(p) for p in parts[2::2]):
        return text
    kept = parts[:1]
    clauses = parts[2::2]
    for n, (mark, clause) in enumerate(zip(parts[1::2], clauses, strict=False)):
        opening = _RULING_OUT.match(clause)
        # (not 「不是说…」, a claim recalled, nor 「不是X(，)而是Y」, which says what is asked)
        following = clauses[n + 1] if n + 1 < len(clauses) else ""
        ruled = opening is not None and not clause.rstrip().endswith("吗")
        ruled = ruled and not _RECALLED.match(clause) and "而是" not in clause + following[:3]
        if ruled and opening is not None and opening.group().strip() == "别":
            start, end = word_spans(clause.strip())[0]
            ruled = end - start == 1
        kept += [] if ruled else [mark, clause]
    return "".join(kept).strip(" ，,；;")


# a year written with its last two digits (「21年科技要点」, 「江苏24年」): two digits alone before
# 年, not a span of years (「10年来」, 「20年间」, 「15年以上」) nor counted after a word of
# duration (「连续21年」, 「近10年」, 「用15年时间」), also with a verb between (「连着涨了18年」)
_SHORT_YEAR = re.compile(r"(?<![\d.])(\d\d)(?=年(?!来|间|时间|内|以内|以上|以下|多|左右|前|后))")
_DURATION_BEFORE = re.compile(
    r"(?:(?:连续|连着)[\u4e00-\u9fff]{0,2}了?|近|用|历时|经过|花了?|第|每|满|已|约|共|超过|不到|长达|达)$"
)


def _short_year(match: re.Match[str]) -> str:
    if _DURATION_BEFORE.search(match.string, 0, match.start()):
        return match.group()
    return "20" + match.group(1)


# a token of four digits 19xx/20xx standing alone between spaces (or the query's ends), not an
# amount before its unit (2000 亿元)
_BARE_YEAR = re.compile(r"(?:(?<=^)|(?<= ))((?:19|20)\d\d)(?= (?![万亿千百元个家项人])|$)")


# four digits 19xx/20xx between two characters, the second no unit's or counter's first
# character (rag.lang.measures: 2000亿元, 2000公里, 2000家) nor a bound or approximation (2000多,
# 2000余): a year written without its 年
_NOT_AFTER_YEAR = "".join(
    sorted({u[0] for u in UNITS.split("|") if u} | set(COUNTERS) | set("多余左以年万亿千百"))
)
_GLUED_YEAR = re.compile(
    r"(?<=[\u4e00-\u9fff])((?:19|20)\d\d)(?=[\u4e00-\u9fff])(?!["
    + re.escape(_NOT_AFTER_YEAR)
    + "])"
)
