"""The layout of an answer across places: the places ranked by their figure in the unit most
share, or grouped by whether they meet the asked threshold."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from rag.lang.measures import in_common
from rag.targets.form import Form
from rag.targets.target import Target


def _common(row: Target) -> tuple[str, float] | None:
    """A row's amount in its dimension's common unit (亿斤 and 万吨 both in 克), or None."""
    if row.base_amount is None:
        return None
    return in_common(row.base_unit, row.base_amount)


def _comparable(found: Mapping[str, Target]) -> str | None:
    """The common unit most of the figures share (their values can be ordered)."""
    units = [c[0] for r in found.values() if (c := _common(r)) is not None]
    return max(set(units), key=units.count) if units else None


def ranked_layout(places: Sequence[str], found: Mapping[str, Target], ascending: bool) -> list[str]:
    """Headings and places, the places with a figure in the shared unit ordered by it (units of
    one dimension converted: 亿斤 against 万吨)."""
    unit = _comparable(found)
    amounts = {p: c[1] for p in places if p in found and (c := _common(found[p])) and c[0] == unit}
    ordered = sorted(amounts, key=lambda p: amounts[p] * (1 if ascending else -1))
    layout = ["从低到高：" if ascending else "从高到低：", *ordered]
    other = [p for p in places if p in found and p not in ordered]
    if other:
        layout += ["单位不同、未参与排序：", *other]
    return layout


def _passes(row: Target, threshold: tuple[float, str, str]) -> bool | None:
    amount, unit, direction = threshold
    common = _common(row)
    if common is None or row.base_amount is None:
        return None
    value = row.base_amount  # a threshold without a unit is read in the row's own
    if unit:
        asked_unit, amount = in_common(unit, amount)
        if common[0] != asked_unit:
            return None
        value = common[1]
    return {
        "above": value > amount,
        "above_or_equal": value >= amount,
        "below": value < amount,
        "below_or_equal": value <= amount,
    }[direction]


def above_layout(places: Sequence[str], found: Mapping[str, Target], form: Form) -> list[str]:
    """Headings and places: those meeting the condition, those not, those not comparable."""
    assert form.threshold is not None
    groups: dict[bool | None, list[str]] = {True: [], False: [], None: []}
    for p in places:
        if p in found:
            groups[_passes(found[p], form.threshold)].append(p)
    layout = ["符合所问条件的：" + ("" if groups[True] else "无"), *groups[True]]
    if groups[False]:
        layout += ["不符合的：", *groups[False]]
    if groups[None]:
        layout += ["单位不同、无法比较的：", *groups[None]]
    return layout
