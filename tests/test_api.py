"""The HTTP API over the seed documents with the fake embedder: endpoints, errors, guards."""

from __future__ import annotations

import json
import re
import sqlite3
from typing import Any

import pytest
from fastapi.testclient import TestClient

from rag.config import Settings
from rag.server.app import FEEDBACK_DB, WEB_DIR
from rag.server.feedback import FeedbackStore
from rag.server.guards import RateLimiter, api_key_problem
from rag.server.streaming import answer_pieces
from tests.conftest import MakeClient, events

# the numeric answer names its period and measure, then the figure (all verbatim but the label)
SHAANXI_ANSWER = "2022年目标:技术合同成交额达到2500亿元"

SHAANXI = "002_9588b7af80620eb9"
NUMERIC = "陕西省2022年技术合同成交额目标是多少?"
COMPARE = "陕西和安徽的高新技术企业目标分别是多少?"
FOREIGN = "广东省2021年新增多少高新技术企业?"

# --- endpoints -----------------------------------------------------------------------------


def test_health(client: TestClient) -> None:
    body = client.get("/api/health").json()
    assert body["status"] == "ok"
    assert body["documents"] == 5
    assert body["auth"] is False


def test_ask_answers_with_citation_and_timings(client: TestClient) -> None:
    r = client.post("/api/ask", json={"question": NUMERIC})
    assert r.status_code == 200
    body = r.json()
    assert body["answer"] == SHAANXI_ANSWER
    assert not body["refused"]
    assert body["citations"][0]["doc_id"] == SHAANXI
    assert "2500亿元" in body["citations"][0]["quote"]
    assert set(body["timings_ms"]) >= {"scope", "retrieve", "answer", "total"}
    assert body["passages"][0]["scores"].keys() >= {"bm25", "dense", "fused"}
    timing = r.headers["server-timing"]
    assert "retrieve;dur=" in timing and "app;dur=" in timing


def test_citation_offsets_point_into_the_document_text(client: TestClient) -> None:
    body = client.post("/api/ask", json={"question": COMPARE}).json()
    assert body["type"] == "compare"
    assert [row["citation"] for row in body["rows"]] == [1, 2]
    for c in body["citations"]:
        doc = client.get(f"/api/documents/{c['doc_id']}").json()
        assert doc["text"][c["start"] : c["end"]] == c["quote"]


def test_refusal_lists_related_passages(client: TestClient) -> None:
    body = client.post("/api/ask", json={"question": FOREIGN}).json()
    assert body["refused"]
    assert "广东" in body["answer"]
    assert body["citations"] == []
    assert body["passages"]


def test_follow_up_uses_history(client: TestClient) -> None:
    body = client.post(
        "/api/ask",
        json={
            "question": "那陕西呢?",
            "history": [
                {"question": "安徽2021年新增多少家省级科技特派员工作站?", "answer": "50家"}
            ],
        },
    ).json()
    assert "陕西" in body["question"] and "科技特派员工作站" in body["question"]


def test_filters_restrict_the_documents(client: TestClient) -> None:
    body = client.post(
        "/api/ask", json={"question": "技术合同成交额目标是多少?", "filters": {"doc_id": SHAANXI}}
    ).json()
    assert {p["doc_id"] for p in body["passages"]} == {SHAANXI}


def test_stream_sends_meta_tokens_citations_done(client: TestClient) -> None:
    plain = client.post("/api/ask", json={"question": COMPARE}).json()
    r = client.post("/api/ask/stream", json={"question": COMPARE})
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/event-stream")
    got = events(r.text)
    names = [name for name, _ in got]
    assert names[0] == "meta" and names[-2:] == ["citations", "done"]
    assert set(names[1:-2]) == {"token"} and len(names) > 4
    assert "".join(d["text"] for name, d in got if name == "token") == plain["answer"]
    assert got[0][1] == {"question": COMPARE, "type": "compare", "refused": False}
    assert got[-2][1]["citations"] == plain["citations"]
    assert got[-2][1]["rows"] == plain["rows"]
    assert "total" in got[-1][1]["timings_ms"]


def test_stream_errors_come_before_the_stream_as_json(client: TestClient) -> None:
    r = client.post("/api/ask/stream", json={"question": "  "})
    assert r.status_code == 400
    assert r.json()["error"]["message"] == "question must not be empty"


