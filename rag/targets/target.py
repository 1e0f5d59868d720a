"""One row of the targets table: a figure of a document with its place, time, indicator and
quote (rag.targets.extract builds them)."""

from __future__ import annotations

from dataclasses import dataclass

from rag.lang.periods import PLAN, RESULT

LEVEL_NAMES = {
    "国家": "national",
    "省": "provincial",
    "市": "city",
    "县": "district",
    "区": "district",
}
STANCES = {PLAN: "target", RESULT: "result"}


@dataclass(frozen=True)
class Target:
    """One figure of one document, cited by its sentence."""

    doc_id: str
    title: str
    place: str
    level: str
    year: int | None
    stance: str  # "target", "result" or "" when the text does not say
    kind: str  # growth, share, count, money, rank, level (rag.lang.measures)
    indicator: str  # as written: document.text[indicator_start:indicator_start + len]
    indicator_norm: str
    value: str  # verbatim: document.text[value_start:value_start + len(value)]
    amount: float | None
    unit: str
    base_amount: float | None
    base_unit: str
    qualifier: str
    start: int
    end: int
    value_start: int
    indicator_start: int  # where the indicator as written starts in the document's text
    quote: str
    section_path: tuple[str, ...]
    period: str  # how an answer labels the period: 2025年目标, 2024年完成情况

    def __post_init__(self) -> None:
        at = self.value_start - self.start
        if not self.value or self.quote[at : at + len(self.value)] != self.value:
            raise ValueError(f"value {self.value!r} is not in its quote at {self.value_start}")
        at = self.indicator_start - self.start
        if self.quote[at : at + len(self.indicator)] != self.indicator:
            raise ValueError(f"indicator {self.indicator!r} is not in its quote at {at}")

    def as_dict(self) -> dict[str, object]:
        """The row as JSON, CSV and spreadsheets show it."""
        return {
            "place": self.place,
            "level": self.level,
            "doc_id": self.doc_id,
            "title": self.title,
            "year": self.year,
            "stance": self.stance,
            "kind": self.kind,
            "indicator": self.indicator,
            "indicator_norm": self.indicator_norm,
            "value": self.value,
            "amount": self.amount,
            "unit": self.unit,
            "base_amount": self.base_amount,
            "base_unit": self.base_unit,
            "qualifier": self.qualifier,
            "period": self.period,
            "start": self.start,
            "end": self.end,
            "value_start": self.value_start,
            "indicator_start": self.indicator_start,
            "section_path": list(self.section_path),
            "quote": self.quote,
        }
