"""The admin view's data: the question log (never failing an answer), ratings read back with
their answers, counts per day, and both routes behind the API key. Fake embedder."""

from __future__ import annotations

import logging
import re
import sqlite3
import time
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from rag.config import Settings, load_settings
from rag.server.app import FEEDBACK_DB, WEB_DIR
from rag.server.feedback import FeedbackStore, LoggedQuestion
from rag.server.guards import needs_guard
from rag.server.question_log import QuestionLog
from tests.conftest import MakeClient

NUMERIC = "陕西省2022年技术合同成交额目标是多少?"
FOREIGN = "广东省2021年新增多少高新技术企业?"
CITATION = {
    "doc_id": "002_9588b7af80620eb9",
    "title": "陕西省科学技术厅2022年科技工作要点",
    "section_path": ["一、主要目标"],
    "start": 730,
    "end": 824,
    "quote": "技术合同成交额达到2500亿元",
}


def _log(client: TestClient) -> QuestionLog:
    log: QuestionLog = client.app.state.question_log  # type: ignore[attr-defined]
    assert log.flush(5.0)
    return log


def _store(settings: Settings) -> FeedbackStore:
    return FeedbackStore(settings.data_dir / FEEDBACK_DB)


def _rate(client: TestClient, rating: str, comment: str, question: str = NUMERIC) -> None:
    body = {
        "question": question,
        "answer": "2500亿元",
        "citations": [CITATION],
        "rating": rating,
        "comment": comment,
    }
    assert client.post("/api/feedback", json=body).status_code == 201


# ---------- the question log ----------------------------------------------------------------


def test_every_answer_route_logs_its_question(client: TestClient, settings: Settings) -> None:
    assert client.post("/api/ask", json={"question": NUMERIC}).status_code == 200
    assert client.post("/api/ask/stream", json={"question": FOREIGN}).status_code == 200
    chat = {"model": "plan-rag", "messages": [{"role": "user", "content": NUMERIC}]}
    assert client.post("/v1/chat/completions", json=chat).status_code == 200
    _log(client)
    logged = list(reversed(_store(settings).questions()))
    assert [q.endpoint for q in logged] == ["ask", "ask/stream", "v1/chat/completions"]
    assert [q.question for q in logged] == [NUMERIC, FOREIGN, NUMERIC]
    assert [q.refused for q in logged] == [False, True, False]
    assert logged[0].qtype == "numeric" and all(q.kbs == ("plans",) for q in logged)
    assert all(q.total_ms is not None and q.total_ms > 0 for q in logged)
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00", q.created) for q in logged)


def test_the_knowledge_bases_asked_are_logged(client: TestClient, settings: Settings) -> None:
    body = {"question": NUMERIC, "kbs": ["plans", "plans"]}
    assert client.post("/api/ask", json=body).status_code == 200
    _log(client)
    assert _store(settings).questions()[0].kbs == ("plans",)


def test_log_questions_false_keeps_no_record(make_client: MakeClient, settings: Settings) -> None:
    client = make_client(log_questions=False)
    assert client.post("/api/ask", json={"question": NUMERIC}).status_code == 200
    assert not _log(client).enabled
    assert _store(settings).questions() == []
    assert load_settings(env={"RAG_LOG_QUESTIONS": "false"}).log_questions is False
    assert load_settings(env={}).log_questions is True


