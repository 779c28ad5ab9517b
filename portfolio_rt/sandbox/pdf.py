"""A minimal PDF writer: lines of text on US Letter pages, nothing else.

Enough for the sandbox's statements and trade confirmations: three of the standard fonts every
PDF reader has (Helvetica, Helvetica-Bold and Courier for aligned columns, so nothing is
embedded), WinAnsi text, pages added as the lines run out, each with a footer and its page
number. The file is PDF 1.4 with an exact cross-reference table, uncompressed, and the same
lines always give the same bytes (no clock, the file id is a hash of the content).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

Style = Literal["regular", "bold", "mono"]

PAGE_WIDTH = 612  # US Letter, in points
PAGE_HEIGHT = 792
MARGIN = 54
LEADING = 1.45  # line height as a multiple of the font size
FOOTER_SIZE = 8.0
FONTS: dict[Style, tuple[str, str]] = {
    "regular": ("F1", "Helvetica"),
    "bold": ("F2", "Helvetica-Bold"),
    "mono": ("F3", "Courier"),
}


@dataclass(frozen=True, slots=True)
class Line:
    """One line of text; an empty one is a blank line."""

    text: str = ""
    style: Style = "regular"
    size: float = 10.0


def _escape(text: str) -> bytes:
    """A PDF literal string's bytes: WinAnsi (cp1252), `\\`, `(`, `)` escaped, controls out."""
    clean = "".join(ch if ch.isprintable() else " " for ch in text)
    raw = clean.encode("cp1252", errors="replace")
    return raw.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)")


def _number(value: float) -> bytes:
    return f"{value:.2f}".rstrip("0").rstrip(".").encode()


def _paginate(lines: Sequence[Line]) -> list[list[tuple[Line, float]]]:
    """Lines with their baselines, page by page (a page always gets at least one line)."""
    top: float = PAGE_HEIGHT - MARGIN
    bottom = MARGIN + FOOTER_SIZE * 3
    pages: list[list[tuple[Line, float]]] = [[]]
    y = top
    for line in lines:
        step = line.size * LEADING
        if y - step < bottom and pages[-1]:
            pages.append([])
            y = top
        y -= step
        pages[-1].append((line, y))
    return pages


def _text(font: str, size: float, x: float, y: float, text: str) -> bytes:
    return b"BT /%s %s Tf 1 0 0 1 %s %s Tm (%s) Tj ET\n" % (
        font.encode(),
        _number(size),
        _number(x),
        _number(y),
        _escape(text),
    )


def _content(page: list[tuple[Line, float]], footer: str, number: int, count: int) -> bytes:
    out = bytearray()
    for line, y in page:
        if line.text:
            out += _text(FONTS[line.style][0], line.size, MARGIN, y, line.text)
    regular = FONTS["regular"][0]
    footer_y = MARGIN
    if footer:
        out += _text(regular, FOOTER_SIZE, MARGIN, footer_y, footer)
    label = f"Page {number} of {count}"
    # Helvetica's digits and most letters are about half an em wide: right-aligned enough.
    width = len(label) * FOOTER_SIZE * 0.5
    out += _text(regular, FOOTER_SIZE, PAGE_WIDTH - MARGIN - width, footer_y, label)
    return bytes(out)


def _date(created: datetime) -> bytes:
    return created.astimezone(UTC).strftime("D:%Y%m%d%H%M%SZ").encode()


def render_pdf(lines: Sequence[Line], *, title: str, created: datetime, footer: str = "") -> bytes:
    """The PDF file of `lines`; `created` is its creation date (a fixed one keeps the bytes
    the same from one run to the next)."""
    pages = _paginate(lines)
    fonts = list(FONTS.values())
    first_page = 3 + len(fonts) + 1  # catalog, pages, fonts, info, then page/content pairs
    objects: list[bytes] = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [%s] /Count %d >>"
        % (
            b" ".join(b"%d 0 R" % (first_page + 2 * i) for i in range(len(pages))),
            len(pages),
        ),
    ]
    objects += [
        b"<< /Type /Font /Subtype /Type1 /BaseFont /%s /Encoding /WinAnsiEncoding >>"
        % base.encode()
        for _, base in fonts
    ]
    objects.append(
        b"<< /Title (%s) /Producer (portfolio_rt sandbox) /CreationDate (%s) >>"
        % (_escape(title), _date(created))
    )
    font_refs = b" ".join(
        b"/%s %d 0 R" % (name.encode(), 3 + i) for i, (name, _) in enumerate(fonts)
    )
    for index, page in enumerate(pages):
        content = _content(page, footer, index + 1, len(pages))
        objects.append(
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %d %d] /Resources << /Font << %s >> >>"
            b" /Contents %d 0 R >>"
            % (PAGE_WIDTH, PAGE_HEIGHT, font_refs, first_page + 2 * index + 1)
        )
        objects.append(b"<< /Length %d >>\nstream\n%s\nendstream" % (len(content), content))
    return _assemble(objects, info=3 + len(fonts))


def _assemble(objects: list[bytes], *, info: int) -> bytes:
    """Header, numbered objects, cross-reference table and trailer."""
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets: list[int] = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    file_id = hashlib.md5(bytes(out), usedforsecurity=False).hexdigest().encode()
    out += b"trailer\n<< /Size %d /Root 1 0 R /Info %d 0 R /ID [<%s> <%s>] >>\n" % (
        len(objects) + 1,
        info,
        file_id,
        file_id,
    )
    out += b"startxref\n%d\n%%%%EOF\n" % xref
    return bytes(out)
