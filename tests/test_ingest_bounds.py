"""Bounded ingest: hostile files are refused per file, with the rule and the value, fast.

Each test puts one hostile file next to a good one in a folder and ingests the folder: the
hostile file comes back as a failure whose message names the setting it broke, and the good
file still goes in.
"""

from __future__ import annotations

import os
import threading
import time
import zipfile
from pathlib import Path

import pytest

from rag.config import Settings, load_settings
from rag.errors import IngestError, InputError
from rag.index.chunking import DEFAULT_HARD_MAX_CHARS, chunk_document
from rag.ingest.outline import parse_sections
from rag.ingest.readers import ingest_paths, load_document
from rag.records import Document

GOOD = (
    "一、总体要求\n推进科技创新,2022年技术合同成交额达到2500亿元。\n二、重点任务\n建设创新平台。\n"
)
# refusals the issue names must take well under this (the bench measures them: ~0.05 s)
FAST_SECONDS = 5.0


def folder_with_good(tmp_path: Path) -> Path:
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "good.txt").write_text(GOOD, encoding="utf-8")
    return folder


def ingest_one_bad(
    folder: Path, settings: Settings | None = None
) -> tuple[list[Document], dict[str, str], float]:
    began = time.perf_counter()
    docs, failures = ingest_paths([folder], settings)
    seconds = time.perf_counter() - began
    assert [d.doc_id for d in docs] == ["good"], failures
    return docs, {path.name: why for path, why in failures}, seconds


def zeros_docx(path: Path, megabytes: int) -> None:
    """A .docx whose document.xml is `megabytes` MiB of zeros: ~100 KB on disk per 100 MiB."""
    block = b"\0" * 2**20
    with (
        zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive,
        archive.open("word/document.xml", "w", force_zip64=True) as member,
    ):
        for _ in range(megabytes):
            member.write(block)


# ------------------------------------------------------------------- the hostile files


def test_zip_bomb_docx_is_refused_by_its_declared_size(tmp_path: Path) -> None:
    folder = folder_with_good(tmp_path)
    zeros_docx(folder / "bomb.docx", 100)
    assert (folder / "bomb.docx").stat().st_size < 2**20
    _docs, failures, seconds = ingest_one_bad(folder)
    assert failures == {
        "bomb.docx": "bomb.docx: unpacks to 100.0 MB (declared), over the limit of 64.0 MB "
        "(ingest_max_unpacked_bytes)"
    }
    assert seconds < FAST_SECONDS


def test_docx_whose_header_understates_its_size_is_refused(tmp_path: Path) -> None:
    """The member inflates to 64 MiB while its headers say 1,000 bytes: reading stops there."""
    folder = folder_with_good(tmp_path)
    path = folder / "liar.docx"
    zeros_docx(path, 64)
    data = bytearray(path.read_bytes())
    for signature, size_at in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        at = data.find(signature)
        data[at + size_at : at + size_at + 4] = (1000).to_bytes(4, "little")
    path.write_bytes(bytes(data))
    _docs, failures, seconds = ingest_one_bad(folder)
    assert failures["liar.docx"].startswith("liar.docx: not a readable .docx file (Bad CRC-32")
    assert seconds < FAST_SECONDS


def test_docx_within_the_unpacked_limit_but_over_a_small_one(tmp_path: Path) -> None:
    folder = folder_with_good(tmp_path)
    zeros_docx(folder / "big.docx", 2)
    small = Settings().replace(ingest_max_unpacked_bytes=2**20)
    _docs, failures, _seconds = ingest_one_bad(folder, small)
    assert failures == {
        "big.docx": "big.docx: unpacks to 2.0 MB (declared), over the limit of 1.0 MB "
        "(ingest_max_unpacked_bytes)"
    }


def test_hundred_thousand_nested_divs_are_refused_while_parsing(tmp_path: Path) -> None:
    folder = folder_with_good(tmp_path)
    depth = 100_000
    markup = "<html><body>" + "<div>" * depth + "深" + "</div>" * depth + "</body></html>"
    (folder / "nested.html").write_text(markup, encoding="utf-8")
    _docs, failures, seconds = ingest_one_bad(folder)
    assert failures == {
        "nested.html": "nested.html: elements nested 257 deep, over the limit of 256 "
        "(ingest_max_html_depth)"
    }
    assert seconds < FAST_SECONDS


def test_million_line_text_is_refused_by_its_characters(tmp_path: Path) -> None:
    folder = folder_with_good(tmp_path)
    (folder / "lines.txt").write_text("字\n" * 1_000_000, encoding="utf-8")
    _docs, failures, seconds = ingest_one_bad(folder)
    assert failures == {
        "lines.txt": "lines.txt: 2,000,000 characters of text, over the limit of 1,000,000 "
        "(ingest_max_text_chars)"
    }
    assert seconds < FAST_SECONDS


