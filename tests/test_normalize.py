"""Question normalisation: half-width, simplified, figures in digits, set phrases kept."""

from __future__ import annotations

import pytest

from rag.lang.normalize import normalise_question
from rag.service import RagService

CONVERTED = [
    # full-width letters, digits, punctuation and space
    ("青山市２０２３年ＡＩ星火指数？", "青山市2023年AI星火指数?"),
    ("青川省\u3000星火指数（试行）", "青川省 星火指数(试行)"),
    # traditional characters
    ("青川省研發經費目標是多少", "青川省研发经费目标是多少"),
    ("那麼青山市呢", "那么青山市呢"),
    # years written digit by digit
    ("二〇二五年星火指数", "2025年星火指数"),
    ("二零二一年", "2021年"),
    ("一九九八年", "1998年"),
    ("二〇二一至二〇二五年", "2021至2025年"),
    # percentages
    ("增长百分之五", "增长5%"),
    ("百分之十五点五以上", "15.5%以上"),
    # numerals before a unit; 万 and 亿 stay as the plans write them
    ("新增三百五十家", "新增350家"),
    ("两千亿元", "2000亿元"),
    ("一百项", "100项"),
    ("十万人", "10万人"),
    ("一点五万家", "1.5万家"),
    ("一万亿元", "1万亿元"),
    ("三百多家", "300多家"),
    ("培训五千人次", "培训5000人次"),
    ("粮食产量一万三千亿斤", "粮食产量13000亿斤"),
    # a unit that opens with a numeral character: 三十千瓦 is 30 kW, not 30000 瓦
    ("装机三十千瓦", "装机30千瓦"),
    # a year typed as a keyword, alone between spaces, is a year; an amount before its unit is not
    ("2034 政府工作报告 星火赤字 规模", "2034年 政府工作报告 星火赤字 规模"),
    ("青川 2034", "青川 2034年"),
    ("星火产值 2000 亿元", "星火产值 2000 亿元"),
    # so is one typed between words without 年; an amount, a length or a count is not
    ("青川2034星火要点", "青川2034年星火要点"),
    ("星火投资2000亿元", "星火投资2000亿元"),
    ("星火路2000公里", "星火路2000公里"),
    ("新增星火2000多家", "新增星火2000多家"),
    # a year written with its last two digits; a span or a count of years is not
    ("青川21年星火要点", "青川2021年星火要点"),
    ("星火34年报告赤字率", "星火2034年报告赤字率"),
    ("到35年星火产值", "到2035年星火产值"),
    ("星火产值连续21年增长", "星火产值连续21年增长"),
    ("近10年星火产值", "近10年星火产值"),
    ("星火工程10年来", "星火工程10年来"),
    ("用15年时间建成星火", "用15年时间建成星火"),
    ("星火标准已经连着涨了18年", "星火标准已经连着涨了18年"),
    # …but a verb's 了 alone is followed by a year as often (到了25年, 除了23年)
    ("到了34年,青川星火要达到多少", "到了2034年,青川星火要达到多少"),
    # a clause after the first that rules a reading out is not asked
    (
        "青川今年星火目标多少?说的是2034年目标,不是去年干了多少",
        "青川今年星火目标多少?说的是2034年目标",
    ),
    ("青川2033年星火实际有多少?要实际数,别给今年目标", "青川2033年星火实际有多少?要实际数"),
    ("青川星火产值增速,而非总量", "青川星火产值增速"),
    # …but not a first clause, a question asked with 吗, or 别 inside a word (别的)
    ("不是说星火要翻番吗,实际多少?", "不是说星火要翻番吗,实际多少?"),
    ("青川星火产值,别的省呢?", "青川星火产值,别的省呢?"),
    # …nor a claim recalled (不是说…), nor 不是X而是Y, which says what is asked
    ("青川2034年,不是说要新增1万家星火,实际多少", "青川2034年,不是说要新增1万家星火,实际多少"),
    ("青川的重点,不是星火增速,而是星火总量,是多少", "青川的重点,不是星火增速,而是星火总量,是多少"),
    # all together
    (
        "青川省二〇二二年技術合同成交額目標是兩千億元嗎？",
        "青川省2022年技术合同成交额目标是2000亿元吗?",
    ),
]

KEPT = [
    "一带一路",
    "十四五规划",
    "十四五期间",
    "第一产业",
    "第二批次",
    "一季度",
    "二十大",
    "十九届五中全会",
    "两个中心",
    "三项改革",
    "十项重点任务",
    "千家万户",
    "三千瓦",
    "六大科创城",
    "几十万人",
    "数百家",
    "百分之几",
    "五分之一",
    "九五家",
]


@pytest.mark.parametrize(("text", "expected"), CONVERTED)
def test_questions_are_normalised(text: str, expected: str) -> None:
    assert normalise_question(text) == expected


@pytest.mark.parametrize("text", KEPT)
def test_set_phrases_and_small_counts_are_kept(text: str) -> None:
    assert normalise_question(text) == text


def test_set_phrase_beside_a_figure() -> None:
    assert normalise_question("十四五期间新增三百家") == "十四五期间新增300家"


@pytest.mark.parametrize("text", [t for t, _ in CONVERTED])
def test_normalising_twice_changes_nothing(text: str) -> None:
    once = normalise_question(text)
    assert normalise_question(once) == once


def test_ask_reads_a_traditional_full_width_question(fake_service: RagService) -> None:
    answer = fake_service.ask("陝西省二〇二二年技術合同成交額目標是多少？")
    assert answer.question == "陕西省2022年技术合同成交额目标是多少?"
    assert not answer.refused and "2500亿元" in answer.answer


def test_search_reads_a_traditional_question(fake_service: RagService) -> None:
    hits = fake_service.search("陝西省二〇二二年技術合同成交額目標是多少？")
    assert hits and all(h.chunk.doc_id.startswith("002") for h in hits)


def test_length_cap_applies_to_what_was_typed(fake_service: RagService) -> None:
    # ㍿ is one character typed and four after NFKC (株式会社): the cap counts the one
    typed = "陕西省" + "㍿" * 497
    assert len(typed) == fake_service.settings.max_question_chars
    assert len(normalise_question(typed)) > fake_service.settings.max_question_chars
    fake_service.search(typed)
