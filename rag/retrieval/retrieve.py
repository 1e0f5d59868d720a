"""Hybrid retrieval: BM25 and dense scores, fusion, and filters steered by the question's scope."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from rag.config import Settings
from rag.errors import InputError
from rag.index.store import Index
from rag.index.vectors import Vectors
from rag.lang.figures import CLAUSE_END, holds_figures, literal_figures
from rag.lang.periods import (
    CONJUNCTIONS,
    RELATIVE_YEAR_ASKED,
    RELATIVE_YEARS,
    asked_spans,
    document_kinds,
    document_years,
    without_base_years,
)
from rag.lang.places import (
    NATIONAL,
    REGION_GROUPS,
    Place,
    aliases,
    asked_places,
    contains,
    names_an_office,
    opening_place_word,
    place_of,
    substring_aliases,
)
from rag.lang.text import expand
from rag.records import Document, Hit
from rag.retrieval.fusion import best, make_fusion, ranks

# after a place, a year or the plan it heads (「深圳的规划」): the place is the question's subject
# a year after a place's name (2025, or one said relative to now: 今年, 去年), or a plan of it,
# makes it the place asked, and so does one after the places joined to it (「浙江和江苏今年」)
_AS_SUBJECT = re.compile(
    r"(?:\s*(?:和|与|及|、)\s*[\u4e00-\u9fff]{2,9}?)*"
    rf"\s*(?:(?:19|20)\d\d|{RELATIVE_YEARS}|的(?:科技)?(?:工作|规划|计划|要点|政府工作报告))"
)
# a place the question names, with its offsets
Mention = tuple[Place, int, int]
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
    # places named as written (雁塔区, 合肥市) that no plan of their own covers, answered from
    # the plans of a region enclosing them: evidence has to be about them, not the whole region
    enclosed: tuple[str, ...] = ()
    # the documents the request's filters allow (None: no filter); a refusal's related reading
    # stays inside them
    within: frozenset[str] | None = None
    # the question names no place and the scope is the country's by default (default_scope):
    # an answer says whose figure it gives
    place_by_default: bool = False

    @property
    def empty(self) -> bool:
        """True when the question names a place or year the corpus has no plan for."""
        return self.doc_ids is not None and not self.doc_ids


def region_aliases(region: str) -> tuple[str, ...]:
    """Names of a region a plain substring test may look for in a question.

    「安徽省」 -> (安徽省, 安徽); 「芜湖市」 -> (芜湖市, 芜湖); 「全国」 -> (全国, 我国, 国务院).
    """
    return substring_aliases(place_of(region)) if region.strip() else ()


def _plan_year(doc: Document) -> set[int]:
    return {doc.year} if doc.year is not None else set()


def _doc_place(doc: Document) -> Place | None:
    return place_of(doc.region, doc.region_level) if doc.region and doc.region.strip() else None


def _names_of(doc: Document) -> tuple[str, ...]:
    place = _doc_place(doc)
    return aliases(place) if place is not None else ()


# what may come before the place that opens a question: 「2021年全国…」, 「截至2012年底，全国…」
_LEAD = re.compile(
    r"[\s?？,，、:：]*(?:(?:截至|到|在)?\s*(?:(?:19|20)\d\d|[〇零一二三四五六七八九]{4})\s*年[底末初]?"
    r"[\s,，、]*)?"
)


def _opens(question: str, start: int) -> bool:
    """True when only punctuation or a year comes before the offset in its clause (「2025年政府
    工作报告中，2024年全国…」: the clause's subject)."""
    clause = max((m.end() for m in CLAUSE_END.finditer(question, 0, start)), default=0)
    return _LEAD.fullmatch(question, clause, start) is not None


def _as_place(question: str, mention: Mention, documents: Mapping[str, Document]) -> bool:
    """True when the mention is the place a plan is about, not content.

    A year or a plan after the name makes it the subject (「北京2021年」, 「深圳的科技工作要点」).
    Otherwise a name the plans themselves use is content (「…帮扶建宁县」, 「合肥、上海张江…」
    searched as a phrase); one they never use is a place when written in full (「惠州市」) or
    opening the question. The country is a place as 我国/国务院/中国/国家, or as 全国 opening the
    question: 「全国第一」 and 「全国领先」 are how provinces rank themselves.
    """
    place, start, end = mention
    said = question[start:end]
    if _AS_SUBJECT.match(question, end) or names_an_office(question, end):
        return True
    if place == NATIONAL:
        return said != NATIONAL.name or _opens(question, start) or _joined(question, mention)
    if any(said in d.text for d in documents.values()):
        return False
    return said == place.name or _opens(question, start)


def _joined(question: str, mention: Mention) -> bool:
    """Whether the mention is joined to another thing by a conjunction (「西藏和全国分别…」), set
    against it (「…跟全国比」, 「比全国高」), or asked the same in a question of its own (「江苏
    去年GDP增长多少？全国去年呢？」): the country so named is compared with the place beside
    it, not the scale a province ranks on."""
    _place, start, end = mention
    before = re.search(rf"(?:{CONJUNCTIONS}|跟|同|比|较)\s*$", question[:start])
    after = re.match(rf"\s*(?:{CONJUNCTIONS}|相比|比)", question[end:])
    again = re.match(rf"\s*(?:{RELATIVE_YEARS}|(?:19|20)\d\d年)?\s*的?呢", question[end:])
    return before is not None or after is not None or again is not None


def _covering(place: Place, places: Mapping[str, Place]) -> tuple[list[str], bool]:
    """Documents of the place itself (True); else of the nearest region that encloses it.

    The country encloses every place but covers none of them: a national report is not a city's
    plan.
    """
    own = [k for k, p in places.items() if p == place]
    if own:
        return own, True
    enclosing = [
        (len(p.parents), k)
        for k, p in places.items()
        if p != NATIONAL and p != place and contains(p, place)
    ]
    deepest = max((depth for depth, _k in enclosing), default=-1)
    return [k for depth, k in enclosing if depth == deepest], False


def _heading(doc: Document, width: int = 200) -> str:
    """A document's title and opening lines, where it says what kind of document it is (a file
    named by its stem still opens 「关于印发…工作要点的通知」)."""
    return doc.title + doc.text[:width]


def _kinds_held(question: str, documents: Mapping[str, Document]) -> list[str]:
    """The kinds of document the question names that some document is (a kind none is, like
    「工作计划」 over plans titled 工作要点, is a loose word for a plan, not a source)."""
    return [
        kind
        for kind in document_kinds(question)
        if any(kind in _heading(d) for d in documents.values())
    ]


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


def resolve_scope(
    question: str,
    documents: Mapping[str, Document],
    filters: Filters,
    years_of: Callable[[Document], set[int]] = _plan_year,
) -> Scope:
    """Documents the question may be answered from, given its named places and years and filters.

    A place is answered from its own documents, else from those of the nearest region enclosing it
    (雁塔区 from a 陕西省 plan). A place no document covers makes the scope empty (the answer is a
    refusal), unless the question also names a covered place (then the other name is content).
    Any specific place outranks the country (「安徽省…全国第一」 is about 安徽). `years_of` gives
    the years a document can answer for (by default its plan year).
    """
    docs = dict(documents)
    if filters.doc_id is not None:
        if filters.doc_id not in docs:
            raise InputError(
                f"filters.doc_id must be one of {sorted(docs)}; got {filters.doc_id!r}"
            )
        docs = {filters.doc_id: docs[filters.doc_id]}
    if filters.region is not None:
        docs = {k: d for k, d in docs.items() if filters.region in _names_of(d)}
    if filters.year is not None:
        docs = {k: d for k, d in docs.items() if d.year == filters.year}
    restricted = filters != Filters()
    within = frozenset(docs) if restricted else None

    places = {k: p for k, d in documents.items() if (p := _doc_place(d)) is not None}
    # names, groups of provinces asked about (东北三省, 长三角各省市: each of its provinces is a
    # place asked) and provinces named by one character (沪, 川渝滇)
    mentions = asked_places(question, [p for p in places.values() if not p.known])
    grouped = [m for m in mentions if question[m[1] : m[2]] in REGION_GROUPS]
    mentions = [m for m in mentions if m not in grouped]
    opening = None if mentions or grouped else opening_place_word(question)
    mentions += [opening] if opening else []
    covered: list[tuple[Mention, list[str]]] = []
    uncovered: list[Mention] = []
    enclosed: list[str] = []
    for mention in mentions + grouped:
        if mention[0] == NATIONAL and not _as_place(question, mention, documents):
            continue
        ids, own = _covering(mention[0], places)
        if ids and own:
            covered.append((mention, ids))
        elif ids and mention not in grouped:
            covered.append((mention, ids))
            enclosed.append(question[mention[1] : mention[2]])
        elif mention in grouped or _as_place(question, mention, documents):
            uncovered.append(mention)
    if any(m[0] != NATIONAL for m, _ids in covered) or any(m[0] != NATIONAL for m in uncovered):
        # a specific place outranks the country, unless the two are joined to be compared
        covered = [(m, ids) for m, ids in covered if m[0] != NATIONAL or _joined(question, m)]
        uncovered = [m for m in uncovered if m[0] != NATIONAL]
    # each by its name (a group's provinces share the group's offsets)
    foreign = tuple(
        dict.fromkeys(m[0].name if m in grouped else question[m[1] : m[2]] for m in uncovered)
    )

    per_region: dict[str, frozenset[str]] = {}
    for _mention, ids in covered:
        for k in ids:
            region = documents[k].region
            if k in docs and region:
                per_region[region] = per_region.get(region, frozenset()) | {k}
    named = set().union(*per_region.values()) if per_region else set()
    # the place asked is no document's: a stretch of another place's title (「浙江省科技厅2021年
    # 工作要点」 against 安徽省科技厅2021年工作要点) names a kind of document, not that document
    only_uncovered = bool(uncovered) and not covered
    for doc in docs.values():
        if only_uncovered and doc.doc_id in places:
            continue
        others = (d.title for d in documents.values() if d.doc_id != doc.doc_id)
        if doc.doc_id not in named and title_matches(question, doc, others):
            per_region[doc.region or doc.title] = frozenset({doc.doc_id})
    named_years = {int(a or b) for a, b in _YEAR.findall(without_base_years(question))}
    years = tuple(sorted(named_years | asked_spans(question)))

    level = _GENERIC_PLACE.search(question)
    of_level = {k for k, d in docs.items() if level and d.region_level == level.group(1)}
    if per_region:
        allowed: set[str] = set().union(*per_region.values())
    elif uncovered and not covered:
        names = "、".join(dict.fromkeys(p.name for p, _s, _e in uncovered))
        return Scope(frozenset(), (), foreign, years, f"文档不涉及{names}", within=within)
    elif of_level:
        # 「某市2021年…」 names no place but its level: the city plans, not the provinces'
        allowed = of_level
    else:
        allowed = set(docs)
    if years:
        asked = set(years)
        with_year = {k for k in allowed if years_of(docs[k]) & asked}
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
                within=within,
            )
        if len(per_region) > 1 and _COMPARE.search(question):
            # 「全市科技工作要点(2021)和陕西省2022年…」: each year belongs to its own place, so a
            # group keeps its documents when the years named fit none of them
            per_region = {r: (ids & with_year) or ids for r, ids in per_region.items()}
            allowed = set().union(*per_region.values())
        else:
            # 「2024年政府工作报告提出…」 names the 2024 report, not a 2025 report reviewing 2024;
            # each other year asked keeps every document that speaks of it
            allowed = set()
            named_documents = document_years(question)
            named_ids = {k for k in with_year if docs[k].year in named_documents}
            for year in years:
                of_year = {k for k in with_year if year in years_of(docs[k])}
                if year in named_documents:
                    of_year = {k for k in of_year if docs[k].year == year} or of_year
                else:
                    # 「按2025年政府工作报告，2024年…」: the other year is read in the document
                    # named, not in every plan that speaks of it
                    of_year = (of_year & named_ids) or of_year
                allowed |= of_year
            per_region = {r: ids & allowed for r, ids in per_region.items() if ids & allowed}
    kinds = [] if per_region else _kinds_held(question, documents)
    if kinds:
        # 「2021年政府工作报告提出…」 names no place but the kind of document to read: a work
        # plan of 2021 does not answer it (a named place and year already pick its documents)
        allowed = {k for k in allowed if any(kind in _heading(docs[k]) for kind in kinds)}
        if not allowed:
            said = "、".join(map(str, years))
            return Scope(
                frozenset(),
                (),
                foreign,
                years,
                f"文档中没有{said + '年的' if said else ''}{'、'.join(kinds)}",
                within=within,
            )
    narrowed = bool(per_region) or bool(years) or restricted or bool(of_level) or bool(kinds)
    return Scope(
        frozenset(allowed) if narrowed else None,
        tuple(per_region),
        foreign,
        years,
        "",
        per_region,
        tuple(dict.fromkeys(enclosed)),
        within,
    )