def test_a_locked_database_does_not_fail_or_slow_an_answer(
    make_client: MakeClient, settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    client = make_client(feedback_busy_seconds=0.3)
    assert client.post("/api/ask", json={"question": NUMERIC}).status_code == 200  # warm
    _log(client)
    holder = sqlite3.connect(settings.data_dir / FEEDBACK_DB, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")  # another writer holds the lock
    try:
        with caplog.at_level(logging.WARNING, logger="rag.server.question_log"):
            began = time.perf_counter()
            response = client.post("/api/ask", json={"question": FOREIGN})
            took = time.perf_counter() - began
            assert response.status_code == 200 and response.json()["refused"]
            assert took < 0.3  # the answer did not wait for the lock
            log = _log(client)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert log.dropped == 1
    assert any(
        "not logged" in r.getMessage() and "locked" in r.getMessage() for r in caplog.records
    )
    # the lock gone, logging goes on
    assert client.post("/api/ask", json={"question": NUMERIC}).status_code == 200
    _log(client)
    assert [q.question for q in _store(settings).questions()] == [NUMERIC, NUMERIC]


def test_any_logging_failure_is_swallowed(
    client: TestClient, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(entries: Any) -> None:
        raise RuntimeError("disk on fire")

    def refuse() -> None:
        raise RuntimeError("can't start new thread")

    client.post("/api/ask", json={"question": NUMERIC})
    log = _log(client)
    monkeypatch.setattr(log.store, "log_questions", broken)
    with caplog.at_level(logging.WARNING, logger="rag.server.question_log"):
        assert client.post("/api/ask", json={"question": NUMERIC}).status_code == 200
        _log(client)
        # even a failure inside record itself (no writer thread can start) stays in the log
        monkeypatch.setattr(log, "_ensure_writer", refuse)
        assert client.post("/api/ask/stream", json={"question": NUMERIC}).status_code == 200
    messages = [r.getMessage() for r in caplog.records]
    assert any("disk on fire" in m for m in messages)
    assert any("question not logged" in m for m in messages)


def test_a_full_queue_drops_the_entry_with_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    log = QuestionLog(FeedbackStore(tmp_path / "f.sqlite3"), capacity=1)
    log._ensure_writer = lambda: None  # type: ignore[method-assign]  # nobody drains it
    with caplog.at_level(logging.WARNING, logger="rag.server.question_log"):
        log.record("一", False, "numeric", None, 1.0, "ask")
        log.record("二", False, "numeric", None, 1.0, "ask")
    assert log.dropped == 1 and "queue is full" in caplog.text


def test_the_log_writes_queued_entries_in_batches(tmp_path: Path) -> None:
    store = FeedbackStore(tmp_path / "f.sqlite3")
    log = QuestionLog(store, default_kb="plans", idle_seconds=0.05)
    for n in range(300):
        log.record(f"问题{n}", n % 3 == 0, "open", None, 10.0, "ask")
    assert log.flush(10.0)
    logged = store.questions(1000)
    assert len(logged) == 300 and sum(q.refused for q in logged) == 100
    time.sleep(0.2)
    assert log._thread is None  # idle: the writer thread has gone
    log.record("再问一次", False, "open", ["区县"], None, "ask")
    assert log.flush(5.0) and store.questions(1)[0].kbs == ("区县",)


# ---------- counts per day ------------------------------------------------------------------


def test_daily_counts_every_day_in_the_askers_time_zone(tmp_path: Path) -> None:
    store = FeedbackStore(tmp_path / "f.sqlite3")

    def asked(created: str, refused: bool) -> LoggedQuestion:
        return LoggedQuestion("问", refused, "open", ("plans",), 5.0, "ask", created)

    store.log_questions(
        [
            asked("2026-11-20T10:00:00+00:00", False),
            asked("2026-11-20T17:00:00+00:00", True),  # 01:00 on the 21st in Beijing
            asked("2026-11-22T01:00:00+00:00", True),
            asked("2026-10-01T01:00:00+00:00", False),  # before the window
        ]
    )
    store.add("问", "答", [], 1)
    store.add("问", "答", [], -1)
    store.add("问", "答", [], -1)
    with sqlite3.connect(tmp_path / "f.sqlite3") as conn:
        conn.execute("UPDATE feedback SET created = '2026-11-22T03:00:00+00:00'")

    utc = store.daily(3, 0, today=date(2026, 11, 22))
    assert utc == [
        {"date": "2026-11-20", "questions": 2, "refusals": 1, "up": 0, "down": 0},
        {"date": "2026-11-21", "questions": 0, "refusals": 0, "up": 0, "down": 0},
        {"date": "2026-11-22", "questions": 1, "refusals": 1, "up": 1, "down": 2},
    ]
    beijing = store.daily(3, 480, today=date(2026, 11, 22))
    assert [(d["date"], d["questions"], d["refusals"]) for d in beijing] == [
        ("2026-11-20", 1, 0),
        ("2026-11-21", 1, 1),
        ("2026-11-22", 1, 1),
    ]
    assert len(store.daily(30, 0, today=date(2026, 11, 22))) == 30
    with pytest.raises(ValueError):
        store.daily(0)


def test_stats_route_counts_todays_questions_and_ratings(client: TestClient) -> None:
    client.post("/api/ask", json={"question": NUMERIC})
    client.post("/api/ask", json={"question": FOREIGN})
    _rate(client, "up", "")
    _rate(client, "down", "不对")
    stats = client.get("/api/admin/stats", params={"days": 7}).json()
    assert stats["days"] == 7 and len(stats["daily"]) == 7
    assert stats["utc_offset_minutes"] == 0
    assert stats["totals"] == {"questions": 2, "refusals": 1, "up": 1, "down": 1}
    assert stats["daily"][-1] | {"date": ""} == {
        "date": "",
        "questions": 2,
        "refusals": 1,
        "up": 1,
        "down": 1,
    }
    assert len(client.get("/api/admin/stats").json()["daily"]) == 30
    shifted = client.get("/api/admin/stats", params={"utc_offset_minutes": 480}).json()
    assert shifted["totals"]["questions"] == 2
    for bad in ({"days": 0}, {"days": 400}, {"utc_offset_minutes": 900}):
        response = client.get("/api/admin/stats", params=bad)
        assert response.status_code == 422, bad
        assert "error" in response.json()


# ---------- ratings read back ---------------------------------------------------------------


def test_feedback_list_filters_by_rating_with_answer_citations_and_comment(
    client: TestClient,
) -> None:
    _rate(client, "up", "引用准确")
    _rate(client, "down", "答非所问", FOREIGN)
    _rate(client, "down", "")
    everything = client.get("/api/admin/feedback").json()
    assert everything["total"] == 3 and everything["counts"] == {"up": 1, "down": 2}
    assert [i["comment"] for i in everything["items"]] == ["", "答非所问", "引用准确"]
    down = client.get("/api/admin/feedback", params={"rating": "down"}).json()
    assert down["total"] == 2 and {i["rating"] for i in down["items"]} == {"down"}
    first = down["items"][1]
    assert first["question"] == FOREIGN and first["answer"] == "2500亿元"
    assert first["citations"][0]["quote"] == CITATION["quote"]
    assert first["citations"][0]["section_path"] == ["一、主要目标"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00", first["created"])
    up = client.get("/api/admin/feedback", params={"rating": "up"}).json()
    assert [i["comment"] for i in up["items"]] == ["引用准确"]
    page = client.get("/api/admin/feedback", params={"limit": 1, "offset": 1}).json()
    assert page["total"] == 3 and [i["comment"] for i in page["items"]] == ["答非所问"]
    for bad in ({"rating": "meh"}, {"limit": 0}, {"limit": 201}, {"offset": -1}):
        assert client.get("/api/admin/feedback", params=bad).status_code == 422, bad


def test_an_unusable_database_is_a_503_naming_the_cause(
    client: TestClient, settings: Settings
) -> None:
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    (settings.data_dir / FEEDBACK_DB).write_bytes(b"this is not a database" * 100)
    response = client.get("/api/admin/feedback")
    assert response.status_code == 503
    assert "corrupt" in response.json()["error"]["message"]
    # the answer still comes
    assert client.post("/api/ask", json={"question": NUMERIC}).status_code == 200


# ---------- behind the API key --------------------------------------------------------------


def test_admin_routes_need_the_api_key_when_one_is_set(make_client: MakeClient) -> None:
    assert needs_guard("/api/admin/feedback") and needs_guard("/api/admin/stats")
    client = make_client(api_key="s3cret")
    for path in ("/api/admin/feedback", "/api/admin/stats"):
        assert client.get(path).status_code == 401
        wrong = client.get(path, headers={"Authorization": "Bearer nope"})
        assert wrong.status_code == 401
        assert client.get(path, headers={"Authorization": "Bearer s3cret"}).status_code == 200
    spec = client.get("/openapi.json", headers={"Authorization": "Bearer s3cret"}).json()
    for path in ("/api/admin/feedback", "/api/admin/stats"):
        assert spec["paths"][path]["get"]["security"] == [{"bearer": []}]


def test_without_a_key_the_admin_routes_are_open_like_the_rest(client: TestClient) -> None:
    assert client.get("/api/admin/feedback").status_code == 200
    assert client.get("/api/admin/stats").status_code == 200


# ---------- the page's script -----------------------------------------------------------------


def test_admin_script_loads_nothing_from_elsewhere_and_never_parses_html() -> None:
    script = (WEB_DIR / "admin.js").read_text(encoding="utf-8")
    urls = set(re.findall(r"(?:https?:)?//[\w.-]+\.[a-z]{2,}[^\s'\"]*", script))
    assert urls <= {"http://www.w3.org/2000/svg"}
    assert not re.search(r"innerHTML|outerHTML|insertAdjacentHTML|document\.write", script)
    assert '<script src="/static/admin.js" defer>' in (WEB_DIR / "index.html").read_text(
        encoding="utf-8"
    )
