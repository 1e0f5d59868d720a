"""Read plan files (txt/md/html/docx/pdf), drop web boilerplate, extract metadata, outline them.

`Document.text` is the cleaned text and every offset refers to it; metadata
(rag/ingest/metadata.py) is read from the raw text, because the publish date and the source
sit on boilerplate lines.

Every file is read within bounds (`IngestLimits`, from the ingest_* settings): regular files
only, symlinks only inside the folder being ingested, and caps on bytes, unpacked bytes,
characters, HTML depth and elements, PDF pages, sections, chunks and parse time. A file over a
bound is refused with a message that names the rule and the value; the other files still load.
"""

from __future__ import annotations

import hashlib
import logging
import os
from collections.abc import Iterator
from pathlib import Path

from rag.config import Settings
from rag.errors import IngestError
from rag.index.chunking import chunk_document
from rag.ingest.bounds import ReadBudget, limits_of, regular_bytes
from rag.ingest.clean import joined_lines, kept_lines
from rag.ingest.formats import decode_bytes, docx_text, html_text, pdf_text
from rag.ingest.metadata import FileProperties, extract_metadata
from rag.ingest.outline import parse_sections
from rag.ingest.sidecar import SIDECAR_SUFFIX, apply_sidecar
from rag.records import Document, Section

logger = logging.getLogger(__name__)

SUPPORTED_SUFFIXES = (".txt", ".md", ".html", ".htm", ".docx", ".pdf")
# notes that travel with a folder of documents but are not documents (a corpus's SOURCES.md)
SKIPPED_NAMES = frozenset(
    {"readme.md", "readme.txt", "sources.md", "sources.txt", "license", "license.md"}
)


def _read(
    path: Path, budget: ReadBudget, root: Path | None = None
) -> tuple[bytes, str, FileProperties]:
    """A file's bytes, its raw text before any cleaning, and what the file says about itself."""
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise IngestError(
            f"{path.name}: unsupported file type {suffix or '(none)'!r}; "
            f"supported are {', '.join(SUPPORTED_SUFFIXES)}"
        )
    data = regular_bytes(path, root, budget)
    if not data.strip():
        raise IngestError(f"{path.name}: file is empty")
    props = FileProperties(name=path.name)
    if suffix == ".docx":
        text, props = docx_text(data, budget)
    elif suffix == ".pdf":
        text = pdf_text(data, budget)
    else:
        is_html = suffix in {".html", ".htm"}
        # markup is bounded by ingest_max_file_bytes; the cap on characters is for the text in it
        text = decode_bytes(data, path.name, None if is_html else budget.limits.max_text_chars)
        if is_html:
            text = html_text(text, budget)
    budget.check_chars(len(text))
    if not text.strip():
        raise IngestError(f"{path.name}: file has no text")
    return data, text, props


def read_text(path: Path, settings: Settings | None = None) -> str:
    """The raw text of one file, before any cleaning."""
    return _read(path, ReadBudget(path.name, limits_of(settings)))[1]


# ---------------------------------------------------------------------------------- loading


def _sections(text: str, budget: ReadBudget) -> tuple[Section, ...]:
    try:
        return parse_sections(text, budget.limits.max_sections)
    except IngestError as exc:
        raise budget.refuse(str(exc), "ingest_max_sections") from exc


def _check_chunks(document: Document, budget: ReadBudget) -> None:
    limits = budget.limits
    chunks = chunk_document(
        document, limits.chunk_max_chars, limits.chunk_overlap_chars, limits.chunk_hard_max_chars
    )
    if len(chunks) > limits.max_chunks:
        what = f"{len(chunks):,} chunks, over the limit of {limits.max_chunks:,}"
        raise budget.refuse(what, "ingest_max_chunks")


def load_document(
    path: Path, settings: Settings | None = None, root: Path | None = None
) -> Document:
    """Read, clean, describe and outline one file, within the ingest_* limits of the settings.

    A file found under the folder `root` must resolve inside it (symlinks out are refused).
    """
    budget = ReadBudget(path.name, limits_of(settings))
    data, raw, props = _read(path, budget, root)
    kept = list(kept_lines(raw))
    text = joined_lines(kept)
    if not text:
        raise IngestError(f"{path.name}: no text left after removing web-page boilerplate")
    lines = [line for line in kept if line]
    budget.check_time()
    meta = apply_sidecar(extract_metadata(raw, lines, text, props), path)
    budget.check_time()
    sections = _sections(text, budget)
    budget.check_time()
    document = Document(
        doc_id=path.stem,
        source=path.name,
        text=text,
        title=meta.title or path.stem,
        sha256=hashlib.sha256(data).hexdigest(),
        issuer=meta.issuer,
        region=meta.region,
        region_level=meta.region_level,
        year=meta.year,
        published=meta.published,
        doc_number=meta.doc_number,
        sections=sections,
    )
    _check_chunks(document, budget)
    budget.check_time()
    return document


def _skipped(path: Path, root: Path) -> bool:
    hidden = any(part.startswith(".") for part in path.relative_to(root).parts)
    return hidden or path.name.lower() in SKIPPED_NAMES or path.name.endswith(SIDECAR_SUFFIX)


def _expand(paths: list[Path]) -> Iterator[tuple[Path, Path | None]]:
    """Each file to load with the folder it was found under (None: named on its own).

    Everything in a folder that is not a directory is listed, so a FIFO, a socket or a dangling
    symlink is reported rather than silently passed over.
    """
    for path in paths:
        if path.is_dir():
            entries = (p for p in sorted(path.rglob("*")) if not p.is_dir())
            yield from ((p, path) for p in entries if not _skipped(p, path))
        else:
            yield path, None


def ingest_paths(
    paths: list[Path], settings: Settings | None = None
) -> tuple[list[Document], list[tuple[Path, str]]]:
    """Load files and folders (recursively); a file that fails or breaks one of the ingest_*
    limits of the settings is reported, the rest still load."""
    documents: list[Document] = []
    failures: list[tuple[Path, str]] = []
    seen: dict[str, Path] = {}
    found: dict[Path, Path | None] = {}
    for path, root in _expand(paths):
        found.setdefault(path, root)
    for path, root in found.items():
        try:
            if not os.path.lexists(path):
                raise IngestError(f"{path}: does not exist")
            if path.stem in seen:
                raise IngestError(
                    f"{path.name}: doc_id {path.stem!r} is already used by {seen[path.stem]}"
                )
            document = load_document(path, settings, root)
        except IngestError as exc:
            logger.warning("skipped %s: %s", path, exc)
            failures.append((path, str(exc)))
            continue
        seen[path.stem] = path
        documents.append(document)
    logger.info("ingested %d documents, %d failures", len(documents), len(failures))
    return documents, failures
