"""gov-archive's versioned announcement store. Never imports Scrapy."""

from __future__ import annotations

from . import errors
from .attachments import AttachmentFile
from .db import Archive, Capture, SaveResult
from .errors import (
    ArchiveBusy,
    ArchiveCorrupt,
    ArchiveError,
    ArchiveMissing,
    ArchiveWriteError,
    AttachmentNotFound,
    CaptureNotFound,
    DocumentNotFound,
    NotAnArchive,
    SchemaTooNew,
    VersionNotFound,
)

__all__ = [
    "Archive",
    "ArchiveBusy",
    "ArchiveCorrupt",
    "ArchiveError",
    "ArchiveMissing",
    "ArchiveWriteError",
    "AttachmentFile",
    "AttachmentNotFound",
    "Capture",
    "CaptureNotFound",
    "DocumentNotFound",
    "NotAnArchive",
    "SaveResult",
    "SchemaTooNew",
    "VersionNotFound",
    "errors",
]
