"""Chinese text analysis shared by the index, the retriever and the answerer.

Tokens are jieba's search-mode words (with a domain dictionary so that 科技特派员 or 揭榜挂帅 stay
whole) plus character bigrams of every Chinese run, so a phrase that is literally in a document
is found even where jieba segments the question and the document differently.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import threading
from functools import cache, lru_cache
from itertools import pairwise
from pathlib import Path

import jieba
import numpy as np

from rag.config import ROOT

logger = logging.getLogger(__name__)

USERDICT = ROOT / "config" / "userdict.txt"
SYNONYMS = ROOT / "config" / "synonyms.txt"

_CJK = re.compile(r"[\u4e00-\u9fff]+")
_WORD = re.compile(r"[\u4e00-\u9fff]|[A-Za-z&]+|\d+(?:\.\d+)?")
NUMBER = re.compile(r"\d+(?:\.\d+)?")

# Words that carry the question's form, not its subject: they must not drive retrieval or
# count as evidence.
# a question word of any kind; a query without one (a question mark aside) is typed as keywords
INTERROGATIVE = re.compile(r"吗|呢|多少|几|什么|哪|谁|怎|如何|是否|有没有|何")

STOPWORDS = frozenset(
    """的 了 是 在 和 与 及 或 对 为 把 被 将 要 有 等 个 这 那 其 之
    也 都 而 并 从 到 以 于
    多少 几 几个 几家 什么 哪些 哪个 哪 哪里 哪份 哪一个 谁 怎么 怎样 如何 是否 吗 呢 么 啥 请问 请
    分别 各自 相比 比较 对比 目标 计划 提出 提到 要求 安排 关于 方面 具体 主要 工作 要点 文件 文中
    其中
    年 年度 今年 全年 全省 全市 我省 我市 多大 多高 达到 达 有关 哪些方面 一下 说说 介绍
    希望 打算 准备 力争 争取 预计 想要 需要 明确 提出了 某市 该市 本市 这个 那个 当年 能够 可以
    至少 最少 最多 至多 一共 总共 大约 大概
    ? ? 。 , , 、 : : ; ; ! ! “ ” ( ) ( ) 《 》 「 」 the""".split()
)

_jieba_lock = threading.Lock()
_jieba_ready = False

# jieba's prefix dictionary with the domain terms and synonyms already added, built at set-up
# (`make model`, `python -m rag.lang.text`) or by the first process that needs it. Loading it takes
# ~0.2 s where jieba's own cache (a marshal of the same dict) takes ~0.6 s and adding the terms
# more: it is the largest single step of a server's start and of a cold `rag ask`.
CACHE_DIR = ROOT / "data" / "cache"
_CACHE_MAGIC = b"plan-rag jieba 1\n"


def jieba_cache_path() -> Path:
    """The cache file for this analyzer (module, dictionary, synonyms) and jieba version."""
    return CACHE_DIR / f"jieba-{jieba.__version__}-{analyzer_version()}.bin"


def _build_jieba() -> None:
    """jieba's own initialisation plus the domain dictionary (slow: ~1 s)."""
    jieba.dt.tmp_dir = str(CACHE_DIR) if CACHE_DIR.is_dir() else None
    jieba.initialize()
    # a domain term must stay whole: give it at least the frequency that keeps it one word,
    # and never less than jieba already has (a fixed low frequency split 上市 into 上/市)
    for term in domain_terms():
        freq = jieba.suggest_freq(term, tune=False)
        jieba.add_word(term, freq=max(freq, jieba.dt.FREQ.get(term, 0)))
    for phrases in synonyms().values():
        for phrase in phrases:
            if _CJK.fullmatch(phrase) and len(phrase) > 1:
                jieba.add_word(phrase, freq=max(50, jieba.dt.FREQ.get(phrase, 0)))


def _dump_jieba(path: Path) -> None:
    """Write jieba's current prefix dictionary: magic, total, count, int64 counts, words."""
    freq: dict[str, int] = jieba.dt.FREQ
    words_blob = "\n".join(freq).encode("utf-8")
    counts = np.fromiter(freq.values(), dtype=np.int64, count=len(freq))
    header = np.array([jieba.dt.total, len(freq)], dtype=np.int64)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".tmp{os.getpid()}")
    with tmp.open("wb") as f:
        f.write(_CACHE_MAGIC + header.tobytes() + counts.tobytes() + words_blob)
    os.replace(tmp, path)


