"""The layout of an answer across places: the places ranked by their figure in the unit most
share, or grouped by whether they meet the asked threshold."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from rag.targets.form import Form
from rag.targets.target import Target


def _comparable(found: Mapping[str, Target]) -> str | None:
    """The base unit most of the figures share (their values can be ordered)."""
    units = [r.base_unit for r in found.values() if r.base_amount is not None]
    return max(set(units), key=units.count) if units else None


def ranked_layout(places: Sequence[str], found: Mapping[str, Target], ascending: bool) -> list[str]:
    """Headings and places, the places with a figure in the shared unit ordered by it."""
    unit = _comparable(found)
    ordered = sorted(
        (p for p in places if p in found and found[p].base_unit == unit),
        key=lambda p: (found[p].base_amount or 0.0) * (1 if ascending else -1),
    )
    layout = ["从低到高：" if ascending else "从高到低：", *ordered]
    other = [p for p in places if p in found and p not in ordered]
    if other:
        layout += ["单位不同、未参与排序：", *other]
    return layout


def _passes(row: Target, threshold: tuple[float, str, str]) -> bool | None:
    amount, unit, direction = threshold
    if row.base_amount is None or (unit and row.base_unit != unit):
        return None
    value = row.base_amount
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
