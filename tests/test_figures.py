"""Figures and their own words, the thing a question measures, and the acceptance threshold
fitted on whole answers.

Made-up text (a fictional 青山市 plan for 2031) that appears in no corpus."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rag.answer.calibrate import end_to_end_threshold, prepare_all
from rag.answer.evidence import FEATURES, EvidenceModel
from rag.answer.extractive import score_hits
from rag.answer.question import Terms, classify, head_phrase, question_terms, terms_for
from rag.answer.spans import Sentence, Span, clause_around, figures
from rag.evaluation.question_sets import parse_question
from rag.lang.figures import figure_spans, respective_words, stretch_end
from rag.lang.measures import LEVEL, asked_measure
from rag.lang.tags import names_a_thing
from rag.records import Chunk, Hit
from rag.service import RagService
from tests.conftest import FakeEmbedder

PLAN = (
    "青山市科学技术局2031年工作要点\n\n"
    "一、主要目标\n\n"
    "2031年，全市新增云杉企业40家、松果企业12家，"
    "PM9.5年均浓度降至31微克/立方米，培育7家拟上市科技企业。\n\n"
    "全市职工最低工资标准从1800元提高到2100元。\n\n"
    "松果产业园区建设全面提速，新增企业12家。\n\n"
    "全市松果林覆盖率由18%增至46%。\n\n"
    "二、重点任务\n\n"
    "建设G77科创走廊，推动5G基站覆盖全部乡镇。\n"
)


def _own(text: str) -> list[tuple[str, str]]:
    return [(text[f.start : f.end], f.words(text)) for f in figure_spans(text)]


def test_each_figure_owns_the_words_around_it_up_to_the_next_figure_or_clause() -> None:
    text = "2031年，全市新增云杉企业40家、松果企业12家，培育7家拟上市科技企业。"
    assert _own(text) == [
        ("40家", "全市新增云杉企业"),
        ("12家", "松果企业"),  # closed by 、 before it: owns no words after it
        ("7家", "培育拟上市科技企业"),  # the noun after a figure is its own too
    ]


def test_a_year_does_not_bound_a_figures_words() -> None:
    text = "松果林覆盖率由2030年的18%提高到2031年的46%"
    (first, first_words), (second, second_words) = _own(text)
    assert (first, second) == ("18%", "46%")
    assert first_words.startswith("松果林覆盖率由2030年的")  # not only 「的」 after the year
    assert second_words == "提高到2031年的"


def test_a_number_glued_to_latin_letters_is_a_name_not_a_figure() -> None:
    text = "PM9.5年均浓度降至31微克/立方米，建设G77科创走廊3条，5G基站新增900个"
    assert [figure for figure, _ in _own(text)] == ["31微克/立方米", "3条", "900个"]
    assert _own(text)[0][1] == "PM9.5年均浓度降至"  # the name stays in the words


def test_a_figure_keeps_units_of_time_volume_and_a_bracketed_alternative() -> None:
    # GB 3100's non-SI units (小时, 分钟, 升, 海里) are units like 公里; 个月 is not cut to 个;
    # a unit the count may also be in, bracketed after it, is part of the figure
    text = (
        "星火口岸通关时间压缩至36小时、审批用时90分钟，青山港航道延伸12海里，工期18个月，"
        "建设松果公寓3万套（间），投资5亿元（含配套）"
    )
    assert [figure for figure, _ in _own(text)] == [
        "36小时",
        "90分钟",
        "12海里",
        "18个月",
        "3万套（间）",
        "5亿元",
    ]


def test_the_measured_thing_keeps_latin_words_whole() -> None:
    assert head_phrase("青山市2031年研发投入占GDP比重是多少?") == "GDP比重"
    assert head_phrase("青山市2031年研发投入占GDP比重是多少?", whole=True) == "研发投入占GDP比重"


def _plan_service(tmp_path: Path, settings: object) -> RagService:
    return _service_over(tmp_path, settings, {"qingshan.txt": PLAN})


def _service_over(tmp_path: Path, settings: object, files: dict[str, str]) -> RagService:
    """A service (fake embedder) over made-up plans: file name -> text."""
    folder = tmp_path / "plans"
    folder.mkdir()
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    service = RagService(settings, FakeEmbedder())  # type: ignore[arg-type]
    service.ingest([folder])
    return service


def test_the_threshold_is_fitted_on_whole_answers(tmp_path: Path, settings: object) -> None:
    service = _plan_service(tmp_path, settings)
    rows = [
        {"id": "a", "question": "青山市2031年新增云杉企业多少家?", "answers": ["40家"]},
        {"id": "b", "question": "青山市2031年新增松果企业多少家?", "answers": ["12家"]},
        {"id": "c", "question": "青山市2031年培育多少家拟上市科技企业?", "answers": ["7家"]},
        {"id": "d", "question": "青山市2031年新增橡树企业多少家?", "answerable": False},
    ]
    questions = [
        parse_question(
            {
                "answerable": True,
                "answers": [],
                "doc": ["qingshan.txt"],
                "evidence": [],
                "type": "numeric",
                **r,
            }
        )
        for r in rows
    ]
    coverage = FEATURES.index("coverage")
    coef = tuple(8.0 if n == coverage else 0.0 for n in range(len(FEATURES)))
    model = EvidenceModel(coef, -4.0, 0.5, FEATURES, {})
    fitted = end_to_end_threshold(service, prepare_all(service, questions), model)
    right = {float(c): n for c, n in fitted.provenance["end_to_end"]["right_by_cut"].items()}
    best = max(right.values())
    assert right[fitted.threshold] == best == fitted.provenance["end_to_end"]["right_at_threshold"]
    plateau = sorted(c for c, n in right.items() if n == best)
    assert fitted.threshold == plateau[len(plateau) // 2]
    assert best >= 3  # the made-up plan answers its own questions
    json.dumps(fitted.to_json())  # what `rag calibrate` writes


def test_one_item_of_a_long_list_is_evidence_through_its_figure_own_words(
    tmp_path: Path, settings: object
) -> None:
    service = _plan_service(tmp_path, settings)
    p = service.prepare("青山市2031年松果企业有多少家?")
    documents = p.loaded.index.documents
    terms = terms_for(p.asked, p.scope, documents, p.loaded.idf)
    scored = score_hits(p.asked, p.hits, p.scope, documents, terms, p.evidence)
    listing = next(sc for sc in scored if "松果企业12家" in sc.sentence.text)
    scattered = next(sc for sc in scored if "园区" in sc.sentence.text)
    # both sentences hold the question's words; only in the list are they a figure's own
    # words (松果企业12家), while 新增企业12家 is not about 松果 at all
    assert scattered.candidate.own_coverage >= 0.6
    assert listing.candidate.figure_coverage > scattered.candidate.figure_coverage


def test_a_question_asking_what_a_figure_was_raised_to_gets_the_new_figure(
    tmp_path: Path, settings: object
) -> None:
    service = _plan_service(tmp_path, settings)
    answer = service.ask("青山市2031年职工最低工资标准提高到多少?")
    assert not answer.refused and answer.answer.endswith("提高到2100元")
    # 「提高到了」 asks what was reached: a plan for 2031 does not say, and the refusal says what
    # the text gives instead
    done = service.ask("青山市2031年职工最低工资标准提高到了多少?")
    assert done.refused and "2031年目标" in done.answer


def test_the_figure_a_change_starts_from_is_not_the_one_asked(
    tmp_path: Path, settings: object
) -> None:
    # 「由18%增至46%」: the question asks the rate, and 18% is only where it started
    service = _plan_service(tmp_path, settings)
    answer = service.ask("青山市2031年松果林覆盖率是多少?")
    assert not answer.refused and answer.answer.endswith("46%"), answer.answer


def _sentence(text: str) -> tuple[Sentence, list[Span]]:
    hit = Hit(Chunk("d:0", "d", "d.txt", "s1", ("一、",), 0, len(text), text, text), 1.0)
    sentence = Sentence("d", 0, len(text), text, hit, 1.0)
    return sentence, figures(sentence, Terms((frozenset({"松果"}),), {"松果": 1.0}))


def test_a_clause_borrows_its_subject_only_when_it_names_none_of_its_own() -> None:
    listing, figs = _sentence("全市生产总值增长6%左右，城镇调查失业率控制在5.1%左右")
    assert "生产总值" not in clause_around(listing, figs[1])  # an item of a list of targets
    elided, figs = _sentence("松果产量增长8%，突破900吨")
    assert clause_around(elided, figs[1]).startswith("松果产量")  # 突破900吨 says no subject
    assert names_a_thing("城镇调查失业率控制在") and not names_a_thing("突破")


def test_separately_which_is_a_list_and_separately_how_many_a_comparison() -> None:
    assert classify("青山市推进的4个专项分别是哪些领域?") == "list"
    assert classify("青山市和白水县2031年松果产量目标分别是多少?") == "compare"


def test_reaching_a_figure_asks_a_level_not_a_growth() -> None:
    assert asked_measure("青山港2031年旅客吞吐量突破了多少?") == LEVEL
    assert asked_measure("青山港2031年旅客吞吐量超过多少?") == LEVEL


def test_a_wording_matches_its_synonyms_with_or_without_de(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import rag.answer.question as question

    group = {"松果产值占比": ("松果强度",), "松果强度": ("松果产值占比",)}
    monkeypatch.setattr(question, "synonyms", lambda: group)
    with_de = question_terms("青山市松果产值的占比是多少", (), {})
    assert any("强度" in v for v in with_de.variants)  # 的 inserted by the asker
    plain = question_terms("青山市松果产值占比是多少", (), {})
    assert any("强度" in v for v in plain.variants)


def test_figures_given_respectively_own_their_items() -> None:
    text = "全年松果、云杉、白桦产业投资分别达300亿元、80亿元、45亿元，增长9%"
    spans = figure_spans(text)
    given = respective_words(text, spans)
    assert {text[spans[n].start : spans[n].end]: w for n, w in given.items()} == {
        "300亿元": "全年松果产业投资达",
        "80亿元": "云杉产业投资达",
        "45亿元": "白桦产业投资达",
    }  # 9% after the clause is not one of them; the verb after 分别 is each item's
    _, figs = _sentence(text)
    assert [f.context for f in figs[:3]] == [
        "全年松果产业投资达",
        "云杉产业投资达",
        "白桦产业投资达",
    ]
    # as many figures as items, or nothing is given
    assert (
        respective_words("松果、云杉分别达300亿元", figure_spans("松果、云杉分别达300亿元")) == {}
    )


def test_parallel_items_of_different_lengths_share_the_rest() -> None:
    """Parallel items end alike: 「清洁星火、新星火装机占比」 gives both 装机占比, though the
    first is longer than the last's own name."""
    text = "清洁星火、新星火装机占比分别达94.6%、70%"
    spans = figure_spans(text)
    words = [respective_words(text, spans)[n] for n in range(2)]
    assert words == ["清洁星火装机占比达", "新星火装机占比达"]


