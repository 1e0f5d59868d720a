"""A question that leaves its place or year open, on made-up reports that are in no corpus.

Two fictional national reports (2030, 2031) and two of a fictional 青山市 (2030, 2031): a
question naming no year is about each place's newest plan, one naming no place about the
country's reports (unless it speaks of a lower level, 全市 or 地区生产总值), and where the
narrowed plans do not say, every plan is asked again. An answer from a default says whose
figure it is.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from rag.config import Settings
from rag.records import Document
from rag.retrieval.retrieve import Filters, default_scope, resolve_scope
from rag.service import RagService, about_one_plan
from tests.conftest import service_over


def _national(year: int, jobs: str, extra: str = "") -> str:
    return f"""{year}年政府工作报告
——{year}年3月5日在第二十届全国人民代表大会第一次会议上
国务院总理 李四
各位代表：
现在，我代表国务院，向大会报告政府工作，请各位代表审议。
一、{year - 1}年工作回顾
过去一年，经济运行总体平稳。{extra}
二、{year}年政府工作任务
今年发展主要预期目标是：星河新增就业{jobs}万人以上，月光粮仓产量稳定在6000亿斤以上。
"""


def _city(year: int, jobs: str) -> str:
    return f"""{year}年青山市政府工作报告
——{year}年1月20日在青山市第九届人民代表大会第一次会议上
青山市人民政府市长 张三
各位代表：
现在，我代表青山市人民政府，向大会报告工作，请予审议。
一、{year - 1}年工作回顾
过去一年，全市经济平稳运行。
二、{year}年主要任务
今年发展主要预期目标是：地区生产总值增长6%左右，全市星河新增就业{jobs}万人以上，月光粮仓产量稳定在30亿斤以上。
"""


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> RagService:
    root = tmp_path_factory.mktemp("default-scope")
    files = {
        "national-2030.txt": _national(2030, "1100", "银杏工程首批建成试点站点37个。"),
        "national-2031.txt": _national(2031, "1250"),
        "qingshan-2030.txt": _city(2030, "6.1"),
        "qingshan-2031.txt": _city(2031, "7.3"),
    }
    return service_over(Settings(data_dir=root / "data"), root / "plans", files)


def _docs(service: RagService) -> dict[str, Document]:
    return dict(service.index.documents)


def _years(service: RagService, ids: frozenset[str] | None) -> set[tuple[str | None, int | None]]:
    docs = _docs(service)
    return {(docs[k].region, docs[k].year) for k in ids or docs}


def test_the_documents_are_read_as_two_places_and_two_years(service: RagService) -> None:
    assert _years(service, None) == {
        ("全国", 2030),
        ("全国", 2031),
        ("青山市", 2030),
        ("青山市", 2031),
    }


def test_no_year_named_scopes_each_place_to_its_newest_plan(service: RagService) -> None:
    docs = _docs(service)
    q = "青山市星河新增就业目标是多少?"
    narrowed = default_scope(q, resolve_scope(q, docs, Filters()), docs)
    assert narrowed is not None
    assert _years(service, narrowed.doc_ids) == {("青山市", 2031)}
    assert not narrowed.place_by_default  # the place was named


def test_no_place_named_scopes_to_the_country(service: RagService) -> None:
    docs = _docs(service)
    q = "2030年月光粮仓产量目标是多少?"
    narrowed = default_scope(q, resolve_scope(q, docs, Filters()), docs)
    assert narrowed is not None
    assert _years(service, narrowed.doc_ids) == {("全国", 2030)}
    assert narrowed.place_by_default


@pytest.mark.parametrize(
    "question",
    [
        "2031年全市星河新增就业目标是多少?",  # 全市: a city's own words for itself
        "2031年地区生产总值增长目标是多少?",  # a measure of a region below the country
    ],
)
def test_a_lower_level_keeps_every_place(service: RagService, question: str) -> None:
    docs = _docs(service)
    narrowed = default_scope(question, resolve_scope(question, docs, Filters()), docs)
    assert narrowed is None or {r for r, _y in _years(service, narrowed.doc_ids)} == {
        "全国",
        "青山市",
    }


def test_a_filter_or_a_named_year_and_place_leave_the_scope(service: RagService) -> None:
    docs = _docs(service)
    q = "星河新增就业目标是多少?"
    assert default_scope(q, resolve_scope(q, docs, Filters(year=2030)), docs) is None
    named = "青山市2030年星河新增就业目标是多少?"
    assert default_scope(named, resolve_scope(named, docs, Filters()), docs) is None


@pytest.mark.parametrize(
    ("question", "one_plan"),
    [
        ("星河新增就业目标是多少?", True),
        ("哪一年的政府工作报告提出银杏工程?", False),  # asks which year
        ("星河新增就业目标这几年怎么变的?", False),  # across years
        ("星河新增就业目标是什么时候提出的?", False),  # asks when
    ],
)
def test_only_a_question_about_one_plan_is_narrowed(question: str, one_plan: bool) -> None:
    assert about_one_plan(question) is one_plan


@pytest.mark.parametrize("question", ["星河新增就业目标是多少?", "今年星河新增就业目标是多少?"])
def test_no_year_answers_from_the_newest_plan_and_says_whose(
    service: RagService, question: str
) -> None:
    answer = service.ask(question)
    assert not answer.refused
    assert "1250万人" in answer.answer and "1100" not in answer.answer
    assert answer.answer.startswith("全国2031年目标")
    assert all("2031" in c.doc_id or "2031" in c.title for c in answer.citations)


def test_a_named_place_without_a_year_gets_its_newest_plan(service: RagService) -> None:
    answer = service.ask("青山市星河新增就业目标是多少?")
    assert not answer.refused
    assert "7.3万人" in answer.answer and not answer.answer.startswith("青山市")


def test_what_only_an_older_plan_says_is_found_there(service: RagService) -> None:
    answer = service.ask("银杏工程首批建成试点站点多少个?")
    assert not answer.refused
    assert "37个" in answer.answer


def test_a_place_named_inside_a_word_keeps_every_place() -> None:
    """「云南高原」 is one word of the dictionary, tagged a place name: it names 云南, and the
    country's report must not take over; 「云南大学」 (an organisation) names no place the
    finder can scope by, and the default still keeps every place, since the name is there."""

    def doc(doc_id: str, region: str, level: str) -> Document:
        return Document(doc_id, doc_id, "正文", doc_id, doc_id, None, region, level, 2031)

    docs = {d.doc_id: d for d in (doc("n", "全国", "国"), doc("y", "云南省", "省"))}
    scope = resolve_scope("云南高原星河新增就业目标是多少?", docs, Filters())
    assert scope.regions == ("云南省",) and scope.doc_ids == {"y"}
    q = "云南大学星河新增就业目标是多少?"
    scope = resolve_scope(q, docs, Filters())
    assert not scope.regions  # the finder does not see it …
    assert default_scope(q, scope, docs) is None  # … but the default does


def test_the_country_joined_to_a_place_is_compared_with_it() -> None:
    """「云南和全国分别…」 names the country as a place to compare; 「居全国第几」 ranks on it."""

    def doc(doc_id: str, region: str, level: str) -> Document:
        return Document(doc_id, doc_id, "正文", doc_id, doc_id, None, region, level, 2031)

    docs = {d.doc_id: d for d in (doc("n", "全国", "国"), doc("y", "云南省", "省"))}
    joined = resolve_scope("2031年松果产量目标，云南和全国分别是多少?", docs, Filters())
    assert set(joined.per_region) == {"云南省", "全国"}
    ranked = resolve_scope("云南省松果产量居全国第几位?", docs, Filters())
    assert set(ranked.per_region) == {"云南省"}


def test_years_compared_without_a_place_are_the_countrys(tmp_path: Path) -> None:
    """「2030年和2031年…分别」 compares the years of one place: the default place holds for it,
    or each year is answered from whichever place words it best (here the city's plan, which
    writes the question's own 目标)."""
    files = {
        "national-2030.txt": _national(2030, "1100"),
        "national-2031.txt": _national(2031, "1250"),
        "qingshan-2031.txt": _city(2031, "7.3").replace(
            "全市星河新增就业7.3万人以上", "星河新增就业目标7.3万人"
        ),
    }
    service = service_over(Settings(data_dir=tmp_path / "data"), tmp_path / "plans", files)
    question = "2030年和2031年星河新增就业目标分别是多少?"
    assert _years(service, service.prepare(question).scope.doc_ids) == {
        ("全国", 2030),
        ("全国", 2031),
    }
    answer = service.ask(question)
    assert not answer.refused
    assert "1100万人" in answer.answer and "1250万人" in answer.answer
    assert "7.3" not in answer.answer
    docs = _docs(service)
    assert {docs[c.doc_id].region for c in answer.citations} == {"全国"}


def _plan(doc_id: str, title: str, region: str, level: str, year: int) -> Document:
    return Document(doc_id, doc_id, title + "\n正文", title, doc_id, None, region, level, year)


def _spoken_of(doc: Document) -> set[int]:
    # a report reviews the year before its own
    return {doc.year, doc.year - 1} if doc.year else set()


def test_a_document_named_is_where_another_year_is_read() -> None:
    """「按2031年政府工作报告，2030年…」: 2030 is read in the 2031 report, not in 2030's."""
    docs = {
        d.doc_id: d
        for d in (
            _plan("n2030", "2030年政府工作报告", "全国", "国", 2030),
            _plan("n2031", "2031年政府工作报告", "全国", "国", 2031),
        )
    }
    q = "按2031年政府工作报告，2030年星河新增就业多少人?"
    assert resolve_scope(q, docs, Filters(), _spoken_of).doc_ids == {"n2031"}
    both = "2030年和2031年的政府工作报告分别提出星河新增就业多少人?"
    assert resolve_scope(both, docs, Filters(), _spoken_of).doc_ids == {"n2030", "n2031"}
    # without a document named, every plan speaking of the year stays
    bare = "2030年星河新增就业多少人?"
    assert resolve_scope(bare, docs, Filters(), _spoken_of).doc_ids == {"n2030", "n2031"}


def test_a_kind_of_document_named_is_the_kind_read() -> None:
    """「2032年政府工作报告提出…」 over a 2032 work plan and 2031 reports: no 2032 report, so no
    answer (the work plan is not what was named); a kind no document is (工作计划 over plans
    titled 工作要点) is a loose word for a plan and restricts nothing."""
    docs = {
        d.doc_id: d
        for d in (
            _plan("n2031", "2031年政府工作报告", "全国", "国", 2031),
            _plan("q2031", "青山市2031年政府工作报告", "青山市", "市", 2031),
            _plan("q2032", "青山市2032年科技工作要点", "青山市", "市", 2032),
        )
    }
    report = resolve_scope("2032年政府工作报告提出的松果产量目标是多少?", docs, Filters())
    assert report.empty and report.reason == "文档中没有2032年的政府工作报告"
    loose = resolve_scope("2032年科技工作计划提出的松果产量目标是多少?", docs, Filters())
    assert loose.doc_ids == {"q2032"}
    kind = resolve_scope("哪份工作要点提出松果产量目标?", docs, Filters())
    assert kind.doc_ids == {"q2032"}


def test_a_span_or_list_of_years_asks_each_year(tmp_path: Path) -> None:
    """「2030年到2032年…怎么变的」 and 「2030、2032这两年…各是多少」 ask each year named: a span
    in a question is its years (in a document it is one multi-year plan), and the answer has one
    cited line per year; a year no document speaks of is said to be missing without its digits,
    which no quote holds."""
    files = {
        f"national-{y}.txt": _national(y, jobs)
        for y, jobs in ((2030, "1100"), (2031, "1250"), (2032, "1300"))
    }
    service = service_over(Settings(data_dir=tmp_path / "data"), tmp_path / "plans", files)
    span = service.ask("2030年到2032年星河新增就业目标是怎么变的?")
    assert not span.refused and not span.withheld
    assert all(f"{jobs}万人" in span.answer for jobs in ("1100", "1250", "1300"))
    assert len(span.citations) == 3
    listed = service.ask("2030、2032这两年的星河新增就业目标各是多少?")
    assert "1100万人" in listed.answer and "1300万人" in listed.answer
    assert "1250" not in listed.answer
    beyond = service.ask("2031年至2034年星河新增就业目标分别是多少?")
    assert not beyond.withheld
    assert "1250万人" in beyond.answer and "1300万人" in beyond.answer
    assert "其余年份" in beyond.answer and "2034" not in beyond.answer
    # a year named before another one (「任务，2030年和2032年的报告」) is dropped with the
    # conjunction after it, keeping the comma that ends the clause before
    joined = service.ask("星河新增就业的年度目标，2030年和2032年的报告各定了多少?")
    assert "1100万人" in joined.answer and "1300万人" in joined.answer, joined.answer
    from rag.answer.compare import _asked_of_year, of_year

    # the years the named reports review are asked, each by keeping its report's year
    reviewed = "2031年、2032年两份报告回顾上一年时，星河新增就业分别是多少?"
    assert _asked_of_year(reviewed, 2030, [2030, 2031]).startswith("2031年两份报告")
    assert _asked_of_year(reviewed, 2031, [2030, 2031]).startswith("2032年两份报告")
    # …and a later year with the conjunction before it
    both = "2030年和2031年，星河新增就业各是多少?"
    assert of_year(both, 2030, [2030, 2031]) == "2030年，星河新增就业各是多少?"
    assert of_year(both, 2031, [2030, 2031]) == "2031年，星河新增就业各是多少?"


def _province(name: str, year: int, output: str) -> str:
    return f"""{year}年{name}政府工作报告
——{year}年1月20日在{name}第九届人民代表大会第一次会议上
{name}人民政府省长 张三
各位代表：
一、{year - 1}年工作回顾
过去一年，全省经济平稳运行。
二、{year}年主要任务
今年发展主要预期目标是：全省松果产量达到{output}万吨以上。
"""


def test_a_city_compared_is_not_answered_by_its_provinces_figure(tmp_path: Path) -> None:
    """「昆明和成都…分别」 over the Yunnan and Sichuan reports: each line must be the city's own
    figure, as for a question about one city; the provinces' figures are not the cities'. A
    province named beside a city keeps its own line."""
    files = {
        "yunnan-2031.txt": _province("云南省", 2031, "410"),
        "sichuan-2031.txt": _province("四川省", 2031, "520"),
    }
    service = service_over(Settings(data_dir=tmp_path / "data"), tmp_path / "plans", files)
    cities = service.ask("昆明和成都2031年松果产量目标分别是多少?")
    assert cities.refused and "410" not in cities.answer and "520" not in cities.answer
    mixed = service.ask("昆明和四川2031年松果产量目标分别是多少?")
    assert not mixed.refused
    assert "520万吨" in mixed.answer and "410" not in mixed.answer
    assert "昆明市:文档中没有找到" in mixed.answer
    provinces = service.ask("云南和四川2031年松果产量目标分别是多少?")
    assert "410万吨" in provinces.answer and "520万吨" in provinces.answer