@pytest.mark.parametrize(
    "text", ["2500亿元", "安徽省:10%以上【1】\n陕西省:2500亿元【2】", "", "a[1]b"]
)
def test_stream_pieces_join_back_and_keep_markers_whole(text: str) -> None:
    parts = answer_pieces(text)
    assert "".join(parts) == text
    for marker in re.findall(r"【\d+】|\[\d+\]", text):
        assert marker in parts


def test_search_returns_ranked_passages_with_scores(client: TestClient) -> None:
    r = client.get("/api/search", params={"q": "技术合同成交额", "top_k": 3, "region": "陕西省"})
    assert r.status_code == 200
    body = r.json()
    assert [p["rank"] for p in body["passages"]] == [1, 2, 3]
    assert {p["doc_id"] for p in body["passages"]} == {SHAANXI}
    assert body["passages"][0]["scores"]["fused"] >= body["passages"][-1]["scores"]["fused"]
    assert "search" in body["timings_ms"]


@pytest.mark.parametrize(
    ("params", "status"),
    [
        ({}, 422),
        ({"q": ""}, 422),
        ({"q": "技术", "top_k": 0}, 422),
        ({"q": "技术", "year": "abc"}, 422),
        ({"q": "技术", "fusion": "magic"}, 422),
        ({"q": "技术", "doc_id": "nope"}, 400),
    ],
)
def test_search_rejects_bad_parameters(
    client: TestClient, params: dict[str, Any], status: int
) -> None:
    r = client.get("/api/search", params=params)
    assert r.status_code == status
    assert r.json()["error"]["message"]


def test_documents_list_and_one_document(client: TestClient) -> None:
    docs = client.get("/api/documents").json()["documents"]
    assert len(docs) == 5
    assert {"doc_id", "title", "region", "year", "chars", "sections"} <= docs[0].keys()
    doc = client.get(f"/api/documents/{SHAANXI}").json()
    assert doc["region"] == "陕西省" and doc["year"] == 2022
    assert len(doc["text"]) == doc["chars"]
    assert len(doc["outline"]) == doc["sections"]
    top = doc["outline"][0]
    assert {
        "id",
        "number",
        "title",
        "label",
        "level",
        "start",
        "end",
        "path",
        "parent",
    } <= top.keys()
    child = next(s for s in doc["outline"] if s["parent"])
    parent = next(s for s in doc["outline"] if s["id"] == child["parent"])
    assert parent["start"] <= child["start"] <= child["end"] <= parent["end"]


@pytest.mark.parametrize(
    "doc_id",
    [
        "nope",
        "..%2F..%2Fetc%2Fpasswd",
        "%2E%2E",
        "..",
        "...",
        "..%5C..%5Cwindows",
        "%2Fetc%2Fpasswd",
        "seeds%2F002_9588b7af80620eb9.txt",
        "002_9588b7af80620eb9.txt",
        "%00",
        "a" * 300,
    ],
)
def test_document_ids_cannot_reach_files(client: TestClient, doc_id: str) -> None:
    r = client.get(f"/api/documents/{doc_id}")
    assert 400 <= r.status_code < 500
    assert "root:" not in r.text
    assert r.json()["error"]["message"]


def test_unknown_document_is_404_naming_the_known_ids(client: TestClient) -> None:
    r = client.get("/api/documents/nope")
    assert r.status_code == 404
    assert SHAANXI in r.json()["error"]["message"]


# --- errors: user input never causes a 500 ----------------------------------------------------


@pytest.mark.parametrize(
    ("body", "status", "message"),
    [
        (b'{"question": ', 400, "not valid JSON"),
        (b"\xff\xfe\x00", 400, ""),
        (b"null", 422, "invalid request"),
        (b"[]", 422, "invalid request"),
        (b'"text"', 422, "invalid request"),
        (b'{"question": null}', 422, "question"),
        (b'{"question": 123}', 422, "question"),
        (b'{"question": ""}', 400, "question must not be empty"),
        (b'{"question": "   "}', 400, "question must not be empty"),
        (json.dumps({"question": "问" * 501}).encode(), 400, "at most 500 characters; got 501"),
        (b'{"question": "a", "top_k": 0}', 422, "top_k"),
        (b'{"question": "a", "top_k": "many"}', 422, "top_k"),
        (b'{"question": "a", "extra": 1}', 422, "extra"),
        (b'{"question": "a", "history": "x"}', 422, "history"),
        (b'{"question": "a", "filters": {"year": 1}}', 422, "filters.year"),
        (b'{"question": "a", "filters": {"doc_id": "../x"}}', 400, "filters.doc_id"),
        (b'{"question": "a", "history": [{"answer": "b"}]}', 422, "history.0.question"),
    ],
)
def test_bad_requests_get_a_readable_4xx(
    client: TestClient, body: bytes, status: int, message: str
) -> None:
    r = client.post("/api/ask", content=body, headers={"Content-Type": "application/json"})
    assert r.status_code == status, r.text
    error = r.json()["error"]
    assert message in error["message"]


