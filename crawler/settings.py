"""Scrapy settings for gov-archive (``scrapy.cfg`` points here; the CLI loads it too).

Every default lives here, gov-archive's own settings included: components read them with
``crawler.settings.getX(NAME)`` and no second default, and ``-s`` values are checked against
the types found here (crawler/service/overrides.py).

Polite by default: robots.txt obeyed, one request at a time per host, AutoThrottle on, an
identifying User-Agent with a contact address, retries with exponential backoff. Turn
politeness off only for sites you own: ``-s DOWNLOAD_DELAY=0 -s AUTOTHROTTLE_ENABLED=0``.
See https://docs.scrapy.org/en/latest/topics/settings.html
"""

from __future__ import annotations

import os

BOT_NAME = "gov-archive"
SPIDER_MODULES = ["crawler.spiders"]
NEWSPIDER_MODULE = "crawler.spiders"

# Who we are: sites can tell the archive's requests apart and reach its operator.
CONTACT = os.environ.get("GOV_ARCHIVE_CONTACT", "")
USER_AGENT = "gov-archive/0.1 (+https://github.com/gov-archive/gov-archive; archival crawler)"
DEFAULT_REQUEST_HEADERS = {
    "Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
    # Some gov sites answer garbage without a Chinese Accept-Language (docs/govsites.md §5.2).
    "Accept-Language": "zh-CN,zh;q=0.9,en;q=0.5",
}

# Politeness (docs/govsites.md §5.5).
ROBOTSTXT_OBEY = True
CONCURRENT_REQUESTS = 16
CONCURRENT_REQUESTS_PER_DOMAIN = 1
DOWNLOAD_DELAY = 1.0
DOWNLOAD_DELAY_JITTER = 0.5  # ±50% around DOWNLOAD_DELAY
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 2.0
AUTOTHROTTLE_MAX_DELAY = 60.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0
DOWNLOAD_TIMEOUT = 30
COOKIES_ENABLED = True
# A response yields at most a page of requests and one item: Scrapy's default of 100 parallel
# item workers per response only costs event-loop tasks.
CONCURRENT_ITEMS = 8

# Retries: transient errors only, with exponential backoff (crawler.middlewares.BackoffRetryMiddleware).
RETRY_ENABLED = True
RETRY_TIMES = 2
RETRY_HTTP_CODES = [500, 502, 503, 504, 522, 524, 408, 429]
RETRY_BACKOFF_BASE = 2.0  # seconds before the first retry; doubles each time
RETRY_BACKOFF_MAX = 60.0

# Bounded memory per response: a page answer is cut at DOWNLOAD_MAXSIZE bytes, on the wire
# and while inflating gzip/deflate/br/zstd (a 1 MB gzip bomb that inflates to 1 GB is refused
# after 16 MB, stat download/decompression_refused). Scrapy's default is 1 GB. Attachments
# are downloaded with their own cap (request meta download_maxsize = ATTACHMENT_MAXSIZE, below).
DOWNLOAD_MAXSIZE = 16 * 1024 * 1024
DOWNLOAD_WARNSIZE = 4 * 1024 * 1024

# Only http and https, whatever a page or a site definition names: no handler for file://,
# ftp://, s3:// or data: (a list page naming file://<host>/.../dataproxy.jsp must never make
# the crawler read a local file), and crawler.middlewares.WebOnlyMiddleware refuses them first.
DOWNLOAD_HANDLERS = {"file": None, "ftp": None, "s3": None, "data": None}
DOWNLOADER_MIDDLEWARES = {
    "crawler.middlewares.WebOnlyMiddleware": 50,
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    "crawler.middlewares.BackoffRetryMiddleware": 550,
    "crawler.middlewares.StopGate": 560,  # after robots.txt (100) and a retry's back-off
    "crawler.middlewares.OncePerCrawl": 565,  # a resumed JOBDIR queue and the spider's own
    "scrapy.downloadermiddlewares.httpcompression.HttpCompressionMiddleware": None,
    "crawler.middlewares.BoundedHttpCompressionMiddleware": 590,
}
ITEM_PIPELINES = {
    "crawler.attachments.AttachmentPipeline": 700,
    "crawler.pipelines.ArchivePipeline": 800,
    # A crawl worker's instead (CLUSTER_REDIS_URL set): items go to the archive host.
    "crawler.cluster.pipeline.ShipPipeline": 800,
}
EXTENSIONS = {
    # Before Scrapy's SpiderState (order 0), which needs the JOBDIR this one chooses.
    "crawler.extensions.jobdir.JobDirLifecycle": -10,
    "crawler.extensions.progress.ProgressLine": 900,
}