def _load_jieba(path: Path) -> bool:
    """Install a cache written by _dump_jieba; False when it is missing or unreadable."""
    try:
        blob = path.read_bytes()
    except OSError:
        return False
    head = len(_CACHE_MAGIC)
    if blob[:head] != _CACHE_MAGIC or len(blob) < head + 16:
        return False
    total, count = (int(v) for v in np.frombuffer(blob, np.int64, 2, head))
    start = head + 16 + 8 * count
    if count < 1 or len(blob) < start:
        return False
    words_list = blob[start:].decode("utf-8", "replace").split("\n")
    if len(words_list) != count:
        return False
    counts = np.frombuffer(blob, np.int64, count, head + 16).tolist()
    jieba.dt.FREQ = dict(zip(words_list, counts, strict=True))
    jieba.dt.total = total
    jieba.dt.initialized = True
    return True


def _ensure_jieba() -> None:
    """Load the domain dictionary once; jieba's own initialisation is lazy and not thread-safe."""
    global _jieba_ready
    with _jieba_lock:
        if _jieba_ready:
            return
        jieba.setLogLevel(logging.WARNING)
        path = jieba_cache_path()
        if not _load_jieba(path):
            _build_jieba()
            try:
                _dump_jieba(path)
            except OSError as exc:  # a read-only checkout still answers, only slower to start
                logger.warning("could not write the jieba cache %s: %s", path, exc)
        _jieba_ready = True


def build_jieba_cache() -> Path:
    """Set-up step: make sure the cache for the current analyzer exists; returns its path."""
    _ensure_jieba()
    return jieba_cache_path()


@cache
def domain_terms(path: Path = USERDICT) -> tuple[str, ...]:
    """The words of config/userdict.txt (first field of each line; jieba's format)."""
    if not path.exists():
        return ()
    lines = path.read_text(encoding="utf-8").splitlines()
    return tuple(f[0] for f in (line.split("#", 1)[0].split() for line in lines) if f)


@cache
def analyzer_version() -> str:
    """Fingerprint of the tokenisation (this module, the dictionary, the synonyms): a saved
    keyword index made with another one no longer matches what queries are cut into."""
    digest = hashlib.sha256(Path(__file__).read_bytes())
    for path in (USERDICT, SYNONYMS):
        digest.update(path.read_bytes() if path.exists() else b"")
    return digest.hexdigest()[:12]


@cache
def synonyms(path: Path = SYNONYMS) -> dict[str, tuple[str, ...]]:
    """Each wording -> its interchangeable wordings, from the groups in config/synonyms.txt."""
    table: dict[str, tuple[str, ...]] = {}
    if not path.exists():
        return table
    for line in path.read_text(encoding="utf-8").splitlines():
        group = line.split("#", 1)[0].split()
        for word in group:
            others = tuple(w for w in group if w != word and word not in w)
            if others:
                table[word] = table.get(word, ()) + others
    return table


def expand(question: str) -> str:
    """The question followed by the plans' wording for any synonym it uses."""
    extra = [" ".join(words) for key, words in synonyms().items() if key in question]
    return question if not extra else question + " " + " ".join(extra)


def words(text: str) -> list[str]:
    """jieba search-mode words without stopwords, punctuation or white space."""
    _ensure_jieba()
    out: list[str] = []
    for word in jieba.cut_for_search(text):
        word = word.strip()
        if word and word not in STOPWORDS and _WORD.search(word):
            out.append(word)
    return out


def bigrams(text: str) -> list[str]:
    """Character bigrams of every Chinese run (a lone character counts as itself)."""
    grams: list[str] = []
    for run in _CJK.findall(text):
        if len(run) == 1:
            grams.append(run)
        grams.extend([a + b for a, b in pairwise(run)])  # 1.5x faster than slicing run[i:i+2]
    return grams


def tokens(text: str) -> list[str]:
    """Index tokens: words plus bigrams (bigrams marked so they never collide with words)."""
    return words(text) + ["#" + g for g in bigrams(text)]


@lru_cache(maxsize=4096)
def word_spans(text: str) -> tuple[tuple[int, int], ...]:
    """(start, end) of each word of jieba's dictionary segmentation, no guessing of new words
    (HMM off). Cached: a question's places and its abbreviations both read it."""
    _ensure_jieba()
    return tuple((start, end) for _word, start, end in jieba.tokenize(text, HMM=False))


def segment(text: str) -> list[str]:
    """jieba's precise-mode words (domain dictionary loaded), white space dropped."""
    _ensure_jieba()
    return [w for w in jieba.cut(text) if w.strip()]


def numbers(text: str) -> list[str]:
    """Every digit sequence (with its decimal part) in the text."""
    return NUMBER.findall(text)


if __name__ == "__main__":  # `make model`: build the cache at set-up, silently
    build_jieba_cache()
