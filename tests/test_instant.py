"""Instant CLI and restart: `rag ask`/`search` through a running server, lazy imports, the
pre-built jieba dictionary. Behaviour only; the timings are bench/run.py's."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn

from rag import cli
from rag.config import ROOT, Settings
from rag.lang import text
from rag.server import client as remote
from rag.server.app import create_app
from rag.service import RagService

QUESTIONS = [
    "陕西省2022年技术合同成交额目标是多少?",
    "广东省2021年新增多少高新技术企业?",  # a refusal, with related passages
]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture
def served(fake_service: RagService, monkeypatch: pytest.MonkeyPatch) -> Iterator[Settings]:
    """The fake-embedder service behind a real uvicorn on a free loopback port; the CLI's
    settings (RAG_* in the environment) point at it."""
    settings = fake_service.settings.replace(port=_free_port())
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(settings, service=fake_service),
            host="127.0.0.1",
            port=settings.port,
            log_level="warning",
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "test server did not start"
        time.sleep(0.02)
    for name, value in (
        ("data_dir", settings.data_dir),
        ("evidence_model", settings.evidence_model),
        ("port", settings.port),
    ):
        monkeypatch.setenv(f"RAG_{name.upper()}", str(value))
    yield settings
    server.should_exit = True
    thread.join(timeout=10)


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def _without_timing(out: str) -> str:
    """The text output minus its last line, the measured total ("(12 ms)")."""
    return "\n".join(line for line in out.splitlines() if not line.endswith(" ms)"))


def test_ask_and_search_use_a_running_server_with_the_same_output(
    served: Settings,
    fake_service: RagService,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def in_process(*_: object, **__: object) -> RagService:
        return fake_service

    for question in QUESTIONS:
        # answering in-process with the same service gives the reference output
        monkeypatch.setattr("rag.cli.common.open_service", in_process)
        local = _run(capsys, "ask", "--local", question)
        local_json = _run(capsys, "ask", "--local", "--json", question)
        local_search = _run(capsys, "search", "--local", "技术合同成交额", "--region", "陕西省")

        def no_model(*_: object, **__: object) -> RagService:
            raise AssertionError("the server was up: nothing should load in-process")

        monkeypatch.setattr("rag.cli.common.open_service", no_model)
        remote_ = _run(capsys, "ask", question)
        remote_json = _run(capsys, "ask", "--json", question)
        remote_search = _run(capsys, "search", "技术合同成交额", "--region", "陕西省")
        named = _run(capsys, "ask", "--server", f"http://127.0.0.1:{served.port}", question)

        assert local[0] == remote_[0] == named[0] == 0
        assert _without_timing(remote_[1]) == _without_timing(local[1]) != ""
        assert _without_timing(named[1]) == _without_timing(local[1])
        a, b = json.loads(local_json[1]), json.loads(remote_json[1])
        a.pop("timings_ms")
        b.pop("timings_ms")
        assert a == b
        assert remote_search == local_search and remote_search[1].startswith("1. ")


def test_a_server_over_another_index_is_not_used(
    served: Settings,
    fake_service: RagService,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    used: list[Settings] = []

    def in_process(settings: Settings, need_index: bool = True) -> RagService:
        used.append(settings)
        return fake_service

    monkeypatch.setattr("rag.cli.common.open_service", in_process)
    # same host and port, but the command line names another data directory or top_k default
    assert _run(capsys, "--data-dir", str(tmp_path / "other"), "ask", QUESTIONS[0])[0] == 0
    monkeypatch.setenv("RAG_TOP_K", "7")
    assert _run(capsys, "ask", QUESTIONS[0])[0] == 0
    assert len(used) == 2
    assert remote.index_identity(used[0]) != remote.index_identity(served)


def test_serving_only_settings_do_not_change_the_identity(settings: Settings) -> None:
    same = settings.replace(port=9999, api_key="k", max_in_flight=8)
    assert remote.index_identity(same) == remote.index_identity(settings)
    assert remote.index_identity(settings.replace(top_k=9)) != remote.index_identity(settings)


def test_no_server_means_in_process_and_a_named_one_that_is_down_is_an_error(
    fake_service: RagService, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RAG_PORT", str(_free_port()))  # nothing listens there
    monkeypatch.setattr("rag.cli.common.open_service", lambda *_, **__: fake_service)
    code, out, _ = _run(capsys, "ask", QUESTIONS[0])
    assert code == 0 and out.strip()
    dead = f"http://127.0.0.1:{_free_port()}"
    code, out, err = _run(capsys, "ask", "--server", dead, QUESTIONS[0])
    assert code == 2 and not out
    assert "cannot reach the server" in err and "Traceback" not in err


def _python(code: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_ask_through_a_server_loads_no_model_index_or_numpy(served: Settings) -> None:
    code = (
        "import sys\n"
        "from rag.cli import main\n"
        f"assert main(['ask', {QUESTIONS[0]!r}]) == 0\n"
        "heavy = {'numpy', 'faiss', 'onnxruntime', 'tokenizers', 'torch', 'jieba', 'fastapi'}\n"
        "print(sorted(heavy & set(sys.modules)))\n"
    )
    env = {f"RAG_{k.upper()}": str(getattr(served, k)) for k in ("data_dir", "port")}
    env["RAG_EVIDENCE_MODEL"] = str(served.evidence_model)
    done = _python(code, env)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == "[]"


def test_ask_in_process_with_onnx_never_imports_torch(tmp_path: Path) -> None:
    # no index and no seeds: the command loads the embedder and every answering module, then
    # stops with its message; torch must not have been imported on the way
    code = (
        "import sys\n"
        "from rag.cli import main\n"
        f"code = main(['--data-dir', {str(tmp_path / 'data')!r}, 'ask', '--local', 'x'])\n"
        "print(code, 'torch' in sys.modules, 'onnxruntime' in sys.modules)\n"
    )
    done = _python(code, {"RAG_SEEDS_DIR": str(tmp_path / "none"), "RAG_EMBEDDING_BACKEND": "onnx"})
    assert done.stdout.splitlines()[-1] == "2 False True", done.stderr


def test_the_jieba_cache_gives_jiebas_own_dictionary(tmp_path: Path) -> None:
    code = (
        "import hashlib, sys, jieba\n"
        "from pathlib import Path\n"
        "import rag.lang.text as t\n"
        "t.CACHE_DIR = Path(sys.argv[1])\n"
        "built = not t.jieba_cache_path().exists()\n"
        "t._ensure_jieba()\n"
        "state = repr(sorted(jieba.dt.FREQ.items())) + repr(jieba.dt.total)\n"
        "print(built, hashlib.sha256(state.encode()).hexdigest(),\n"
        "      t.segment('安徽2021年新增多少家省级科技特派员工作站?秦创原揭榜挂帅'))\n"
    )
    runs = []
    for _ in range(2):
        done = subprocess.run(
            [sys.executable, "-c", code, str(tmp_path / "cache")],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode == 0, done.stderr
        runs.append(done.stdout.split(" ", 1))
    # the first run builds jieba's dictionary and writes the cache, the second only loads it
    assert [r[0] for r in runs] == ["True", "False"]
    assert runs[0][1] == runs[1][1]
    assert "科技特派员" in runs[1][1] and "揭榜挂帅" in runs[1][1]


def test_a_damaged_jieba_cache_is_ignored(tmp_path: Path) -> None:
    text._ensure_jieba()
    before = len(text.jieba.dt.FREQ)
    for blob in (b"", b"garbage", text._CACHE_MAGIC + b"\x01" * 20):
        path = tmp_path / "bad.bin"
        path.write_bytes(blob)
        assert not text._load_jieba(path)
    assert not text._load_jieba(tmp_path / "missing.bin")
    assert len(text.jieba.dt.FREQ) == before


def test_the_command_exits_at_once_with_its_output_and_code(served: Settings) -> None:
    # `python -m rag.cli ask` ends with os._exit (no teardown): the output and the exit code
    # must still arrive
    env = {**os.environ, **{f"RAG_{k.upper()}": str(getattr(served, k)) for k in ("port",)}}
    env["RAG_DATA_DIR"] = str(served.data_dir)
    env["RAG_EVIDENCE_MODEL"] = str(served.evidence_model)
    args = [sys.executable, "-m", "rag.cli", "ask", "--json", QUESTIONS[0]]
    done = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["citations"]
    dead = f"http://127.0.0.1:{_free_port()}"
    args = [sys.executable, "-m", "rag.cli", "ask", "--server", dead, QUESTIONS[0]]
    done = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 2 and "cannot reach the server" in done.stderr
