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

import codecs
import datetime
import hashlib
import io
import logging
import os
import re
import stat
import time
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rag.config import Settings
from rag.errors import IngestError
from rag.index.chunking import chunk_document
from rag.ingest.metadata import (
    SIDECAR_SUFFIX,
    FileProperties,
    apply_sidecar,
    extract_metadata,
    looks_like_title,
)
from rag.ingest.outline import parse_sections
from rag.records import Document, Section

logger = logging.getLogger(__name__)

SUPPORTED_SUFFIXES = (".txt", ".md", ".html", ".htm", ".docx", ".pdf")
# notes that travel with a folder of documents but are not documents (a corpus's SOURCES.md)
SKIPPED_NAMES = frozenset(
    {"readme.md", "readme.txt", "sources.md", "sources.txt", "license", "license.md"}
)

_MAX_BOILERPLATE_CHARS = 160
_BOILERPLATE = tuple(
    re.compile(pattern, re.IGNORECASE)
    for pattern in (
        r"^(当前位置|您当前所在的?位置|您当前的位置|您的位置|当前所在位置)\s*[:：]",
        r"^(发布|更新)?(时间|日期)\s*[:：]\s*\d{4}\s*[-/.年]\s*\d{1,2}\s*[-/.月]\s*\d{1,2}",
        r"(阅读|浏览|点击)(次数|量)\s*[:：]",
        r"^(字体|字号)\s*[:：]",
        r"^来源\s*[:：]",
        r"^咨询热线\s*[:：]",
        r"^更新时间\s*[:：].*作者\s*[:：]",
        r"扫一扫在手机上?打开(当前页|本页)",
        r"^关注.{1,20}了解更多",
        r"^免责声明",
        r"^(链接地址|本文链接|原文链接)\s*[:：]",
        r"^https?://\S+$",
        r"^(\S+\.(png|jpe?g|gif|bmp|webp|svg)\s*)+$",
        r"^(网站|站点|本站)\s*[:：]",
        r"^[\[【]\s*(索\s*引\s*号|发\s*布\s*机\s*构|成\s*文\s*日\s*期|发\s*布\s*日\s*期|主\s*题\s*词"
        r"|效\s*力\s*状\s*态|主\s*题\s*分\s*类|文\s*号)\s*[\]】]",
        r"^(索引号|发布机构|成文日期|主题分类|效力状态)\s*[:：]",
        r"由互联网用户整理提供",
        r"^(打印本页|关闭窗口|返回顶部|分享到)",
    )
)
# Site slogans made of set phrases; a line of only these is the site's banner, not plan text.
_SITE_SLOGANS = frozenset({"荟聚奇文", "博采众长", "见贤思齐"})

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


def _limits(settings: Settings | None) -> IngestLimits:
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
        _check_chars(self.name, count, self.limits.max_text_chars)

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


def _check_chars(name: str, count: int, cap: int | None) -> None:
    if cap is not None and count > cap:
        what = f"{count:,} characters of text, over the limit of {cap:,}"
        raise IngestError(f"{name}: {what} (ingest_max_text_chars)")


# ---------------------------------------------------------------------------------- reading

# unicodedata category Cc, except the white space \t \n \v \f \r
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x9f]")


def _looks_binary(text: str) -> bool:
    if "\x00" in text:
        return True
    allowed = len(text) // 100
    return any(count > allowed for count, _ in enumerate(_CONTROL.finditer(text), start=1))


_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def decode_bytes(data: bytes, name: str, max_chars: int | None = None) -> str:
    """Text of a file's bytes: UTF-8 (BOM or not), else GB18030, else charset-normalizer's guess.

    A text longer than max_chars is refused as soon as it is decoded (ingest_max_text_chars).
    """
    for bom, codec in _BOMS:
        if data.startswith(bom):
            try:
                text = data.decode(codec)
            except UnicodeDecodeError as exc:
                raise IngestError(f"{name}: starts with a {codec} BOM but is not {codec}") from exc
            _check_chars(name, len(text), max_chars)
            break
    else:
        text = _decode_without_bom(data, name, max_chars)
    if not text.strip():
        raise IngestError(f"{name}: file is empty")
    if _looks_binary(text):
        raise IngestError(f"{name}: looks like binary data, not text")
    return text


def _decode_without_bom(data: bytes, name: str, max_chars: int | None) -> str:
    """Valid UTF-8 is UTF-8 (binary-looking or not, decode_bytes judges that); then GB18030."""
    for codec in ("utf-8", "gb18030"):
        try:
            text = data.decode(codec)
        except UnicodeDecodeError:
            continue
        _check_chars(name, len(text), max_chars)
        if codec == "utf-8" or not _looks_binary(text):
            return text
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    if best is None:
        raise IngestError(f"{name}: cannot be decoded as UTF-8, GB18030 or any detected encoding")
    text = str(best)
    _check_chars(name, len(text), max_chars)
    return text


