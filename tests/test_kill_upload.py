"""A server killed (SIGKILL) in the middle of an upload's ingest loses nothing: after a restart
the knowledge base is the one before the upload, intact, and still answers."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import pytest

from rag.config import ROOT
from tests.live_server import _free_port, _tail, live_server

pytestmark = [pytest.mark.slow]

QUESTION = "陕西省2022年技术合同成交额目标是多少?"


def _serve(data_dir: Path, log: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    cli = [sys.executable, "-m", "rag.cli", "--data-dir", str(data_dir)]
    process = subprocess.Popen(
        [*cli, "serve", "--host", "127.0.0.1", "--port", str(port)],
        cwd=ROOT,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"rag serve exited:\n{_tail(log)}")
        try:
            if httpx.get(url + "/api/health", timeout=2).status_code == 200:
                return process, url
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    process.kill()
    raise RuntimeError(f"rag serve not ready:\n{_tail(log)}")


def _big_plan() -> bytes:
    """A made-up plan long enough that embedding it takes seconds."""
    lines = ["云台区2033年科技工作要点", "一、主要目标"]
    for n in range(1, 400):
        lines.append(
            f"({n})推进第{n}项重点任务,新增孵化器{n}家,投入资金{n * 3}亿元,建设实验室{n}个。"
        )
    return "\n".join(lines).encode()


def test_a_kill_during_an_upload_leaves_the_previous_knowledge_base(tmp_path: Path) -> None:
    shared = live_server()
    data = Path(tempfile.mkdtemp(prefix="rag-kill-")) / "data"
    shutil.copytree(shared.data_dir, data, ignore=shutil.ignore_patterns("feedback*"))
    log = tmp_path / "server.log"
    process, url = _serve(data, log)
    try:
        before = httpx.get(url + "/api/documents", timeout=10).json()["documents"]
        answer = httpx.post(url + "/api/ask", json={"question": QUESTION}, timeout=60).json()
        assert "2500亿元" in answer["answer"]
        files = {"files": ("yuntai.txt", _big_plan(), "text/plain")}
        job = httpx.post(url + "/api/documents", files=files, timeout=30).json()["job"]
        deadline = time.monotonic() + 120
        stage = job["stage"]
        while stage not in {"embed", "save", "done"} and time.monotonic() < deadline:
            time.sleep(0.05)
            stage = httpx.get(f"{url}/api/jobs/{job['id']}", timeout=10).json()["stage"]
        assert stage == "embed", f"the job reached {stage!r} before it could be killed"
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
    process, url = _serve(data, log)
    try:
        after = httpx.get(url + "/api/documents", timeout=10).json()["documents"]
        assert [d["doc_id"] for d in after] == [d["doc_id"] for d in before]
        again = httpx.post(url + "/api/ask", json={"question": QUESTION}, timeout=60).json()
        assert again["answer"] == answer["answer"]
        # the uploaded original is kept, so nothing the user gave is lost
        assert list((data / "kbs" / "plans" / "sources").rglob("yuntai.txt"))
    finally:
        process.terminate()
        process.wait(timeout=30)
    verify = subprocess.run(
        [sys.executable, "-m", "rag.cli", "--data-dir", str(data), "verify"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert verify.returncode == 0, verify.stdout + verify.stderr
    shutil.rmtree(data.parent, ignore_errors=True)
