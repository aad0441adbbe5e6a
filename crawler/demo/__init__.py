"""The bundled demo: a fictional government site (示例市人民政府) served on 127.0.0.1.

`crawler.demo.site` builds the pages, `crawler.demo.server` serves them, `crawler.demo.scenario`
runs crawl → change → re-crawl → report, and `crawler.cli.demo` is the `demo` CLI command.
Nothing here touches the network beyond 127.0.0.1 or reads files at runtime.
"""