_HTML_DROP = frozenset(
    ("script", "style", "noscript", "template", "head", "iframe", "svg", "object")
)
_HTML_BLOCKS = frozenset(
    (
        "address article aside blockquote dd div dl dt fieldset figcaption figure footer form h1"
        " h2 h3 h4 h5 h6 header hr li main nav ol p pre section table tbody thead tfoot tr ul"
        " caption"
    ).split()
)


_NO_NAMESPACES: dict[str, str] = {}


def _bounded_soup(markup: str, budget: ReadBudget) -> Any:
    """BeautifulSoup's lxml tree, refused while it is being built as soon as it nests deeper,
    holds more elements or takes longer than the budget allows (100k nested <div> once took 9
    minutes to read; memory grows with the elements)."""
    from bs4 import BeautifulSoup
    from bs4.builder._lxml import LXMLTreeBuilder

    class BoundedBuilder(LXMLTreeBuilder):
        elements = 0

        def start(self, tag: Any, attrib: Any, nsmap: Any = _NO_NAMESPACES) -> None:
            super().start(tag, attrib, nsmap)
            self.elements += 1
            # the soup object itself is the bottom of the stack
            depth = len(self.soup.tagStack) - 1 if self.soup is not None else 0
            budget.check_html(self.elements, depth)

    return BeautifulSoup(markup, builder=BoundedBuilder())


def html_text(markup: str, budget: ReadBudget | None = None) -> str:
    """Visible text of an HTML page, one line per block element, within the budget's bounds."""
    budget = budget or ReadBudget("page.html", _limits(None))
    return "".join(_html_pieces(_bounded_soup(markup, budget), budget))


def _html_pieces(soup: Any, budget: ReadBudget) -> Iterator[str]:
    """The page's text in order, in one walk over the tree (work grows with elements only).

    Tags in _HTML_DROP are left out with all they hold; runs of white space in text become one
    space except inside <pre>; <br> is a line break, a table cell is followed by a space and a
    block element stands on lines of its own. Only the string types get_text() keeps are read
    (no comments, doctypes or <rt> ruby text).
    """
    from bs4.element import NavigableString, Tag

    wanted = tuple(soup.interesting_string_types)
    stack = [(soup, iter(soup.contents))]
    in_pre = 0
    while stack:
        tag, children = stack[-1]
        child = next(children, None)
        if child is None:
            stack.pop()
            if tag.name == "pre":
                in_pre -= 1
            yield _html_closing(tag.name)
        elif isinstance(child, Tag):
            budget.check_time()
            if child.name == "br":
                yield "\n"
            elif child.name not in _HTML_DROP:
                yield "\n" if child.name in _HTML_BLOCKS else ""
                if child.name == "pre":
                    in_pre += 1
                stack.append((child, iter(child.contents)))
        elif type(child) in wanted:
            plain = type(child) is NavigableString and not in_pre
            yield re.sub(r"[ \t\r\n\f]+", " ", child) if plain else str(child)


def _html_closing(name: str) -> str:
    if name in _HTML_BLOCKS:
        return "\n"
    return " " if name in ("td", "th") else ""


def _date(value: object) -> datetime.date | None:
    return value.date() if isinstance(value, datetime.datetime) else None


_MEMBER_READ = 1 << 20


def _table_lines(table: Any) -> list[str]:
    lines = []
    for row in table.rows:
        cells = [cell.text for cell in row.cells]
        # merged cells repeat their text once per grid column
        lines.append(" ".join(c for i, c in enumerate(cells) if c not in cells[:i]))
    return lines


