"""Hybrid retrieval: BM25 and dense scores, fusion, and filters steered by the question's scope."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from rag.config import Settings
from rag.errors import InputError
from rag.index import Index, Vectors
from rag.text import expand
from rag.types import Document, Hit

PROVINCES = (
    "北京 天津 河北 山西 内蒙古 辽宁 吉林 黑龙江 上海 江苏 浙江 安徽 福建 江西 山东 河南 湖北 湖南 "
    "广东 广西 海南 重庆 四川 贵州 云南 西藏 陕西 甘肃 青海 宁夏 新疆 台湾 香港 澳门"
).split()
# Cities an analyst is likely to ask about; a name here that no document covers is out of scope.
CITIES = (
    "深圳 广州 杭州 南京 苏州 武汉 成都 西安 合肥 芜湖 蚌埠 南昌 赣州 "
    "长沙 郑州 济南 青岛 厦门 福州 三明 宁波 无锡 大连 沈阳 哈尔滨 长春 "
    "石家庄 太原 兰州 西宁 银川 乌鲁木齐 昆明 贵阳 南宁 海口 拉萨 东莞 "
    "佛山 珠海 温州 绍兴 嘉兴 徐州 常州 南通 扬州 烟台 潍坊 洛阳 宜昌 "
    "襄阳 株洲 九江 上饶 鹰潭 宜春 景德镇 萍乡 吉安 抚州 新余 宝鸡 咸阳 "
    "榆林 延安 汉中 安康 商洛 铜川 渭南 安庆 滁州 阜阳 宿州 六安 亳州 "
    "池州 宣城 黄山 马鞍山 铜陵 淮南 淮北 泉州 漳州 莆田 龙岩 南平 宁德"
).split()
_PLACE_SUFFIX = re.compile(r"(省|市|自治区|特别行政区|\s*20\d\d|的(科技|工作|规划|计划))")
_COMPARE = re.compile(r"分别|相比|对比|比较|各自|和|与|及")
_YEAR = re.compile(r"(20\d\d)\s*年|[(（](20\d\d)[)）]")


@dataclass(frozen=True)
class Filters:
    """Restrict retrieval to documents of a region, a plan year or one document."""

    region: str | None = None
    year: int | None = None
    doc_id: str | None = None


@dataclass(frozen=True)
class Scope:
    """What the question says about where and when, resolved against the corpus."""

    doc_ids: frozenset[str] | None
    regions: tuple[str, ...] = ()
    foreign_regions: tuple[str, ...] = ()
    years: tuple[int, ...] = ()
    reason: str = ""
    per_region: Mapping[str, frozenset[str]] = field(default_factory=dict)

    @property
    def empty(self) -> bool:
        """True when the question names a place or year the corpus has no plan for."""
        return self.doc_ids is not None and not self.doc_ids


def region_aliases(region: str) -> tuple[str, ...]:
    """「安徽省」 -> (安徽省, 安徽); 「芜湖市」 -> (芜湖市, 芜湖)."""
    short = re.sub(r"(省|市|自治区|特别行政区)$", "", region)
    return (region, short) if short and short != region else (region,)


def _mentions(question: str, names: Iterable[str]) -> list[str]:
    return [n for n in names if n and n in question]


def _as_place(question: str, name: str, in_corpus: bool) -> bool:
    """True when the name is the place a plan is about, not content.

    「广东省」, 「北京2021年」 and 「深圳的规划」 are places; 「来自台湾的科技特派员」 is content.
    A bare name opening the question is a place unless the plans mention it (「合肥、上海张江…」
    searched as a phrase).
    """
    for m in re.finditer(re.escape(name), question):
        after = question[m.end() : m.end() + 6]
        if (m.start() == 0 and not in_corpus) or _PLACE_SUFFIX.match(after):
            return True
    return False


def title_matches(question: str, doc: Document, others: Iterable[str], width: int = 6) -> bool:
    """True when the question quotes a stretch of the document's title no other title has."""
    other_titles = list(others)
    for piece in re.split(r"[\d\s]+年?", doc.title):
        for i in range(len(piece) - width + 1):
            window = piece[i : i + width]
            if window in question and not any(window in t for t in other_titles):
                return True
    return False


