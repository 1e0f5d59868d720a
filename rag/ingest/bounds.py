"""Bounds on reading one file: per-file limits from the ingest_* settings, the budget a read
spends, and the checks that only regular files inside the ingested folder are opened."""

from __future__ import annotations

import logging
import os
import stat
import time
from dataclasses import dataclass
from pathlib import Path

from rag.config import Settings
from rag.errors import IngestError

logger = logging.getLogger(__name__)


# ----------------------------------------------------------------------------------- bounds


@dataclass(frozen=True)
class IngestLimits:
    """Per-file bounds on reading one file; see the [ingest] section of config/default.toml."""

    max_file_bytes: int
    max_unpacked_bytes: int
    max_text_chars: int
    max_sections: int
    max_chunks: int
    max_parse_seconds: float
    max_html_depth: int
    max_html_elements: int
    max_pdf_pages: int
    chunk_max_chars: int
    chunk_overlap_chars: int
    chunk_hard_max_chars: int

    @classmethod
    def from_settings(cls, settings: Settings) -> IngestLimits:
        return cls(
            max_file_bytes=settings.ingest_max_file_bytes,
            max_unpacked_bytes=settings.ingest_max_unpacked_bytes,
            max_text_chars=settings.ingest_max_text_chars,
            max_sections=settings.ingest_max_sections,
            max_chunks=settings.ingest_max_chunks,
            max_parse_seconds=settings.ingest_max_parse_seconds,
            max_html_depth=settings.ingest_max_html_depth,
            max_html_elements=settings.ingest_max_html_elements,
            max_pdf_pages=settings.ingest_max_pdf_pages,
            chunk_max_chars=settings.chunk_max_chars,
            chunk_overlap_chars=settings.chunk_overlap_chars,
            chunk_hard_max_chars=settings.chunk_hard_max_chars,
        )


def limits_of(settings: Settings | None) -> IngestLimits:
    return IngestLimits.from_settings(settings if settings is not None else Settings())


def _size(count: int) -> str:
    return f"{count / 2**20:,.1f} MB" if count >= 2**20 else f"{count:,} bytes"


class ReadBudget:
    """One file's limits and the clock of its parse; each refusal names the rule and the value."""

    def __init__(self, name: str, limits: IngestLimits) -> None:
        self.name = name
        self.limits = limits
        self.began = time.monotonic()

    def refuse(self, what: str, rule: str) -> IngestError:
        return IngestError(f"{self.name}: {what} ({rule})")

    def check_time(self) -> None:
        seconds = self.limits.max_parse_seconds
        if time.monotonic() - self.began > seconds:
            what = f"reading took longer than the limit of {seconds:g} s"
            raise self.refuse(what, "ingest_max_parse_seconds")

    def check_bytes(self, count: int) -> None:
        cap = self.limits.max_file_bytes
        if count > cap:
            raise self.refuse(
                f"{_size(count)}, over the limit of {_size(cap)}", "ingest_max_file_bytes"
            )

    def check_unpacked(self, count: int, how: str) -> None:
        cap = self.limits.max_unpacked_bytes
        if count > cap:
            what = f"unpacks to {_size(count)} ({how}), over the limit of {_size(cap)}"
            raise self.refuse(what, "ingest_max_unpacked_bytes")

    def check_chars(self, count: int) -> None:
        check_chars(self.name, count, self.limits.max_text_chars)

    def check_html(self, elements: int, depth: int) -> None:
        cap = self.limits.max_html_depth
        if depth > cap:
            what = f"elements nested {depth:,} deep, over the limit of {cap:,}"
            raise self.refuse(what, "ingest_max_html_depth")
        if elements > self.limits.max_html_elements:
            what = f"more than {self.limits.max_html_elements:,} HTML elements"
            raise self.refuse(what, "ingest_max_html_elements")
        if elements % 256 == 0:
            self.check_time()


def check_chars(name: str, count: int, cap: int | None) -> None:
    if cap is not None and count > cap:
        what = f"{count:,} characters of text, over the limit of {cap:,}"
        raise IngestError(f"{name}: {what} (ingest_max_text_chars)")


_FILE_KINDS = (
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISDIR, "a directory"),
)
_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)


def _check_inside(path: Path, root: Path | None, name: str) -> None:
    """A file found under a folder must resolve inside it: a symlink out of it is refused."""
    if root is None:
        return
    try:
        target = path.resolve(strict=True)
    except (OSError, RuntimeError) as exc:  # a dangling link, a loop
        raise IngestError(f"{name}: symlink cannot be followed ({exc})") from exc
    if not target.is_relative_to(root.resolve()):
        raise IngestError(
            f"{name}: symlink to {target}, outside the ingested folder {root}; "
            "symlinks are followed only inside it"
        )


def _check_regular(info: os.stat_result, name: str) -> None:
    if not stat.S_ISREG(info.st_mode):
        kind = next((k for test, k in _FILE_KINDS if test(info.st_mode)), "not a file")
        raise IngestError(f"{name}: {kind}, not a regular file; only regular files are read")


def regular_bytes(path: Path, root: Path | None, budget: ReadBudget) -> bytes:
    """A regular file's bytes, read up to the byte limit. Anything else (FIFO, device, socket)
    is refused from its stat, before it is opened, and the opened file is checked to be the
    one stat saw, so nothing can block reading or swap the file in between."""
    name = budget.name
    _check_inside(path, root, name)
    try:
        info = os.stat(path)
        _check_regular(info, name)
        budget.check_bytes(info.st_size)
        with os.fdopen(os.open(path, _OPEN_FLAGS), "rb") as handle:
            opened = os.fstat(handle.fileno())
            if (opened.st_dev, opened.st_ino) != (info.st_dev, info.st_ino):
                raise IngestError(f"{name}: file was replaced while it was being opened")
            _check_regular(opened, name)
            data = handle.read(budget.limits.max_file_bytes + 1)
    except OSError as exc:
        raise IngestError(f"{name}: cannot be read ({exc.strerror})") from exc
    budget.check_bytes(len(data))
    return data
