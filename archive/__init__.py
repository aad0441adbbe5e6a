"""gov-archive's versioned announcement store. Never imports Scrapy."""
