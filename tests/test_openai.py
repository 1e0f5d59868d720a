"""The official `openai` client against a real server with the real model."""

from __future__ import annotations

from typing import Any

import pytest

from tests.live_server import LiveServer, live_server

openai = pytest.importorskip("openai")

pytestmark = [pytest.mark.slow]

QUESTION = "陕西省2022年技术合同成交额目标是多少?"


@pytest.fixture(scope="session")
def server() -> LiveServer:
    return live_server()


@pytest.fixture
def client(server: LiveServer) -> Any:
    return openai.OpenAI(base_url=server.url + "/v1", api_key="unused", max_retries=0)


def test_models(client: Any) -> None:
    assert [m.id for m in client.models.list()] == ["plan-rag"]


def test_chat_completion(client: Any) -> None:
    completion = client.chat.completions.create(
        model="plan-rag", messages=[{"role": "user", "content": QUESTION}]
    )
    content = completion.choices[0].message.content
    assert content.startswith("2022年目标:技术合同成交额达到2500亿元[1]")
    assert completion.choices[0].finish_reason == "stop"
    citations = completion.model_extra["citations"]
    assert citations[0]["index"] == 1
    assert "2500亿元" in citations[0]["quote"]
    assert "陕西" in citations[0]["title"]
    assert citations[0]["quote"] in content  # the source list repeats the quote after [1]
    assert completion.model_extra["refused"] is False


def test_chat_completion_stream(client: Any) -> None:
    stream = client.chat.completions.create(
        model="plan-rag", messages=[{"role": "user", "content": QUESTION}], stream=True
    )
    text = ""
    citations = None
    for chunk in stream:
        delta = chunk.choices[0].delta
        text += delta.content or ""
        if chunk.choices[0].finish_reason == "stop":
            citations = chunk.model_extra["citations"]
    assert text.startswith("2022年目标:技术合同成交额达到2500亿元[1]")
    assert citations and "2500亿元" in citations[0]["quote"]


def test_follow_up_through_the_client(client: Any) -> None:
    completion = client.chat.completions.create(
        model="plan-rag",
        messages=[
            {"role": "user", "content": "安徽2021年新增多少家省级科技特派员工作站?"},
            {"role": "assistant", "content": "50家[1]"},
            {"role": "user", "content": "那陕西呢?"},
        ],
    )
    assert "陕西" in completion.model_extra["question"]


def test_errors_reach_the_client_readably(client: Any) -> None:
    with pytest.raises(openai.BadRequestError, match="must not be empty"):
        client.chat.completions.create(
            model="plan-rag", messages=[{"role": "user", "content": " "}]
        )


def test_an_unknown_model_is_the_clients_not_found_error(client: Any) -> None:
    with pytest.raises(openai.NotFoundError) as caught:
        client.chat.completions.create(
            model="gpt-4o", messages=[{"role": "user", "content": QUESTION}]
        )
    assert caught.value.code == "model_not_found"
    assert caught.value.param == "model"
    assert "plan-rag" in caught.value.message
