"""Metadata answers: a document's 文号, issuer or date, cited where its own text states it."""

from __future__ import annotations

import re
from collections.abc import Mapping

from rag.answer.spans import citation
from rag.records import Answer, Document
from rag.retrieval.retrieve import Scope

# 文号, issuer and date are metadata: answered from the document's own line, cited
_META_ASKS = (
    (re.compile(r"文号|发文字号|字号是"), "doc_number"),
    (
        re.compile(
            r"发文单位|发文机关|印发单位|哪个(?:部门|单位|机关)(?:印发|发布|制定)|谁(?:印发|发布)"
        ),
        "issuer",
    ),
    (
        re.compile(
            r"(?:发布|印发|作报告|报告)(?:的)?(?:日期|时间)|哪(?:一)?天(?:发布|印发)|什么时候(?:发布|印发)"
        ),
        "published",
    ),
)


def metadata_answer(
    question: str, scope: Scope, documents: Mapping[str, Document]
) -> Answer | None:
    """A 文号 / 发文单位 / 日期 question about one named document, answered from its metadata
    and cited where the document's text states it; None for any other question."""
    field_name = next((f for pattern, f in _META_ASKS if pattern.search(question)), None)
    if field_name is None or scope.doc_ids is None or len(scope.doc_ids) != 1:
        return None
    doc = documents[next(iter(scope.doc_ids))]
    value = getattr(doc, field_name)
    if not value:
        return None
    written = [str(value)]
    if field_name == "published":
        y, m, d = str(value).split("-")
        written = [f"{int(y)}年{int(m)}月{int(d)}日", str(value)]
    for form in written:
        at = doc.text.find(form)
        if at >= 0:
            line_start = doc.text.rfind("\n", 0, at) + 1
            line_end = doc.text.find("\n", at)
            line_end = len(doc.text) if line_end < 0 else line_end
            cite = citation(doc, None, line_start, line_end)
            return Answer(question, form, False, (cite,), (), "metadata")
    return None
