"""Attachment files, pure: the kind from the bytes, Chinese text from each format, bad files."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from helpers_files import compound_file, corrupt_pdf, doc, docx, encrypted_pdf, pdf, xls, xlsx, zip_bomb

from crawler.demo.files import ZIP_DATE
from crawler.extract.files import Limits, read, sniff
from crawler.extract.files.read import clean

OFD_NS = "http://www.ofdspec.org/2016"


def ofd(lines: list[str]) -> bytes:
    """A one-page OFD (GB/T 33190): OFD.xml -> Document.xml -> the page's TextCode."""
    objects = "".join(f'<ofd:TextObject ID="{i + 10}" Boundary="10 {20 * i} 100 10">'
                      f'<ofd:TextCode X="0" Y="0">{line}</ofd:TextCode></ofd:TextObject>'
                      for i, line in enumerate(lines))
    members = {
        "OFD.xml": f'<ofd:OFD xmlns:ofd="{OFD_NS}"><ofd:DocBody><ofd:DocRoot>Doc_0/Document.xml'
                   "</ofd:DocRoot></ofd:DocBody></ofd:OFD>",
        "Doc_0/Document.xml": f'<ofd:Document xmlns:ofd="{OFD_NS}"><ofd:Pages><ofd:Page ID="1" '
                              'BaseLoc="Pages/Page_0/Content.xml"/></ofd:Pages></ofd:Document>',
        "Doc_0/Pages/Page_0/Content.xml": f'<ofd:Page xmlns:ofd="{OFD_NS}"><ofd:Content><ofd:Layer>'
                                          f"{objects}</ofd:Layer></ofd:Content></ofd:Page>",
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, text in members.items():
            zf.writestr(zipfile.ZipInfo(name, ZIP_DATE), text)
    return buffer.getvalue()


def zipped(names: list[str]) -> bytes:
    """A zip whose file names are GBK bytes without the UTF-8 flag, as Chinese tools write them."""
    buffer = io.BytesIO()
    raw = [name.encode("gbk") for name in names]
    with zipfile.ZipFile(buffer, "w") as zf:
        for i, name in enumerate(raw):
            zf.writestr(zipfile.ZipInfo(f"{i}".rjust(len(name), "_"), ZIP_DATE), b"x")
    data = buffer.getvalue()
    for i, name in enumerate(raw):
        data = data.replace(f"{i}".rjust(len(name), "_").encode(), name)
    return data


@pytest.mark.parametrize(("data", "url", "kind", "expected"), [
    (pdf("示例市人民政府关于法治政府建设的通知", "附件：2026年度项目名单"), "a.pdf", "pdf",
     "示例市人民政府关于法治政府建设的通知\n附件：2026年度项目名单"),
    (docx("关于征求意见的通知", "请于11月30日前反馈。"), "a.docx", "docx",
     "关于征求意见的通知\n请于11月30日前反馈。"),
    (xlsx([["序号", "单位名称"], ["1", "示例市财政局"]]), "a.xlsx", "xlsx", "Sheet1\n序号\t单位名称\n1\t示例市财政局"),
    (xls([["序号", "单位名称"], [1, "示例市财政局"]]), "a.xls", "xls", "名单\n序号\t单位名称\n1\t示例市财政局"),
    (doc("示例市人民政府办公室\n关于印发实施方案的通知"), "a.doc", "doc",
     "示例市人民政府办公室\n关于印发实施方案的通知"),
    (doc("金山文字处理的公文"), "a.wps", "wps", "金山文字处理的公文"),
    (xls([["金山表格"]]), "/f.et", "et", "名单\n金山表格"),
    (ofd(["电子公文版式文件", "第二行"]), "a.ofd", "ofd", "电子公文版式文件\n第二行"),
    (zipped(["附件1：名单.xlsx", "附件2：申请表.docx"]), "a.zip", "zip", "附件1：名单.xlsx\n附件2：申请表.docx"),
    ("公告正文，纯文本。".encode("gbk"), "a.txt", "text", "公告正文，纯文本。"),
])
def test_each_format_gives_its_chinese_text(data, url, kind, expected):
    found = read(data, url=url)
    assert (found.kind, found.text, found.error) == (kind, expected, None)


def test_the_kind_comes_from_the_bytes_not_the_name():
    assert sniff(docx("x"), "http://x/file.pdf").kind == "docx"
    html = b"<!DOCTYPE html><html><head><title>404</title></head><body>not found</body></html>"
    page = read(html, url="http://x/file.pdf")
    assert (page.kind, page.content_type, page.text) == ("html", "text/html", "")
    assert "HTML page" in (page.error or "")
    assert sniff(b"\x89PNG\r\n\x1a\n....", "a.pdf").content_type == "image/png"
    assert sniff(b"Rar!\x1a\x07\x00...", "a.zip").kind == "rar"


def test_compatibility_forms_from_pdf_fonts_are_folded():
    found = read(pdf("⾦额﹝2026﹞第１号：ﬁle"))
    assert found.text == "金额〔2026〕第１号：file"  # Kangxi 金, small 〔, ligature; full width stays


@pytest.mark.parametrize(("data", "error"), [
    (b"", "empty file (0 bytes)"),
    (corrupt_pdf(), "unreadable PDF"),
    (encrypted_pdf("机密"), "encrypted PDF (a password is needed to open it)"),
    (doc("机密", encrypted=True), "encrypted document (a password is needed to open it)"),
    (zip_bomb(), "zip bomb? word/document.xml would inflate"),
    (pdf("被截断的文件")[:200], "unreadable PDF"),
    (docx("被截断的文件")[:300], "unreadable"),
    (b"\x00\x01\x02\x03" * 100, "unknown file type"),
])
def test_bad_files_are_recorded_never_raised(data, error):
    found = read(data)
    assert found.text == ""
    assert found.error is not None and found.error.startswith(error), found.error


def test_a_scanned_pdf_says_it_has_no_text_layer():
    found = read(pdf())  # a page without text
    assert (found.text, found.error) == ("", "no text layer (scanned images? no OCR)")


def test_text_is_cut_at_the_character_limit():
    found = read(docx(*["法治政府建设" * 10] * 50), limits=Limits(max_chars=100))
    assert len(found.text) == 100
    assert found.error == "text cut at 100 characters"


def test_a_reader_out_of_time_keeps_what_it_read():
    found = read(pdf(*[f"第{i}行" for i in range(200)]), limits=Limits(seconds=0))
    assert found.error == "read for 0 s; the rest is not in the text"


REAL = Path(__file__).parent / "fixtures" / "files"
TABLE_ROWS = ("序号\t项目名称\t主管部门\t金额（万元）\t备注\n"
              "1\t长江流域生态保护补偿\t市生态环境局\t1250.5\t示范项目\n"
              "2\t农业风险补贴\t市农业农村局\t830")


@pytest.mark.parametrize(("name", "expected"), [
    # written once by LibreOffice 7.4 (soffice --convert-to doc / xls), kept as fixtures
    ("libreoffice-table.doc", "关于门户网站公示的通知：金额五十万元，详见附件。\n" + TABLE_ROWS),
    ("libreoffice-table.xls", "表1\n" + TABLE_ROWS),
])
def test_files_written_by_office_software(name, expected):
    found = read((REAL / name).read_bytes(), url=name)
    assert found.error is None
    assert found.text.startswith(expected)


def test_a_chromium_pdf_with_radicals_in_its_fonts_gives_the_ideographs():
    """Chromium with Noto CJK maps glyphs to Kangxi radicals (⾦ for 金) and CJK radicals
    supplement characters (⻔ for 门) in its ToUnicode tables; the fixture was printed once."""
    found = read((REAL / "chromium-noto-kangxi.pdf").read_bytes())
    assert found.error is None
    assert found.text.startswith("金额公示：门户网站、长江黄河、车辆、食品、风险、马术、鱼类、言论、"
                                 "贝类、页岩气、齐鲁、龙")
    assert not any("\u2e80" <= ch <= "\u2fdf" for ch in found.text)


def test_radicals_fold_to_the_ideograph_of_the_same_glyph():
    assert clean("⻔⼾⾦额⻓江⺠") == "门户金额长江民"  # NFKC alone: ⻔ stays, ⼾ becomes 戶


def test_encrypted_office_documents_and_rtf_are_recognised():
    ooxml = compound_file({"EncryptionInfo": b"\x04\x00\x04\x00", "EncryptedPackage": b"\x00" * 16})
    found = read(ooxml, url="名单.xlsx")
    assert found.kind == "encrypted"
    assert found.error == "encrypted Office document (a password is needed to open it)"
    assert sniff(b"{\\rtf1\\ansi\\ansicpg936 ...}", "a.doc").kind == "rtf"