# a question speaking of a place below the country without naming it (全省, 我市, 该县,
# 地区生产总值, 县级): the Chinese administrative levels, a closed class of words
_SUBNATIONAL = re.compile(r"(?:全|我|本|该|某|各)(?:省|市|县|区|州)|地区|[省市县]级")


def dated(question: str, scope: Scope, documents: Mapping[str, Document]) -> str:
    """The question with the years of its 今年 and 去年 added (「…目标是多少?（2034年）」),
    when every plan in scope is of one year: a plan's 今年 is its own year and its 去年 the
    year it reviews (「江苏今年研发投入强度准备提到多少」 over the 2025 report asks 2025's
    target, not 2024's result). A question naming a year, or a scope of several years, keeps
    its words."""
    if _YEAR.search(question) or not RELATIVE_YEAR_ASKED.search(question):
        return question
    ids = scope.doc_ids if scope.doc_ids is not None else frozenset(documents)
    years = {y for k in ids if (y := documents[k].year)}
    if len(years) != 1:
        return question
    year = years.pop()
    # the words stay (去年 asks a result) and the years are added at the end, where they cut
    # no phrase of the question apart
    said = [
        year if m.group(1) in ("今年", "本年") else year - 1
        for m in RELATIVE_YEAR_ASKED.finditer(question)
    ]
    return question + "".join(f"（{y}年）" for y in dict.fromkeys(said))