def test_wrong_content_type_is_a_4xx(client: TestClient) -> None:
    r = client.post("/api/ask", content=b"question", headers={"Content-Type": "text/plain"})
    assert r.status_code == 422


@pytest.mark.parametrize(
    "path", ["/api/ask", "/api/ask/stream", "/api/feedback", "/v1/chat/completions"]
)
def test_body_too_large(client: TestClient, settings: Settings, path: str) -> None:
    big = json.dumps({"question": "问" * settings.max_body_bytes}).encode()
    r = client.post(path, content=big, headers={"Content-Type": "application/json"})
    assert r.status_code == 413
    assert f"at most {settings.max_body_bytes} bytes" in r.json()["error"]["message"]


def test_chunked_body_too_large(client: TestClient, settings: Settings) -> None:
    chunks = iter([b'{"question": "', b"a" * (settings.max_body_bytes + 10), b'"}'])
    r = client.post("/api/ask", content=chunks, headers={"Content-Type": "application/json"})
    assert r.status_code == 413
    assert "bytes" in r.json()["error"]["message"]


def test_unknown_route_and_method(client: TestClient) -> None:
    assert client.get("/api/nothing").status_code == 404
    assert client.get("/api/ask").status_code == 405


# --- feedback -----------------------------------------------------------------------------


def test_feedback_is_stored_in_sqlite(client: TestClient, settings: Settings) -> None:
    answer = client.post("/api/ask", json={"question": NUMERIC}).json()
    r = client.post(
        "/api/feedback",
        json={
            "question": answer["question"],
            "answer": answer["answer"],
            "citations": answer["citations"],
            "rating": "down",
            "comment": "  想看完整的指标表  ",
        },
    )
    assert r.status_code == 201
    stored_id = r.json()["id"]
    with sqlite3.connect(settings.data_dir / FEEDBACK_DB) as conn:
        row = conn.execute(
            "SELECT question, answer, citations, rating, comment, created FROM feedback WHERE id=?",
            (stored_id,),
        ).fetchone()
    question, text, citations, rating, comment, created = row
    assert (question, text, rating, comment) == (
        NUMERIC,
        SHAANXI_ANSWER,
        -1,
        "想看完整的指标表",
    )
    assert json.loads(citations)[0]["quote"] == answer["citations"][0]["quote"]
    assert re.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00", created)
    latest = FeedbackStore(settings.data_dir / FEEDBACK_DB).recent(1)[0]
    assert latest.id == stored_id and latest.rating == -1


@pytest.mark.parametrize(
    "body",
    [
        {"question": "q", "rating": "meh"},
        {"question": "", "rating": "up"},
        {"rating": "up"},
        {"question": "q", "rating": "up", "comment": "x" * 2001},
        {"question": "q", "rating": "up", "citations": "none"},
    ],
)
def test_feedback_rejects_bad_bodies(client: TestClient, body: dict[str, Any]) -> None:
    r = client.post("/api/feedback", json=body)
    assert r.status_code == 422
    assert r.json()["error"]["message"].startswith("invalid request")


def test_feedback_store_rejects_a_bad_rating(tmp_path: Any) -> None:
    with pytest.raises(ValueError, match="rating must be 1 or -1; got 0"):
        FeedbackStore(tmp_path / "f.sqlite3").add("q", "a", [], 0)


# --- guards -------------------------------------------------------------------------------


def test_api_key_is_off_by_default(client: TestClient) -> None:
    assert client.post("/api/ask", json={"question": NUMERIC}).status_code == 200


