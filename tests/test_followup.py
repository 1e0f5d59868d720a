"""Follow-ups resolved by slots, over made-up places and topics no corpus has."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from rag.answer.followup import corpus_places, parse_slots, rewrite_followup
from rag.records import Document


@dataclass(frozen=True)
class Past:
    question: str


def _doc(doc_id: str, region: str, level: str, year: int) -> Document:
    return Document(
        doc_id, f"{doc_id}.txt", "", f"{region}{year}年工作要点", doc_id, None, region, level, year
    )


# 青山市 has one plan (2023); 青川省 has two (2021, 2022); 白水市 has none
DOCS = {
    d.doc_id: d
    for d in (
        _doc("qs", "青山市", "市", 2023),
        _doc("qc1", "青川省", "省", 2021),
        _doc("qc2", "青川省", "省", 2022),
    )
}
DOCS_PLACES = corpus_places(DOCS)
ASKED = "青川省2021年星火指数目标是多少?"


def ask(follow_up: str, previous: str = ASKED) -> str:
    return rewrite_followup(follow_up, [Past(previous)], DOCS)


@pytest.mark.parametrize(
    ("follow_up", "previous", "expected"),
    [
        # place: a place with one plan brings its plan year
        ("那青山市呢?", ASKED, "青山市2023年星火指数目标是多少?"),
        # place: a place with several plans keeps the asked year
        ("那青川省呢?", "青山市2023年星火指数目标是多少?", "青川省2023年星火指数目标是多少?"),
        # place: one no plan and no gazetteer knows is still a place, not a topic
        ("那白水市呢?", ASKED, "白水市2021年星火指数目标是多少?"),
        # year, in each way it is written
        ("2022年呢?", ASKED, "青川省2022年星火指数目标是多少?"),
        ("那二〇二二年呢？", ASKED, "青川省2022年星火指数目标是多少?"),
        ("那2022年呢?", "青川省(2021)星火指数目标是多少?", "青川省(2022)星火指数目标是多少?"),
        # topic: place, year and asking form kept
        ("那青苗指数呢?", ASKED, "青川省2021年青苗指数目标是多少?"),
        ("那研發經費呢？", ASKED, "青川省2021年研发经费目标是多少?"),
        # place and topic at once
        ("那青山市的青苗指数呢?", ASKED, "青山市2023年青苗指数目标是多少?"),
        # half-year
        (
            "下半年呢?",
            "青山市2023年上半年星火指数完成了多少?",
            "青山市2023年下半年星火指数完成了多少?",
        ),
        # a half-year the previous question lacked goes after its year
        ("那上半年呢?", ASKED, "青川省2021年上半年星火指数目标是多少?"),
        # the follow-up's own asking form wins; the missing slots come from before
        ("那青苗指数是多少呢?", ASKED, "青川省2021年青苗指数是多少?"),
        (
            "比2021年增长了多少?",
            "青川省2022年星火指数目标是多少?",
            "青川省2022年星火指数比2021年增长了多少?",
        ),
        # the year compared against is not the question's year
        ("比2021年增长了多少?", ASKED, "青川省星火指数比2021年增长了多少?"),
        # the previous question as typed (a chat client sends it so) is read normalised
        ("2022年呢?", "青川省二〇二一年星火指數目標是多少？", "青川省2022年星火指数目标是多少?"),
        # the slots of a question whose asking words sit inside it
        (
            "那青苗工作站呢?",
            "青山市2023年新增多少家星火工作站?",
            "青山市2023年新增多少家青苗工作站?",
        ),
    ],
)
def test_follow_up_swaps_its_slots(follow_up: str, previous: str, expected: str) -> None:
    assert ask(follow_up, previous) == expected


@pytest.mark.parametrize(
    "question",
    [
        # its own place, topic and asking form
        "青山市有哪些重点任务?",
        "那青山市有哪些重点任务呢?",
        # its own topic, not written as a follow-up
        "星火指数的统计口径是什么?",
        # asks which place: the previous place must not be forced on it
        "哪个省份的星火指数最高?",
        # two places: a comparison of its own
        "那青山市和青川省呢?",
        # long questions carry their own context
        "那" + "星火指数" * 8 + "呢?",
    ],
)
def test_a_new_question_passes_through(question: str) -> None:
    assert ask(question) == question


def test_without_history_nothing_changes() -> None:
    assert rewrite_followup("那青山市呢?", [], DOCS) == "那青山市呢?"


def test_the_last_turn_is_the_one_followed() -> None:
    history = [Past("青山市2023年青苗指数目标是多少?"), Past(ASKED)]
    assert rewrite_followup("2022年呢?", history, DOCS) == "青川省2022年星火指数目标是多少?"


def test_slots_of_a_question() -> None:
    slots = parse_slots("青川省2022年上半年星火指数目标是多少?", DOCS_PLACES)
    assert slots.place is not None and slots.place.text == "青川省"
    assert slots.year_digits == "2022"
    assert slots.half is not None and slots.half.text == "上半年"
    assert slots.topic is not None and slots.topic.text == "星火指数"
    assert [a.text for a in slots.asking] == ["目标", "是多少"]
    assert not slots.marked


def test_a_baseline_year_is_part_of_the_asking_form() -> None:
    slots = parse_slots("青川省星火指数比2021年增长了多少?", DOCS_PLACES)
    assert slots.year is None
    assert [a.text for a in slots.asking] == ["比2021年增长了多少"]


def test_plan_words_inside_a_topic_stay_in_it() -> None:
    slots = parse_slots("青川省2022年科技计划项目有哪些?", DOCS_PLACES)
    assert slots.topic is not None and slots.topic.text == "科技计划项目"
