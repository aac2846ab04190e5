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
