"""One real `rag serve` on a loopback port, shared by the browser and OpenAI-client tests.

Its index holds the seed plans plus a small document full of HTML that must never run. The server
is started once per test session (the first index build with the real model takes a minute or
two) and stopped when the session ends.
"""

from __future__ import annotations

import atexit
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from rag.config import ROOT

SEEDS = ROOT / "seeds"
INJECTION_DOC = "999_injection.txt"
SCRIPT = "<script>window.__x=1</script>"
IMG = '<img src=x onerror="window.__y=1">'
INJECTION_TEXT = "\n\n".join(
    [
        f"测试市{SCRIPT}2023年科技工作要点{IMG}",
        "测试市科学技术局",
        "一、主要目标",
        f"全年{IMG}测试市技术合同成交额达到123亿元{SCRIPT},新增高新技术企业88家。",
        "二、重点任务",
        '(一)加强<b onmouseover="window.__z=1">基础研究</b>',
        f"推进{SCRIPT}实验室建设。",
    ]
)
STARTUP_SECONDS = 600


@dataclass
class LiveServer:
    """A running server: its base URL, data directory and log file."""

    url: str
    data_dir: Path
    log: Path
    process: subprocess.Popen[bytes]

    @property
    def feedback_db(self) -> Path:
        return self.data_dir / "feedback.sqlite3"

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()


_server: LiveServer | None = None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _tail(path: Path) -> str:
    return path.read_text(encoding="utf-8", errors="replace")[-3000:] if path.exists() else ""


def live_server() -> LiveServer:
    """The session's server, started on first use."""
    global _server
    if _server is not None:
        return _server
    root = Path(tempfile.mkdtemp(prefix="rag-live-"))
    docs = root / "docs"
    docs.mkdir()
    for seed in SEEDS.iterdir():
        if seed.is_file() and seed.suffix == ".txt":
            shutil.copy(seed, docs / seed.name)
    (docs / INJECTION_DOC).write_text(INJECTION_TEXT, encoding="utf-8")
    data_dir = root / "data"
    log = root / "server.log"
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    cli = [sys.executable, "-m", "rag.cli", "--data-dir", str(data_dir)]
    with log.open("wb") as out:
        ingest = subprocess.run(
            [*cli, "ingest", str(docs)], cwd=ROOT, env=env, stdout=out, stderr=out
        )
    if ingest.returncode != 0:
        raise RuntimeError(f"rag ingest exited with {ingest.returncode}:\n{_tail(log)}")
    port = _free_port()
    process = subprocess.Popen(
        [*cli, "serve", "--host", "127.0.0.1", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
    )
    server = LiveServer(f"http://127.0.0.1:{port}", data_dir, log, process)
    atexit.register(server.stop)
    deadline = time.monotonic() + STARTUP_SECONDS
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"rag serve exited with {process.returncode}:\n{_tail(log)}")
        try:
            with urllib.request.urlopen(server.url + "/api/health", timeout=5) as r:
                if json.load(r).get("status") == "ok":
                    break
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        if time.monotonic() > deadline:
            server.stop()
            raise RuntimeError(f"rag serve not ready after {STARTUP_SECONDS}s:\n{_tail(log)}")
        time.sleep(0.5)
    _server = server
    return server
