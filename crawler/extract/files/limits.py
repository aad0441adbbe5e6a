"""Bounds on reading one file: characters kept, bytes unpacked, pages and rows read, time.

Readers pour text into a `Sink`, which stops them (`Enough`) once the text is long enough or
the time is up, and check containers with `check_zip` before unpacking anything: a zip bomb
is refused from its directory, before a byte is inflated.
"""

from __future__ import annotations

import time
import zipfile
from dataclasses import dataclass, field

MB = 1024 * 1024


@dataclass(frozen=True)
class Limits:
    """How much of one file is read. The defaults keep a 50 MB file within a few seconds and a
    few hundred MB of memory."""

    max_chars: int = 5_000_000  # text kept (a 50 MB PDF of dense text holds about 2M characters)
    # total size of the zip members a reader may inflate, streamed: a real 50 MB XLSX holds up
    # to ~700 MB of XML; bombs are caught by their ratio
    max_unpacked: int = 2048 * MB
    max_ratio: int = 100  # a member inflating more than this is a bomb (real files: at most ~35x)
    max_members: int = 10_000
    max_pages: int = 5_000  # PDF pages, OFD pages
    max_cells: int = 2_000_000  # spreadsheet cells
    seconds: float = 60.0  # checked between pages, rows and paragraphs


class Enough(Exception):
    """The sink is full or the time is up: the reader stops, the text so far is kept."""


class Unsafe(Exception):
    """A container that must not be unpacked (a zip bomb); the message says why."""


@dataclass
class Sink:
    """Collects a reader's text within its `Limits`."""

    limits: Limits = field(default_factory=Limits)
    parts: list[str] = field(default_factory=list)
    chars: int = 0
    stopped: str | None = None  # why reading stopped early
    out_of_time: bool = False  # stopped by the clock: another reading may get further
    _deadline: float = 0.0

    def __post_init__(self) -> None:
        self._deadline = time.monotonic() + self.limits.seconds

    def add(self, text: str) -> None:
        """Keep `text` (cut at the character limit); raise Enough when full or out of time."""
        if time.monotonic() > self._deadline:
            self.stopped = f"read for {self.limits.seconds:g} s; the rest is not in the text"
            self.out_of_time = True
            raise Enough
        room = self.limits.max_chars - self.chars
        if len(text) >= room:
            self.parts.append(text[:room])
            self.chars += room
            self.stopped = f"text cut at {self.limits.max_chars:,} characters"
            raise Enough
        self.parts.append(text)
        self.chars += len(text)

    def text(self) -> str:
        return "".join(self.parts)


def check_zip(zf: zipfile.ZipFile, limits: Limits, members: list[str] | None = None) -> None:
    """Refuse a zip whose `members` (default: all) would inflate too far, from its directory."""
    if len(zf.infolist()) > limits.max_members:
        raise Unsafe(f"zip bomb? {len(zf.infolist()):,} files inside")
    infos = [i for i in zf.infolist() if members is None or i.filename in members]
    total = sum(i.file_size for i in infos)
    if total > limits.max_unpacked:
        raise Unsafe(f"zip bomb? its parts would unpack to {total // MB:,} MB")
    for info in infos:
        if info.compress_size and info.file_size > limits.max_ratio * info.compress_size > 0 \
                and info.file_size > MB:
            raise Unsafe(f"zip bomb? {info.filename} would inflate {info.file_size // info.compress_size:,}x")