def test_fifo_is_refused_without_being_opened(tmp_path: Path) -> None:
    folder = folder_with_good(tmp_path)
    os.mkfifo(folder / "pipe.txt")
    result: list[tuple[list[Document], dict[str, str], float]] = []
    # opening a FIFO for reading blocks until a writer comes: run where a hang cannot stall CI
    worker = threading.Thread(target=lambda: result.append(ingest_one_bad(folder)), daemon=True)
    worker.start()
    worker.join(timeout=30)
    assert not worker.is_alive(), "ingest blocked on the FIFO"
    _docs, failures, seconds = result[0]
    assert failures == {
        "pipe.txt": "pipe.txt: a FIFO (named pipe), not a regular file; only regular files are read"
    }
    assert seconds < FAST_SECONDS


def test_symlink_out_of_the_folder_is_refused_and_one_inside_is_followed(tmp_path: Path) -> None:
    folder = folder_with_good(tmp_path)
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text("一、机密\n不应被读取的内容。\n", encoding="utf-8")
    (folder / "secret.txt").symlink_to(outside / "secret.txt")
    (folder / "passwd.txt").symlink_to("/etc/passwd")
    (folder / "sub").mkdir()
    (folder / "sub" / "alias.txt").symlink_to(folder / "good.txt")
    docs, failures = ingest_paths([folder])
    assert sorted(d.doc_id for d in docs) == ["alias", "good"]
    assert failures[0][1] == (
        f"passwd.txt: symlink to /etc/passwd, outside the ingested folder {folder}; "
        "symlinks are followed only inside it"
    )
    assert failures[1][1].startswith(f"secret.txt: symlink to {outside / 'secret.txt'}, outside")
    assert len(failures) == 2
    assert "不应被读取" not in " ".join(d.text for d in docs)


def test_dangling_symlink_in_a_folder_is_reported(tmp_path: Path) -> None:
    folder = folder_with_good(tmp_path)
    (folder / "gone.txt").symlink_to(tmp_path / "nowhere.txt")
    _docs, failures, _seconds = ingest_one_bad(folder)
    assert failures["gone.txt"].startswith("gone.txt: symlink cannot be followed")


def test_a_file_named_on_its_own_may_be_a_symlink_but_never_a_device(tmp_path: Path) -> None:
    """A path given by name is read as named (no folder to stay inside); a device never is."""
    folder = folder_with_good(tmp_path)
    (tmp_path / "named.txt").symlink_to(folder / "good.txt")
    (tmp_path / "null.txt").symlink_to("/dev/null")
    docs, failures = ingest_paths([tmp_path / "named.txt", tmp_path / "null.txt"])
    assert [d.doc_id for d in docs] == ["named"]
    assert [why for _path, why in failures] == [
        "null.txt: a character device, not a regular file; only regular files are read"
    ]


# ------------------------------------------------------------------------------ chunk lengths


def test_text_without_punctuation_is_cut_into_chunks_on_the_cap(tmp_path: Path) -> None:
    folder = folder_with_good(tmp_path)
    (folder / "long.txt").write_text("科技创新" * 50_000, encoding="utf-8")
    docs, failures = ingest_paths([folder])
    assert failures == []
    long_doc = next(d for d in docs if d.doc_id == "long")
    chunks = chunk_document(long_doc, 360, 60)
    assert len(chunks) == 200
    assert all(len(c.text) <= DEFAULT_HARD_MAX_CHARS for c in chunks)
    assert all(long_doc.text[c.start : c.end] == c.text for c in chunks)
    assert "".join(c.text for c in chunks) == long_doc.text


def test_long_sentence_is_cut_after_a_clause_mark_when_there_is_one() -> None:
    text = ("推进科技创新," * 300).rstrip(",") + "。"
    doc = Document("d", "d.txt", text, "t", "0", sections=parse_sections(text))
    chunks = chunk_document(doc, 360, 60, hard_max_chars=500)
    assert len(chunks) > 1
    assert all(len(c.text) <= 500 for c in chunks)
    assert all(c.text.endswith(",") for c in chunks[:-1])


def test_sentences_up_to_the_hard_cap_stay_whole() -> None:
    """The old promise holds below the cap: a 448-character sentence is one chunk."""
    sentence = "科" * 447 + "。"
    text = "一、总体要求\n" + sentence + "\n"
    doc = Document("d", "d.txt", text, "t", "0", sections=parse_sections(text))
    assert [c.text for c in chunk_document(doc, 360, 60)] == ["一、总体要求", sentence]


# ------------------------------------------------------------------- each setting and its message


