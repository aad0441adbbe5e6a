"""PDF text with PDFium (pypdfium2): fast, tolerant of broken files, Chinese fonts mapped."""

from __future__ import annotations

import pypdfium2 as pdfium

from .limits import Sink

NO_TEXT = "no text layer (scanned images? no OCR)"


class Encrypted(Exception):
    """A PDF that needs a password to open."""


def read_pdf(data: bytes, sink: Sink) -> str | None:
    """Pour the text of each page into `sink`; returns a note when there is no text."""
    try:
        pdf = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        if "password" in str(exc).lower():
            raise Encrypted("encrypted PDF (a password is needed to open it)") from None
        raise
    try:
        pages = len(pdf)
        for index in range(min(pages, sink.limits.max_pages)):
            sink.add(_page_text(pdf, index) + "\n\n")
    finally:
        pdf.close()
    if pages and not sink.text().strip():
        return NO_TEXT
    return None


def _page_text(pdf: pdfium.PdfDocument, index: int) -> str:
    page = pdf[index]
    try:
        textpage = page.get_textpage()
        try:
            return str(textpage.get_text_range())  # all of it, also text outside the page box
        finally:
            textpage.close()
    finally:
        page.close()
