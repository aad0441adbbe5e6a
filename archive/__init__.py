"""gov-archive's versioned announcement store. Never imports Scrapy."""

from __future__ import annotations

from . import errors
from .attachments import AttachmentFile
from .db import Archive, Capture, SaveResult
from .errors import (
    ArchiveBusy,
    ArchiveCorrupt,
    ArchiveEmpty,
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
from .readings import Reextraction, StoredReading

__all__ = [
    "Archive",
    "ArchiveBusy",
    "ArchiveCorrupt",
    "ArchiveEmpty",
    "ArchiveError",
    "ArchiveMissing",
    "ArchiveWriteError",
    "AttachmentFile",
    "AttachmentNotFound",
    "Capture",
    "CaptureNotFound",
    "DocumentNotFound",
    "NotAnArchive",
    "Reextraction",
    "SaveResult",
    "SchemaTooNew",
    "StoredReading",
    "VersionNotFound",
    "errors",
]
