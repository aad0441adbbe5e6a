"""The bundled demo: a fictional government site (示例市人民政府) served on 127.0.0.1.

`crawler.demo.model` is the data (columns, articles, attachments), `crawler.demo.site` builds and
changes it, `crawler.demo.render` writes its HTML, `crawler.demo.server` serves it and
`crawler.demo.scenario` runs crawl → change → re-crawl → report; `crawler.cli.demo` is the
`demo` CLI command. Nothing here touches the network beyond 127.0.0.1 or reads files at runtime.
"""
