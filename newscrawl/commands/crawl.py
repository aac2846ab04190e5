"""``scrapy crawl`` that exits non-zero when the run's monitors failed.

Scrapy's ``crawl`` exits 1 when the crawl could not start (``bootstrap_failed``)
and 0 otherwise, so cron, systemd and CI cannot see a run whose spidermon
monitors failed. This command (the project's ``COMMANDS_MODULE`` overrides
Scrapy's of the same name) runs the crawl the same way and then exits with
``NEWSCRAWL_MONITOR_EXIT_CODE`` (default 3) when ``WriteReport`` counted a failed
monitor (``newscrawl/monitors/failed`` > 0). ``-s NEWSCRAWL_MONITOR_EXIT_CODE=0``
restores Scrapy's behaviour. Exit statuses: 0 passed (or monitors off), 1 Scrapy's
own failure (the crawl did not start), 3 monitors failed (see docs/deploy.md).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from scrapy.commands.crawl import Command as ScrapyCrawlCommand
from scrapy.exceptions import UsageError

if TYPE_CHECKING:
    import argparse

    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)


def monitor_exit_code(crawler: Crawler) -> int:
    """``NEWSCRAWL_MONITOR_EXIT_CODE`` when the finished crawl's monitors failed, else 0."""
    code = crawler.settings.getint("NEWSCRAWL_MONITOR_EXIT_CODE")
    failed = int((crawler.stats.get_value("newscrawl/monitors/failed") if crawler.stats else 0) or 0)
    return code if failed else 0


class Command(ScrapyCrawlCommand):
    def short_desc(self) -> str:
        return "Run a spider of the current project, by name (exit 3 when its monitors fail)"

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        if len(args) != 1:
            raise UsageError("give one spider name" if args else None)
        process = self.crawler_process
        assert process is not None
        # as Scrapy's crawl, keeping the Crawler (public create_crawler) to read its verdict
        crawler = process.create_crawler(args[0])
        process.crawl(crawler, **opts.spargs)
        process.start()
        if process.bootstrap_failed:
            self.exitcode = 1
        elif code := monitor_exit_code(crawler):
            logger.info("Exit status %d: monitors failed (NEWSCRAWL_MONITOR_EXIT_CODE)", code)
            self.exitcode = code
