"""Knowledge bases: several collections, a union of them, removal with undo, ingest jobs.

Plans here are made up (青山市, 白水县, 云台区) so the tests hold for any corpus."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from rag.cli import main
from rag.config import Settings
from rag.errors import InputError, NotFoundError
from rag.kb.jobs import Jobs
from rag.kb.library import Library
from rag.service import RagService
from tests.conftest import FakeEmbedder

QINGSHAN = "青山市2031年科技工作要点\n一、主要目标\n全市新增光谷企业50家。"
BAISHUI = "白水县2032年工作计划\n一、发展目标\n全县技术合同成交额达到12亿元。"
YUNTAI = "云台区2033年科技工作要点\n一、主要目标\n新增孵化器7家。"


def _folder(root: Path, **files: str) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (root / f"{name}.txt").write_text(text, encoding="utf-8")
    return root


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def library(settings: Settings, tmp_path: Path) -> tuple[Library, Clock]:
    default = RagService(settings, FakeEmbedder())
    default.ingest([_folder(tmp_path / "a", qingshan=QINGSHAN, baishui=BAISHUI)])
    clock = Clock()
    return Library(settings, default, clock), clock


def test_a_second_knowledge_base_is_separate_and_both_can_be_asked(
    library: tuple[Library, Clock], tmp_path: Path
) -> None:
    lib, _ = library
    lib.create("区县")
    assert lib.names() == ["plans", "区县"]
    with pytest.raises(InputError, match="already exists"):
        lib.create("区县")
    lib.service("区县").ingest([_folder(tmp_path / "b", yuntai=YUNTAI)])
    assert lib.service("plans").ask("云台区2033年新增孵化器多少家?").refused
    assert lib.service("区县").ask("云台区2033年新增孵化器多少家?").answer.endswith("7家")
    both = lib.services(["plans", "区县"])
    assert both.ask("云台区2033年新增孵化器多少家?").answer.endswith("7家")
    assert both.ask("青山市2031年新增光谷企业多少家?").answer.endswith("50家")
    assert set(both.index.documents) == {"qingshan", "baishui", "yuntai"}
    with pytest.raises(NotFoundError, match="unknown knowledge base 'nope'"):
        lib.service("nope")
    with pytest.raises(InputError, match="knowledge base name"):
        lib.service("../etc")


def test_deleting_a_knowledge_base_needs_its_name_and_keeps_it_in_the_trash(
    library: tuple[Library, Clock], settings: Settings, tmp_path: Path
) -> None:
    lib, _ = library
    lib.create("tmp")
    lib.service("tmp").ingest([_folder(tmp_path / "b", yuntai=YUNTAI)])
    with pytest.raises(InputError, match="needs confirm='tmp'"):
        lib.delete("tmp", "yes")
    with pytest.raises(InputError, match="cannot be deleted"):
        lib.delete("plans", "plans")
    kept = Path(lib.delete("tmp", "tmp"))
    assert lib.names() == ["plans"]
    assert kept.parent == settings.data_dir / "trash" and (kept / "CURRENT").exists()


def test_a_removal_can_be_undone_within_its_window(library: tuple[Library, Clock]) -> None:
    lib, clock = library
    removal = lib.remove(None, ["qingshan"])
    assert lib.service().ask("青山市2031年新增光谷企业多少家?").refused
    lib.undo(removal.token)
    assert lib.service().ask("青山市2031年新增光谷企业多少家?").answer.endswith("50家")
    late = lib.remove(None, ["qingshan"])
    clock.now += lib.settings.undo_seconds + 1
    with pytest.raises(NotFoundError, match="undo_seconds"):
        lib.undo(late.token)


def test_an_ingest_job_reports_each_stage_and_each_file(
    library: tuple[Library, Clock], tmp_path: Path
) -> None:
    lib, _ = library
    folder = _folder(tmp_path / "up", yuntai=YUNTAI)
    (folder / "broken.docx").write_bytes(b"not a zip")
    jobs = Jobs()
    seen: list[str] = []
    files = [
        {"name": "yuntai.txt", "status": "ok", "message": ""},
        {"name": "broken.docx", "status": "ok", "message": ""},
    ]
    service = lib.service()

    def work(progress):  # type: ignore[no-untyped-def]
        def spy(stage: str, done: int, total: int) -> None:
            seen.append(stage)
            progress(stage, done, total)

        return service.ingest([folder / "yuntai.txt", folder / "broken.docx"], spy)

    job = jobs.submit("plans", files, work)
    deadline = time.monotonic() + 30
    version = 0
    while not job.finished and time.monotonic() < deadline:
        version = jobs.wait(job, version, 1.0)
    assert job.stage == "done", job.error
    assert {"read", "chunk", "embed", "save"} <= set(seen)
    by_name = {f["name"]: f for f in job.json()["files"]}
    assert by_name["yuntai.txt"]["status"] == "ok"
    assert by_name["broken.docx"]["status"] == "error" and by_name["broken.docx"]["message"]
    assert job.report and job.report["documents"] == 3
    assert service.ask("云台区2033年新增孵化器多少家?").answer.endswith("7家")
    with pytest.raises(NotFoundError):
        jobs.get("nope")
    jobs.shutdown()


def test_cli_ingest_of_a_second_folder_keeps_the_first_and_kb_selects_a_base(
    settings: Settings,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setattr("embeddings.embedder.load_embedder", lambda s: FakeEmbedder())
    data = ["--data-dir", str(settings.data_dir), "--config", str(_fake_config(tmp_path))]
    assert main([*data, "ingest", str(_folder(tmp_path / "a", qingshan=QINGSHAN))]) == 0
    assert main([*data, "ingest", str(_folder(tmp_path / "b", yuntai=YUNTAI))]) == 0
    capsys.readouterr()
    assert main([*data, "ask", "青山市2031年新增光谷企业多少家?"]) == 0
    assert "50家" in capsys.readouterr().out
    assert main([*data, "--kb", "区县", "ingest", str(tmp_path / "b")]) == 0
    assert main([*data, "--kb", "区县", "documents"]) == 0
    listed = capsys.readouterr().out
    assert "yuntai" in listed and "qingshan" not in listed


def _fake_config(tmp_path: Path) -> Path:
    path = tmp_path / "fake.toml"
    path.write_text(f'evidence_model = "{tmp_path / "none.json"}"\n', encoding="utf-8")
    return path


def test_removing_the_last_document_leaves_an_empty_base_that_can_be_undone(
    library: tuple[Library, Clock], tmp_path: Path
) -> None:
    lib, _ = library
    lib.create("one")
    lib.service("one").ingest([_folder(tmp_path / "b", yuntai=YUNTAI)])
    removal = lib.remove("one", ["yuntai"])
    assert lib.service("one").kb.empty
    with pytest.raises(InputError, match="has no documents yet"):
        lib.services(["one"])
    reopened = Library(lib.settings, lib.default)
    assert reopened.service("one").kb.empty  # the empty generation loads
    lib.undo(removal.token)
    assert lib.services(["one"]).ask("云台区2033年新增孵化器多少家?").answer.endswith("7家")
