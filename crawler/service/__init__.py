"""The service layer: running crawls, judging and booking them, scheduling, alerting.

Modules, each importing only those above it in this list (no cycles):

- ``schedule``: site schedules, when a site and each of its columns is due, outcomes and
  back-off (the bottom);
- ``httpclient``: one-off HTTP requests (`extract URL`, webhooks, `add URL`'s probe): http(s)
  only, credentials as basic auth, a total deadline and a size cap;
- ``locks``: one crawl of a site at a time, across processes;
- ``health``: health rules over the stored crawl stats (and per column), ``sites --health`` rows;
- ``probe``: fetch a column page once and say what it is (`add URL`);
- ``watchlist``: what is watched, as site definitions; `add`, `remove`, the `sites` listing;
- ``alerts``: webhook sinks and delivery of archive events;
- ``bookkeeping``: after crawls, book each site and column (back-off, health) and deliver
  events;
- ``overrides``: ``-s NAME=VALUE`` checks and the crawl's Scrapy settings;
- ``runner``: run crawls in this process, with Ctrl-C / SIGTERM accounting;
- ``crawls``: crawl these sites and report (`run_and_report`, the `crawl` command);
- ``watch``: the `watch` daemon (child `crawl` processes, then `bookkeeping`).
"""
