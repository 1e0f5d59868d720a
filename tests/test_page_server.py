"""What the chat page relies on from the server: the streamed answer at once, the question limit,
short refusals, and related reading that stays inside the filters."""

from __future__ import annotations

import asyncio
import json
import re
import time

import pytest
from fastapi.testclient import TestClient

from rag.config import Settings
from rag.records import Answer
from rag.retrieval.retrieve import Filters
from rag.server.routes_ask import answer_events
from rag.server.streaming import answer_pieces
from rag.service import RagService
from tests.conftest import events

SHAANXI = "002_9588b7af80620eb9"
FOREIGN = "广东省2021年新增多少高新技术企业?"
COMPARE = "陕西和安徽的高新技术企业目标分别是多少?"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The shared settings with a question limit of its own, which the page must learn."""
    return settings.replace(max_question_chars=120)


# --- streaming --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text", ["2500亿元", "安徽省:10%以上【1】\n陕西省:2500亿元【2】", "", "a[1]b【", "【x】\n\n"]
)
def test_answer_pieces_join_back_with_lines_and_markers_whole(text: str) -> None:
    parts = answer_pieces(text)
    assert "".join(parts) == text
    for marker in re.findall(r"【\d+】|\[\d+\]", text):
        assert marker in parts
    # whole runs of text, not a drip of characters
    assert len(parts) <= text.count("\n") + 2 * len(re.findall(r"【\d+】|\[\d+\]", text)) + 3


def test_a_long_answer_is_sent_at_once() -> None:
    """The answer exists whole before streaming starts: nothing is held back by a timer."""
    text = "\n".join(f"第{i}条:技术合同成交额达到2500亿元【{i % 3 + 1}】" for i in range(200))
    answer = Answer("问题", text, False, (), (), "list")
    payload = {"rows": [], "passages": []}

    async def collect() -> list[str]:
        return [event async for event in answer_events(answer, payload)]

    began = time.perf_counter()
    sent = asyncio.run(collect())
    assert time.perf_counter() - began < 0.5  # the old 12 ms per 3 characters took 30 s here
    tokens = [json.loads(e.split("data: ", 1)[1])["text"] for e in sent if "event: token" in e]
    assert "".join(tokens) == text
    assert len(tokens) == len(answer_pieces(text)) <= 3 * 200


def test_stream_over_http_has_the_whole_answer(client: TestClient) -> None:
    plain = client.post("/api/ask", json={"question": COMPARE}).json()
    got = events(client.post("/api/ask/stream", json={"question": COMPARE}).text)
    tokens = [d["text"] for name, d in got if name == "token"]
    assert "".join(tokens) == plain["answer"]
    assert all(t == "\n" or re.fullmatch(r"【\d+】", t) or "【" not in t for t in tokens)


# --- the question limit -----------------------------------------------------------------------


def test_the_page_can_read_the_question_limit(client: TestClient) -> None:
    assert client.get("/api/ask/limits").json() == {"max_question_chars": 120}
    r = client.post("/api/ask", json={"question": "问" * 121})
    assert r.status_code == 400 and "120" in r.json()["error"]["message"]


# --- refusals ---------------------------------------------------------------------------------


def test_refusals_are_one_short_sentence_in_full_width_punctuation(client: TestClient) -> None:
    body = client.post("/api/ask", json={"question": FOREIGN}).json()
    assert body["refused"]
    assert body["answer"] == "文档中没有找到该问题的答案：文档不涉及广东省。"
    assert body["passages"]  # the related reading is there, for the page to show under a heading


def test_refusal_under_a_filter_reads_only_inside_it(fake_service: RagService) -> None:
    everywhere = fake_service.ask(FOREIGN)
    assert everywhere.refused and {h.chunk.doc_id for h in everywhere.hits} - {SHAANXI}
    for filters in (Filters(region="陕西省"), Filters(doc_id=SHAANXI)):
        answer = fake_service.ask(FOREIGN, filters=filters)
        assert answer.refused
        assert answer.hits and {h.chunk.doc_id for h in answer.hits} == {SHAANXI}
    # a filter no document meets: nothing to read, rather than another province's plan
    none = fake_service.ask(FOREIGN, filters=Filters(region="陕西省", year=2021))
    assert none.refused and none.hits == ()


def test_refusal_under_a_filter_over_http(client: TestClient) -> None:
    body = client.post(
        "/api/ask", json={"question": FOREIGN, "filters": {"region": "陕西省"}}
    ).json()
    assert body["refused"] and {p["doc_id"] for p in body["passages"]} == {SHAANXI}
    assert all("陕西" in p["title"] for p in body["passages"])
