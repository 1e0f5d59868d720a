"""The `rag` command as a user runs it: real model, real seeds, readable errors, exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rag.cli import build_parser, main
from tests.conftest import SEEDS

# the numeric answer names its period and measure, then the figure (all verbatim but the label)
SHAANXI_ANSWER = "2022年目标:技术合同成交额达到2500亿元"


def test_help_lists_every_command(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        build_parser().parse_args(["--help"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    for command in ("ingest", "ask", "search", "documents", "serve"):
        assert command in out


def test_bad_setting_is_a_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RAG_TOP_K", "zero")
    assert main(["--data-dir", str(tmp_path), "documents"]) == 2
    assert "setting top_k must be a int; got 'zero'" in capsys.readouterr().err


@pytest.mark.slow
def test_ask_on_a_fresh_data_dir_indexes_the_seeds_first(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(
        ["--data-dir", str(tmp_path / "empty"), "ask", "陕西省2022年技术合同成交额目标是多少?"]
    )
    out = capsys.readouterr().out
    assert code == 0
    assert out.startswith(SHAANXI_ANSWER) and "技术合同成交额达到2500亿元" in out
    kb = tmp_path / "empty" / "kbs" / "plans"
    assert (kb / "CURRENT").exists() and (kb / "g-000001" / "manifest.json").exists()


def test_ask_without_an_index_or_seeds_says_how_to_build_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RAG_SEEDS_DIR", str(tmp_path / "no-seeds"))
    code = main(
        ["--data-dir", str(tmp_path / "empty"), "ask", "陕西省2022年技术合同成交额目标是多少?"]
    )
    err = capsys.readouterr().err
    assert code == 2
    assert "no index" in err and "rag ingest seeds" in err
    assert "Traceback" not in err


@pytest.mark.slow
def test_ingest_ask_search_documents(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = str(tmp_path / "data")
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for path in SEEDS.glob("*.txt"):
        (corpus / path.name).write_bytes(path.read_bytes())
    (corpus / "bad.docx").write_bytes(b"not a zip")
    assert main(["--data-dir", data, "ingest", str(corpus)]) == 0
    captured = capsys.readouterr()
    assert "indexed 5 documents" in captured.out
    assert "skipped" in captured.err and "bad.docx" in captured.err

    assert main(["--data-dir", data, "ingest", str(corpus)]) == 0
    assert "up to date" in capsys.readouterr().out

    assert main(["--data-dir", data, "ask", "陕西省2022年技术合同成交额目标是多少?"]) == 0
    out = capsys.readouterr().out
    assert out.startswith(SHAANXI_ANSWER) and "【1】" in out and "2500亿元" in out.split("【1】")[1]

    assert main(["--data-dir", data, "ask", "广东省2021年新增多少高新技术企业?", "--json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["refused"] is True and payload["citations"] == [] and payload["passages"]

    assert main(["--data-dir", data, "search", "揭榜挂帅", "--top-k", "3"]) == 0
    out = capsys.readouterr().out
    assert out.count("bm25") == 3 and "揭榜挂帅" in out

    assert main(["--data-dir", data, "documents"]) == 0
    out = capsys.readouterr().out
    assert "皖科党〔2021〕11号" in out and "陕科工发〔2022〕3号" in out

    assert main(["--data-dir", data, "ask", "   "]) == 2
    assert "question must not be empty" in capsys.readouterr().err


@pytest.mark.slow
def test_a_second_folder_adds_and_removal_is_explicit(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    first, second = tmp_path / "first", tmp_path / "second"
    first.mkdir()
    second.mkdir()
    for name in ("000_6ed68003b5d5b8d0.txt", "002_9588b7af80620eb9.txt"):
        (first / name).write_bytes((SEEDS / name).read_bytes())
    (second / "003_31a54760dbc9c719.txt").write_bytes(
        (SEEDS / "003_31a54760dbc9c719.txt").read_bytes()
    )
    data = str(tmp_path / "data")
    assert main(["--data-dir", data, "ingest", str(first)]) == 0
    assert main(["--data-dir", data, "ingest", str(second)]) == 0
    capsys.readouterr()
    assert main(["--data-dir", data, "documents"]) == 0
    listed = capsys.readouterr().out
    assert all(d in listed for d in ("000_6ed68003b5d5b8d0", "002_", "003_"))
    # the first folder's documents still answer
    assert main(["--data-dir", data, "ask", "陕西省2022年技术合同成交额目标是多少?"]) == 0
    assert capsys.readouterr().out.startswith(SHAANXI_ANSWER)

    assert main(["--data-dir", data, "remove", "002_9588b7af80620eb9"]) == 0
    assert "2 documents" in capsys.readouterr().out
    assert main(["--data-dir", data, "documents"]) == 0
    assert "002_" not in capsys.readouterr().out
    assert main(["--data-dir", data, "remove", "nope"]) == 2
    assert "unknown document(s) 'nope'" in capsys.readouterr().err
