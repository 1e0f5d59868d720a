"""Part-of-speech tags from jieba's dictionary, for knowing a noun from a verb: what a question
measures, whether a clause names its own subject (rag.answer), what a figure counts
(rag.targets.phrase).

Tags are ICTCLAS as jieba's dictionary writes them (n noun, j abbreviation, vn verbal noun, v
verb …); words the project adds to the dictionary (config/userdict.txt, synonyms) without a tag
come back as x and are names of things. No HMM guessing: a word keeps its dictionary tag.
"""

from __future__ import annotations

import marshal
import os
import re
import threading
from functools import cache, lru_cache
from pathlib import Path

import jieba

from rag.lang.text import CACHE_DIR, segment

_TAGS_MAGIC = b"plan-rag jieba tags 1\n"
_LATIN = re.compile(r"[A-Za-z0-9+#&._]+")
_tags_lock = threading.Lock()


def _tags_path() -> Path:
    return CACHE_DIR / f"jieba-tags-{jieba.__version__}.bin"


@cache
def _tag_table() -> dict[str, str]:
    """jieba's dictionary tags, word -> tag. jieba.posseg reads them from its dictionary file on
    import (~0.35 s); a marshal of the same table, grouped by tag, loads in ~0.1 s and is kept in
    data/cache beside the jieba cache (written by the first process that needs it)."""
    path = _tags_path()
    with _tags_lock:
        try:
            blob = path.read_bytes()
            if blob.startswith(_TAGS_MAGIC):
                grouped = marshal.loads(blob[len(_TAGS_MAGIC) :])
                return {w: tag for tag, words in grouped.items() for w in words.split("\n")}
        except (OSError, ValueError, EOFError, TypeError):
            pass
        import jieba.posseg as posseg

        table = dict(posseg.dt.word_tag_tab)
        by_tag: dict[str, list[str]] = {}
        for word, tag in table.items():
            by_tag.setdefault(tag, []).append(word)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(f".tmp{os.getpid()}")
            payload = {tag: "\n".join(words) for tag, words in by_tag.items()}
            tmp.write_bytes(_TAGS_MAGIC + marshal.dumps(payload))
            os.replace(tmp, path)
        except OSError:
            pass  # a read-only checkout tags as well, only slower to start
        return table


def _tag(word: str, table: dict[str, str]) -> str:
    # as jieba.posseg without its HMM: the dictionary's tag, runs of Latin letters and digits
    # are eng, anything else unknown x
    return table.get(word) or ("eng" if _LATIN.fullmatch(word) else "x")


def word_tag(word: str) -> str:
    """The dictionary's tag of one word (x when it has none)."""
    return _tag(word, _tag_table())


@lru_cache(maxsize=16384)
def tagged(text: str) -> tuple[tuple[str, str], ...]:
    """(word, tag) of each word of the text as the shared dictionary cuts it."""
    segment("")  # the shared dictionary (domain terms included), loaded under its lock
    table = _tag_table()
    return tuple((w, _tag(w, table)) for w in jieba.cut(text, HMM=False))


@lru_cache(maxsize=4096)
def tagged_spans(text: str) -> tuple[tuple[str, str, int, int], ...]:
    """(word, tag, start, end) of each word of the text as `tagged` cuts it."""
    out = []
    at = 0
    for word, flag in tagged(text):
        out.append((word, flag, at, at + len(word)))
        at += len(word)
    return tuple(out)


def nominal(word: str, flag: str) -> bool:
    """Whether a tagged word names a thing: a noun, an abbreviation, a verbal noun, or a
    domain term of the user dictionary."""
    return flag[:1] in {"n", "j"} or flag == "vn" or (flag == "x" and len(word) > 1)


def names_a_thing(text: str) -> bool:
    """Whether the text holds a noun proper (n…, j, or a user-dictionary term): a verbal noun
    such as 突破 or 增长 is the predicate of a clause, not its subject."""
    return any(nominal(w, f) and f != "vn" for w, f in tagged(text))
