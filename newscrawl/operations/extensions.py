"""StatsFile: write the crawl's final stats as JSON to ``NEWSCRAWL_STATS_FILE``.

Off unless the setting is given. Used by the demo summary, the tests and the
benchmark to read a finished crawl's counters without parsing logs. Values are
written through ``newscrawl.operations.redact`` (no credentials in the file).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Self

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured

from newscrawl.operations.redact import redact, redact_value


class StatsFile:
    def __init__(self, crawler: Crawler, path: Path) -> None:
        self.crawler = crawler
        self.path = path

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        path = crawler.settings.get("NEWSCRAWL_STATS_FILE")
        if not path:
            raise NotConfigured("NEWSCRAWL_STATS_FILE is not set")
        ext = cls(crawler, Path(path))
        crawler.signals.connect(ext.write, signal=signals.spider_closed)
        return ext

    def write(self, reason: str) -> None:
        stats = dict(self.crawler.stats.get_stats()) if self.crawler.stats else {}
        stats["finish_reason"] = reason
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.write_text(
            json.dumps(redact_value(stats), default=lambda v: redact(str(v)), indent=1, sort_keys=True),
            "utf-8",
        )
