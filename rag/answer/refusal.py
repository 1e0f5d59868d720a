"""Refusals: the one-sentence message, related reading inside the request's filters, and what the
text gives instead of what was asked (another place, period or measure), each with its quote."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence

from rag.answer.assess import Scored
from rag.answer.pick import Misses
from rag.answer.spans import quote_of, safe_label
from rag.lang.measures import NAMES, asked_measure
from rag.lang.periods import question_period
from rag.records import Answer, Citation, Document, Hit
from rag.retrieval.retrieve import Scope


def refusal(
    question: str,
    qtype: str,
    reason: str,
    related: Sequence[Hit],
    citations: Sequence[Citation] = (),
) -> Answer:
    """「文档中没有找到该问题的答案」 and the reason, with the related passages as reading."""
    # one short sentence: a client shows the related passages under its own heading
    message = "文档中没有找到该问题的答案"
    if reason:
        message += f"：{reason}"
    return Answer(question, message + "。", True, tuple(citations), tuple(related), qtype)


def related_within(
    related: Sequence[Hit],
    scope: Scope,
    search_docs: Callable[[frozenset[str] | None], list[Hit]],
) -> Sequence[Hit]:
    """A refusal's related reading inside the documents the request's filters allow: a
    question asked under 「陕西省」 is not pointed at another province's plan."""
    if scope.within is None or all(h.chunk.doc_id in scope.within for h in related):
        return related
    return search_docs(scope.within) if scope.within else []


def _asked_label(question: str) -> str:
    years, half, stance = question_period(question)
    when = "、".join(f"{y}年" for y in years) + (half or "")
    what = {"result": "完成情况", "plan": "目标或安排"}.get(stance or "", "相应内容")
    return when + what


def explain_misses(
    question: str, misses: Misses, documents: Mapping[str, Document], limit: int
) -> tuple[str, list[Citation]]:
    """A refusal's reasons when good evidence was of another place, period or measure, each
    with its quote: what the text gives instead of what was asked."""
    reasons: list[str] = []
    cites: list[Citation] = []
    if misses.period is not None:
        sc = misses.period
        doc = documents[sc.sentence.doc_id]
        cites.append(quote_of(doc, sc.sentence, (sc.sentence.start, sc.sentence.end), limit))
        if sc.conflict == "place":
            reasons.append(f"文档只给出{safe_label(doc)}的情况，没有单独给出所问地方的数字")
        else:
            given = sc.period.label() or "其他时期"
            reasons.append(f"文档给出的是{given}，没有{_asked_label(question)}")
    if misses.measure is not None:
        sc, fig, measure = misses.measure
        doc = documents[sc.sentence.doc_id]
        wanted = NAMES.get(asked_measure(question) or "", "所问的量")
        when = sc.period.label()
        reasons.append(
            f"{when + '给出的是' if when else '文档给出的是'}{NAMES[measure]}，不是{wanted}"
        )
        cites.append(
            dataclasses.replace(
                quote_of(doc, sc.sentence, (fig.start, fig.end), limit), period=when
            )
        )
    return "；".join(reasons), cites


def misses_of(scored: Sequence[Scored], threshold: float) -> Misses:
    misses = Misses()
    misses.period = next(
        (sc for sc in scored if sc.probability >= threshold and sc.conflict is not None), None
    )
    return misses
