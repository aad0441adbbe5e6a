"""Expected archive failures after a crawl are logged in one line; surprises keep their traceback."""

from __future__ import annotations

import logging

import pytest

from archive.errors import ArchiveBusy
from crawler.service.bookkeeping import log_failure


def test_archive_errors_are_one_line(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING):
        try:
            raise ArchiveBusy("archive x.db is locked by another writer")
        except ArchiveBusy as error:
            log_failure(error, "book-keeping of %s failed", "city")
    (entry,) = caplog.records
    assert entry.getMessage() == "book-keeping of city failed: archive x.db is locked by another writer"
    assert entry.exc_info is None


def test_unexpected_errors_keep_the_traceback(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING):
        try:
            raise KeyError("bug")
        except KeyError as error:
            log_failure(error, "webhook delivery failed")
    (entry,) = caplog.records
    assert entry.exc_info is not None
