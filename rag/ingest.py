"""Read plan files (txt/md/html/docx/pdf), drop web boilerplate, extract metadata, outline them.

`Document.text` is the cleaned text and every offset refers to it; metadata (rag/metadata.py) is
read from the raw text, because the publish date and the source sit on boilerplate lines.
"""

from __future__ import annotations

import codecs
import datetime
import hashlib
import io
import logging
import re
import unicodedata
from collections.abc import Iterator
from pathlib import Path

from rag.errors import IngestError
from rag.metadata import (
    SIDECAR_SUFFIX,
    FileProperties,
    apply_sidecar,
    extract_metadata,
    looks_like_title,
)
from rag.outline import parse_sections
from rag.types import Document

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

# ---------------------------------------------------------------------------------- reading


def _looks_binary(text: str) -> bool:
    controls = sum(1 for c in text if unicodedata.category(c) == "Cc" and c not in "\t\n\r\f\v")
    return "\x00" in text or controls > len(text) // 100


_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def decode_bytes(data: bytes, name: str) -> str:
    """Text of a file's bytes: UTF-8 (BOM or not), else GB18030, else charset-normalizer's guess."""
    for bom, codec in _BOMS:
        if data.startswith(bom):
            try:
                text = data.decode(codec)
            except UnicodeDecodeError as exc:
                raise IngestError(f"{name}: starts with a {codec} BOM but is not {codec}") from exc
            break
    else:
        text = _decode_without_bom(data, name)
    if not text.strip():
        raise IngestError(f"{name}: file is empty")
    if _looks_binary(text):
        raise IngestError(f"{name}: looks like binary data, not text")
    return text


def _decode_without_bom(data: bytes, name: str) -> str:
    for codec in ("utf-8", "gb18030"):
        try:
            text = data.decode(codec)
        except UnicodeDecodeError:
            continue
        if not _looks_binary(text):
            return text
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    if best is None:
        raise IngestError(f"{name}: cannot be decoded as UTF-8, GB18030 or any detected encoding")
    return str(best)


_HTML_DROP = ("script", "style", "noscript", "template", "head", "iframe", "svg", "object")
_HTML_BLOCKS = (
    "address article aside blockquote dd div dl dt fieldset figcaption figure footer form h1 h2"
    " h3 h4 h5 h6 header hr li main nav ol p pre section table tbody thead tfoot tr ul caption"
).split()


def html_text(markup: str) -> str:
    """Visible text of an HTML page, one line per block element."""
    from bs4 import BeautifulSoup
    from bs4.element import NavigableString

    soup = BeautifulSoup(markup, "lxml")
    for tag in soup(list(_HTML_DROP)):
        tag.decompose()
    # Source line breaks inside a paragraph are not visible breaks, except inside <pre>.
    for node in list(soup.find_all(string=True)):
        # comments and doctypes are NavigableString subclasses that get_text() leaves out
        if type(node) is NavigableString and node.find_parent("pre") is None:
            node.replace_with(re.sub(r"[ \t\r\n\f]+", " ", str(node)))
    for br in soup.find_all("br"):
        br.replace_with("\n")
    for cell in soup.find_all(["td", "th"]):
        cell.insert_after(" ")
    for block in soup.find_all(_HTML_BLOCKS):
        block.insert_before("\n")
        block.insert_after("\n")
    return soup.get_text()


def _date(value: object) -> datetime.date | None:
    return value.date() if isinstance(value, datetime.datetime) else None


def _docx_text(data: bytes, name: str) -> tuple[str, FileProperties]:
    """The text of a .docx, paragraphs and table rows in order, and its core properties."""
    import docx
    from docx.table import Table

    try:
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
        for block in document.iter_inner_content():
            if isinstance(block, Table):
                for row in block.rows:
                    cells = [cell.text for cell in row.cells]
                    # merged cells repeat their text once per grid column
                    lines.append(" ".join(c for i, c in enumerate(cells) if c not in cells[:i]))
            else:
                lines.append(block.text)
    # python-docx lets zipfile, lxml and its own errors escape on a corrupt file; any of them
    # means the same thing to the user.
    except Exception as exc:
        raise IngestError(f"{name}: not a readable .docx file ({exc})") from exc
    return "\n".join(lines), props


def _pdf_text(data: bytes, name: str) -> str:
    from pypdf import PdfReader

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            reader.decrypt("")
        pages = [page.extract_text() or "" for page in reader.pages]
    # pypdf raises many exception types on damaged files; all of them mean "corrupt PDF".
    except Exception as exc:
        raise IngestError(f"{name}: not a readable PDF file ({exc})") from exc
    text = "\n".join(pages)
    if not text.strip():
        raise IngestError(f"{name}: PDF has no text layer (a scan?); run OCR on it first")
    return text


def _read(path: Path) -> tuple[bytes, str, FileProperties]:
    """A file's bytes, its raw text before any cleaning, and what the file says about itself."""
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise IngestError(
            f"{path.name}: unsupported file type {suffix or '(none)'!r}; "
            f"supported are {', '.join(SUPPORTED_SUFFIXES)}"
        )
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise IngestError(f"{path.name}: cannot be read ({exc.strerror})") from exc
    if not data.strip():
        raise IngestError(f"{path.name}: file is empty")
    props = FileProperties(name=path.name)
    if suffix == ".docx":
        text, props = _docx_text(data, path.name)
    elif suffix == ".pdf":
        text = _pdf_text(data, path.name)
    else:
        text = decode_bytes(data, path.name)
        if suffix in {".html", ".htm"}:
            text = html_text(text)
    if not text.strip():
        raise IngestError(f"{path.name}: file has no text")
    return data, text, props


def read_text(path: Path) -> str:
    """The raw text of one file, before any cleaning."""
    return _read(path)[1]


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


def load_document(path: Path) -> Document:
    """Read, clean, describe and outline one file."""
    data, raw, props = _read(path)
    kept = list(_kept_lines(raw))
    text = _joined(kept)
    if not text:
        raise IngestError(f"{path.name}: no text left after removing web-page boilerplate")
    lines = [line for line in kept if line]
    meta = apply_sidecar(extract_metadata(raw, lines, text, props), path)
    return Document(
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
        sections=parse_sections(text),
    )


def _skipped(path: Path, root: Path) -> bool:
    hidden = any(part.startswith(".") for part in path.relative_to(root).parts)
    return hidden or path.name.lower() in SKIPPED_NAMES or path.name.endswith(SIDECAR_SUFFIX)


def _expand(paths: list[Path]) -> Iterator[Path]:
    for path in paths:
        if path.is_dir():
            files = (p for p in sorted(path.rglob("*")) if p.is_file())
            yield from (p for p in files if not _skipped(p, path))
        else:
            yield path


def ingest_paths(paths: list[Path]) -> tuple[list[Document], list[tuple[Path, str]]]:
    """Load files and folders (recursively); a file that fails is reported, the rest still load."""
    documents: list[Document] = []
    failures: list[tuple[Path, str]] = []
    seen: dict[str, Path] = {}
    for path in dict.fromkeys(_expand(paths)):
        try:
            if not path.exists():
                raise IngestError(f"{path}: does not exist")
            if path.stem in seen:
                raise IngestError(
                    f"{path.name}: doc_id {path.stem!r} is already used by {seen[path.stem]}"
                )
            document = load_document(path)
        except IngestError as exc:
            logger.warning("skipped %s: %s", path, exc)
            failures.append((path, str(exc)))
            continue
        seen[path.stem] = path
        documents.append(document)
    logger.info("ingested %d documents, %d failures", len(documents), len(failures))
    return documents, failures
