"""Groups of provinces asked about (东北三省, 长三角各省市), on made-up reports in no corpus:
each province of the group gets its cited figure, or a line saying the documents do not give
one; no province of another group is answered, and none of the group is dropped."""

from __future__ import annotations

from pathlib import Path

import pytest

from rag.answer.extractive import number_violations
from rag.config import Settings
from rag.service import RagService
from tests.conftest import service_over


def _report(place: str, growth: str) -> str:
    return (
        f"2034年{place}政府工作报告\n一、2033年工作回顾\n星火产值增长4%。\n"
        f"二、2034年主要目标\n今年主要预期目标是：星火产值增长{growth}左右。\n"
    )


@pytest.fixture
def service(settings: Settings, tmp_path: Path) -> RagService:
    files = {
        "liaoning.txt": _report("辽宁省", "6%"),
        "jilin.txt": _report("吉林省", "5.5%"),
        "shanghai.txt": _report("上海市", "5%"),
    }
    return service_over(settings, tmp_path / "plans", files)


def test_each_province_of_a_group_is_answered_or_named(service: RagService) -> None:
    answer = service.ask("东北三省2034年星火产值增长目标分别是多少?")
    assert not answer.refused and number_violations(answer) == []
    lines = answer.answer.splitlines()
    assert any(line.startswith("辽宁省") and "6%左右" in line for line in lines), lines
    assert any(line.startswith("吉林省") and "5.5%左右" in line for line in lines), lines
    assert "黑龙江省:文档不涉及" in lines  # no document: named, not dropped
    assert "上海市" not in answer.answer  # not of the group


def test_a_group_across_the_table_lists_every_province(service: RagService) -> None:
    answer = service.ask("长三角各省市2034年星火产值增长目标是多少?")
    assert answer.qtype == "table" and not answer.refused, answer.answer
    lines = answer.answer.splitlines()
    assert any(line.startswith("上海市") and "5%左右" in line for line in lines), lines
    assert lines[-1] == "未提及：江苏省、浙江省、安徽省"
    assert "辽宁" not in answer.answer and "吉林" not in answer.answer
