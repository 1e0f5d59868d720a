"""Part-of-speech tags from jieba's dictionary, for the few places the answerer needs to know a
noun from a verb (what a question measures, whether a clause names its own subject).

Tags are ICTCLAS as jieba's dictionary writes them (n noun, j abbreviation, vn verbal noun, v
verb …); words of config/userdict.txt added without a tag come back as x and are names of things.
No HMM guessing: a word keeps the tag its dictionary line gives.
"""

from __future__ import annotations

from functools import lru_cache


@lru_cache(maxsize=4096)
def tagged(text: str) -> tuple[tuple[str, str], ...]:
    """(word, tag) of each dictionary word of the text."""
    import jieba.posseg as posseg

    return tuple((w.word, w.flag) for w in posseg.lcut(text, HMM=False))


def nominal(word: str, flag: str) -> bool:
    """Whether a tagged word names a thing: a noun, an abbreviation, a verbal noun, or a
    domain term of the user dictionary."""
    return flag[:1] in {"n", "j"} or flag == "vn" or (flag == "x" and len(word) > 1)


def names_a_thing(text: str) -> bool:
    """Whether the text holds a noun proper (n…, j, or a user-dictionary term): a verbal noun
    such as 突破 or 增长 is the predicate of a clause, not its subject."""
    return any(nominal(w, f) and f != "vn" for w, f in tagged(text))