def default_scope(question: str, scope: Scope, documents: Mapping[str, Document]) -> Scope | None:
    """The scope narrowed where the question leaves place or year open, or None when there is
    nothing to narrow (a filter given, or the scope already one place and one year):

    - naming no place, while the scope holds the country's reports among other places' plans:
      the country's (「政府工作报告提出新建多少亩高标准农田?」 is the State Council's, not a
      province's), unless it speaks of a lower level (全省, 地区生产总值);
    - naming no year: each place's newest plan. 「城镇新增就业目标是多少?」 over sixteen years
      of national reports asks about the current plan, not whichever year words it best; 今年
      and 去年 in a question are then read from the newest plan (its targets, its review of
      the year before). A document without a year stays; a document without a region is a
      place of its own.

    The caller asks again over the whole scope when the narrowed one has no answer."""
    if scope.empty or scope.within is not None:
        return None
    ids = scope.doc_ids if scope.doc_ids is not None else frozenset(documents)
    keep = ids
    by_default = False
    named = bool(scope.regions or scope.per_region or scope.foreign_regions or scope.enclosed)
    # a place's name anywhere in the question, even inside a word (「云南高原特色农业」, which
    # the place finder leaves as a word of its own), keeps the other places in
    regions = {documents[k].region for k in ids}
    named = named or any(
        alias in question
        for region in regions
        if region and place_of(region) != NATIONAL
        for alias in region_aliases(region)
    )
    if not named and not _SUBNATIONAL.search(question):
        national = frozenset(k for k in ids if _doc_place(documents[k]) == NATIONAL)
        if national and national != ids:
            keep = national
            by_default = True
    if not scope.years:

        def place(doc: Document) -> str:
            return doc.region or doc.doc_id

        newest: dict[str, int] = {}
        for k in keep:
            doc = documents[k]
            if doc.year:
                newest[place(doc)] = max(newest.get(place(doc), doc.year), doc.year)
        keep = frozenset(
            k
            for k in keep
            if not documents[k].year or documents[k].year == newest[place(documents[k])]
        )
    if keep == ids:
        return None
    per_region = {r: v & keep for r, v in scope.per_region.items() if v & keep}
    return dataclasses.replace(
        scope, doc_ids=keep, per_region=per_region, place_by_default=by_default
    )


