"""Text out of each file format: encodings (UTF-8, GB18030), HTML, .docx and PDF, each within
the budget of rag/ingest/bounds.py."""

from __future__ import annotations

import codecs
import datetime
import io
import logging
import re
import zipfile
from collections.abc import Iterator
from typing import Any

from rag.errors import IngestError
from rag.ingest.bounds import ReadBudget, check_chars, limits_of
from rag.ingest.metadata import (
    FileProperties,
)

logger = logging.getLogger(__name__)


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
            check_chars(name, len(text), max_chars)
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
        check_chars(name, len(text), max_chars)
        if codec == "utf-8" or not _looks_binary(text):
            return text
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    if best is None:
        raise IngestError(f"{name}: cannot be decoded as UTF-8, GB18030 or any detected encoding")
    text = str(best)
    check_chars(name, len(text), max_chars)
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
    budget = budget or ReadBudget("page.html", limits_of(None))
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


def docx_text(data: bytes, budget: ReadBudget) -> tuple[str, FileProperties]:
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


def pdf_text(data: bytes, budget: ReadBudget) -> str:
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
