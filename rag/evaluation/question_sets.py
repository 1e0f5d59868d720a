"""Question sets: the JSONL format of the dev set, parsed with a reason for every bad line."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rag.errors import InputError

QUESTION_TYPES = ("numeric", "entity", "list", "paraphrase", "which_doc", "compare", "unanswerable")
_KNOWN = {"id", "question", "answerable", "answers", "doc", "evidence", "type", "items", "per_doc"}


@dataclass(frozen=True)
class Question:
    """One line of a question set; `extra` keeps the fields the format does not define."""

    id: str
    question: str
    answerable: bool
    answers: tuple[str, ...]
    docs: tuple[str, ...]
    evidence: tuple[str, ...]
    type: str
    items: tuple[str, ...] = ()
    per_doc: tuple[tuple[str, str], ...] = ()
    extra: dict[str, Any] = field(default_factory=dict)
    line: int = 0


def _strings(obj: Mapping[str, Any], key: str, default: Any = None) -> tuple[str, ...]:
    value = obj.get(key, default)
    if isinstance(value, str) and key == "doc":
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError(f"{key} must be a list of strings; got {value!r}")
    return tuple(value)


def parse_question(obj: object, line: int = 0) -> Question:
    """A Question from one decoded JSON line, or ValueError naming the rule it breaks."""
    if not isinstance(obj, dict):
        raise ValueError(f"a question must be a JSON object; got {type(obj).__name__}")
    for key in ("id", "question", "type"):
        if not isinstance(obj.get(key), str) or not obj[key].strip():
            raise ValueError(f"{key} must be a non-empty string; got {obj.get(key)!r}")
    if not isinstance(obj.get("answerable"), bool):
        raise ValueError(f"answerable must be true or false; got {obj.get('answerable')!r}")
    if obj["type"] not in QUESTION_TYPES:
        raise ValueError(f"type must be one of {', '.join(QUESTION_TYPES)}; got {obj['type']!r}")
    per_doc = obj.get("per_doc", {})
    if not isinstance(per_doc, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in per_doc.items()
    ):
        raise ValueError(f"per_doc must map file names to answers; got {per_doc!r}")
    question = Question(
        id=obj["id"],
        question=obj["question"],
        answerable=obj["answerable"],
        answers=_strings(obj, "answers"),
        docs=_strings(obj, "doc"),
        evidence=_strings(obj, "evidence"),
        type=obj["type"],
        items=_strings(obj, "items", []),
        per_doc=tuple(per_doc.items()),
        extra={k: v for k, v in obj.items() if k not in _KNOWN},
        line=line,
    )
    if question.answerable and not (question.answers or question.items or question.per_doc):
        raise ValueError("an answerable question needs answers, items or per_doc; got none")
    return question


def load_questions(path: Path) -> tuple[list[Question], list[tuple[int, str]]]:
    """The questions of a JSONL file and the malformed lines as (line number, reason)."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read question set {path}: {exc.strerror or exc}") from exc
    questions: list[Question] = []
    problems: list[tuple[int, str]] = []
    seen: set[str] = set()
    for number, line in enumerate(raw.splitlines(), 1):
        if not line.strip():
            continue
        try:
            question = parse_question(json.loads(line.decode("utf-8")), number)
        except UnicodeDecodeError as exc:
            problems.append((number, f"not UTF-8 ({exc.reason})"))
            continue
        except json.JSONDecodeError as exc:
            problems.append((number, f"not valid JSON ({exc.msg} at column {exc.colno})"))
            continue
        except ValueError as exc:
            problems.append((number, str(exc)))
            continue
        if question.id in seen:
            problems.append((number, f"id must be unique; {question.id!r} appears again"))
            continue
        seen.add(question.id)
        questions.append(question)
    return questions, problems
