"""Scrapy extensions: cross-cutting crawl behaviour driven by signals.

``jobdir.JobDirLifecycle`` gives each site's crawl a resumable JOBDIR and tells a killed
crawl from a finished one; ``progress.ProgressLine`` shows one status line per site on a
terminal. Both are listed in crawler/settings.py (``EXTENSIONS``) and leave spiders that are
not gov-archive's alone. ``stopping`` holds what makes the first Ctrl-C or SIGTERM stop within
seconds, waiting requests kept for the next crawl: the ``CRAWL_STOPPING`` signal and the
set-aside the downloader middlewares use (crawler/middlewares.py ``StopGate``). See https://docs.scrapy.org/en/latest/topics/extensions.html
"""