# a place named only by its level: 「某市」, 「该省」
_GENERIC_PLACE = re.compile(r"(?:某|该|本)(省|市|县)")


def resolve_scope(question: str, documents: Mapping[str, Document], filters: Filters) -> Scope:
    """Documents the question may be answered from, given its named regions and years and filters.

    A region the question names that no document covers makes the scope empty (the answer is a
    refusal), unless the question also names a covered region (then the other name is content).
    """
    docs = dict(documents)
    if filters.doc_id is not None:
        if filters.doc_id not in docs:
            raise InputError(
                f"filters.doc_id must be one of {sorted(docs)}; got {filters.doc_id!r}"
            )
        docs = {filters.doc_id: docs[filters.doc_id]}
    if filters.region is not None:
        docs = {
            k: d for k, d in docs.items() if d.region and filters.region in region_aliases(d.region)
        }
    if filters.year is not None:
        docs = {k: d for k, d in docs.items() if d.year == filters.year}
    restricted = filters != Filters()

    per_region: dict[str, frozenset[str]] = {}
    for doc in docs.values():
        if not doc.region:
            continue
        aliases = region_aliases(doc.region)
        if _mentions(question, aliases):
            per_region[doc.region] = per_region.get(doc.region, frozenset()) | {doc.doc_id}
    covered = {a for d in documents.values() if d.region for a in region_aliases(d.region)}
    foreign = tuple(
        n
        for n in _mentions(question, PROVINCES + CITIES)
        if not any(n in c for c in covered)
        and _as_place(question, n, any(n in d.text for d in documents.values()))
    )
    named = set().union(*per_region.values()) if per_region else set()
    for doc in docs.values():
        others = (d.title for d in documents.values() if d.doc_id != doc.doc_id)
        if doc.doc_id not in named and title_matches(question, doc, others):
            per_region[doc.region or doc.title] = frozenset({doc.doc_id})
    years = tuple(sorted({int(a or b) for a, b in _YEAR.findall(question)}))

    level = _GENERIC_PLACE.search(question)
    of_level = {k for k, d in docs.items() if level and d.region_level == level.group(1)}
    if per_region:
        allowed: set[str] = set().union(*per_region.values())
    elif foreign:
        return Scope(frozenset(), (), foreign, years, f"文档不涉及{'、'.join(foreign)}")
    elif of_level:
        # 「某市2021年…」 names no place but its level: the city plans, not the provinces'
        allowed = of_level
    else:
        allowed = set(docs)
    if years:
        with_year = {k for k in allowed if docs[k].year in years}
        if not with_year:
            have = "、".join(
                sorted({f"{docs[k].region or docs[k].title}{docs[k].year}年" for k in allowed})
            )
            return Scope(
                frozenset(),
                tuple(per_region),
                foreign,
                years,
                f"文档中没有{'、'.join(map(str, years))}年的相应计划(已有:{have})",
            )
        if len(per_region) > 1 and _COMPARE.search(question):
            # 「全市科技工作要点(2021)和陕西省2022年…」: each year belongs to its own place, so a
            # group keeps its documents when the years named fit none of them
            per_region = {r: (ids & with_year) or ids for r, ids in per_region.items()}
            allowed = set().union(*per_region.values())
        else:
            allowed = with_year
            per_region = {r: ids & with_year for r, ids in per_region.items() if ids & with_year}
    narrowed = bool(per_region) or bool(years) or restricted or bool(of_level)
    return Scope(
        frozenset(allowed) if narrowed else None,
        tuple(per_region),
        foreign,
        years,
        "",
        per_region,
    )


