"""Spreadsheets: XLSX streamed with lxml (shared strings, then each sheet row by row), XLS and
Kingsoft ET with xlrd. A row per line, cells separated by tabs, each sheet headed by its name.

XLSX is read straight from its XML rather than with openpyxl: on 400,000 cells openpyxl's
read-only mode took 4x as long (benchmarks/bench_attachments.py), and only the text is wanted.
"""

from __future__ import annotations

import io
import posixpath
import zipfile
from collections.abc import Iterable, Iterator

import xlrd
from lxml import etree

from .limits import Enough, Sink, check_zip

NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
PACKAGE_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}Relationship"


class EncryptedSheet(Exception):
    """A password-protected workbook."""


def read_xlsx(data: bytes, sink: Sink) -> None:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        check_zip(zf, sink.limits)
        shared = _shared_strings(zf)
        cells = 0
        for name, member in _sheets(zf):
            sink.add(f"{name}\n")
            for row in _rows(zf, member, shared):
                cells += len(row)
                _add_row(sink, row, cells)


def _shared_strings(zf: zipfile.ZipFile) -> list[str]:
    if "xl/sharedStrings.xml" not in zf.namelist():
        return []
    out = []
    with zf.open("xl/sharedStrings.xml") as fh:
        for _, si in _iterparse(fh, f"{NS}si"):
            out.append("".join(t.text or "" for t in si.iter(f"{NS}t")))
            si.clear()
    return out


def _sheets(zf: zipfile.ZipFile) -> list[tuple[str, str]]:
    """(name, zip member) of each sheet in workbook order."""
    names = set(zf.namelist())
    targets = {}
    if "xl/_rels/workbook.xml.rels" in names:
        for rel in _xml(zf, "xl/_rels/workbook.xml.rels").iter(PACKAGE_REL):
            target = rel.get("Target") or ""
            path = target.lstrip("/") if target.startswith("/") else posixpath.normpath("xl/" + target)
            targets[rel.get("Id")] = path
    sheets = [(el.get("name") or "", targets.get(el.get(REL), ""))
              for el in _xml(zf, "xl/workbook.xml").iter(f"{NS}sheet")]
    return [(name, member) for name, member in sheets if member in names]


def _rows(zf: zipfile.ZipFile, member: str, shared: list[str]) -> Iterator[list[str]]:
    with zf.open(member) as fh:
        for _, row in _iterparse(fh, f"{NS}row"):
            yield [_cell_text(c, shared) for c in row.iter(f"{NS}c")]
            row.clear()


def _cell_text(cell: etree._Element, shared: list[str]) -> str:
    kind = cell.get("t")
    if kind == "inlineStr":
        return "".join(t.text or "" for t in cell.iter(f"{NS}t"))
    value = cell.find(f"{NS}v")
    text = value.text if value is not None and value.text else ""
    if kind == "s" and text.isdigit() and int(text) < len(shared):
        return shared[int(text)]
    return text


def _iterparse(fh: object, tag: str) -> Iterator[tuple[str, etree._Element]]:
    return etree.iterparse(fh, events=("end",), tag=tag, resolve_entities=False, no_network=True)


def _xml(zf: zipfile.ZipFile, member: str) -> etree._Element:
    return etree.fromstring(zf.read(member), etree.XMLParser(resolve_entities=False, no_network=True))


def read_xls(data: bytes, sink: Sink) -> None:
    try:
        book = xlrd.open_workbook(file_contents=data, on_demand=True)
    except xlrd.XLRDError as exc:
        if "encrypted" in str(exc).lower():
            raise EncryptedSheet("encrypted workbook (a password is needed to open it)") from None
        raise
    try:
        cells = 0
        for index in range(book.nsheets):
            sheet = book.sheet_by_index(index)
            sink.add(f"{sheet.name}\n")
            for r in range(sheet.nrows):
                row = sheet.row_values(r)
                cells += len(row)
                _add_row(sink, row, cells)
            book.unload_sheet(index)
    finally:
        book.release_resources()


def _add_row(sink: Sink, row: Iterable[object], cells: int) -> None:
    if cells > sink.limits.max_cells:
        sink.stopped = f"read the first {sink.limits.max_cells:,} cells"
        raise Enough
    values = [_cell(v) for v in row]
    while values and not values[-1]:
        values.pop()
    if values:
        sink.add("\t".join(values) + "\n")


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return " ".join(str(value).split())
