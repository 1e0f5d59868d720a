"""Index generations: crash at any step, damage to any file, one writer, nothing dropped.

Documents here are made up (青山市, 白水县 plans) so the tests hold for any corpus."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from rag.cli import main
from rag.config import ROOT, Settings
from rag.errors import IndexDamagedError, WriterBusyError
from rag.index import generations
from rag.index.store import load_index, write_index
from rag.service import RagService
from tests.conftest import FakeEmbedder

PLANS = {
    "qingshan.txt": "青山市2031年科技工作要点\n一、主要目标\n全市新增光谷企业50家。\n"
    "二、重点任务\n(一)建设青山实验室,投入资金3亿元。",
    "baishui.txt": "白水县2032年工作计划\n一、发展目标\n全县技术合同成交额达到12亿元。",
}
LATER = {"yuntai.txt": "云台区2033年科技工作要点\n一、主要目标\n新增孵化器7家。"}
QUESTION = "青山市2031年新增光谷企业多少家?"


def _folder(root: Path, files: dict[str, str]) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (root / name).write_text(text, encoding="utf-8")
    return root


@pytest.fixture
def base(settings: Settings, tmp_path: Path) -> RagService:
    """A knowledge base holding the two made-up plans, saved as generation 1."""
    service = RagService(settings, FakeEmbedder())
    service.ingest([_folder(tmp_path / "plans", PLANS)])
    return service


def _answers(settings: Settings) -> tuple[set[str], str]:
    fresh = RagService(settings, FakeEmbedder())
    fresh.load()
    answer = fresh.ask(QUESTION)
    return set(fresh.index.documents), "" if answer.refused else answer.answer


def test_each_build_is_a_new_generation_and_two_are_kept(
    base: RagService, settings: Settings, tmp_path: Path
) -> None:
    gens = base.kb.generations
    assert gens.names() == ["g-000001"] and gens.pointer().previous is None  # type: ignore[union-attr]
    for n, name in enumerate(("a", "b", "c"), 2):
        base.ingest([_folder(tmp_path / name, {f"{name}.txt": f"{name}县2031年计划\n新增{n}家。"})])
    pointer = gens.pointer()
    assert pointer is not None and (pointer.current, pointer.previous) == ("g-000004", "g-000003")
    assert gens.names() == ["g-000003", "g-000004"]
    # an unchanged ingest switches nothing
    assert base.ingest([tmp_path / "plans"]).unchanged and gens.names()[-1] == "g-000004"


def _steps(settings: Settings, later: Path, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The named steps of adding `later`, counted on a copy of the data directory."""
    dry = settings.data_dir.parent / "dry"
    shutil.copytree(settings.data_dir, dry)
    seen: list[str] = []
    monkeypatch.setattr(generations, "step", seen.append)
    RagService(settings.replace(data_dir=dry), FakeEmbedder()).ingest([later])
    monkeypatch.undo()
    return seen


KILLER = """
import os, signal, sys
from pathlib import Path
sys.path.insert(0, {root!r})
from rag.index import generations
from rag.config import load_settings
from rag.service import RagService
from tests.conftest import FakeEmbedder
count = 0
def step(name):
    global count
    count += 1
    if count == {at}:
        os.kill(os.getpid(), signal.SIGKILL)
generations.step = step
settings = load_settings(env={{}}, data_dir=Path({data!r}), evidence_model=Path({model!r}))
RagService(settings, FakeEmbedder()).ingest([Path({folder!r})])
print("finished")
"""


