"""gov-archive's versioned announcement store. Never imports Scrapy."""

from __future__ import annotations

from . import errors
from .db import Archive, Capture, SaveResult
from .errors import (
    ArchiveBusy,
    ArchiveError,
    ArchiveMissing,
    ArchiveWriteError,
    CaptureNotFound,
    DocumentNotFound,
    NotAnArchive,
    SchemaTooNew,
    VersionNotFound,
)

__all__ = [
    "Archive",
    "ArchiveBusy",
    "ArchiveError",
    "ArchiveMissing",
    "ArchiveWriteError",
    "Capture",
    "CaptureNotFound",
    "DocumentNotFound",
    "NotAnArchive",
    "SaveResult",
    "SchemaTooNew",
    "VersionNotFound",
    "errors",
]
