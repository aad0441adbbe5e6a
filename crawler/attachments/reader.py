"""Reading attachment text in a child process: a reader that crashes, hangs or eats memory on
a hostile file costs that file, never the crawl.

One child serves the crawl's files one at a time (``crawler.extract.files.read``) under an
address-space limit; a reading that outlives its timeout kills the child, and the next file
starts a new one. A file whose reading killed the child (PDFium and others abort the process
when an allocation fails) is tried once more in a fresh child, which has all its memory to
give. Blocking: call `TextReader.read` from a thread.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import resource
import threading
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess

from crawler.extract.files import FileText, Limits, read, sniff

logger = logging.getLogger(__name__)
MB = 1024 * 1024


class TextReader:
    """``read(data, url) -> FileText`` in a child process, `timeout` seconds at most."""

    def __init__(self, *, timeout: float = 60.0, memory_mb: int = 2048,
                 max_chars: int = 5_000_000) -> None:
        self.timeout = timeout
        self.memory_mb = memory_mb
        # The child stops itself a little before the parent gives up on it, keeping the text read.
        self.limits = Limits(max_chars=max_chars, seconds=max(timeout * 0.8, timeout - 5))
        self._lock = threading.Lock()
        self._process: BaseProcess | None = None
        self._conn: Connection | None = None

    def read(self, data: bytes, url: str = "") -> FileText:
        """The text of `data`, or a FileText whose error says why there is none."""
        kind = sniff(data, url)
        if kind.kind in ("empty", "html"):
            return read(data, kind=kind.kind)  # nothing to read: no child needed
        with self._lock:
            for attempt in (1, 2):
                result, crashed = self._in_child(data, url, kind.kind, kind.content_type)
                if not crashed or attempt == 2:
                    return result
            raise AssertionError("unreachable")

    def _in_child(self, data: bytes, url: str, kind: str,
                  content_type: str) -> tuple[FileText, bool]:
        """The child's reading, and whether the child died on it."""
        conn = self._connection()
        crashed = False
        try:
            conn.send((data, url, kind, self.limits))
            if conn.poll(self.timeout):
                return FileText(*conn.recv()), False
            error = f"reading took longer than {self.timeout:g} s"
        except (EOFError, OSError):  # the child died: a crash or its memory limit
            error = "the reader crashed on this file (memory limit or a broken file)"
            crashed = True
        logger.warning("Attachment text not read (%s): %s", error, url)
        self._stop(kill=True)
        return FileText(kind, content_type, "", error, transient=True), crashed

    def _connection(self) -> Connection:
        if self._conn is None or self._process is None or not self._process.is_alive():
            self._stop(kill=True)
            context = multiprocessing.get_context("spawn")  # nothing of Twisted's state is inherited
            parent, child = context.Pipe()
            self._process = context.Process(target=_serve, args=(child, self.memory_mb * MB),
                                            name="attachment-text", daemon=True)
            self._process.start()
            child.close()
            self._conn = parent
        return self._conn

    def close(self) -> None:
        """Stop the child (waits briefly for it to leave on its own)."""
        with self._lock:
            self._stop(kill=False)

    def _stop(self, *, kill: bool) -> None:
        process, conn = self._process, self._conn
        self._process = self._conn = None
        if conn is not None:
            if not kill:
                with contextlib.suppress(OSError):
                    conn.send(None)
            conn.close()
        if process is not None:
            process.join(0 if kill else 2)
            if process.is_alive():
                process.kill()
                process.join(5)


def _serve(conn: Connection, memory: int) -> None:
    """The child: read files until told to stop (None) or the parent goes away."""
    if memory > 0:
        resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    while True:
        try:
            job = conn.recv()
        except (EOFError, OSError):
            return
        if job is None:
            return
        data, url, kind, limits = job
        result = read(data, url=url, kind=kind, limits=limits)
        conn.send((result.kind, result.content_type, result.text, result.error, result.transient))
