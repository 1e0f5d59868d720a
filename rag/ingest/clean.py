"""Web-page furniture dropped from a document's raw text (breadcrumbs, view counts, share links,
repeated titles); what is left is the text every offset refers to."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator

from rag.ingest.metadata import (
    looks_like_title,
)

logger = logging.getLogger(__name__)


_MAX_BOILERPLATE_CHARS = 160
_BOILERPLATE = tuple(
    re.compile(pattern, re.IGNORECASE)
    for pattern in (
        r"^(当前位置|您当前所在的?位置|您当前的位置|您的位置|当前所在位置)\s*[:：]",
        r"^(发布|更新)?(时间|日期)\s*[:：]\s*\d{4}\s*[-/.年]\s*\d{1,2}\s*[-/.月]\s*\d{1,2}",
        r"(阅读|浏览|点击)(次数|量)\s*[:：]",
        r"^(字体|字号)\s*[:：]",
        r"^来源\s*[:：]",
        r"^咨询热线\s*[:：]",
        r"^更新时间\s*[:：].*作者\s*[:：]",
        r"扫一扫在手机上?打开(当前页|本页)",
        r"^关注.{1,20}了解更多",
        r"^免责声明",
        r"^(链接地址|本文链接|原文链接)\s*[:：]",
        r"^https?://\S+$",
        r"^(\S+\.(png|jpe?g|gif|bmp|webp|svg)\s*)+$",
        r"^(网站|站点|本站)\s*[:：]",
        r"^[\[【]\s*(索\s*引\s*号|发\s*布\s*机\s*构|成\s*文\s*日\s*期|发\s*布\s*日\s*期|主\s*题\s*词"
        r"|效\s*力\s*状\s*态|主\s*题\s*分\s*类|文\s*号)\s*[\]】]",
        r"^(索引号|发布机构|成文日期|主题分类|效力状态)\s*[:：]",
        r"由互联网用户整理提供",
        r"^(打印本页|关闭窗口|返回顶部|分享到)",
    )
)
# Site slogans made of set phrases; a line of only these is the site's banner, not plan text.
_SITE_SLOGANS = frozenset({"荟聚奇文", "博采众长", "见贤思齐"})


# --------------------------------------------------------------------------------- cleaning


def is_boilerplate(line: str) -> bool:
    """Whether a stripped line is web-page furniture rather than document text."""
    if len(line) > _MAX_BOILERPLATE_CHARS:
        return False
    if all(part in _SITE_SLOGANS for part in re.split(r"[、，,\s]+", line)):
        return True
    return any(pattern.search(line) for pattern in _BOILERPLATE)


def kept_lines(raw: str) -> Iterator[str]:
    """Lines left after dropping boilerplate and repeated title lines; blank lines kept."""
    seen_titles: set[str] = set()
    for line in (line.strip() for line in raw.splitlines()):
        if line and is_boilerplate(line):
            continue
        if line and looks_like_title(line):
            if line in seen_titles:
                continue
            seen_titles.add(line)
        yield line


def joined_lines(kept: list[str]) -> str:
    return re.sub(r"\n{3,}", "\n\n", "\n".join(kept)).strip()


def clean_text(raw: str) -> str:
    """Boilerplate dropped, lines stripped, runs of blank lines collapsed to one."""
    return joined_lines(list(kept_lines(raw)))
