"""Hostile files against the ingest bounds: how fast each is refused and with how much memory.

    .venv/bin/python bench/ingest_bounds.py

Builds each input in a temporary folder, then ingests it in a fresh subprocess (so every peak is
its own): the refusal message, the seconds `ingest_paths` took and the peak resident memory
above what the process held after importing the readers (ru_maxrss). Target (issue 10): each
refused in <= 5 s with <= 300 MB extra. The last cases are not refusals the issue names but
the worst inputs just inside or just over other bounds.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TIMEOUT_SECONDS = 120
TARGET_SECONDS = 5.0
TARGET_MB = 300.0


def _zeros_docx(path: Path, megabytes: int) -> Path:
    """A .docx-named zip whose document.xml is `megabytes` MiB of zeros (~1 KB a MiB on disk)."""
    block = b"\0" * 2**20
    with (
        zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive,
        archive.open("word/document.xml", "w", force_zip64=True) as member,
    ):
        for _ in range(megabytes):
            member.write(block)
    return path


def zip_bomb(folder: Path) -> Path:
    """A .docx whose one member is 1 GiB of zeros (1 MB on disk)."""
    return _zeros_docx(folder / "bomb.docx", 1024)


def lying_zip(folder: Path) -> Path:
    """A .docx whose member inflates to 256 MiB while its headers declare 1,000 bytes."""
    path = _zeros_docx(folder / "liar.docx", 256)
    data = bytearray(path.read_bytes())
    # zip64 keeps the real sizes in an extra field; point the entries at a 1,000-byte size
    for signature, size_at in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        at = data.find(signature)
        data[at + size_at : at + size_at + 4] = (1000).to_bytes(4, "little")
    path.write_bytes(bytes(data))
    return path


def nested_html(folder: Path) -> Path:
    """100,000 nested <div> (took 9 minutes before the bounds)."""
    path = folder / "nested.html"
    depth = 100_000
    markup = "<html><body>" + "<div>" * depth + "深" + "</div>" * depth + "</body></html>"
    path.write_text(markup, encoding="utf-8")
    return path


def million_lines(folder: Path) -> Path:
    """1e6 one-character lines (became 1e6 chunks before the bounds)."""
    path = folder / "lines.txt"
    path.write_text("字\n" * 1_000_000, encoding="utf-8")
    return path


def fifo(folder: Path) -> Path:
    """A named pipe with a .txt name (blocked ingest forever)."""
    path = folder / "pipe.txt"
    os.mkfifo(path)
    return path


def long_line(folder: Path) -> Path:
    """1.8 million characters without sentence punctuation (became one chunk)."""
    path = folder / "long.txt"
    path.write_text("科技创新" * 450_000, encoding="utf-8")
    return path


def long_line_under_cap(folder: Path) -> Path:
    """900,000 characters without punctuation: inside the caps, cut into chunks on the cap."""
    path = folder / "long_ok.txt"
    path.write_text("科技创新" * 225_000, encoding="utf-8")
    return path


def lines_under_char_cap(folder: Path) -> Path:
    """499,999 one-character lines: just under the character cap, over the section cap."""
    path = folder / "many_lines.txt"
    path.write_text("字\n" * 499_999, encoding="utf-8")
    return path


def deep_wide_html(folder: Path) -> Path:
    """Chains 250 deep, repeated to 99,500 elements: just inside both HTML caps."""
    path = folder / "deep_wide.html"
    chain = "<div>" * 250 + "字" + "</div>" * 250
    path.write_text("<html><body>" + chain * 398 + "</body></html>", encoding="utf-8")
    return path


def flat_html(folder: Path) -> Path:
    """99,990 sibling paragraphs: just inside the element cap."""
    path = folder / "flat.html"
    path.write_text("<html><body>" + "<p>字</p>" * 99_990 + "</body></html>", encoding="utf-8")
    return path


def too_many_elements(folder: Path) -> Path:
    """1,000,000 sibling paragraphs (4 MB of markup): over the element cap."""
    path = folder / "huge.html"
    path.write_text("<html><body>" + "<p>字</p>" * 1_000_000 + "</body></html>", encoding="utf-8")
    return path


CASES: dict[str, Callable[[Path], Path]] = {
    "zip-bomb .docx (1 GiB declared)": zip_bomb,
    "100k nested <div> .html": nested_html,
    "1e6-line .txt": million_lines,
    "FIFO named .txt": fifo,
    "lying-header .docx (256 MiB, declares 1 KB)": lying_zip,
    "1.8M chars, no punctuation": long_line,
    "900k chars, no punctuation (inside caps)": long_line_under_cap,
    "499,999 lines (under char cap)": lines_under_char_cap,
    "250-deep x 398 chains .html (inside caps)": deep_wide_html,
    "99,990 sibling <p> .html (inside caps)": flat_html,
    "1e6 sibling <p> .html": too_many_elements,
}


def child(path: Path) -> None:
    """Ingest one file in this process and print what happened as JSON."""
    import resource

    sys.path.insert(0, str(ROOT))
    import bs4  # noqa: F401  (readers imported before the baseline is taken)
    import docx  # noqa: F401
    import pypdf  # noqa: F401

    from rag.config import Settings
    from rag.index.chunking import chunk_document
    from rag.ingest.readers import ingest_paths

    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    began = time.perf_counter()
    documents, failures = ingest_paths([path.parent])
    seconds = time.perf_counter() - began
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    message = failures[0][1] if failures else f"ingested ({len(documents)} document)"
    if documents:
        settings = Settings()
        chunks = chunk_document(
            documents[0],
            settings.chunk_max_chars,
            settings.chunk_overlap_chars,
            settings.chunk_hard_max_chars,
        )
        longest = max(len(c.text) for c in chunks)
        message += f": {len(chunks):,} chunks, the longest {longest:,} characters"
    print(json.dumps({"message": message, "seconds": seconds, "extra_mb": (peak - base) / 1024}))


def run(name: str, build: Callable[[Path], Path]) -> dict[str, object]:
    with tempfile.TemporaryDirectory() as tmp:
        path = build(Path(tmp))
        command = [sys.executable, __file__, "--child", str(path)]
        try:
            done = subprocess.run(
                command, capture_output=True, text=True, timeout=TIMEOUT_SECONDS, check=True
            )
        except subprocess.TimeoutExpired:
            return {"case": name, "message": f"TIMEOUT after {TIMEOUT_SECONDS} s"}
        result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
        return {"case": name, **result}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child)
        return
    print(f"{'case':46} {'seconds':>8} {'extra MB':>9}  message")
    for name, build in CASES.items():
        row = run(name, build)
        seconds, extra = row.get("seconds"), row.get("extra_mb")
        ok = (
            isinstance(seconds, float)
            and isinstance(extra, float)
            and seconds <= TARGET_SECONDS
            and extra <= TARGET_MB
        )
        figures = f"{seconds:8.2f} {extra:9.1f}" if ok or isinstance(seconds, float) else " " * 18
        print(f"{name:46} {figures}  {'' if ok else '[OVER TARGET] '}{row['message']}")


if __name__ == "__main__":
    main()
