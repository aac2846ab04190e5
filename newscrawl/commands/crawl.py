"""``scrapy crawl`` that exits non-zero when the run's monitors failed.

Scrapy's ``crawl`` exits 1 when the crawl could not start (``bootstrap_failed``)
and 0 otherwise, so cron, systemd and CI cannot see a run whose spidermon
monitors failed. This command (the project's ``COMMANDS_MODULE`` overrides
Scrapy's of the same name) runs the crawl the same way and then exits with
``NEWSCRAWL_MONITOR_EXIT_CODE`` (default 3) when ``WriteReport`` counted a failed
monitor (``newscrawl/monitors/failed`` > 0) or a feed could not be written or stored
(``newscrawl/export/failed_feeds``, ``newscrawl/export/failed``; an upload failing when
Scrapy stores the feed after the spider closed, too: the monitors wait for it). A
failed feed is also the run's last word, one ERROR line each: ``export to <uri,
password masked> failed: N items not written``. ``-s NEWSCRAWL_MONITOR_EXIT_CODE=0``
restores Scrapy's behaviour. Exit statuses: 0 passed (or monitors off), 1 Scrapy's
own failure (the crawl did not start), 3 monitors failed or an export failed (see
docs/deploy.md).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from scrapy.commands.crawl import Command as ScrapyCrawlCommand
from scrapy.exceptions import UsageError

if TYPE_CHECKING:
    import argparse

    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)


def _stat(crawler: Crawler, key: str) -> Any:
    return crawler.stats.get_value(key) if crawler.stats else None


def failed_exports(crawler: Crawler) -> list[str]:
    """One line per feed of the finished crawl that was not written or stored."""
    from newscrawl.operations.report import FAILED_FEEDS, failure_line

    lines = [failure_line(feed) for feed in _stat(crawler, FAILED_FEEDS) or []]
    if not lines and (count := int(_stat(crawler, "newscrawl/export/failed") or 0)):
        lines.append(f"export failed: {count} feeds not written (see the errors above)")
    return lines


def monitor_exit_code(crawler: Crawler) -> int:
    """``NEWSCRAWL_MONITOR_EXIT_CODE`` when the finished crawl's monitors failed or one of
    its feeds was not stored, else 0."""
    code = crawler.settings.getint("NEWSCRAWL_MONITOR_EXIT_CODE")
    failed = int(_stat(crawler, "newscrawl/monitors/failed") or 0)
    return code if failed or failed_exports(crawler) else 0


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
        # imported here: Scrapy imports every command module for any `scrapy` command
        # (`scrapy list`, run by Scrapyd on each deploy, too)
        from newscrawl.operations.extensions import AfterFeeds

        AfterFeeds.of(crawler)  # failed feeds recorded even with monitors and stats file off
        process.crawl(crawler, **opts.spargs)
        process.start()
        if process.bootstrap_failed:
            self.exitcode = 1
            return
        code = monitor_exit_code(crawler)
        if code:
            logger.info("Exit status %d: monitors failed (NEWSCRAWL_MONITOR_EXIT_CODE)", code)
            self.exitcode = code
        for line in failed_exports(crawler):  # last, where cron mail and journalctl end
            logger.error(line)
