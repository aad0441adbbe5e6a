"""A cluster: one archive host, crawl workers on many machines, one Redis between them.

- ``ingest``: apply what workers shipped, each item once, each crawl closed once;
- ``offers``: the crawl offers and records the host writes to Redis;
- ``host``: `gov-archive watch --redis` (offer due crawls, ingest, book-keep);
- ``worker``: `gov-archive worker` (take offers under a lease, run each crawl in a child);
- ``status``: the cluster as `sites --health --redis` and `stats --redis` show it.

The Scrapy side (the worker crawl's pipeline, the message formats, the Redis client) is
crawler/cluster/. README "Scaling out" has the deployment and what happens on each failure.
"""