def test_respective_items_joined_by_and_or_whole_names_own_their_figures() -> None:
    # the last two items joined by 和; each item a whole name, not a stem with a shared rest
    two = "单位星火产值能耗和松果排放分别降低16%和17%，森林覆盖率达到30%"
    spans = figure_spans(two)
    given = respective_words(two, spans)
    assert {two[spans[n].start : spans[n].end]: w for n, w in given.items()} == {
        "16%": "单位星火产值能耗降低",
        "17%": "松果排放降低",
    }
    three = "单位星火产值用水量、能耗、二氧化碳排放量分别下降23%、15%、18%"
    spans = figure_spans(three)
    words = [respective_words(three, spans)[n] for n in range(3)]
    assert words == ["单位星火产值用水量下降", "能耗下降", "二氧化碳排放量下降"]


def test_a_range_written_with_a_dash_is_one_figure() -> None:
    text = "全市生产总值增长5.0%—5.5%，松果产量8～9万吨"
    assert [text[f.start : f.end] for f in figure_spans(text)] == ["5.0%—5.5%", "8～9万吨"]


def test_the_figure_a_change_reaches_answers_what_it_was_raised_to(
    tmp_path: Path, settings: object
) -> None:
    service = _plan_service(tmp_path, settings)
    answer = service.ask("青山市2031年松果林覆盖率要提高到多少?")
    assert not answer.refused and answer.answer.endswith("46%")  # 由18%增至46%: not the 18%


