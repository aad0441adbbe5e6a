"""gov-archive's crawler: a Scrapy project plus pure extraction helpers.

Kept import-light: Scrapy is imported only by the modules that crawl.
"""
