"""Several measures asked at once (rag.answer.several), on a made-up plan that is in no corpus.

「A、B、C这三项目标分别是多少」 is three questions: each is answered on its own line with its own
citation, and one the plan does not state says so on its line. Places, years and halves joined
the same way are compared (compare.py), not split into measures.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from rag.answer.several import each_measure
from rag.config import Settings
from rag.service import RagService
from tests.conftest import service_over

REPORT = """2033年青山市政府工作报告
一、2032年工作回顾
全市松果产量达到120万吨，星火产值增长8%。
二、2033年主要预期目标
今年主要预期目标是：松果产量130万吨左右，星火产值增长7%左右，光谷新增企业200家以上。
全年农业、工业、商业领域投资分别达300亿元、200亿元、100亿元。
"""


@pytest.fixture
def service(settings: Settings, tmp_path: Path) -> RagService:
    return service_over(settings, tmp_path / "plans", {"qs.txt": REPORT})


@pytest.mark.parametrize(
    ("question", "questions"),
    [
        # a count of the items after the last one is dropped; a counted noun is each item's
        (
            "青山市2033年农业、工业、商业三个领域的投资目标分别是多少?",
            [
                "青山市2033年农业领域的投资目标是多少?",
                "青山市2033年工业领域的投资目标是多少?",
                "青山市2033年商业领域的投资目标是多少?",
            ],
        ),
        # a change and form word closing the last item are what the items share
        (
            "青山市2033年松果产量、星火产值增长目标各是多少?",
            ["青山市2033年松果产量增长目标是多少?", "青山市2033年星火产值增长目标是多少?"],
        ),
        # two items joined by 和, each a name of its own, the first running back to 的
        (
            "报告提出的松果产量和光谷新增企业目标分别是多少?",
            ["报告提出的松果产量目标是多少?", "报告提出的光谷新增企业目标是多少?"],
        ),
        # a year after the items is no count of them
        (
            "星火中小企业和光谷科技企业2032年分别新增多少家?",
            ["星火中小企业2032年新增多少家?", "光谷科技企业2032年新增多少家?"],
        ),
        # a change word every item ends with is each item's own
        (
            "星火预算收入增长和松果居民收入增长分别是多少?",
            ["星火预算收入增长是多少?", "松果居民收入增长是多少?"],
        ),
    ],
)
def test_the_measures_of_an_enumeration_are_asked_one_by_one(
    question: str, questions: list[str]
) -> None:
    assert [m.question for m in each_measure(question)] == questions


@pytest.mark.parametrize(
    "question",
    [
        # two short items joined by 和 are as often one thing's modifiers
        "安徽城镇和农村居民人均松果收入分别增长多少?",
        "安徽国家级和省级星火县分别争创多少家?",
        "安徽研究与试验发展经费投入强度分别是多少?",
        "安徽、江西2033年松果产量目标分别是多少?",  # places are compared
        "2032年和2033年松果产量分别是多少?",  # years are compared
        "青山市上半年和下半年松果产量分别是多少?",  # halves are compared
        "青山市松果产量和星火产值有哪些安排?",  # no figure asked of each
        "青山市松果产量、星火产值是多少?",  # nor for each of them
    ],
)
def test_places_years_and_halves_are_not_measures(question: str) -> None:
    assert each_measure(question) == []


def test_each_measure_is_answered_on_its_own_line(service: RagService) -> None:
    answer = service.ask(
        "青山市2033年松果产量、星火产值增长、光谷新增企业这三项预期目标分别是多少?"
    )
    assert not answer.refused, answer.answer
    lines = answer.answer.split("\n")
    assert [line.split(":")[0] for line in lines] == ["松果产量", "星火产值增长", "光谷新增企业"]
    for line, figure in zip(lines, ["130万吨左右", "7%左右", "200家以上"], strict=True):
        assert figure in line, answer.answer
    # the 2032 results are not the 2033 targets
    assert "120万吨" not in answer.answer and "8%" not in answer.answer
    # each line cites its own quote, which holds its figure
    assert len(answer.citations) == 3
    for n, (line, cite) in enumerate(zip(lines, answer.citations, strict=True), start=1):
        assert f"【{n}】" in line
        figure = line.split(":")[-1].split("【")[0]
        assert figure.split("(")[0][-6:] in cite.quote


def test_a_list_of_figures_is_read_item_by_item(service: RagService) -> None:
    answer = service.ask("青山市2033年农业、工业、商业三个领域的投资目标分别是多少?")
    lines = answer.answer.split("\n")
    assert len(lines) == 3, answer.answer
    # each line's phrase ends at its own figure of the 分别 list (its quote shows the list)
    for line, own in zip(lines, ["300亿元", "200亿元", "100亿元"], strict=True):
        assert line.split("【")[0].endswith(own), answer.answer


def test_a_measure_the_plan_does_not_state_says_so_on_its_line(service: RagService) -> None:
    answer = service.ask("青山市2033年松果产量、白云人才引进这两项目标分别是多少?")
    assert not answer.refused, answer.answer
    first, second = answer.answer.split("\n")
    assert "130万吨左右" in first
    assert second == "白云人才引进:文档中没有找到"
    assert len(answer.citations) == 1


def test_places_side_by_side_are_asked_one_by_one() -> None:
    """Places named together (a list, a pair, a group of provinces) are each asked the rest of
    the question; places apart, each with words of its own, or a question of which place, are
    not split."""
    from rag.answer.several import each_place

    def asked(question: str) -> list[tuple[str, str]]:
        return [(m.item, m.question) for m in each_place(question)]

    # each place as the question writes it, labelled by its name
    assert asked("辽宁、吉林2034年星火产值目标各是多少?") == [
        ("辽宁省", "辽宁2034年星火产值目标是多少?"),
        ("吉林省", "吉林2034年星火产值目标是多少?"),
    ]
    assert [item for item, _q in asked("东北三省2034年星火产值目标分别是多少?")] == [
        "辽宁省",
        "吉林省",
        "黑龙江省",
    ]
    assert asked("西藏和全国2034年星火就业目标分别是多少?")[1] == (
        "全国",
        "全国2034年星火就业目标是多少?",
    )
    assert asked("安徽2034年目标与芜湖2033年上半年星火产值分别是多少?") == []
    assert asked("辽宁和吉林哪个2034年星火产值目标更高?") == []
    assert asked("辽宁2034年星火产值目标是多少?") == []  # 辽|宁 are no two provinces here
    # a sum or a difference of the places is one figure
    assert asked("辽宁和吉林2034年共新增多少家星火企业?") == []
    assert asked("北京和上海相比星火投入强度差多少?") == []
    assert asked("京津冀2034年星火产值一共多少?") == []
    # a group's own words that ask each of its places are no words of one place's question
    assert asked("东北三省的省份2034年星火产值目标分别是多少?")[0] == (
        "辽宁省",
        "辽宁省2034年星火产值目标是多少?",
    )
    assert asked("江苏省南通市2034年星火产值目标是多少?") == []  # one place, inside another