def test_which_few_asks_a_list() -> None:
    assert classify("青山市2031年新设了哪几个松果园区?") == "list"
    assert classify("青山市2031年新设了几个松果园区?") == "numeric"


def test_a_count_takes_the_measure_word_that_closes_its_item_as_its_unit() -> None:
    # classifiers no unit list names (款, 岁) and Latin units (P, EFlops) stay with the figure;
    # two characters after a magnitude are a noun (关口), not a unit
    text = (
        "青山港算力达90万P、引进松果新品种105款，全市云杉寿命提高到79.3岁。"
        "总算力达到15EFlops，松果产值突破5万关口"
    )
    assert [figure for figure, _ in _own(text)] == ["90万P", "105款", "79.3岁", "15EFlops", "5万"]
    assert _own(text)[1] == ("105款", "引进松果新品种")  # 、 after the unit still closes the item


def test_a_bound_then_the_exact_figure_of_the_same_measure_answers_with_the_exact_one(
    tmp_path: Path, settings: object
) -> None:
    text = "全市松果林总面积突破8000公顷、达8184公顷，人均松果产值突破5万关口、达到5.28万元"
    _, spans = _sentence(text)
    assert spans[1].context == spans[0].context  # 、达8184公顷 measures the same 总面积
    assert spans[3].context == spans[2].context
    _, listed = _sentence("新增云杉企业40家、松果企业12家")
    # an item naming its own thing is not a restatement
    assert listed[1].context != listed[0].context
    summary = "青山市2030年工作总结\n\n一、2030年工作回顾\n\n" + text + "。\n"
    service = _service_over(tmp_path, settings, {"青山市2030年工作总结.txt": summary})
    answer = service.ask("青山市2030年松果林总面积达到多少公顷?")
    assert not answer.refused and answer.answer.endswith("8184公顷")