def _normalise(values: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
    """Min-max to [0, 1]; a constant vector maps to zeros (it says nothing about order)."""
    if values.size == 0:
        return values
    low, high = float(values.min()), float(values.max())
    if high - low < 1e-9:
        return np.zeros_like(values)
    return ((values - low) / (high - low)).astype(np.float32)


def weighted_fusion(
    bm25: npt.NDArray[np.float32],
    dense: npt.NDArray[np.float32],
    bm25_weight: float,
    dense_weight: float,
) -> npt.NDArray[np.float32]:
    """Weighted sum of min-max-normalised scores over the same candidate rows."""
    return (bm25_weight * _normalise(bm25) + dense_weight * _normalise(dense)).astype(np.float32)


def rrf_fusion(ranks: list[npt.NDArray[np.int64]], k: int) -> npt.NDArray[np.float32]:
    """Reciprocal-rank fusion: sum of 1 / (k + rank) with ranks starting at 1."""
    if k < 1:
        raise ValueError(f"rrf k must be at least 1; got {k}")
    total = np.zeros(ranks[0].shape, dtype=np.float64)
    for r in ranks:
        total += 1.0 / (k + r)
    return total.astype(np.float32)


def _ranks(scores: npt.NDArray[np.float32]) -> npt.NDArray[np.int64]:
    order = np.argsort(-scores, kind="stable")
    ranks = np.empty_like(order)
    ranks[order] = np.arange(1, len(scores) + 1)
    return ranks.astype(np.int64)


def retrieve(
    question: str,
    index: Index,
    embed_query: Callable[[str], Vectors] | None,
    settings: Settings,
    doc_ids: frozenset[str] | None = None,
    top_k: int | None = None,
    fusion: str | None = None,
) -> list[Hit]:
    """Ranked hits for the question within the allowed documents, with a score breakdown."""
    top_k = settings.top_k if top_k is None else top_k
    if top_k < 1:
        raise InputError(f"top_k must be at least 1; got {top_k}")
    fusion = fusion or settings.fusion
    mask = index.chunk_rows(set(doc_ids) if doc_ids is not None else None)
    rows = np.flatnonzero(mask)
    if rows.size == 0:
        return []
    expanded = expand(question)
    bm25_all = index.keyword.scores(expanded)
    bm25 = bm25_all[rows]
    dense = np.zeros(rows.size, dtype=np.float32)
    if fusion != "bm25" and embed_query is not None:
        qvec = embed_query(question)
        k = len(index.dense) if len(index.dense) <= 20000 else settings.candidates * 8
        scores, ids = index.dense.search(qvec, k)
        # scatter into a full-length array: a per-row dict lookup cost 18 ms at 100k chunks
        full = np.zeros(len(index.chunks), dtype=np.float32)
        found = ids[0] >= 0
        full[ids[0][found]] = scores[0][found]
        dense = full[rows]
    # candidates: the best of each retriever, so fusion normalises over comparable rows
    n = min(settings.candidates, rows.size)
    pool = np.union1d(np.argsort(-bm25)[:n], np.argsort(-dense)[:n])
    b, d = bm25[pool], dense[pool]
    if fusion == "bm25":
        fused = b
    elif fusion == "dense":
        fused = d
    elif fusion == "rrf":
        fused = rrf_fusion([_ranks(b), _ranks(d)], settings.rrf_k)
    else:
        fused = weighted_fusion(b, d, settings.bm25_weight, settings.dense_weight)
    b_rank, d_rank = _ranks(b), _ranks(d)
    order = np.argsort(-fused, kind="stable")[:top_k]
    return [
        Hit(
            chunk=index.chunks[int(rows[pool[i]])],
            score=round(float(fused[i]), 6),
            bm25=round(float(b[i]), 6),
            dense=round(float(d[i]), 6),
            bm25_rank=int(b_rank[i]),
            dense_rank=int(d_rank[i]),
        )
        for i in order
    ]
