"""Exceptions raised by the archive. Each message is written to be shown to a user as-is."""

from __future__ import annotations


class ArchiveError(Exception):
    """Base class for every archive error."""


class ArchiveMissing(ArchiveError):
    """The archive file does not exist and ``create`` was not requested."""


class NotAnArchive(ArchiveError):
    """The file exists but is not a gov-archive database."""


class ArchiveEmpty(NotAnArchive):
    """The file is an empty SQLite database: an archive another process is creating, maybe."""


class SchemaTooNew(ArchiveError):
    """The archive was written by a newer gov-archive than this one."""


class DocumentNotFound(ArchiveError, LookupError):
    """No document matches the given id or URL."""


class VersionNotFound(DocumentNotFound):
    """The document exists but has no such version."""


class CaptureNotFound(ArchiveError, LookupError):
    """No raw capture has the given sha256."""


class AttachmentNotFound(ArchiveError, LookupError):
    """The version has no such attachment, or no archived bytes for it."""


class ArchiveCorrupt(ArchiveError):
    """Stored bytes do not match their recorded sha256."""


class ArchiveBusy(ArchiveError):
    """Another process held the write lock for longer than the busy timeout."""


class ArchiveWriteError(ArchiveError):
    """A write failed (disk full, read-only file, I/O error); the transaction was rolled back."""