def _member(rows: npt.NDArray[np.int64], these: npt.NDArray[np.int64]) -> npt.NDArray[np.bool_]:
    """Which of `these` are among the ascending `rows`."""
    if rows.size == 0 or these.size == 0:
        return np.zeros(these.size, dtype=bool)
    at = np.minimum(np.searchsorted(rows, these), rows.size - 1)
    inside: npt.NDArray[np.bool_] = rows[at] == these
    return inside


def _scores_at(
    pool: npt.NDArray[np.int64], rows: npt.NDArray[np.int64], scores: Vectors
) -> npt.NDArray[np.float32]:
    """Scores of the pool's rows given the ascending scored rows; 0 for a row not scored."""
    out = np.zeros(pool.size, dtype=np.float32)
    if rows.size:
        at = np.minimum(np.searchsorted(rows, pool), rows.size - 1)
        hit = rows[at] == pool
        out[hit] = scores[at[hit]]
    return out


def _best_rows(
    rows: npt.NDArray[np.int64],
    scored: npt.NDArray[np.int64],
    scores: Vectors,
    n: int,
) -> npt.NDArray[np.int64]:
    """`best(n)` over the scope `rows` where the ascending `scored` rows have `scores` and
    every other row 0, without building that array: n positive scores need only the scored
    rows; otherwise the zeros that fill the cut are the scope's first rows (a stable sort's
    ties), all among its first n + len(scored)."""
    if int(np.count_nonzero(scores > 0)) >= n:
        return scored[best(scores, n)]
    some = np.union1d(scored, rows[: n + scored.size])
    return some[best(_scores_at(some, scored, scores), n)]


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
    rows = index.rows_of(set(doc_ids) if doc_ids is not None else None)
    if rows.size == 0:
        return []
    # every array below is indexed by chunk row and holds only candidates: a question costs its
    # posting lists and the store's top-k, not one pass over every chunk (issue 12: at 1M
    # chunks the full-length arrays took ~100 ms of a hybrid retrieve())
    kw_rows, kw_scores = index.keyword.matches(expand(question))
    if rows.size < len(index.chunks):
        inside = _member(rows, kw_rows)
        kw_rows, kw_scores = kw_rows[inside], kw_scores[inside]
    dense_rows = np.zeros(0, dtype=np.int64)
    dense_scores = np.zeros(0, dtype=np.float32)
    if fusion != "bm25" and embed_query is not None:
        qvec = embed_query(question)
        # the scope travels into the store: a scoped question gets its top-k from its own
        # documents at any index size
        within = rows if rows.size < len(index.chunks) else None
        k = min(rows.size, settings.candidates * 8) if rows.size > 20000 else rows.size
        scores, ids = index.dense.search(qvec, k, within)
        found = ids[0] >= 0
        order = np.argsort(ids[0][found], kind="stable")
        dense_rows, dense_scores = ids[0][found][order], scores[0][found][order]
    # candidates: the best of each retriever, so fusion normalises over comparable rows
    n = min(settings.candidates, rows.size)
    pool = np.union1d(
        _best_rows(rows, kw_rows, kw_scores, n), _best_rows(rows, dense_rows, dense_scores, n)
    )
    b, d = _scores_at(pool, kw_rows, kw_scores), _scores_at(pool, dense_rows, dense_scores)
    fused = make_fusion(fusion, settings).fuse(b, d)
    b_rank, d_rank = ranks(b), ranks(d)
    order = np.argsort(-fused, kind="stable")
    quoted = set(literal_figures(question))
    if quoted:
        # a figure the question quotes (「增长目标定成了5.0%到5.5%」) names its passage: those
        # holding every one come first, in fused order (a lone figure weighs little in BM25)
        holds = np.array([holds_figures(index.chunks[int(pool[i])].text, quoted) for i in order])
        order = order[np.argsort(~holds, kind="stable")]
    order = order[:top_k]
    return [
        Hit(
            chunk=index.chunks[int(pool[i])],
            score=round(float(fused[i]), 6),
            bm25=round(float(b[i]), 6),
            dense=round(float(d[i]), 6),
            bm25_rank=int(b_rank[i]),
            dense_rank=int(d_rank[i]),
        )
        for i in order
    ]
