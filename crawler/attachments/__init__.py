"""Attachment files during a crawl: fetched politely, read in a child process, handed to the
archive with their item.

- `pipeline`  AttachmentPipeline (ITEM_PIPELINES, before the archive pipeline)
- `fetch`     which links, the conditional request, what an answer or a failure means
- `reader`    TextReader: crawler.extract.files.read in a child process, bounded in time and memory
"""

from __future__ import annotations

from .pipeline import AttachmentPipeline

__all__ = ["AttachmentPipeline"]