# The archive (the CLI sets ARCHIVE_DB_PATH from --db; `scrapy crawl` takes -s ARCHIVE_DB_PATH=...).
ARCHIVE_ENABLED = True
ARCHIVE_DB_PATH = os.environ.get("GOV_ARCHIVE_DB", "archive.db")
# Resumable crawls: a JOBDIR per site under <db>.state/jobs/ unless JOBDIR is given.
ARCHIVE_JOBDIR_ENABLED = True
# Another writer (a query, `notify`, a crawl of another site): seconds one write waits for
# it, then seconds an item keeps retrying with back-off (first pause, doubling up to max).
ARCHIVE_BUSY_TIMEOUT = 10.0
ARCHIVE_BUSY_RETRY_SECONDS = 60.0
ARCHIVE_BUSY_BACKOFF_FIRST = 0.5
ARCHIVE_BUSY_BACKOFF_MAX = 8.0
# Withdrawals one crawl may record: fewer than max(GONE_MIN_COUNT, GONE_MAX_SHARE x the
# re-checked articles); more are held back as implausible (crawler/pipelines.py).
GONE_MAX_SHARE = 0.3
GONE_MIN_COUNT = 3

# Attachment files (crawler/attachments/): downloaded with their page, through the same
# downloader (same delays, robots.txt, retries), from the site's hosts and ATTACHMENT_HOSTS;
# re-checked with If-None-Match / If-Modified-Since when their page is re-checked.
ATTACHMENTS_ENABLED = True
ATTACHMENT_MAXSIZE = 50 * 1024 * 1024  # bytes; a larger file is recorded with an error, not kept
ATTACHMENT_HOSTS = ["gov.cn"]  # other file hosts (and their subdomains) besides the site's own
ATTACHMENT_TEXT_TIMEOUT = 60.0  # seconds to read one file's text (in a child process)
ATTACHMENT_TEXT_MEMORY_MB = 2048  # address space of that child process
ATTACHMENT_TEXT_MAX_CHARS = 5_000_000  # text kept per file

# A cluster (README "Scaling out"): `gov-archive worker` runs crawls for an archive host
# (`gov-archive watch --redis URL`; one cluster per Redis database: redis://host/N). It sets
# CLUSTER_REDIS_URL, CLUSTER_CRAWL_ID, CLUSTER_TOKEN, CLUSTER_ATTEMPT and CLUSTER_WORKER for
# each crawl; the others may be given with -s.
CLUSTER_REDIS_URL = ""  # set: items go through Redis (crawler/cluster/pipeline.py), not to a file
CLUSTER_CRAWL_ID = 0
CLUSTER_TOKEN = ""
CLUSTER_ATTEMPT = 1
CLUSTER_WORKER = ""
# A worker holds a crawl's lease while it runs; a worker that stops renewing it (dead, cut off)
# has its crawl taken over by another within about this long.
CLUSTER_LEASE_SECONDS = 60.0
CLUSTER_MAX_ATTEMPTS = 5  # attempts of one crawl before a worker gives it up ("abandoned")
# Back-pressure: a crawl waits while more entries than this wait for the archive host ...
CLUSTER_INGEST_MAX = 5000
CLUSTER_MEMORY_MAX_MB = 512.0  # ... or Redis uses more memory than this (0: no such check)
CLUSTER_UNAVAILABLE_SECONDS = 3600.0  # Redis unreachable this long: the attempt stops

# Crawl behaviour (site definitions override these per site; -s overrides everything).
CRAWL_FULL = False  # walk every list page and revisit every known article now
REVISIT_INTERVAL = ""  # e.g. "1d"; empty: the site's [incremental] revisit (default 7d)
REVISIT_MAX = -1  # scheduled revisits per crawl; -1: the site's revisit_max
STOP_AFTER_KNOWN_PAGES = -1  # -1: the site's stop_after_known_pages
MAX_LIST_PAGES = 0  # per column; 0: the site's max_list_pages, else GOV_ARCHIVE_MAX_LIST_PAGES
GOV_ARCHIVE_MAX_LIST_PAGES = 1000  # per column when neither the site nor -s sets a cap; 0: none
# Off on purpose: the first crawl of a site walks its whole back catalogue and may
# legitimately take many hours. `watch --crawl-timeout` bounds a crawl's wall-clock time
# (and counts an overrun as a failure); -s CLOSESPIDER_TIMEOUT=SECONDS caps one crawl.
CLOSESPIDER_TIMEOUT = 0

# One status line per site on stderr (`gov-archive crawl` turns it on on a terminal).
PROGRESS_ENABLED = False

LOG_LEVEL = "INFO"
TELNETCONSOLE_ENABLED = False
REMOTE_CONTROL_ENABLED = False
FEED_EXPORT_ENCODING = "utf-8"