@pytest.mark.parametrize(
    ("name", "content", "change", "message"),
    [
        (
            "big.txt",
            "一、总体\n" + "创新发展。" * 100,
            {"ingest_max_file_bytes": 1000},
            "big.txt: 1,513 bytes, over the limit of 1,000 bytes (ingest_max_file_bytes)",
        ),
        (
            "many.txt",
            "".join(f"第{i}段内容。\n\n" for i in range(30)),
            {"ingest_max_sections": 20},
            "many.txt: more than 20 sections (ingest_max_sections)",
        ),
        (
            "chunky.txt",
            "一、总体\n" + "推进科技创新工作。" * 200,
            {"ingest_max_chunks": 3},
            "chunky.txt: 6 chunks, over the limit of 3 (ingest_max_chunks)",
        ),
        (
            "wide.html",
            "<html><body>" + "<p>段落。</p>" * 50 + "</body></html>",
            {"ingest_max_html_elements": 40},
            "wide.html: more than 40 HTML elements (ingest_max_html_elements)",
        ),
        (
            "deep.html",
            "<html><body>" + "<div>" * 20 + "深" + "</div>" * 20 + "</body></html>",
            {"ingest_max_html_depth": 10},
            "deep.html: elements nested 11 deep, over the limit of 10 (ingest_max_html_depth)",
        ),
        (
            "long.md",
            "# 标题\n" + "创新。" * 400,
            {"ingest_max_text_chars": 1000},
            "long.md: 1,205 characters of text, over the limit of 1,000 (ingest_max_text_chars)",
        ),
        (
            "slow.txt",
            GOOD,
            {"ingest_max_parse_seconds": 1e-9},
            "slow.txt: reading took longer than the limit of 1e-09 s (ingest_max_parse_seconds)",
        ),
    ],
)
def test_each_limit_refuses_with_its_rule_and_value(
    tmp_path: Path, name: str, content: str, change: dict[str, float], message: str
) -> None:
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / name).write_text(content, encoding="utf-8")
    limited = Settings().replace(**change)
    docs, failures = ingest_paths([folder], limited)
    assert docs == []
    assert [why for _path, why in failures] == [message]
    # the same file goes in under the default limits
    assert [d.doc_id for d in ingest_paths([folder])[0]] == [Path(name).stem]


def test_pdf_with_too_many_pages_is_refused(tmp_path: Path) -> None:
    from pypdf import PdfWriter

    writer = PdfWriter()
    for _ in range(3):
        writer.add_blank_page(width=200, height=200)
    path = tmp_path / "pages.pdf"
    with path.open("wb") as handle:
        writer.write(handle)
    with pytest.raises(IngestError, match=r"pages\.pdf: 3 pages, over the limit of 2"):
        load_document(path, Settings().replace(ingest_max_pdf_pages=2))


def test_text_line_cap_holds_for_html_text_too(tmp_path: Path) -> None:
    """The character cap is on the text of a page, not on its markup."""
    folder = tmp_path / "docs"
    folder.mkdir()
    markup = "<html><body><p>" + "<span class='x'>创新</span>" * 500 + "</p></body></html>"
    (folder / "page.html").write_text(markup, encoding="utf-8")
    limited = Settings().replace(ingest_max_text_chars=2000)
    docs, failures = ingest_paths([folder], limited)
    assert failures == [] and docs[0].text == "创新" * 500


# ------------------------------------------------------------------------------------ settings


def test_ingest_settings_come_from_the_toml_and_match_the_defaults() -> None:
    loaded = load_settings(env={})
    defaults = Settings()
    names = [n for n in vars(defaults) if n.startswith("ingest_")] + ["chunk_hard_max_chars"]
    assert len(names) == 10
    assert {n: getattr(loaded, n) for n in names} == {n: getattr(defaults, n) for n in names}
    assert defaults.chunk_hard_max_chars == DEFAULT_HARD_MAX_CHARS


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"ingest_max_chunks": 0}, "ingest_max_chunks must be positive; got 0"),
        ({"ingest_max_parse_seconds": -1}, "ingest_max_parse_seconds must be positive; got -1"),
        ({"chunk_hard_max_chars": 100}, "chunk_hard_max_chars must be at least chunk_max_chars"),
    ],
)
def test_ingest_settings_are_validated(change: dict[str, float], message: str) -> None:
    with pytest.raises(InputError, match=message):
        Settings().replace(**change)


def test_pdf_run_gaps_next_to_chinese_are_closed_and_latin_spaces_kept() -> None:
    from rag.ingest.formats import close_cjk_gaps

    text = (
        "白水县 2032 年工作计划\n全县新增孵化器 7 家 , 投入 1.5 亿元。\nsmart city, open data 平台"
    )
    assert close_cjk_gaps(text) == (
        "白水县2032年工作计划\n全县新增孵化器7家,投入1.5亿元。\nsmart city, open data平台"
    )
