"""List answers from the outline: the items of the section a question names, each cited, or the
section's own first sentences when it has no items."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from rag.answer.assess import Scored
from rag.answer.question import Terms
from rag.answer.spans import citation, is_heading
from rag.index.chunking import sentence_spans
from rag.records import Answer, Document, Hit, Section


def section_list(
    question: str,
    scored: Sequence[Scored],
    terms: Terms,
    documents: Mapping[str, Document],
    threshold: float,
    hits: Sequence[Hit],
) -> Answer | None:
    """「有哪些重点任务?」 answered by the items of the section it names: each child heading,
    cited. A section above a retrieved passage qualifies when it has at least two items and its
    heading holds all of the question's content, or at least as much as the best usable
    sentence does."""
    usable = [sc for sc in scored if sc.probability >= threshold and sc.conflict is None]
    best_sentence = max((sc.candidate.own_coverage for sc in usable), default=1.0)
    best: tuple[float, Document, Section] | None = None
    for hit in hits:
        doc = documents[hit.chunk.doc_id]
        for section in doc.sections:
            if not section.start <= hit.chunk.start < section.end:
                continue
            children = [c for c in doc.sections if c.parent == section.id]
            cover = terms.coverage(section.title)
            if cover < min(best_sentence, 0.999) or (len(children) < 2 and cover < 0.999):
                continue
            if best is None or cover > best[0]:
                best = (cover, doc, section)
    if best is None:
        return None
    _, doc, section = best
    children = [c for c in doc.sections if c.parent == section.id]
    if len(children) < 2:
        # 「主要目标有哪些?」 names a section without items: its own text is the answer
        body = [
            (a, b)
            for a, b in sentence_spans(doc.text, section.start, section.end)
            if not is_heading(doc.text[a:b], section.label)
        ][:2]
        if not body:
            return None
        cites = [citation(doc, None, a, b) for a, b in body]
        text = "\n".join(c.quote for c in cites)
        return Answer(question, text, False, tuple(cites), tuple(hits), "list")
    cites = []
    for child in children:
        line_end = doc.text.find("\n", child.start)
        end = min(line_end if line_end >= 0 else child.end, child.end)
        cites.append(citation(doc, None, child.start, end))
    # each item's own heading, number and all: no digit is added that the quote does not have
    text = "\n".join(c.quote.strip() for c in cites)
    return Answer(question, text, False, tuple(cites), tuple(hits), "list")
