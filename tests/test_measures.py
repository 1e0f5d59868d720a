"""Measures: what a figure measures and what a question asks, on made-up wording."""

from __future__ import annotations

import pytest

from rag.lang.measures import (
    COUNT,
    GROWTH,
    LEVEL,
    MONEY,
    RANK,
    SHARE,
    asked_measure,
    compatible,
    figure_measure,
)


@pytest.mark.parametrize(
    ("before", "figure", "measure"),
    [
        ("星火指数较上年增长", "6%", GROWTH),
        ("光谷产值比上年提高", "0.4个百分点", GROWTH),
        ("光谷企业研发投入强度达到", "3.1%", SHARE),
        ("光谷产值占全市生产总值的比重达到", "12%", SHARE),
        ("星火指数提高到", "4%", SHARE),
        ("光谷产值达到", "800亿元", MONEY),
        ("新增光谷企业", "500家", COUNT),
        ("光谷产值居全省第", "3位", RANK),
        ("星火粮仓储量", "12万吨", LEVEL),
        # 不低于 bounds the figure; 低于 compares it with another
        ("新建星火中心绿电比例不低于", "80%", SHARE),
        ("光谷产值增速低于全省", "2个百分点", GROWTH),
    ],
)
def test_figure_measure(before: str, figure: str, measure: str) -> None:
    assert figure_measure(before, figure) == measure


@pytest.mark.parametrize(
    ("question", "measure"),
    [
        ("青山市2031年光谷产值增长多少?", GROWTH),
        ("青山市光谷产值增速目标是多少?", GROWTH),
        ("青山市光谷研发投入强度是多少?", SHARE),
        ("青山市2031年和2032年光谷空置率分别是多少?", SHARE),  # a rate asked of each year
        ("青山市光谷空置率要降到多少?", SHARE),  # what a rate goes to is its level
        ("青山市2031年光谷赤字率安排为多少?", SHARE),  # …or whatever verb sets it
        ("青山市光谷空置率控制在多少以内?", SHARE),
        ("青山市光谷产值增长率提高到多少?", None),  # …not a growth rate's
        ("青山市光谷产值占生产总值的比重是多少?", SHARE),
        ("青山市新增多少家光谷企业?", COUNT),
        ("青山市光谷产值目标是多少亿元?", MONEY),
        ("青山市光谷产值排名第几?", RANK),
        ("青山市光谷产值是多少?", LEVEL),
        ("青山市光谷有什么安排?", None),
    ],
)
def test_asked_measure(question: str, measure: str | None) -> None:
    assert asked_measure(question) == measure


def test_compatibility() -> None:
    assert compatible(None, GROWTH)
    assert compatible(SHARE, SHARE)
    assert not compatible(SHARE, GROWTH)
    assert not compatible(LEVEL, GROWTH)
    assert compatible(LEVEL, MONEY) and compatible(LEVEL, COUNT)
    assert not compatible(MONEY, COUNT)


def test_a_measure_word_after_the_figure_counts() -> None:
    assert figure_measure("星火指数每年保持", "20%左右", "增幅") == GROWTH
    assert figure_measure("星火指数每年保持", "20%左右", "，全市") == SHARE
