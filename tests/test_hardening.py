"""Server hardening over the seeds with the fake embedder: undecodable text, timeouts and the
connection cap of the real uvicorn server, forwarded headers, the rate limit, load shedding,
the feedback database's failures and OpenAI's model errors."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi.testclient import TestClient

from rag.config import Settings
from rag.errors import FeedbackUnavailableError, InputError, OverloadedError
from rag.records import Answer
from rag.server.app import FEEDBACK_DB, create_app
from rag.server.feedback import FeedbackStore
from rag.server.guards import AnswerGate, RateLimiter
from rag.server.runner import server_config
from rag.service import RagService

NUMERIC = "陕西省2022年技术合同成交额目标是多少?"
JSON = {"content-type": "application/json"}


# --- undecodable text -------------------------------------------------------------------------

# each body carries the JSON escape \ud800, which decodes to a lone surrogate (no client library
# sends one raw); every text field of every body is covered, not only the question
SURROGATE = "\\ud800"
BODIES = [
    ("/api/ask", f'{{"question": "{SURROGATE}陕西"}}'),
    ("/api/ask", f'{{"question": "a", "history": [{{"question": "{SURROGATE}"}}]}}'),
    ("/api/ask", f'{{"question": "a", "filters": {{"region": "{SURROGATE}"}}}}'),
    ("/api/ask/stream", f'{{"question": "{SURROGATE}陕西"}}'),
    ("/api/ask/stream", f'{{"question": "a", "history": [{{"answer": "{SURROGATE}"}}]}}'),
    (
        "/v1/chat/completions",
        f'{{"messages": [{{"role": "user", "content": "{SURROGATE}陕西"}}]}}',
    ),
    (
        "/v1/chat/completions",
        '{"messages": [{"role": "user", "content": [{"type": "text", "text": "'
        + SURROGATE
        + '"}]}]}',
    ),
    (
        "/v1/chat/completions",
        f'{{"model": "{SURROGATE}", "messages": [{{"role": "user", "content": "a"}}]}}',
    ),
    ("/api/feedback", f'{{"question": "{SURROGATE}", "rating": "up"}}'),
    ("/api/feedback", f'{{"question": "q", "rating": "up", "comment": "{SURROGATE}"}}'),
    (
        "/api/feedback",
        f'{{"question": "q", "rating": "up", "citations": [{{"section_path": ["{SURROGATE}"]}}]}}',
    ),
]


@pytest.fixture
def client(settings: Settings, fake_service: RagService) -> Iterator[TestClient]:
    with TestClient(create_app(settings, fake_service)) as c:
        yield c


@pytest.mark.parametrize(("path", "raw"), BODIES)
def test_a_lone_surrogate_anywhere_in_a_body_is_a_4xx(
    client: TestClient, path: str, raw: str
) -> None:
    r = client.post(path, content=raw.encode(), headers=JSON)
    assert r.status_code == 422, r.text
    message = r.json()["error"]["message"]
    # ours ("lone surrogate at character 0"), or pydantic's own for length-checked fields
    assert "lone surrogate" in message or "unicode string" in message


@pytest.mark.parametrize(
    "path", ["/api/ask", "/api/ask/stream", "/api/feedback", "/v1/chat/completions"]
)
def test_undecodable_bytes_are_a_4xx(client: TestClient, path: str) -> None:
    # \xed\xa0\x80 is a surrogate written as UTF-8 (Python's JSON decoder lets it through as a
    # lone surrogate); \xff is no UTF-8 at all
    for raw in (b'{"question": "\xed\xa0\x80"}', b'{"question": "\xff"}', b"\xff\xfe\x00"):
        r = client.post(path, content=raw, headers=JSON)
        assert 400 <= r.status_code < 500, (raw, r.text)
        assert r.json()["error"]["message"]


def test_a_lone_surrogate_as_a_key_is_a_4xx(client: TestClient) -> None:
    r = client.post("/api/ask", content=f'{{"question": "a", "{SURROGATE}": 1}}', headers=JSON)
    assert r.status_code == 422
    assert r.json()["error"]["message"]


@pytest.mark.parametrize(
    "url", ["/api/search?q=%ED%A0%80", "/api/search?q=%FF", "/api/documents/%ED%A0%80"]
)
def test_undecodable_percent_escapes_are_not_a_500(client: TestClient, url: str) -> None:
    r = client.get(url)
    assert r.status_code < 500, r.text


# --- OpenAI compatibility ---------------------------------------------------------------------


def test_an_unknown_model_is_openais_404(client: TestClient) -> None:
    r = client.post(
        "/v1/chat/completions",
        json={"model": "gpt-4o", "messages": [{"role": "user", "content": NUMERIC}]},
    )
    assert r.status_code == 404
    error = r.json()["error"]
    assert error["type"] == "invalid_request_error"
    assert error["param"] == "model"
    assert error["code"] == "model_not_found"
    assert "'gpt-4o'" in error["message"] and "plan-rag" in error["message"]
    assert client.get("/v1/models/gpt-4o").json()["error"]["code"] == "model_not_found"


def test_models_lists_what_is_served(client: TestClient) -> None:
    listed = [m["id"] for m in client.get("/v1/models").json()["data"]]
    assert listed == ["plan-rag"]
    for name in listed:
        assert client.get(f"/v1/models/{name}").json()["id"] == name
        r = client.post(
            "/v1/chat/completions",
            json={"model": name, "messages": [{"role": "user", "content": NUMERIC}]},
        )
        assert r.status_code == 200 and r.json()["model"] == name


# --- forwarded headers and the rate limit -------------------------------------------------------


def test_forwarded_for_is_ignored_unless_the_proxy_is_trusted(
    settings: Settings, fake_service: RagService
) -> None:
    limited = settings.replace(rate_limit_per_minute=2)
    app = create_app(limited, fake_service)
    with TestClient(app, client=("127.0.0.1", 50000)) as c:
        codes = [
            c.get("/api/documents", headers={"X-Forwarded-For": f"10.0.0.{n}"}).status_code
            for n in range(3)
        ]
    assert codes == [200, 200, 429]
    trusted = create_app(limited.replace(trusted_proxies=("127.0.0.0/8",)), fake_service)
    with TestClient(trusted, client=("127.0.0.1", 50000)) as c:
        codes = [
            c.get("/api/documents", headers={"X-Forwarded-For": f"10.0.0.{n}"}).status_code
            for n in range(3)
        ]
        assert codes == [200, 200, 200]
        # the proxy's own address, or the same forwarded client, is still limited
        same = [
            c.get("/api/documents", headers={"X-Forwarded-For": "10.0.0.9"}).status_code
            for _ in range(3)
        ]
        assert same == [200, 200, 429]
    untrusted = create_app(limited.replace(trusted_proxies=("192.168.0.1",)), fake_service)
    with TestClient(untrusted, client=("127.0.0.1", 50000)) as c:
        codes = [
            c.get("/api/documents", headers={"X-Forwarded-For": f"10.0.0.{n}"}).status_code
            for n in range(3)
        ]
    assert codes == [200, 200, 429]


def test_trusted_proxies_must_be_addresses(settings: Settings, fake_service: RagService) -> None:
    with pytest.raises(InputError, match=r"trusted_proxies .* got 'proxy\.local'"):
        create_app(settings.replace(trusted_proxies=("proxy.local",)), fake_service)


def test_requests_without_a_valid_key_use_no_quota(
    settings: Settings, fake_service: RagService
) -> None:
    app = create_app(settings.replace(api_key="k", rate_limit_per_minute=2), fake_service)
    with TestClient(app) as c:
        for _ in range(10):
            assert c.get("/api/documents", headers={"Authorization": "Bearer x"}).status_code == 401
        key = {"Authorization": "Bearer k"}
        assert [c.get("/api/documents", headers=key).status_code for _ in range(3)] == [
            200,
            200,
            429,
        ]


def test_rate_limiter_memory_is_bounded_and_idle_clients_expire() -> None:
    now = [0.0]
    limiter = RateLimiter(5, clock=lambda: now[0], max_clients=100)
    for n in range(1000):
        assert limiter.retry_after(f"10.0.{n // 256}.{n % 256}") == 0
        assert len(limiter) <= 100
    # a minute later every bucket is full again: those entries go as new requests come
    now[0] = 61.0
    for n in range(3):
        limiter.retry_after(f"fresh{n}")
    assert len(limiter) <= 100 - 3
    # one request costs the same whatever the table holds (no scan): time 20k requests
    big = RateLimiter(1000, max_clients=10_000)
    began = time.perf_counter()
    for n in range(20_000):
        big.retry_after(f"c{n}")
    assert time.perf_counter() - began < 1.0


# --- load shedding ------------------------------------------------------------------------------


def _slow(service: RagService, seconds: float) -> None:
    real = service.ask

    def ask(*args: Any, **kwargs: Any) -> Answer:
        time.sleep(seconds)
        return real(*args, **kwargs)

    service.ask = ask  # type: ignore[method-assign]


async def _burst(app: Any, n: int, path: str, body: dict[str, Any]) -> list[httpx.Response]:
    transport = httpx.ASGITransport(app=app)
    async with (
        app.router.lifespan_context(app),  # ASGITransport runs no lifespan
        httpx.AsyncClient(transport=transport, base_url="http://test") as c,
    ):
        return await asyncio.gather(*(c.post(path, json=body) for _ in range(n)))


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/api/ask", {"question": NUMERIC}),
        ("/api/ask/stream", {"question": NUMERIC}),
        ("/v1/chat/completions", {"messages": [{"role": "user", "content": NUMERIC}]}),
    ],
)
def test_beyond_max_in_flight_a_fast_503_with_retry_after(
    settings: Settings, fake_service: RagService, path: str, body: dict[str, Any]
) -> None:
    _slow(fake_service, 0.4)
    app = create_app(settings.replace(max_in_flight=2, queue_wait_seconds=0.05), fake_service)
    began = time.perf_counter()
    responses = asyncio.run(_burst(app, 6, path, body))
    assert time.perf_counter() - began < 2.0
    codes = sorted(r.status_code for r in responses)
    assert codes == [200, 200, 503, 503, 503, 503]
    shed = next(r for r in responses if r.status_code == 503)
    assert shed.headers["retry-after"] == "1"
    error = shed.json()["error"]
    assert error["type"] == "OverloadedError"
    assert "服务繁忙" in error["message"] and "max_in_flight" in error["message"]
    assert "all 2 answer slots" in error["message"]


def test_a_question_waits_for_a_slot_within_the_queue_bound(
    settings: Settings, fake_service: RagService
) -> None:
    _slow(fake_service, 0.1)
    app = create_app(settings.replace(max_in_flight=1, queue_wait_seconds=1.0), fake_service)
    responses = asyncio.run(_burst(app, 3, "/api/ask", {"question": NUMERIC}))
    assert [r.status_code for r in responses] == [200, 200, 200]


def test_only_answer_routes_wait_for_a_slot(settings: Settings, fake_service: RagService) -> None:
    app = create_app(settings.replace(max_in_flight=1, queue_wait_seconds=0.0), fake_service)
    gate: AnswerGate = app.state.gate

    async def with_every_slot_taken() -> list[int]:
        transport = httpx.ASGITransport(app=app)
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(transport=transport, base_url="http://test") as c,
            gate.slot(),
        ):
            return [
                (await c.get("/api/health")).status_code,
                (await c.get("/api/documents")).status_code,
                (await c.post("/api/feedback", json=RATING)).status_code,
                (await c.get("/api/search", params={"q": "技术合同"})).status_code,
                (await c.post("/api/ask", json={"question": NUMERIC})).status_code,
            ]

    assert asyncio.run(with_every_slot_taken()) == [200, 200, 201, 503, 503]


def test_answer_gate_rules() -> None:
    with pytest.raises(InputError, match="max_in_flight must be at least 1; got 0"):
        AnswerGate(0, 0.1)
    with pytest.raises(InputError, match="queue_wait_seconds must be 0 or more; got -1"):
        AnswerGate(1, -1)

    async def two() -> None:
        gate = AnswerGate(1, 0.0)
        async with gate.slot():
            assert gate.busy == 1
            with pytest.raises(OverloadedError):
                async with gate.slot():
                    pass
        assert gate.busy == 0

    asyncio.run(two())


# --- feedback database --------------------------------------------------------------------------

RATING = {"question": NUMERIC, "answer": "2500亿元", "rating": "up"}


def test_feedback_database_is_in_wal_mode(client: TestClient, settings: Settings) -> None:
    assert client.post("/api/feedback", json=RATING).status_code == 201
    with sqlite3.connect(settings.data_dir / FEEDBACK_DB) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_a_locked_feedback_database_is_a_503_saying_so(
    settings: Settings, fake_service: RagService
) -> None:
    app = create_app(settings.replace(feedback_busy_seconds=0.2), fake_service)
    with TestClient(app) as c:
        assert c.post("/api/feedback", json=RATING).status_code == 201
        holder = sqlite3.connect(settings.data_dir / FEEDBACK_DB, isolation_level=None)
        holder.execute("BEGIN EXCLUSIVE")
        try:
            began = time.perf_counter()
            r = c.post("/api/feedback", json=RATING)
            assert time.perf_counter() - began < 2.0
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        assert r.status_code == 503
        assert r.headers["retry-after"] == "1"
        message = r.json()["error"]["message"]
        assert "locked" in message and "feedback_busy_seconds" in message
        # the lock gone, ratings are stored again
        assert c.post("/api/feedback", json=RATING).status_code == 201


def test_a_corrupt_feedback_database_is_a_503_saying_so(
    client: TestClient, settings: Settings
) -> None:
    assert client.post("/api/feedback", json=RATING).status_code == 201
    db = settings.data_dir / FEEDBACK_DB
    for side in (db.with_name(db.name + "-wal"), db.with_name(db.name + "-shm")):
        side.unlink(missing_ok=True)
    db.write_bytes(b"this is not a database " * 200)
    r = client.post("/api/feedback", json=RATING)
    assert r.status_code == 503
    assert "corrupt" in r.json()["error"]["message"]
    assert "retry-after" not in r.headers


def test_a_read_only_feedback_database_is_a_503_saying_so(
    client: TestClient, settings: Settings
) -> None:
    assert client.post("/api/feedback", json=RATING).status_code == 201
    db = settings.data_dir / FEEDBACK_DB
    os.chmod(db, 0o444)
    try:
        r = client.post("/api/feedback", json=RATING)
        assert r.status_code == 503
        assert "read-only" in r.json()["error"]["message"]
        # what was stored can still be read
        assert len(FeedbackStore(db).recent()) == 1
    finally:
        os.chmod(db, 0o644)


def test_feedback_errors_name_the_cause(tmp_path: Path) -> None:
    folder = tmp_path / "a-file"
    folder.write_text("x")
    with pytest.raises(FeedbackUnavailableError, match="cannot be opened") as caught:
        FeedbackStore(folder / "feedback.sqlite3").add("q", "a", [], 1)
    assert caught.value.cause == "cannot be opened"


# --- the real server: timeouts, connection cap, forwarded headers ------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@contextmanager
def running(settings: Settings, service: RagService, **changes: Any) -> Iterator[str]:
    """A real uvicorn server (the one `rag serve` runs) in a thread; yields its base URL."""
    live = settings.replace(host="127.0.0.1", port=_free_port(), **changes)
    server = uvicorn.Server(server_config(create_app(live, service), live, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "server did not start"
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{live.port}"
    finally:
        server.should_exit = True
        thread.join(10)


def _connect(url: str) -> socket.socket:
    host, port = url.removeprefix("http://").split(":")
    sock = socket.create_connection((host, int(port)), timeout=5)
    return sock


def _read_until_closed(sock: socket.socket, limit: float) -> tuple[bytes, float]:
    """Everything the server sends until it closes, and how long that took."""
    began = time.monotonic()
    sock.settimeout(limit)
    data = b""
    try:
        while chunk := sock.recv(65536):
            data += chunk
    except TimeoutError:
        pytest.fail(f"connection still open after {limit} s; got {data[:200]!r}")
    except ConnectionResetError:
        pass
    return data, time.monotonic() - began


def _read_response(sock: socket.socket) -> bytes:
    """One whole response (a Content-Length body) from a kept-alive connection."""
    data = b""
    while b"\r\n\r\n" not in data:
        data += sock.recv(65536)
    head, _, body = data.partition(b"\r\n\r\n")
    length = next(
        int(line.split(b":", 1)[1])
        for line in head.lower().split(b"\r\n")
        if line.startswith(b"content-length:")
    )
    while len(body) < length:
        body += sock.recv(65536)
    return data


@pytest.fixture
def server(settings: Settings, fake_service: RagService) -> Iterator[str]:
    with running(
        settings,
        fake_service,
        request_timeout_seconds=0.5,
        keep_alive_seconds=0.5,
        max_header_bytes=2048,
    ) as url:
        yield url


def test_a_connection_that_sends_nothing_gets_408_and_is_closed(server: str) -> None:
    with _connect(server) as sock:
        data, took = _read_until_closed(sock, 5)
    assert data.startswith(b"HTTP/1.1 408"), data
    assert b"request_timeout_seconds" in data
    assert 0.3 < took < 2.0


def test_headers_trickled_a_line_at_a_time_are_cut_off(server: str) -> None:
    with _connect(server) as sock:
        sock.sendall(b"GET /api/health HTTP/1.1\r\nHost: x\r\n")
        began = time.monotonic()
        closed = False
        while time.monotonic() - began < 5 and not closed:
            try:
                sock.sendall(b"X-Slow: 1\r\n")
            except (BrokenPipeError, ConnectionResetError):
                closed = True
            time.sleep(0.05)
        took = time.monotonic() - began
    assert closed, "the server kept reading headers for 5 s"
    assert took < 2.0


def test_a_body_that_stops_arriving_is_cut_off(server: str) -> None:
    with _connect(server) as sock:
        sock.sendall(
            b"POST /api/feedback HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Content-Length: 200\r\n\r\n" + b'{"question": "'
        )
        data, took = _read_until_closed(sock, 5)
    assert took < 2.0
    assert not data.startswith(b"HTTP/1.1 2")


def test_a_kept_alive_connection_is_closed_when_idle_and_fast_requests_pass(server: str) -> None:
    with _connect(server) as sock:
        for _ in range(3):
            sock.sendall(b"GET /api/health HTTP/1.1\r\nHost: x\r\n\r\n")
            head = _read_response(sock)
            assert head.startswith(b"HTTP/1.1 200"), head
            time.sleep(0.3)  # shorter than both timeouts, and 0.9 s in all: each request resets
        data, took = _read_until_closed(sock, 5)
    assert data == b""
    assert took < 2.0


def test_oversized_headers_are_refused(server: str) -> None:
    # arriving whole they are a 431; a header block still incomplete past the limit is a 400
    r = httpx.get(server + "/api/documents", headers={"X-Big": "a" * 4096})
    assert r.status_code == 431
    assert "max_header_bytes" in r.json()["error"]["message"]
    with _connect(server) as sock:
        sock.sendall(b"GET /api/health HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 8192)
        data, _ = _read_until_closed(sock, 5)
    assert data.startswith(b"HTTP/1.1 400"), data


def test_uvicorn_does_not_trust_forwarded_for_from_loopback(
    settings: Settings, fake_service: RagService
) -> None:
    with running(settings, fake_service, rate_limit_per_minute=2) as url:
        codes = [
            httpx.get(url + "/api/documents", headers={"X-Forwarded-For": f"10.1.1.{n}"})
            for n in range(3)
        ]
    assert [r.status_code for r in codes] == [200, 200, 429]


def test_idle_connections_beyond_the_cap_do_not_stop_health(
    settings: Settings, fake_service: RagService
) -> None:
    with running(settings, fake_service, max_connections=50) as url:
        idle = [_connect(url) for _ in range(300)]
        try:
            began = time.monotonic()
            r = httpx.get(url + "/api/health", timeout=5)
            took = time.monotonic() - began
            assert r.status_code == 200 and took < 1.0
            # the oldest idle sockets were the ones closed
            time.sleep(0.2)
            closed = 0
            for sock in idle:
                sock.setblocking(False)
                try:
                    closed += sock.recv(1) == b""
                except BlockingIOError:
                    pass
                except ConnectionResetError:
                    closed += 1
            assert closed >= 300 - 50
        finally:
            for sock in idle:
                sock.close()


def test_server_settings_are_checked(settings: Settings, fake_service: RagService) -> None:
    with pytest.raises(InputError, match="max_connections must be positive; got 0"):
        server_config(create_app(settings, fake_service), settings.replace(max_connections=0))


def test_error_bodies_are_json_with_type_and_message(client: TestClient) -> None:
    for r in (
        client.get("/api/nothing"),
        client.post("/api/ask", json={"question": ""}),
        client.post("/api/ask", content=b"{", headers=JSON),
    ):
        body = json.loads(r.content)
        assert set(body["error"]) >= {"type", "message"}