def test_api_key_when_set(make_client: MakeClient) -> None:
    client = make_client(api_key="s3cret")
    ask = {"question": NUMERIC}
    missing = client.post("/api/ask", json=ask)
    assert missing.status_code == 401
    assert "Authorization: Bearer" in missing.json()["error"]["message"]
    assert missing.headers["www-authenticate"] == "Bearer"
    wrong = client.post("/api/ask", json=ask, headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401 and "not valid" in wrong.json()["error"]["message"]
    basic = client.post("/api/ask", json=ask, headers={"Authorization": "Basic czNjcmV0"})
    assert basic.status_code == 401
    ok = client.post("/api/ask", json=ask, headers={"Authorization": "Bearer s3cret"})
    assert ok.status_code == 200
    assert client.get("/v1/models").status_code == 401
    assert client.get("/v1/models", headers={"Authorization": "Bearer s3cret"}).status_code == 200
    # health and the page stay open; the docs, the schema and metrics need the key too
    assert client.get("/api/health").json()["auth"] is True
    assert client.get("/").status_code == 200
    key = {"Authorization": "Bearer s3cret"}
    for path in ("/docs", "/openapi.json", "/metrics"):
        assert client.get(path).status_code == 401, path
        assert client.get(path, headers=key).status_code == 200, path
    spec = client.get("/openapi.json", headers=key).json()
    assert spec["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
    assert spec["paths"]["/api/ask"]["post"]["security"] == [{"bearer": []}]
    assert "security" not in spec["paths"]["/api/health"]["get"]


def test_docs_and_metrics_can_be_made_public(make_client: MakeClient) -> None:
    client = make_client(api_key="s3cret", public_docs=True)
    for path in ("/docs", "/openapi.json", "/metrics"):
        assert client.get(path).status_code == 200, path
    assert client.post("/api/ask", json={"question": NUMERIC}).status_code == 401


@pytest.mark.parametrize(
    ("header", "problem"),
    [
        ("Bearer k", None),
        ("bearer k", None),
        (None, "requires an API key"),
        ("Bearer", "form 'Bearer <key>'"),
        ("Token k", "form 'Bearer <key>'"),
        ("Bearer kk", "not valid"),
    ],
)
def test_api_key_problem(header: str | None, problem: str | None) -> None:
    found = api_key_problem("k", header)
    assert found is None if problem is None else problem in (found or "")


def test_rate_limit(make_client: MakeClient) -> None:
    client = make_client(rate_limit_per_minute=3)
    for _ in range(3):
        assert client.get("/api/documents").status_code == 200
    r = client.post("/api/ask", json={"question": NUMERIC})
    assert r.status_code == 429
    assert "at most 3 per minute" in r.json()["error"]["message"]
    assert int(r.headers["retry-after"]) >= 1
    assert client.get("/api/health").status_code == 200


def test_rate_limiter_is_a_token_bucket() -> None:
    now = [0.0]
    limiter = RateLimiter(2, clock=lambda: now[0])
    # a burst of 2, then one more every 30 s (2 per minute)
    assert limiter.retry_after("a") == 0 and limiter.retry_after("a") == 0
    assert limiter.retry_after("a") == pytest.approx(30.0)
    assert limiter.retry_after("b") == 0
    now[0] = 20.0
    assert limiter.retry_after("a") == pytest.approx(10.0)
    now[0] = 30.0
    assert limiter.retry_after("a") == 0
    assert limiter.retry_after("a") == pytest.approx(30.0)
    with pytest.raises(ValueError, match="got -1"):
        RateLimiter(-1)


def test_cors_is_closed_by_default(client: TestClient) -> None:
    origin = {"Origin": "http://evil.example"}
    r = client.get("/api/documents", headers=origin)
    assert "access-control-allow-origin" not in r.headers
    pre = client.options("/api/ask", headers={**origin, "Access-Control-Request-Method": "POST"})
    assert "access-control-allow-origin" not in pre.headers


def test_cors_allows_only_configured_origins(make_client: MakeClient) -> None:
    client = make_client(cors_origins=("http://intranet.example",))
    ok = client.get("/api/documents", headers={"Origin": "http://intranet.example"})
    assert ok.headers["access-control-allow-origin"] == "http://intranet.example"
    other = client.get("/api/documents", headers={"Origin": "http://evil.example"})
    assert "access-control-allow-origin" not in other.headers
    pre = client.options(
        "/api/ask",
        headers={"Origin": "http://intranet.example", "Access-Control-Request-Method": "POST"},
    )
    assert pre.status_code == 200


def test_preflight_passes_the_key_check(make_client: MakeClient) -> None:
    client = make_client(api_key="k", cors_origins=("http://intranet.example",))
    pre = client.options(
        "/api/ask",
        headers={
            "Origin": "http://intranet.example",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization,content-type",
        },
    )
    assert pre.status_code == 200


# --- metrics, docs, page --------------------------------------------------------------------


def test_metrics_in_prometheus_format(client: TestClient) -> None:
    client.post("/api/ask", json={"question": NUMERIC})
    client.post("/api/ask", json={"question": FOREIGN})
    client.post("/api/ask", json={"question": ""})
    client.get(f"/api/documents/{SHAANXI}")
    client.get("/api/documents/nope")
    client.post("/api/feedback", json={"question": "q", "rating": "up"})
    r = client.get("/metrics")
    assert r.headers["content-type"].startswith("text/plain; version=0.0.4")
    text = r.text
    assert 'rag_http_requests_total{method="POST",path="/api/ask",status="200"} 2' in text
    assert 'rag_http_requests_total{method="POST",path="/api/ask",status="400"} 1' in text
    assert 'path="/api/documents/{doc_id}",status="404"} 1' in text
    assert "nope" not in text
    assert 'rag_http_request_duration_seconds_bucket{path="/api/ask",le="+Inf"} 3' in text
    assert 'rag_http_request_duration_seconds_count{path="/api/ask"} 3' in text
    assert "rag_refusals_total 1" in text
    assert 'rag_answers_total{type="numeric",outcome="answered"} 1' in text
    assert 'rag_feedback_total{rating="up"} 1' in text
    for line in text.splitlines():
        assert line.startswith("#") or re.match(r"^[a-z_]+(\{.*\})? [0-9.e+-]+$", line), line


def test_openapi_has_chinese_examples_and_docs_are_local(client: TestClient) -> None:
    spec = client.get("/openapi.json").text
    assert NUMERIC in spec and "那陕西呢" in spec
    paths = json.loads(spec)["paths"]
    assert {
        "/api/ask",
        "/api/ask/stream",
        "/api/search",
        "/api/documents",
        "/api/documents/{doc_id}",
        "/api/feedback",
        "/v1/chat/completions",
        "/v1/models",
        "/metrics",
    } <= paths.keys()
    docs = client.get("/docs").text
    assert "/docs-assets/swagger-ui-bundle.js" in docs
    assert not re.search(r"(src|href)=['\"]https?://", docs)
    assert client.get("/docs-assets/swagger-ui-bundle.js").status_code == 200


def test_page_and_static_files_are_served(client: TestClient) -> None:
    page = client.get("/")
    assert page.status_code == 200 and "科技工作要点问答" in page.text
    for name in ("app.js", "style.css"):
        assert client.get(f"/static/{name}").status_code == 200


@pytest.mark.parametrize("name", ["index.html", "app.js", "style.css"])
def test_page_loads_nothing_from_elsewhere(name: str) -> None:
    text = (WEB_DIR / name).read_text(encoding="utf-8")
    # the SVG namespace is an identifier, not a download
    urls = set(re.findall(r"(?:https?:)?//[\w.-]+\.[a-z]{2,}[^\s'\"]*", text)) - {
        "http://www.w3.org/2000/svg"
    }
    assert urls == set()
    assert "@import" not in text and "@font-face" not in text


def test_page_never_parses_data_as_html() -> None:
    script = (WEB_DIR / "app.js").read_text(encoding="utf-8")
    for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval("):
        assert sink not in script


# --- OpenAI-compatible ----------------------------------------------------------------------


def test_chat_completion(client: TestClient) -> None:
    r = client.post(
        "/v1/chat/completions",
        json={"model": "plan-rag", "messages": [{"role": "user", "content": NUMERIC}]},
    )
    assert r.status_code == 200
    body = r.json()
    assert body["object"] == "chat.completion"
    content = body["choices"][0]["message"]["content"]
    assert content.startswith("2022年目标:技术合同成交额达到2500亿元[1]")
    assert body["choices"][0]["finish_reason"] == "stop"
    assert body["citations"][0]["index"] == 1
    assert body["citations"][0]["doc_id"] == SHAANXI
    assert body["refused"] is False
    assert body["usage"]["total_tokens"] > 0
    assert "total" in body["timings_ms"]


def test_chat_completion_stream(client: TestClient) -> None:
    r = client.post(
        "/v1/chat/completions",
        json={"stream": True, "messages": [{"role": "user", "content": COMPARE}]},
    )
    assert r.status_code == 200
    blocks = [b.removeprefix("data: ") for b in r.text.strip().split("\n\n")]
    assert blocks[-1] == "[DONE]"
    chunks = [json.loads(b) for b in blocks[:-1]]
    assert chunks[0]["choices"][0]["delta"]["role"] == "assistant"
    text = "".join(c["choices"][0]["delta"].get("content", "") for c in chunks)
    assert text.startswith(
        "陕西省:2022年目标:新增高新技术企业1500家[1]\n"
        "安徽省:2021年目标:新培育科技型中小企业2000家左右、高新技术企业总数达到10000家[2]"
    )
    assert chunks[-1]["choices"][0]["finish_reason"] == "stop"
    assert [c["index"] for c in chunks[-1]["citations"]] == [1, 2]
    assert len({c["id"] for c in chunks}) == 1


def test_chat_history_makes_follow_ups_work(client: TestClient) -> None:
    body = client.post(
        "/v1/chat/completions",
        json={
            "messages": [
                {"role": "system", "content": "你是助手"},
                {"role": "user", "content": "安徽2021年新增多少家省级科技特派员工作站?"},
                {"role": "assistant", "content": "50家[1]"},
                {"role": "user", "content": [{"type": "text", "text": "那陕西呢?"}]},
            ]
        },
    ).json()
    assert "陕西" in body["question"] and "科技特派员工作站" in body["question"]


def test_chat_refusal_lists_related_passages(client: TestClient) -> None:
    body = client.post(
        "/v1/chat/completions", json={"messages": [{"role": "user", "content": FOREIGN}]}
    ).json()
    assert body["refused"] is True and body["citations"] == []
    assert "相关段落" in body["choices"][0]["message"]["content"]


@pytest.mark.parametrize(
    ("body", "status", "message"),
    [
        ({"messages": []}, 422, "messages"),
        ({"messages": [{"role": "assistant", "content": "hi"}]}, 400, "role 'user'"),
        ({"messages": [{"role": "robot", "content": "hi"}]}, 422, "role"),
        ({"messages": [{"role": "user", "content": ""}]}, 400, "must not be empty"),
        ({"messages": "hi"}, 422, "messages"),
    ],
)
def test_chat_rejects_bad_bodies(
    client: TestClient, body: dict[str, Any], status: int, message: str
) -> None:
    r = client.post("/v1/chat/completions", json=body)
    assert r.status_code == status
    assert message in r.json()["error"]["message"]


def test_models(client: TestClient) -> None:
    body = client.get("/v1/models").json()
    assert body["object"] == "list"
    assert body["data"][0]["id"] == "plan-rag"


@pytest.mark.parametrize(
    "path", ["/api/health", "/api/documents", f"/api/documents/{SHAANXI}", "/metrics", "/nope"]
)
def test_every_response_carries_server_timing(client: TestClient, path: str) -> None:
    assert re.search(r"app;dur=\d+\.\d", client.get(path).headers["server-timing"])


@pytest.mark.parametrize("path", ["/api/ask", "/api/ask/stream", "/v1/chat/completions"])
def test_a_lone_surrogate_gets_a_4xx_not_a_500(client: TestClient, path: str) -> None:
    # the JSON escape reaches the app as a lone surrogate: no client library can send it raw
    if path.startswith("/v1"):
        raw = '{"model": "plan-rag", "messages": [{"role": "user", "content": "\\ud800陕西"}]}'
    else:
        raw = '{"question": "\\ud800陕西"}'
    r = client.post(path, content=raw.encode(), headers={"content-type": "application/json"})
    assert 400 <= r.status_code < 500, r.text
    assert "surrogate" in r.text or "Unicode" in r.text or "unicode" in r.text


def test_openai_refusal_names_documents_by_title_and_streams_without_pauses(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    body = {
        "model": "plan-rag",
        "messages": [{"role": "user", "content": "陕西省2022年新增多少家量子计算独角兽?"}],
    }
    reply = client.post("/v1/chat/completions", json=body).json()
    content = reply["choices"][0]["message"]["content"]
    assert reply["refused"] and "相关段落" in content
    assert ".txt" not in content and "科技工作要点" in content

    async def no_pause(seconds: float) -> None:
        raise AssertionError("the stream paused")

    monkeypatch.setattr("asyncio.sleep", no_pause)
    streamed = client.post("/v1/chat/completions", json={**body, "stream": True})
    assert streamed.status_code == 200 and "[DONE]" in streamed.text
