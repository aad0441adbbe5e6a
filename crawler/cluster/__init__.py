"""The Scrapy side of a cluster: crawl workers on many machines, one archive host, Redis between.

A worker's crawl has no archive file: its item pipeline (`pipeline.ShipPipeline`, enabled by
``CLUSTER_REDIS_URL``) ships every item, raw capture and the crawl's stats to the archive
host through a Redis stream, and reads the site's incremental state from the snapshot the host
shipped. Here: the key names (`keys`), the Redis client and its Lua scripts (`client`), the
message and snapshot formats (`messages`), and the pipeline. The processes around them, the
archive host and the worker daemon, are service code: crawler/service/cluster/.
"""
