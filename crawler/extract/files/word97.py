"""Word 97-2003 (.doc) and Kingsoft WPS text from the OLE2 streams, with olefile.

No maintained Python library reads .doc text, and the format's text is simple to reach: the
File Information Block (FIB) at the start of the ``WordDocument`` stream says where the piece
table (``Clx``) lies in the table stream (``0Table`` or ``1Table``); each piece is a run of
characters stored either as UTF-16LE or "compressed" as cp1252 bytes ([MS-DOC] 2.4.1). The
main document is the first ``ccpText`` characters. Field codes are dropped, their results kept.
"""

from __future__ import annotations

import re
import struct

import olefile

from .limits import Sink

WORD_MAGIC = 0xA5EC
F_ENCRYPTED = 0x0100
F_WHICH_TABLE = 0x0200
CCP_TEXT_AT = 76  # FibRgLw97.ccpText
FC_CLX_AT = 418  # FibRgFcLcb97.fcClx (lcbClx follows)
FC_COMPRESSED = 0x40000000
FIELD_BEGIN, FIELD_SEPARATOR, FIELD_END = "\x13", "\x14", "\x15"
_FIELD_MARKS = re.compile("[\x13\x14\x15]")
_CONTROLS = str.maketrans({"\r": "\n", "\x0b": "\n", "\x0c": "\n", "\x07": "\t", "\x1e": "-",
                           "\x1f": "", "\x01": "", "\x02": "", "\x05": "", "\x08": ""})


class EncryptedDoc(Exception):
    """A password-protected Word file."""


class NotWord(ValueError):
    """An OLE2 file without a readable Word text structure."""


def read_doc(data: bytes, sink: Sink) -> None:
    with olefile.OleFileIO(data) as ole:
        word = ole.openstream("WordDocument").read()
        magic, flags = struct.unpack_from("<H8xH", word, 0)
        if magic != WORD_MAGIC:
            raise NotWord("not a Word 97-2003 document")
        if flags & F_ENCRYPTED:
            raise EncryptedDoc("encrypted document (a password is needed to open it)")
        table_name = "1Table" if flags & F_WHICH_TABLE else "0Table"
        if not ole.exists(table_name):
            raise NotWord(f"no {table_name} stream")
        table = ole.openstream(table_name).read()
    (ccp_text,) = struct.unpack_from("<i", word, CCP_TEXT_AT)
    fc_clx, lcb_clx = struct.unpack_from("<II", word, FC_CLX_AT)
    text = "".join(_pieces(word, table[fc_clx:fc_clx + lcb_clx], max(ccp_text, 0)))
    # a table row ends with its last cell's mark and the row's own: two marks, a line break
    text = _drop_field_codes(text).replace("\x07\x07", "\n")
    for line in text.translate(_CONTROLS).split("\n"):
        sink.add(line + "\n")


def _pieces(word: bytes, clx: bytes, wanted: int) -> list[str]:
    """The main document's characters, piece by piece (stops after `wanted`)."""
    plc = _plc_pcd(clx)
    count = (len(plc) - 4) // 12
    cps = struct.unpack_from(f"<{count + 1}I", plc, 0)
    out, have = [], 0
    for i in range(count):
        if have >= wanted:
            break
        n = min(cps[i + 1] - cps[i], wanted - have)
        (fc,) = struct.unpack_from("<I", plc, 4 * (count + 1) + 8 * i + 2)
        if fc & FC_COMPRESSED:
            start = (fc & ~FC_COMPRESSED) // 2
            out.append(word[start:start + n].decode("cp1252", "replace"))
        else:
            out.append(word[fc:fc + 2 * n].decode("utf-16-le", "replace"))
        have += n
    return out


def _plc_pcd(clx: bytes) -> bytes:
    """Skip the Prc entries of a Clx to its Pcdt; return the PlcPcd."""
    at = 0
    while at < len(clx) and clx[at] == 0x01:
        (size,) = struct.unpack_from("<h", clx, at + 1)
        at += 3 + size
    if at >= len(clx) or clx[at] != 0x02:
        raise NotWord("no piece table")
    (size,) = struct.unpack_from("<I", clx, at + 1)
    return clx[at + 5:at + 5 + size]


def _drop_field_codes(text: str) -> str:
    """Keep field results (between separator and end), drop their codes (begin to separator)."""
    if FIELD_BEGIN not in text:
        return text
    out, start, in_code = [], 0, []  # in_code: per open field, whether we are in its code
    for mark in _FIELD_MARKS.finditer(text):
        if not any(in_code):
            out.append(text[start:mark.start()])
        ch = mark.group(0)
        if ch == FIELD_BEGIN:
            in_code.append(True)
        elif ch == FIELD_SEPARATOR and in_code:
            in_code[-1] = False
        elif ch == FIELD_END and in_code:
            in_code.pop()
        start = mark.end()
    if not any(in_code):
        out.append(text[start:])
    return "".join(out)
