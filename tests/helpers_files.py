"""Real attachment files with Chinese text, made in the tests, and the bad ones.

PDF, DOCX and XLSX come from the demo's own writers (crawler/demo/files.py); XLS is written by
xlwt (a test dependency); DOC is built here: a Word 97 ``WordDocument`` stream (File Information
Block + text) and its ``1Table`` piece table, in an OLE2 compound file written by
`compound_file` ([MS-CFB] version 3, every stream in regular 512-byte sectors).
"""

from __future__ import annotations

import io
import re
import struct
import zipfile

import xlwt

from crawler.demo import files

FREE, END, FAT_SECTOR, NO_STREAM = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD, 0xFFFFFFFF
SECTOR = 512
MIN_STREAM = 4096  # smaller streams would belong in the mini stream, which this writer skips


def pdf(*lines: str) -> bytes:
    return files.pdf(list(lines))


def docx(*paragraphs: str) -> bytes:
    return files.docx(list(paragraphs))


def xlsx(rows: list[list[str]]) -> bytes:
    return files.xlsx(rows)


def xls(rows: list[list[object]], sheet: str = "名单") -> bytes:
    book = xlwt.Workbook(encoding="utf-8")
    ws = book.add_sheet(sheet)
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            ws.write(r, c, value)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def doc(text: str, *, encrypted: bool = False) -> bytes:
    """A Word 97-2003 document holding `text` (paragraphs separated by newlines)."""
    chars = text.replace("\n", "\r") + "\r"
    text_at = 1024
    flags = 0x0200 | (0x0100 if encrypted else 0)  # fWhichTblStm: the table is 1Table
    fib = bytearray(text_at)
    struct.pack_into("<HH", fib, 0, 0xA5EC, 0x00C1)
    struct.pack_into("<H", fib, 0x0A, flags)
    struct.pack_into("<H", fib, 32, 14)  # csw
    struct.pack_into("<H", fib, 62, 22)  # cslw
    struct.pack_into("<i", fib, 76, len(chars))  # ccpText
    struct.pack_into("<H", fib, 152, 93)  # cbRgFcLcb (Word 97)
    plc = struct.pack("<II", 0, len(chars)) + struct.pack("<HIH", 0, text_at, 0)
    clx = b"\x02" + struct.pack("<I", len(plc)) + plc
    struct.pack_into("<II", fib, 418, 0, len(clx))  # fcClx, lcbClx
    word = bytes(fib) + chars.encode("utf-16-le")
    return compound_file({"WordDocument": word, "1Table": clx})


def compound_file(streams: dict[str, bytes]) -> bytes:
    """An OLE2 compound file with these streams under its root."""
    names = sorted(streams, key=lambda n: (len(n), n.upper()))
    # streams are padded (declared size included) past the mini-stream cutoff
    data = [streams[n].ljust(max(MIN_STREAM, -(-len(streams[n]) // SECTOR) * SECTOR), b"\0")
            for n in names]
    counts = [len(d) // SECTOR for d in data]
    dir_sectors = -(-(len(names) + 1) * 128 // SECTOR)
    body = dir_sectors + sum(counts)
    fat_sectors = 1
    while fat_sectors * (SECTOR // 4) < fat_sectors + body:
        fat_sectors += 1
    fat = [FAT_SECTOR] * fat_sectors
    starts = []
    for length in [dir_sectors, *counts]:
        first = len(fat)
        starts.append(first)
        fat += [first + i + 1 for i in range(length - 1)] + [END]
    fat += [FREE] * (fat_sectors * (SECTOR // 4) - len(fat))
    directory = _entry("Root Entry", 5, END, 0, child=1 if names else NO_STREAM)
    for i, (name, start, stream) in enumerate(zip(names, starts[1:], data, strict=True)):
        right = i + 2 if i + 1 < len(names) else NO_STREAM
        directory += _entry(name, 2, start, len(stream), right=right)
    directory = directory.ljust(dir_sectors * SECTOR, b"\0")
    header = _header(fat_sectors, starts[0])
    fat_bytes = struct.pack(f"<{len(fat)}I", *fat)
    return header + fat_bytes + directory + b"".join(data)


def _header(fat_sectors: int, first_dir: int) -> bytes:
    head = bytearray(SECTOR)
    head[0:8] = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
    struct.pack_into("<HHHHH", head, 24, 0x003E, 0x0003, 0xFFFE, 9, 6)
    struct.pack_into("<I", head, 44, fat_sectors)
    struct.pack_into("<I", head, 48, first_dir)
    struct.pack_into("<I", head, 56, MIN_STREAM)
    struct.pack_into("<III", head, 60, END, 0, END)
    struct.pack_into("<I", head, 72, 0)
    difat = list(range(fat_sectors)) + [FREE] * (109 - fat_sectors)
    struct.pack_into("<109I", head, 76, *difat)
    return bytes(head)


def _entry(name: str, kind: int, start: int, size: int, *, right: int = NO_STREAM,
           child: int = NO_STREAM) -> bytes:
    encoded = (name + "\0").encode("utf-16-le")
    entry = bytearray(128)
    entry[0:len(encoded)] = encoded
    struct.pack_into("<HBB", entry, 64, len(encoded), kind, 1)
    struct.pack_into("<III", entry, 68, NO_STREAM, right, child)
    struct.pack_into("<IQ", entry, 116, start, size)
    return bytes(entry)


# --- bad files ----------------------------------------------------------------------------------


def encrypted_pdf(*lines: str) -> bytes:
    """A PDF whose standard security handler refuses the empty user password."""
    data = pdf(*lines)
    count = len(re.findall(rb"\d+ 0 obj", data))
    body = data.rsplit(b"xref", 1)[0]
    body += (b"%d 0 obj\n<< /Filter /Standard /V 1 /R 2 /O <%s> /U <%s> /P -4 >>\nendobj\n"
             % (count + 1, b"11" * 32, b"22" * 32))
    offsets = [m.start() for m in re.finditer(rb"\d+ 0 obj", body)]
    xref = len(body)
    out = body + b"xref\n0 %d\n0000000000 65535 f \n" % (count + 2)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += (b"trailer\n<< /Size %d /Root 1 0 R /Encrypt %d 0 R /ID [<%s> <%s>] >>\nstartxref\n%d\n"
            b"%%%%EOF\n" % (count + 2, count + 1, b"ab" * 16, b"ab" * 16, xref))
    return out


def corrupt_pdf() -> bytes:
    return b"%PDF-1.7\n1 0 obj << /Type /Catalog /Pages 9 0 R >> endobj\ngarbage\x00\xff" * 20


def zip_bomb(inflated_mb: int = 40) -> bytes:
    """A DOCX whose document.xml inflates ~1000x (refused from the zip directory)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        with zf.open("word/document.xml", "w") as fh:
            chunk = b"\0" * (1024 * 1024)
            for _ in range(inflated_mb):
                fh.write(chunk)
    return buffer.getvalue()
