"""Opening an archive file: what `archive.db.Archive` connects to, and how.

`open_connection` refuses what cannot be an archive before SQLite touches it (a missing file
unless created, a folder, a device, a file that does not start with SQLite's header), opens
read-only when this process cannot write the file or the folder beside it (a service's
archive), and names a missing folder rather than repeating SQLite's words.
"""

from __future__ import annotations

import os
import sqlite3
import urllib.parse

from .errors import ArchiveMissing, ArchiveWriteError, NotAnArchive

SQLITE_HEADER = b"SQLite format 3\x00"


def open_connection(path: str, *, create: bool, read_only: bool,
                    busy_timeout: float) -> tuple[sqlite3.Connection, bool]:
    """A connection to the archive file `path` (created if `create`), and whether it is read-only.

    Read-only when asked (`read_only`) or when this process cannot write the file, never when
    creating it. ArchiveMissing, NotAnArchive or ArchiveWriteError when it cannot be opened.
    """
    if not create and not os.path.exists(path):
        raise ArchiveMissing(f"archive {path} does not exist")
    _check_file(path, create=create)
    if not _sqlite_or_empty(path):  # SQLite would take a file of a few bytes as empty
        raise NotAnArchive(f"{path} is not a gov-archive database (file is not a database)")
    read_only = not create and (read_only or not _writable(path))
    try:
        return _connect(path, busy_timeout, read_only=read_only), read_only
    except sqlite3.Error as e:
        raise ArchiveWriteError(_open_problem(path, e)) from None


def _check_file(path: str, *, create: bool) -> None:
    """NotAnArchive for a folder or a device (``--db /dev/null``: SQLite would create
    /dev/null-journal beside it); ArchiveWriteError when `create` on a read-only mount."""
    if os.path.isdir(path):
        raise NotAnArchive(f"{path} is a directory, not an archive file")
    if os.path.exists(path) and not os.path.isfile(path):
        raise NotAnArchive(f"{path} is not a regular file, not an archive file")
    if create and _on_read_only_mount(path):
        raise ArchiveWriteError(f"cannot write {path}: it is on a read-only file system")


def _on_read_only_mount(path: str) -> bool:
    try:
        return bool(os.statvfs(os.path.dirname(os.path.abspath(path))).f_flag & os.ST_RDONLY)
    except OSError:  # no such folder: SQLite says so
        return False


def _sqlite_or_empty(path: str) -> bool:
    """Whether ``path`` is missing, empty or starts with SQLite's header."""
    try:
        with open(path, "rb") as f:
            head = f.read(len(SQLITE_HEADER))
    except FileNotFoundError:
        return True
    except OSError:
        return True  # unreadable: let SQLite say why
    return not head or head == SQLITE_HEADER


def _open_problem(path: str, error: sqlite3.Error) -> str:
    """Why ``path`` could not be opened, naming a missing folder rather than SQLite's words."""
    folder = os.path.dirname(path) or "."
    if not os.path.exists(folder):
        return f"cannot create {path}: folder {folder} does not exist"
    if not os.path.isdir(folder):
        return f"cannot create {path}: {folder} is not a folder"
    return f"cannot open archive {path}: {error}"


def _writable(path: str) -> bool:
    """Can this process write ``path`` and create its -wal/-shm files beside it?"""
    if not os.path.exists(path):
        return _folder_writable(path)
    return os.access(path, os.W_OK) and _folder_writable(path)


def _folder_writable(path: str) -> bool:
    """Can this process create files (-wal, -shm) beside ``path``?"""
    return os.access(os.path.dirname(os.path.abspath(path)), os.W_OK)


def _connect(path: str, busy_timeout: float, *, read_only: bool) -> sqlite3.Connection:
    """Open ``path``; read-only when this user cannot write it (e.g. a service's archive).

    A read-only connection takes the usual locks, so it reads consistent snapshots while
    another process writes and checkpoints. Only when the folder is read-only and no writer
    has left a -shm file (which a WAL database needs to be read, and which could not be
    created) is the file opened as immutable: then no writer can be active.
    """
    if not read_only:
        return sqlite3.connect(path, timeout=busy_timeout, isolation_level=None)
    uri = "file:" + urllib.parse.quote(os.path.abspath(path)) + "?mode=ro"
    if not _folder_writable(path) and not os.path.exists(path + "-shm"):
        uri += "&immutable=1"
    return sqlite3.connect(uri, uri=True, timeout=busy_timeout, isolation_level=None)
