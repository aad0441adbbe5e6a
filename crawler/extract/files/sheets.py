"""Spreadsheets: XLSX with openpyxl in read-only mode (rows streamed), XLS and Kingsoft ET
with xlrd. A row per line, cells separated by tabs, each sheet headed by its name."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterable

import openpyxl
import xlrd

from .limits import Enough, Sink, check_zip


class EncryptedSheet(Exception):
    """A password-protected workbook."""


def read_xlsx(data: bytes, sink: Sink) -> None:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        check_zip(zf, sink.limits)
    workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    try:
        cells = 0
        for sheet in workbook.worksheets:
            sink.add(f"{sheet.title}\n")
            for row in sheet.iter_rows(values_only=True):
                cells += len(row)
                _add_row(sink, row, cells)
    finally:
        workbook.close()


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
