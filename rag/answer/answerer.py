"""The Answerer interface: what turns a question's retrieved passages into a cited answer or a
refusal, and the factory that picks one by the `answerer` setting.

rag/answer/extractive.py's `answer_question` is the one implementation: every answer a span of
a document. Another (a generator over the same passages, say) is added by writing a function
of this signature and returning it from `make_answerer` for a new `answerer` value; the
service (rag/service.py) calls only what this interface declares, and still withholds any
answer whose numbers are not in its quotes.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Protocol

from rag.answer.assess import Evidence
from rag.answer.extractive import answer_question
from rag.config import Settings
from rag.records import Answer, Document, Hit
from rag.retrieval.retrieve import Scope

# the answerers `answerer` may name
ANSWERERS = ("extractive",)


class Answerer(Protocol):
    """Answer `question` from `hits` within `scope`, or refuse saying why.

    `documents` are the index's documents (quotes are cut from their text), `idf` the bigram
    weights of the index, `search_docs` a search restricted to some documents (a comparison
    searches each side), `related` passages to offer with a refusal, and `evidence` what the
    calibrated model needs to accept a sentence. The answer's citations quote the documents
    verbatim."""

    def __call__(
        self,
        question: str,
        hits: Sequence[Hit],
        scope: Scope,
        documents: Mapping[str, Document],
        idf: Mapping[str, float],
        settings: Settings,
        search_docs: Callable[[frozenset[str] | None], list[Hit]],
        related: Sequence[Hit] = (),
        evidence: Evidence | None = None,
    ) -> Answer: ...


def make_answerer(name: str) -> Answerer:
    """The answerer a setting names: "extractive"."""
    if name == "extractive":
        return answer_question
    raise ValueError(f"answerer must be one of {', '.join(ANSWERERS)}; got {name!r}")
