"""Project counters: every component counts under ``newscrawl/`` through ``inc``."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

PREFIX = "newscrawl/"


def inc(crawler: Crawler, key: str, count: int = 1) -> None:
    """Add ``count`` to ``newscrawl/<key>`` (no-op before the crawler has stats)."""
    if crawler.stats:
        crawler.stats.inc_value(PREFIX + key, count)


FAILED_URLS = PREFIX + "failed_urls"
FAILED_URLS_MAX = 100  # per crawl: the run report lists these; the counts stay complete


def failed_url(crawler: Crawler, url: str, reason: str) -> None:
    """Keep ``{url, reason}`` of a failed request (the first ``FAILED_URLS_MAX``) for the run
    report; the caller counts ``failed/<reason>`` as usual."""
    if crawler.stats:
        urls = list(crawler.stats.get_value(FAILED_URLS) or [])
        if len(urls) < FAILED_URLS_MAX:
            crawler.stats.set_value(FAILED_URLS, [*urls, {"url": url, "reason": reason}])
