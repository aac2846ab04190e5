"""Spiders: crawling only (feeds, sitemaps, listings); extraction lives in newscrawl.parsers."""