def _check_unpacked(data: bytes, budget: ReadBudget) -> None:
    """Refuse a .docx whose zip members unpack to more than the limit: first by the sizes the
    archive declares, then by the bytes actually read, a megabyte at a time, so a member whose
    header understates its size cannot blow up memory either."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        members = archive.infolist()
        budget.check_unpacked(sum(m.file_size for m in members), "declared")
        total = 0
        for member in members:
            with archive.open(member) as stream:
                while chunk := stream.read(_MEMBER_READ):
                    total += len(chunk)
                    budget.check_unpacked(total, "read")
                    budget.check_time()


def _docx_text(data: bytes, budget: ReadBudget) -> tuple[str, FileProperties]:
    """The text of a .docx, paragraphs and table rows in order, and its core properties."""
    import docx
    from docx.table import Table

    name = budget.name
    try:
        _check_unpacked(data, budget)
        document = docx.Document(io.BytesIO(data))
        core = document.core_properties
        props = FileProperties(
            name=name,
            title=core.title or None,
            author=core.author or None,
            created=_date(core.created),
            modified=_date(core.modified),
        )
        lines: list[str] = []
        chars = 0
        for block in document.iter_inner_content():
            added = _table_lines(block) if isinstance(block, Table) else [block.text]
            lines.extend(added)
            chars += sum(len(line) + 1 for line in added)
            budget.check_chars(chars)
            budget.check_time()
    except IngestError:
        raise
    # python-docx lets zipfile, lxml and its own errors escape on a corrupt file; any of them
    # means the same thing to the user.
    except Exception as exc:
        raise IngestError(f"{name}: not a readable .docx file ({exc})") from exc
    return "\n".join(lines), props


def _pdf_pages(reader: Any, budget: ReadBudget) -> list[str]:
    """Each page's text, refused past the page, character or time limit."""
    count = len(reader.pages)
    cap = budget.limits.max_pdf_pages
    if count > cap:
        raise budget.refuse(f"{count:,} pages, over the limit of {cap:,}", "ingest_max_pdf_pages")
    pages: list[str] = []
    chars = 0
    for page in reader.pages:
        budget.check_time()
        pages.append(page.extract_text() or "")
        chars += len(pages[-1]) + 1
        budget.check_chars(chars)
    budget.check_time()
    return pages


def _pdf_text(data: bytes, budget: ReadBudget) -> str:
    from pypdf import PdfReader

    name = budget.name
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            reader.decrypt("")
        pages = _pdf_pages(reader, budget)
    except IngestError:
        raise
    # pypdf raises many exception types on damaged files; all of them mean "corrupt PDF".
    except Exception as exc:
        raise IngestError(f"{name}: not a readable PDF file ({exc})") from exc
    text = close_cjk_gaps("\n".join(pages))
    if not text.strip():
        raise IngestError(f"{name}: PDF has no text layer (a scan?); run OCR on it first")
    return text


# a PDF places text in runs, and extraction puts a space between runs: 「新增 6 家 , 达到」.
# Written Chinese puts no space next to a Han character or a full-width mark, so spaces or tabs
# touching one on either side are an artefact; spaces between Latin words stay.
_HAN_OR_MARK = r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]"
_CJK_GAP = re.compile(rf"(?<={_HAN_OR_MARK})[ \t]+|[ \t]+(?={_HAN_OR_MARK})")


def close_cjk_gaps(text: str) -> str:
    """Remove the spaces PDF extraction puts next to Chinese characters and marks."""
    return _CJK_GAP.sub("", text)


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


def _regular_bytes(path: Path, root: Path | None, budget: ReadBudget) -> bytes:
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
    data = _regular_bytes(path, root, budget)
    if not data.strip():
        raise IngestError(f"{path.name}: file is empty")
    props = FileProperties(name=path.name)
    if suffix == ".docx":
        text, props = _docx_text(data, budget)
    elif suffix == ".pdf":
        text = _pdf_text(data, budget)
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
    return _read(path, ReadBudget(path.name, _limits(settings)))[1]


# --------------------------------------------------------------------------------- cleaning


def is_boilerplate(line: str) -> bool:
    """Whether a stripped line is web-page furniture rather than document text."""
    if len(line) > _MAX_BOILERPLATE_CHARS:
        return False
    if all(part in _SITE_SLOGANS for part in re.split(r"[、，,\s]+", line)):
        return True
    return any(pattern.search(line) for pattern in _BOILERPLATE)


def _kept_lines(raw: str) -> Iterator[str]:
    """Lines left after dropping boilerplate and repeated title lines; blank lines kept."""
    seen_titles: set[str] = set()
    for line in (line.strip() for line in raw.splitlines()):
        if line and is_boilerplate(line):
            continue
        if line and looks_like_title(line):
            if line in seen_titles:
                continue
            seen_titles.add(line)
        yield line


def _joined(kept: list[str]) -> str:
    return re.sub(r"\n{3,}", "\n\n", "\n".join(kept)).strip()


def clean_text(raw: str) -> str:
    """Boilerplate dropped, lines stripped, runs of blank lines collapsed to one."""
    return _joined(list(_kept_lines(raw)))


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
    budget = ReadBudget(path.name, _limits(settings))
    data, raw, props = _read(path, budget, root)
    kept = list(_kept_lines(raw))
    text = _joined(kept)
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
