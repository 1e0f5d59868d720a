"""Answerer pieces: question types, figure extraction, the number promise."""

from __future__ import annotations

import pytest

from rag.answer import Sentence, Terms, classify, figures, number_violations, question_terms
from rag.types import Answer, Chunk, Citation, Hit


@pytest.mark.parametrize(
    ("question", "qtype"),
    [
        ("陕西省2022年技术合同成交额目标是多少?", "numeric"),
        ("安徽省新增几家省级科技特派员工作站?", "numeric"),
        ("安徽省2021年重大专项聚焦哪些重点领域?", "list"),
        ("安徽省要加快建设哪个区域科技创新中心?", "entity"),
        ("哪个省份提出建设秦创原创新驱动平台?", "which_doc"),
        ("安徽省和陕西省分别新增多少高新技术企业?", "compare"),
        ("关于科技特派员有什么安排", "open"),
    ],
)
def test_classify(question: str, qtype: str) -> None:
    assert classify(question) == qtype


def _sentence(text: str) -> Sentence:
    chunk = Chunk("d:0", "d", "d.txt", "s0", (), 100, 100 + len(text), text, text)
    return Sentence("d", 100, 100 + len(text), text, Hit(chunk, 1.0), 1.0)


def test_figure_next_to_the_asked_term_wins() -> None:
    sent = _sentence("新增高新技术企业1500家、瞪羚企业200家。")
    terms = question_terms("新增多少高新技术企业", [], {})
    figs = {f.text: f for f in figures(sent, terms)}
    assert set(figs) == {"1500家", "200家"}
    assert figs["1500家"].local > figs["200家"].local
    assert figs["1500家"].start == 108


def test_figures_keep_units_and_qualifiers_and_skip_years() -> None:
    sent = _sentence("2021年技术合同成交额达到2500亿元,增长8%左右,评价1.3万家。")
    texts = [f.text for f in figures(sent, Terms((frozenset({"合同"}),), {}))]
    assert texts == ["2500亿元", "8%左右", "1.3万家"]


def test_number_violations() -> None:
    cite = Citation("d", "d.txt", "t", (), 0, 10, "达到2500亿元")
    ok = Answer("q", "2500亿元", False, (cite,))
    bad = Answer("q", "2600亿元【1】", False, (cite,))
    assert number_violations(ok) == []
    assert number_violations(bad) == ["2600"]
    assert number_violations(Answer("q", "文档中没有2022年的计划", True)) == []
