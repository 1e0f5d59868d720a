"""Abbreviations the documents never write (rag.lang.abbreviations), on made-up text."""

from __future__ import annotations

from pathlib import Path

from rag.config import Settings
from rag.lang.abbreviations import expand, phrase_of
from tests.conftest import service_over

TEXTS = (
    "青山市星火资产投资增长8%，松果零售总额增长6%。",
    "白云市星火资产投资增长5%，星光科技小院新建3个。",
    "全省星火资产投资保持平稳，松果零售总额再创新高。",
)


def test_an_abbreviation_is_the_phrase_most_sightings_agree_on() -> None:
    # each character begins a word of the phrase, in order: 星火|资产|投资
    assert phrase_of("星投", TEXTS) == "星火资产投资"
    assert phrase_of("松零", TEXTS) == "松果零售总额"


def test_no_phrase_on_one_sighting_or_where_the_documents_write_it() -> None:
    assert phrase_of("星小", TEXTS) is None  # 星光科技小院 is seen once
    assert phrase_of("星火", TEXTS) is None  # a word the documents write
    assert phrase_of("白投", TEXTS) is None  # 白 and 投 stand too far apart to be one phrase


def test_a_question_reads_the_phrase() -> None:
    assert expand("青山市去年星投增长多少?", TEXTS) == "青山市去年星火资产投资增长多少?"
    # words jieba knows are left alone
    assert expand("青山市去年投资增长多少?", TEXTS) == "青山市去年投资增长多少?"


def test_an_abbreviated_question_is_answered(settings: Settings, tmp_path: Path) -> None:
    plans = {
        f"p{i}.txt": f"2031年{city}政府工作报告\n一、2030年工作回顾\n{text}\n"
        for i, (city, text) in enumerate(zip(("青山市", "白云市", "绿水市"), TEXTS, strict=True))
    }
    svc = service_over(settings, tmp_path / "plans", plans)
    answer = svc.ask("青山市去年星投增长多少?")
    assert not answer.refused and answer.answer.endswith("8%"), answer.answer