@pytest.mark.faiss_only
def test_a_kill_at_any_step_of_a_build_leaves_a_good_generation(
    base: RagService, settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    later = _folder(tmp_path / "later", LATER)
    # the made-up knowledge base gets a second generation so retiring one is a step too
    base.ingest([_folder(tmp_path / "more", {"more.txt": "石门县2031年计划\n新增9家。"})])
    steps = _steps(settings, later, monkeypatch)
    before_docs, before_answer = _answers(settings)
    assert before_answer.endswith("50家") and len(steps) >= 15
    template = tmp_path / "template"
    shutil.copytree(settings.data_dir, template)
    for at in range(1, len(steps) + 1):
        shutil.rmtree(settings.data_dir)
        shutil.copytree(template, settings.data_dir)
        script = KILLER.format(
            root=str(ROOT),
            at=at,
            data=str(settings.data_dir),
            model=str(settings.evidence_model),
            folder=str(later),
        )
        run = subprocess.run(
            [sys.executable, "-c", script], capture_output=True, text=True, timeout=120
        )
        assert run.returncode == -9, f"step {at} ({steps[at - 1]}): {run.stderr[-500:]}"
        docs, answer = _answers(settings)
        # killed before the pointer moved: the old generation; after: the new one; never less
        assert docs in (before_docs, before_docs | {"yuntai"}), f"step {at}: {steps[at - 1]}"
        assert answer == before_answer, f"step {at}: {steps[at - 1]}"
    # the next writer cleans what the killed ones left and finishes
    report = RagService(settings, FakeEmbedder()).ingest([later])
    root = settings.index_dir
    assert not [p for p in root.iterdir() if p.name.startswith((".build-", ".CURRENT."))]
    assert report.documents == len(before_docs) + 1


def _damage(path: Path, how: str) -> None:
    data = path.read_bytes()
    if how == "delete":
        path.unlink()
    elif how == "truncate":
        path.write_bytes(data[: len(data) // 2])
    else:  # flip one byte in the middle: same size, other content
        middle = len(data) // 2
        path.write_bytes(data[:middle] + bytes([data[middle] ^ 0x01]) + data[middle + 1 :])


def test_every_damaged_file_is_caught_before_it_answers(
    base: RagService, settings: Settings, tmp_path: Path
) -> None:
    base.ingest([_folder(tmp_path / "later", LATER)])
    gens = base.kb.generations
    current = gens.current()
    files = sorted(p.relative_to(current) for p in current.rglob("*") if p.is_file())
    assert {"manifest.json", "documents.json", "chunks.jsonl", "vectors.npy"} <= {
        str(f) for f in files
    }
    pristine = {f: (current / f).read_bytes() for f in files}
    for name in files:
        for how in ("delete", "truncate", "flip"):
            _damage(current / name, how)
            service = RagService(settings, FakeEmbedder())
            service.load()
            # the damaged generation is not served: the previous one is, and says why
            assert service.kb.loaded.generation == "g-000001", f"{name} {how}"
            assert service.kb.damage and "rag verify --repair" in service.kb.damage
            assert "yuntai" not in service.index.documents
            (current / name).write_bytes(pristine[name])
    service = RagService(settings, FakeEmbedder())
    service.load()
    assert service.kb.damage is None and "yuntai" in service.index.documents


def test_a_changed_figure_in_the_stored_text_is_not_served(
    base: RagService, settings: Settings
) -> None:
    stored = base.kb.generations.current() / "documents.json"
    stored.write_text(stored.read_text("utf-8").replace("50家", "60家"), "utf-8")
    with pytest.raises(IndexDamagedError, match=r"documents\.json"):
        RagService(settings, FakeEmbedder()).load()


def test_verify_names_the_file_and_repair_rebuilds_from_stored_texts(
    base: RagService, settings: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    base.ingest([_folder(tmp_path / "later", LATER)])
    current = base.kb.generations.current()
    _damage(current / "vectors.npy", "flip")
    args = ["--data-dir", str(settings.data_dir), "verify"]
    assert main(args) == 1
    out = capsys.readouterr().out
    assert "g-000002: DAMAGED" in out and "vectors.npy" in out and "g-000001: intact" in out
    service = RagService(settings, FakeEmbedder())
    said = service.kb.repair()
    assert "rebuilt 3 documents from its stored texts as g-000003" in said
    assert main(args) == 0
    assert _answers(settings)[1].endswith("50家")


def test_repair_falls_back_to_the_previous_generation_when_texts_are_lost(
    base: RagService, settings: Settings, tmp_path: Path
) -> None:
    base.ingest([_folder(tmp_path / "later", LATER)])
    _damage(base.kb.generations.current() / "documents.json", "truncate")
    said = RagService(settings, FakeEmbedder()).kb.repair()
    assert "previous generation g-000001 is current" in said
    docs, answer = _answers(settings)
    assert "yuntai" not in docs and answer.endswith("50家")


def test_a_second_writer_waits_then_fails_with_a_clear_message(
    base: RagService, settings: Settings, tmp_path: Path
) -> None:
    later = _folder(tmp_path / "later", LATER)
    holding, release = threading.Event(), threading.Event()

    def hold() -> None:
        with base.kb.generations.writer(5):
            holding.set()
            release.wait(10)

    thread = threading.Thread(target=hold)
    thread.start()
    holding.wait(5)
    try:
        other = RagService(settings.replace(writer_wait_seconds=0.2), FakeEmbedder())
        with pytest.raises(WriterBusyError, match="writer_wait_seconds"):
            other.ingest([later])
    finally:
        release.set()
        thread.join()
    assert other.ingest([later]).documents == 3


@pytest.mark.faiss_only
def test_an_index_from_before_generations_is_copied_not_lost(
    base: RagService, settings: Settings
) -> None:
    legacy = settings.legacy_index_dir
    legacy.mkdir(parents=True)
    manifest_sha = write_index(base.index, legacy)
    assert manifest_sha
    # a data directory as an older version left it: data/index only
    moved = settings.data_dir / "kbs-new"
    settings.index_dir.parent.rename(moved)
    service = RagService(settings, FakeEmbedder())
    service.load()
    assert set(service.index.documents) == {"qingshan", "baishui"}
    assert (legacy / "manifest.json").exists()
    assert load_index(service.kb.generations.current()).manifest["files"]


def test_a_server_adopts_a_new_generation_and_keeps_serving_through_damage(
    base: RagService, settings: Settings, tmp_path: Path
) -> None:
    serving = RagService(settings.replace(reload_check_seconds=0.0), FakeEmbedder())
    serving.load()
    RagService(settings, FakeEmbedder()).ingest([_folder(tmp_path / "later", LATER)])
    assert serving.ask("云台区2033年新增孵化器多少家?").answer.endswith("7家")
    pointer = json.loads((settings.index_dir / "CURRENT").read_text("utf-8"))
    assert pointer["previous"] == "g-000001"
    os.utime(settings.index_dir / "CURRENT")
    assert not serving.refresh()  # same content, a touch is not a new generation to fail on


def test_the_writer_lock_is_reentrant_for_its_holder_and_exclusive_for_others(
    settings: Settings,
) -> None:
    mine = generations.Generations(settings.index_dir)
    other = generations.Generations(settings.index_dir)
    # a migration inside an ingest takes it again
    with mine.writer(1), mine.writer(1), pytest.raises(WriterBusyError), other.writer(0.1):
        pass
    with other.writer(0.1):
        pass


@pytest.mark.faiss_only
def test_an_ingest_over_an_index_from_before_generations_keeps_its_documents(
    base: RagService, settings: Settings, tmp_path: Path
) -> None:
    legacy = settings.legacy_index_dir
    legacy.mkdir(parents=True)
    write_index(base.index, legacy)
    settings.index_dir.parent.rename(settings.data_dir / "kbs-new")
    # the copy into generations happens inside the ingest's own write lock
    report = RagService(settings, FakeEmbedder()).ingest([_folder(tmp_path / "later", LATER)])
    assert report.documents == 3


def test_a_start_removes_what_a_crashed_build_left_but_not_a_live_one(
    base: RagService, settings: Settings
) -> None:
    root = settings.index_dir
    (root / ".build-crashed").mkdir()
    (root / ".build-crashed" / "vectors.npy").write_bytes(b"half")
    RagService(settings, FakeEmbedder()).load()
    assert not (root / ".build-crashed").exists()
    (root / ".build-live").mkdir()
    with base.kb.generations.writer(1):  # a writer at work: its build is not a leftover
        RagService(settings, FakeEmbedder()).load()
    assert (root / ".build-live").exists()
