"""Which document (or which place) says it: the documents whose best sentence is evidence, each
cited; the places a province's evidence names when a city or county is asked."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from rag.answer.assess import Scored
from rag.answer.refusal import refusal
from rag.answer.spans import display_title, quote_of, safe_label
from rag.lang.figures import holds_figures, literal_figures
from rag.lang.places import named_in
from rag.lang.text import numbers
from rag.records import Answer, Document, Hit


def which_doc_answer(
    question: str,
    scored: Sequence[Scored],
    documents: Mapping[str, Document],
    threshold: float,
    limit: int,
    hits: Sequence[Hit],
) -> Answer:
    """Name the document(s) (or their places, when a place is asked) whose best sentence is
    evidence, each cited: the best one, and any other as probable as it."""
    best_per_doc: dict[str, Scored] = {}
    quoted = set(literal_figures(question))
    for sc in scored:
        # 「…达到95.3万辆的是哪个地方」: the document must state that figure; several figures
        # quoted are stated in its passage, each sentence holding some (「…新增就业1269万人、
        # 居民消费价格上涨0.9%」 are two sentences of one paragraph)
        if quoted and not (
            quoted & set(numbers(sc.sentence.text))
            and holds_figures(sc.sentence.hit.chunk.text, quoted)
        ):
            continue
        if sc.probability >= threshold and sc.sentence.doc_id not in best_per_doc:
            best_per_doc[sc.sentence.doc_id] = sc
    if not best_per_doc:
        return refusal(question, "which_doc", "", hits)
    top = max(sc.probability for sc in best_per_doc.values())
    chosen = [sc for sc in best_per_doc.values() if sc.probability >= top - _SAME_EVIDENCE]
    asked_level = _ASKED_LEVEL.search(question)
    if asked_level is not None:
        level = _LEVEL_OF[asked_level.group(1)]
        best = max(chosen, key=lambda x: x.probability)
        doc = documents[best.sentence.doc_id]
        if doc.region_level != level:
            # 「哪个市…」 over a province's plan: the cities its evidence names, not the province
            # as the quote writes them (孟连县), not by their full gazetteer names
            named = list(named_in(best.sentence.text, level).values())
            if not named:
                return refusal(question, "which_doc", f"证据中没有点名的{level}", hits)
            cite = quote_of(doc, best.sentence, (best.sentence.start, best.sentence.end), limit)
            return Answer(question, "、".join(named), False, (cite,), tuple(hits), "which_doc")
    asks_place = bool(re.search(r"哪(?:个|些)?(?:省|市|地区|地方|城市|县|区)", question))
    lines, cites = [], []
    for sc in sorted(chosen, key=lambda x: -x.probability):
        doc = documents[sc.sentence.doc_id]
        cites.append(quote_of(doc, sc.sentence, (sc.sentence.start, sc.sentence.end), limit))
        name = safe_label(doc) if asks_place else display_title(doc)
        lines.append(f"{name}【{len(cites)}】")
    return Answer(question, "、".join(lines), False, tuple(cites), tuple(hits), "which_doc")


_ASKED_LEVEL = re.compile(r"哪(?:个|些|一个)(省份|省|城市|市|县|区)(?!域)")


_LEVEL_OF = {"省份": "省", "省": "省", "城市": "市", "市": "市", "县": "县", "区": "区"}


# documents whose best evidence is this close to the best one's are named with it
_SAME_EVIDENCE = 0.05
