"""Small real attachment files with Chinese text, byte-for-byte reproducible: PDF, DOCX, XLSX.

Written by hand (no library), so the demo needs nothing beyond gov-archive's own dependencies
and the same content always gives the same bytes (zip entries carry a fixed date): an unchanged
demo attachment is never taken for an edited one.

The PDF uses the standard Chinese font STSong-Light (Adobe-GB1, not embedded) with the
UniGB-UCS2-H encoding: readers map it to Unicode without a ToUnicode table and show it with
their own Song typeface.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Sequence
from xml.sax.saxutils import escape

ZIP_DATE = (2026, 1, 1, 0, 0, 0)
DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_OOXML = "application/vnd.openxmlformats-officedocument."
_FONT = (b"<< /Type /Font /Subtype /Type0 /BaseFont /STSong-Light /Encoding /UniGB-UCS2-H "
         b"/DescendantFonts [<< /Type /Font /Subtype /CIDFontType0 /BaseFont /STSong-Light "
         b"/CIDSystemInfo << /Registry (Adobe) /Ordering (GB1) /Supplement 4 >> /DW 1000 "
         b"/FontDescriptor << /Type /FontDescriptor /FontName /STSong-Light /Flags 6 "
         b"/FontBBox [-25 -254 1000 880] /ItalicAngle 0 /Ascent 880 /Descent -120 "
         b"/CapHeight 880 /StemV 93 >> >>] >>")
LINES_PER_PAGE = 40


def pdf(lines: Sequence[str]) -> bytes:
    """A PDF of A4 pages, one line of text per entry (40 lines a page)."""
    pages = [lines[i:i + LINES_PER_PAGE] for i in range(0, len(lines), LINES_PER_PAGE)] or [[]]
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", b"", _FONT]
    kids = []
    for page_lines in pages:
        stream = _content(page_lines)
        objects.append(b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream))
        objects.append(b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents %d 0 R "
                       b"/Resources << /Font << /F1 3 0 R >> >> >>" % (len(objects)))
        kids.append(b"%d 0 R" % len(objects))
    objects[1] = b"<< /Type /Pages /Kids [%s] /Count %d >>" % (b" ".join(kids), len(kids))
    return _pdf_file(objects)


def _content(lines: Sequence[str]) -> bytes:
    shown = [b"<%s> Tj T*" % line.encode("utf-16-be").hex().upper().encode() for line in lines]
    return b"\n".join([b"BT", b"/F1 12 Tf", b"18 TL", b"56 780 Td", *shown, b"ET"])


def _pdf_file(objects: list[bytes]) -> bytes:
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def docx(paragraphs: Sequence[str]) -> bytes:
    """A Word document, one paragraph per entry."""
    body = "".join(f'<w:p><w:r><w:t xml:space="preserve">{escape(p)}</w:t></w:r></w:p>'
                   for p in paragraphs)
    return _zip({
        "[Content_Types].xml": _types("word/document.xml", _OOXML + "wordprocessingml.document.main+xml"),
        "_rels/.rels": _rels("officeDocument", "word/document.xml"),
        "word/document.xml": '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
                             '<w:document xmlns:w="http://schemas.openxmlformats.org/'
                             f'wordprocessingml/2006/main"><w:body>{body}</w:body></w:document>',
    })


def xlsx(rows: Sequence[Sequence[str]], sheet: str = "Sheet1") -> bytes:
    """A workbook of one sheet, the cells as inline strings."""
    xml_rows = "".join(
        f'<row r="{r}">' + "".join(f'<c t="inlineStr"><is><t>{escape(str(v))}</t></is></c>' for v in row)
        + "</row>" for r, row in enumerate(rows, start=1))
    main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    return _zip({
        "[Content_Types].xml": _types("xl/workbook.xml", _OOXML + "spreadsheetml.sheet.main+xml",
                                      ("xl/worksheets/sheet1.xml", _OOXML + "spreadsheetml.worksheet+xml")),
        "_rels/.rels": _rels("officeDocument", "xl/workbook.xml"),
        "xl/workbook.xml": f'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{main}" '
                           f'xmlns:r="{rel}"><sheets><sheet name="{escape(sheet)}" sheetId="1" '
                           'r:id="rId1"/></sheets></workbook>',
        "xl/_rels/workbook.xml.rels": _rels("worksheet", "worksheets/sheet1.xml"),
        "xl/worksheets/sheet1.xml": f'<?xml version="1.0" encoding="UTF-8"?><worksheet '
                                    f'xmlns="{main}"><sheetData>{xml_rows}</sheetData></worksheet>',
    })


def _types(main_part: str, main_type: str, *others: tuple[str, str]) -> str:
    overrides = "".join(f'<Override PartName="/{p}" ContentType="{t}"/>'
                        for p, t in [(main_part, main_type), *others])
    return ('<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/'
            'package/2006/content-types"><Default Extension="rels" ContentType="application/'
            'vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" '
            f'ContentType="application/xml"/>{overrides}</Types>')


def _rels(kind: str, target: str) -> str:
    return ('<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.'
            'openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" '
            f'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/{kind}" '
            f'Target="{target}"/></Relationships>')


def _zip(members: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, text in members.items():
            info = zipfile.ZipInfo(name, date_time=ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, text.encode("utf-8"))
    return buffer.getvalue()
