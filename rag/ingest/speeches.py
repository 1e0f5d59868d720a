"""A report made to a people's congress: its header and opening say when, where and for whom.

「——2025年1月15日在…人民代表大会…会议上」 gives the delivery date, the congress and its place;
the speaker's office (省长, 市长 …) and 「我代表…向大会」 give the government that issued it.
"""

from __future__ import annotations

import datetime
import logging
import re
from dataclasses import dataclass

from rag.ingest.regions import NAME, NATIONAL, PROVINCE_SHORT, UNITS, unit_of

logger = logging.getLogger(__name__)

_CN_NUM = "一二三四五六七八九十百零〇"
_DELIVERY = re.compile(
    r"^[-—－–─~～]*(?P<y>\d{4})年(?P<m>\d{1,2})月(?P<d>\d{1,2})日(?P<before>.*?)在"
    rf"(?P<place>[^第在]{{0,12}}?)(?P<meeting>第[{_CN_NUM}]+届(?P<nat>全国)?人民代表大会"
    rf"第[{_CN_NUM}]+次(?:全体)?会议)[上的]?(?P<after>.*)$"
)
_SPEAKER = re.compile(
    rf"(?P<place>国务院|{NAME}{{2,10}}?(?:省|市|自治区|自治州|县|区))?(?:人民政府)?(?:代理|代)?"
    r"(?P<office>总理|省长|市长|县长|区长|州长|主席)"
)
_OFFICE_UNIT = {"省长": "省", "市长": "市", "县长": "县", "区长": "区", "州长": "自治州"}
_OPENING = re.compile(r"我代表(?P<org>[\u4e00-\u9fff]{2,24}?)[，,、\s]*向(?:大会|全会)")


@dataclass(frozen=True)
class Speech:
    """A report's header and opening: when and where it was delivered, and for whom."""

    published: str | None = None
    meeting: str | None = None
    place: str | None = None
    issuer: str | None = None
    opening: str | None = None


def delivery_line(line: str) -> re.Match[str] | None:
    """「——YYYY年M月D日在…人民代表大会…会议上」, spaces and a closing 。 aside."""
    return _DELIVERY.match(re.sub(r"\s+", "", line).rstrip("。"))


def _delivery(top: list[str]) -> tuple[re.Match[str] | None, str | None]:
    """The line saying when and to which congress a report was made, and that congress's place."""
    for line in top:
        if match := delivery_line(line):
            place = NATIONAL if match.group("nat") else match.group("place") or None
            return match, PROVINCE_SHORT.get(place or "", place)
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


def government(org: str, places: list[str | None]) -> str | None:
    """「省人民政府」 + 云南省 -> 云南省人民政府; an org named in full is kept as written."""
    org = re.sub(r"(?<!人民)政府$", "人民政府", org)
    bare = next((u for u in UNITS if org.startswith(u)), None)
    if bare is None:
        return org
    place = next((p for p in places if p and p != bare and unit_of(p) == bare), None)
    return place + org[len(bare) :] if place else None


def read_speech(top: list[str], opening_lines: list[str]) -> Speech:
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
        issuer = government(opening, places)
    if issuer is None:
        for where, office in speakers:
            # 主席 heads an autonomous region's government, but also many other bodies
            unit = _OFFICE_UNIT.get(office) or (
                "自治区" if (where or "").endswith("自治区") else None
            )
            if unit and (issuer := government(unit + "人民政府", [where, *places])):
                break
    return Speech(published, meeting, place, issuer, opening)
