"""The members of a counted name (rag.answer.counted), on a made-up plan that is in no corpus.

A group named by its count and a shared word is answered by the list of exactly that many
members beside it: an enumeration before the shared word, one introduced after the name, or
parallel phrases opening the sentences after it. A list of another count, or one merely
near the word, is not its members.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from rag.answer.counted import counted_name
from rag.answer.question import classify
from rag.config import Settings
from rag.records import Document
from rag.service import RagService
from tests.conftest import service_over

REPORT = """2033年青山市政府工作报告
一、2032年工作回顾
“三向发力”成效明显。向东发力，星火园区新增企业30家。向西发力，松果物流通道建成投用。向北发力，光谷新城完成开发。
二、2033年主要任务
（一）打好三大攻坚战。要打好星火保卫、松果振兴、光谷提升的攻坚战，确保取得实效。
（二）落实“两个清单”：星火清单、松果清单。推进青山、白云、绿水等服务。
（三）推进“四向发力”。向南发力，开放水平提升。向上发力，创新能力提升。
（四）建设青山湖、白云湾、绿水谷三大片区，完善配套设施。
（五）加快建设“星火+松果”、青山工匠、白云经纪人三支队伍。
（六）确保四大战役见行见效。成立专班推进。聚焦星火升级，产值增长。聚焦松果外贸，出口增长。聚焦光谷人才，引进增加。聚焦白云环境，质量提升。
"""


@pytest.fixture
def service(settings: Settings, tmp_path: Path) -> RagService:
    return service_over(settings, tmp_path / "plans", {"qs.txt": REPORT})


@pytest.mark.parametrize(
    ("question", "members"),
    [
        # parallel phrases opening the sentences after the name
        ("青山市“三向发力”指哪三个方向？", ["向东发力", "向西发力", "向北发力"]),
        # an enumeration joined to the shared word by 的
        ("青山市的三大攻坚战是哪三个？", ["星火保卫", "松果振兴", "光谷提升"]),
        # introduced after the name by a colon
        ("青山市“两个清单”是哪两个？", ["星火清单", "松果清单"]),
        # joined by the count itself, asked with 哪些
        ("青山市三大片区是哪些？", ["青山湖", "白云湾", "绿水谷"]),
        # asked in other words than the plan's name of the group, a quoted member among them
        ("青山市要建设的三类人才队伍是哪三类？", ["星火+松果", "青山工匠", "白云经纪人"]),
        # parallel paragraphs that open with one word, right after the name
        ("青山市四大战役是哪几个？", ["星火升级", "松果外贸", "光谷人才", "白云环境"]),
    ],
)
def test_a_counted_name_is_answered_by_its_members(
    service: RagService, question: str, members: list[str]
) -> None:
    answer = service.ask(question)
    assert not answer.refused and answer.qtype == "list", answer.answer
    for member in members:
        assert member in answer.answer
        assert any(member in c.quote for c in answer.citations)


def test_a_name_only_an_older_plan_writes_is_read_there(settings: Settings, tmp_path: Path) -> None:
    # a question with no year reads the newest plan, unless the name it counts is written only
    # in an older one
    plans = {
        "qs-2031.txt": REPORT.replace("2033年", "2031年").replace("2032年", "2030年"),
        "qs-2033.txt": "2033年青山市政府工作报告\n一、2032年工作回顾\n星火产值增长6%。\n"
        "二、2033年主要任务\n今年星火产值增长7%左右。建设星火片区、松果片区、白云片区等。\n",
    }
    svc = service_over(settings, tmp_path / "years", plans)
    # the newest plan alone is not where the name is read
    prepared = svc.prepare("青山市三大片区是哪些？")
    assert not prepared.narrowed and prepared.scope.doc_ids == {"qs-2031", "qs-2033"}
    answer = svc.ask("青山市三大片区是哪些？")
    assert not answer.refused and "白云湾" in answer.answer, answer.answer  # not the 2033 list
    assert svc.ask("青山市今年星火产值增长目标是多少？").answer.endswith("7%左右")


def test_a_list_of_another_count_is_not_the_members(service: RagService) -> None:
    # 「四向发力」 is followed by two openers only: no list of four is given
    answer = service.ask("青山市“四向发力”指哪四个方向？")
    assert not (
        "向南发力" in answer.answer and "向上发力" in answer.answer and "、" in answer.answer
    )


def test_the_count_asked_must_be_the_names_count(service: RagService) -> None:
    # 「哪四个」 of a group of three: the three members are no answer of four
    answer = service.ask("青山市的三大攻坚战是哪四个？")
    assert answer.answer != "要打好星火保卫、松果振兴、光谷提升的攻坚战"


def test_things_such_as_these_are_no_counted_group() -> None:
    # 「青山、白云、绿水等服务」 lists services, it does not define a group of three
    from rag.answer.counted import _listed

    doc = Document("d", "d.txt", REPORT, "t", "0")
    assert _listed(doc, "三服务", "服务", 3) == []
    assert [c.quote for c in _listed(doc, "两个清单", "清单", 2)] == [
        "两个清单”：星火清单、松果清单"
    ]


@pytest.mark.parametrize(
    ("question", "listing"),
    [
        ("“三向发力”指哪三个方向？", True),
        ("五篇大文章是哪五篇？", True),
        # a count of places or years asks which, not what members
        ("哪两个省提出了这个目标？", False),
        ("哪两年提出了这个目标？", False),
    ],
)
def test_asking_for_a_count_of_members_is_a_list_question(question: str, listing: bool) -> None:
    assert (classify(question) == "list") is listing


def test_the_name_is_the_longest_phrase_a_document_writes() -> None:
    doc = Document("d", "d.txt", REPORT, "t", "0")
    assert counted_name("青山市的三大攻坚战是哪三个？", [doc]) == ("三大攻坚战", "攻坚战", 3)
    assert counted_name("青山市的五大攻坚战是哪五个？", [doc]) is None
    # not written as asked: the plan's name of that count ending in the asked one's tail
    assert counted_name("三类人才队伍是哪三类？", [doc]) == ("三支队伍", "支队伍", 3)
    assert counted_name("四类人才队伍是哪四类？", [doc]) is None