def test_two_years_asked_each_get_their_own_line(tmp_path: Path, settings: object) -> None:
    reports = {
        f"青山市{year}年政府工作报告.txt": f"青山市{year}年政府工作报告\n\n一、{year}年主要任务\n\n"
        f"今年市级预算内投资安排{value}万元，比上年有所增加。\n"
        for year, value in ((2031, "5376"), (2032, "5776"))
    }
    service = _service_over(tmp_path, settings, reports)
    question = "青山市2031年和2032年市级预算内投资各是多少?"
    assert classify(question) == "compare"
    answer = service.ask(question)
    assert answer.qtype == "compare" and not answer.refused
    lines = answer.answer.splitlines()
    assert len(lines) == 2
    assert "5376万元" in lines[0] and "2031年" in lines[0]
    assert "5776万元" in lines[1] and "2032年" in lines[1]
    # a year with no figure is said to be missing, without writing a digit no quote holds
    missing = service.ask("青山市2031年和2029年市级预算内投资各是多少?")
    assert "5376万元" in missing.answer and "其余年份:文档中没有找到" in missing.answer


def test_an_ordinal_asks_a_rank_not_a_count_of_people() -> None:
    from rag.answer.question import unit_hint

    assert unit_hint("青山港2031年吞吐量居全国第几位?") == ()
    assert unit_hint("青山市2031年引进几位院士?") == ("名", "人")


def test_a_counts_noun_closing_its_clause_is_shown_with_it(
    tmp_path: Path, settings: object
) -> None:
    text = "青山市2031年工作要点\n\n一、主要目标\n\n松果综合改革试点扩大到300个乡，覆盖全市林区。\n"
    service = _service_over(tmp_path, settings, {"青山市2031年工作要点.txt": text})
    answer = service.ask("青山市2031年松果综合改革试点要扩大到多少个乡?")
    assert not answer.refused and answer.answer.endswith("扩大到300个乡")


def test_a_serial_number_names_something_and_a_raise_per_head_asks_the_new_figure(
    tmp_path: Path, settings: object
) -> None:
    assert [f for f, _ in _own("松果9号亩产创造6508公斤的纪录，开通3号线")] == ["6508公斤"]
    text = "青山市2031年工作要点\n\n一、主要任务\n\n松果补助标准由每人每年240元提高到280元。\n"
    service = _service_over(tmp_path, settings, {"青山市2031年工作要点.txt": text})
    answer = service.ask("青山市2031年松果补助标准提高到每人每年多少钱?")
    assert not answer.refused and answer.answer.endswith("280元")


def test_a_calendar_date_is_not_a_quantity_and_a_lone_figure_is_one() -> None:
    text = "9月27日青山港开港，1—5月吞吐量达500万吨，截至6月底新增企业120家，用3个月时间完成"
    assert [figure for figure, _ in _own(text)] == ["500万吨", "120家", "3个月"]
    assert [figure for figure, _ in _own("13亿人")] == ["13亿人"]


def test_a_stretch_target_ends_where_its_figure_does() -> None:
    text = (
        "星火投资增长15%以上、力争达到20%，松果产量1.2万吨，力争1.5万吨，新增企业30家、争取50个。"
    )
    first = text.index("15%")
    assert text[first : stretch_end(text, first, first + 5)] == "15%以上、力争达到20%"
    tons = text.index("1.2万吨")
    assert text[tons : stretch_end(text, tons, tons + 5)] == "1.2万吨，力争1.5万吨"
    firms = text.index("30家")
    assert stretch_end(text, firms, firms + 3) == firms + 3  # 个 is another unit
