"""Knowledge bases over HTTP: create, upload with progress, ask the new document, remove with
confirmation and undo, delete a base. Made-up plans; fake embedder."""

from __future__ import annotations

import io
import time
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from rag.config import Settings
from rag.server.app import create_app
from rag.service import RagService

YUNTAI = "云台区2033年科技工作要点\n一、主要目标\n新增孵化器7家。\n二、重点任务\n建设云台实验室。"
QUESTION = "云台区2033年新增孵化器多少家?"


@pytest.fixture
def client(settings: Settings, fake_service: RagService) -> Iterator[TestClient]:
    with TestClient(create_app(settings.replace(undo_seconds=30.0), fake_service)) as c:
        yield c


def _docx(text: str) -> bytes:
    """A minimal .docx (one paragraph per line) written with python-docx."""
    from docx import Document as Docx

    doc = Docx()
    for line in text.splitlines():
        doc.add_paragraph(line)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def _finish(client: TestClient, job: dict[str, Any]) -> dict[str, Any]:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        job = client.get(f"/api/jobs/{job['id']}").json()
        if job["finished"]:
            return job
        time.sleep(0.05)
    raise AssertionError(f"job did not finish: {job}")


def test_upload_reports_each_file_and_the_document_is_answered_without_restart(
    client: TestClient,
) -> None:
    assert client.post("/api/ask", json={"question": QUESTION}).json()["refused"]
    files = [
        ("files", ("yuntai.docx", _docx(YUNTAI), "application/octet-stream")),
        ("files", ("notes.exe", b"MZ", "application/octet-stream")),
        ("files", ("broken.docx", b"not a zip", "application/octet-stream")),
    ]
    response = client.post("/api/documents", files=files)
    assert response.status_code == 202, response.text
    started = response.json()["job"]
    assert {f["name"]: f["status"] for f in started["files"]}["notes.exe"] == "error"
    job = _finish(client, started)
    assert job["stage"] == "done", job
    status = {f["name"]: (f["status"], f["message"]) for f in job["files"]}
    assert status["yuntai.docx"][0] == "ok"
    assert status["notes.exe"][0] == "error" and ".exe" in status["notes.exe"][1]
    assert status["broken.docx"][0] == "error" and status["broken.docx"][1]
    answer = client.post("/api/ask", json={"question": QUESTION}).json()
    assert not answer["refused"] and answer["answer"].endswith("7家")
    # the event stream of a finished job ends with its last state
    with client.stream("GET", f"/api/jobs/{job['id']}/events") as stream:
        body = "".join(stream.iter_text())
    assert "event: done" in body and '"stage": "done"' in body


def test_an_upload_of_nothing_readable_is_a_4xx_naming_each_file(client: TestClient) -> None:
    files = [("files", ("../../etc/passwd", b"x", "text/plain"))]
    response = client.post("/api/documents", files=files)
    assert response.status_code == 400
    assert "passwd" in response.json()["error"]["message"]
    assert client.get("/api/jobs/nope").status_code == 404


def test_remove_needs_confirmation_and_can_be_undone(client: TestClient) -> None:
    seeds = client.get("/api/documents").json()["documents"]
    doc_id = seeds[0]["doc_id"]
    refused = client.delete(f"/api/documents/{doc_id}")
    assert refused.status_code == 400 and "confirm" in refused.json()["error"]["message"]
    removed = client.delete(f"/api/documents/{doc_id}", params={"confirm": doc_id}).json()
    assert removed["removed"] == [doc_id] and removed["undo_seconds"] == 30.0
    listed = {d["doc_id"] for d in client.get("/api/documents").json()["documents"]}
    assert doc_id not in listed
    assert (
        client.post("/api/documents/undo", json={"token": removed["undo_token"]}).status_code == 200
    )
    listed = {d["doc_id"] for d in client.get("/api/documents").json()["documents"]}
    assert doc_id in listed
    again = client.post("/api/documents/undo", json={"token": removed["undo_token"]})
    assert again.status_code == 404


def test_a_knowledge_base_is_created_filled_asked_and_deleted(client: TestClient) -> None:
    assert client.post("/api/kbs", json={"name": "区县"}).status_code == 201
    assert client.post("/api/kbs", json={"name": "区县"}).status_code == 400
    assert client.post("/api/kbs", json={"name": "../x"}).status_code == 400
    files = [("files", ("yuntai.txt", YUNTAI.encode(), "text/plain"))]
    job = client.post("/api/documents", params={"kb": "区县"}, files=files).json()["job"]
    assert _finish(client, job)["stage"] == "done"
    kbs = {k["name"]: k for k in client.get("/api/kbs").json()["kbs"]}
    assert kbs["区县"]["documents"] == 1 and kbs["plans"]["documents"] == 5
    only = client.post("/api/ask", json={"question": QUESTION, "kbs": ["区县"]}).json()
    assert only["answer"].endswith("7家")
    assert client.post("/api/ask", json={"question": QUESTION}).json()["refused"]
    both = client.post(
        "/api/ask",
        json={"question": "陕西省2022年技术合同成交额目标是多少?", "kbs": ["plans", "区县"]},
    ).json()
    assert "2500亿元" in both["answer"]
    doc = client.get("/api/documents/yuntai", params={"kb": "区县"})
    assert doc.status_code == 200 and "孵化器" in doc.json()["text"]
    assert client.get("/api/documents/yuntai").status_code == 404
    assert client.post("/api/ask", json={"question": QUESTION, "kbs": ["nope"]}).status_code == 404
    assert client.delete("/api/kbs/区县").status_code == 400
    gone = client.delete("/api/kbs/区县", params={"confirm": "区县"}).json()
    assert "trash" in gone["kept_at"]
    assert [k["name"] for k in client.get("/api/kbs").json()["kbs"]] == ["plans"]
