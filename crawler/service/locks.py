"""Per-site crawl locks: one crawl of a site at a time, across `crawl`, `watch` and cron.

A lock is an ``fcntl.flock`` on ``<db>.locks/<site>.lock``. The kernel drops it when the
holding process dies, so a crashed or killed crawl never leaves a stale lock behind.
Lock files are never deleted: unlinking a flock'd file lets two processes lock two
different inodes under the same name.

A parent (``watch``) can hand a lock it holds to a child crawl: the child inherits the
file descriptor and finds it through the ``GOV_ARCHIVE_HELD_LOCKS`` environment variable,
so the lock stays held while either process is alive.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
import time
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path

HELD_LOCKS_ENV = "GOV_ARCHIVE_HELD_LOCKS"


class SiteBusy(Exception):
    """Another process holds the lock."""


def lock_dir(db_path: str | os.PathLike[str]) -> Path:
    """The folder holding the lock files of the archive at `db_path`."""
    db = Path(db_path).resolve()
    return db.with_name(db.name + ".locks")


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]", "_", name) or "_"


def lock_path(db_path: str | os.PathLike[str], name: str) -> Path:
    """The lock file for `name` (a site name, or ``deliver-…`` for delivery locks)."""
    return lock_dir(db_path) / f"{_safe(name)}.lock"


def _inherited_fds(environ: Mapping[str, str]) -> dict[str, int]:
    """Parse ``site=fd,site=fd`` from the environment (bad entries are ignored)."""
    held: dict[str, int] = {}
    for part in environ.get(HELD_LOCKS_ENV, "").split(","):
        name, sep, fd = part.rpartition("=")
        if sep and fd.isdigit():
            held[name] = int(fd)
    return held


class FileLock:
    """A non-blocking exclusive lock on one file; usable as a context manager."""

    def __init__(self, path: Path, *, inherited_fd: int | None = None) -> None:
        self.path = path
        self._fd: int | None = None
        self._inherited_fd = inherited_fd

    @property
    def held(self) -> bool:
        return self._fd is not None

    @property
    def fd(self) -> int | None:
        return self._fd

    def acquire(self, *, timeout: float = 0.0, poll: float = 0.05) -> bool:
        """Take the lock; False if it is still busy after `timeout` seconds."""
        if self._fd is not None:
            return True
        if self._adopt_inherited():
            return True
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    os.close(fd)
                    return False
                time.sleep(poll)
                continue
            self._fd = fd
            self._write_owner()
            return True

    def _adopt_inherited(self) -> bool:
        """Use a descriptor a parent passed down, if it really is this lock file."""
        fd = self._inherited_fd
        if fd is None:
            return False
        try:
            same = os.path.samestat(os.fstat(fd), os.stat(self.path))
            # Converting a lock held through the same open file description always succeeds.
            if same:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            return False
        if same:
            self._fd = fd
        return same

    def _write_owner(self) -> None:
        """Record who holds the lock (for humans; the flock is what counts)."""
        assert self._fd is not None
        os.ftruncate(self._fd, 0)
        os.pwrite(self._fd, f"{os.getpid()}\n".encode(), 0)

    def release(self) -> None:
        """Drop the lock by closing our descriptor.

        No ``LOCK_UN``: that would also unlock a copy a parent or child shares with us; the
        kernel releases the lock once the last descriptor of it is closed.
        """
        if self._fd is None:
            return
        fd, self._fd = self._fd, None
        with contextlib.suppress(OSError):
            os.close(fd)

    def owner_pid(self) -> int | None:
        """The pid written by the current holder, if any (informational)."""
        try:
            text = self.path.read_text().strip()
        except OSError:
            return None
        return int(text) if text.isdigit() else None

    def __enter__(self) -> FileLock:
        if not self.acquire():
            raise SiteBusy(str(self.path))
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


def site_lock(
    db_path: str | os.PathLike[str], site: str, *, environ: Mapping[str, str] | None = None
) -> FileLock:
    """The crawl lock of `site` for the archive at `db_path` (not yet acquired)."""
    inherited = _inherited_fds(os.environ if environ is None else environ).get(site)
    return FileLock(lock_path(db_path, site), inherited_fd=inherited)


def is_locked(db_path: str | os.PathLike[str], site: str) -> bool:
    """True if some process currently holds the crawl lock of `site`."""
    probe = FileLock(lock_path(db_path, site))
    if probe.acquire():
        probe.release()
        return False
    return True


@contextlib.contextmanager
def hold_sites(
    db_path: str | os.PathLike[str], sites: Iterable[str]
) -> Iterator[tuple[list[str], list[str]]]:
    """Lock every site that is free; yield ``(held, busy)`` and release on exit.

    A `crawl` command crawls only the `held` sites and reports the `busy` ones as skipped.
    """
    locks: list[FileLock] = []
    held: list[str] = []
    busy: list[str] = []
    try:
        for site in dict.fromkeys(sites):
            lock = site_lock(db_path, site)
            if lock.acquire():
                locks.append(lock)
                held.append(site)
            else:
                busy.append(site)
        yield held, busy
    finally:
        for lock in locks:
            lock.release()


def held_locks_env(locks: Mapping[str, FileLock]) -> str:
    """The ``GOV_ARCHIVE_HELD_LOCKS`` value handing `locks` to a child process."""
    return ",".join(f"{site}={lock.fd}" for site, lock in locks.items() if lock.fd is not None)
