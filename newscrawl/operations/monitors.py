"""Spidermon monitors run when a spider closes, and the run report they feed.

``SpiderCloseMonitorSuite`` (``SPIDERMON_SPIDER_CLOSE_MONITORS``) runs spidermon's
built-in monitors, configured by ``SPIDERMON_*`` settings, plus the two checks
spidermon has no monitor for. Report label, monitor, setting:

- ``Finish reason``   spidermon ``FinishReasonMonitor``: ``SPIDERMON_EXPECTED_FINISH_REASONS``
- ``Item count``      ``ItemCount``, spidermon's ``ItemCountMonitor`` (``item_scraped_count`` >=
                      ``SPIDERMON_MIN_ITEMS``) with its documented ``get_threshold`` hook: articles
                      the seen-store already had (``newscrawl/seen/skipped``, ``.../unchanged``)
                      count as found, so a rerun with nothing new passes
- ``Field coverage``  spidermon ``FieldCoverageMonitor``: ``SPIDERMON_FIELD_COVERAGE_RULES``
                      (``{"dict/<field>": share}``), skipped when nothing was exported
- ``Errors``          spidermon ``ErrorCountMonitor``: ``log_count/ERROR`` <= ``SPIDERMON_MAX_ERRORS``;
                      ``SpiderExceptionsMonitor``: ``spider_exceptions/count`` <=
                      ``NEWSCRAWL_MONITOR_MAX_EXCEPTIONS`` (spidermon's ``BaseStatMonitor``)
- ``Validation``      ``ValidationMonitor`` (newscrawl): ``newscrawl/invalid/*`` <=
                      ``NEWSCRAWL_MONITOR_MAX_INVALID``
- ``Layout drift``    ``DriftMonitor`` (newscrawl): share of items whose body came from the
                      ``generic`` layer <= ``NEWSCRAWL_MONITOR_MAX_GENERIC_SHARE`` (selectors
                      stopped matching)
- ``Feed export``     ``FeedExportMonitor`` (newscrawl): no feed failed (``newscrawl/export/failed``,
                      ``newscrawl/export/failed_feeds``), during the run or when stored at its end

The suite runs once the feeds are stored: ``Spidermon`` here is spidermon's extension
whose ``spider_closed`` waits for Scrapy's ``feed_exporter_closed``
(``newscrawl.operations.extensions.AfterFeeds``), because Scrapy uploads FTP/S3 feeds
after the spider closed, and a store failing then must fail the verdict and the report.

The project's older names keep working: ``MonitorSettingsAddon`` (in ``ADDONS``)
maps ``NEWSCRAWL_MONITOR_FINISH_REASONS``, ``..._MIN_ITEMS``, ``..._COVERAGE``
(``{"title": 1.0}``) and ``..._MAX_ERRORS`` onto the ``SPIDERMON_*`` settings, at
their own priority (a spider's ``custom_settings`` or ``-s`` still win over
settings.py); a ``SPIDERMON_*`` setting given at a higher priority wins over its
older name.

``WriteReport`` then writes the run report (``newscrawl.operations.report``) and records
``newscrawl/monitors/passed|failed`` in the stats; ``scrapy crawl`` exits with
``NEWSCRAWL_MONITOR_EXIT_CODE`` when a monitor failed (``newscrawl.commands.crawl``).

Spidermon 1.27 on Scrapy 2.19: its result logger calls the deprecated
``Spider.log()``; that one warning is filtered here. It logs a failed check as a
block with the assertion's traceback; ``OneLineFailures`` (a ``logging.Filter``
on the spider's logger, installed by the suite) turns it into one line with the
reason. The extension is spidermon's own, subclassed only to run its close suites
after the feeds are stored (``Spidermon`` below).
"""

from __future__ import annotations

import logging
import re
import warnings
from functools import partial
from typing import Any, Self

from scrapy.crawler import Crawler
from scrapy.exceptions import ScrapyDeprecationWarning
from scrapy.settings import BaseSettings
from spidermon import Monitor, monitors
from spidermon.contrib.scrapy.extensions import Spidermon as SpidermonExtension
from spidermon.contrib.scrapy.monitors import (
    ErrorCountMonitor,
    FieldCoverageMonitor,
    FinishReasonMonitor,
    ItemCountMonitor,
)
from spidermon.contrib.scrapy.monitors import SpiderCloseMonitorSuite as SpidermonCloseSuite
from spidermon.contrib.scrapy.monitors.base import BaseStatMonitor
from spidermon.core.actions import Action

from newscrawl.operations import report
from newscrawl.operations.extensions import AfterFeeds

__all__ = [
    "DriftMonitor",
    "FeedExportMonitor",
    "ItemCount",
    "MonitorSettingsAddon",
    "OneLineFailures",
    "SpiderCloseMonitorSuite",
    "SpiderExceptionsMonitor",
    "Spidermon",
    "ValidationMonitor",
    "WriteReport",
]

# spidermon.contrib.scrapy.runners logs through Spider.log(), deprecated since Scrapy 2.13
warnings.filterwarnings(
    "ignore",
    message=r"Spider\.log\(\) is deprecated",
    category=ScrapyDeprecationWarning,
    module=r"spidermon\.",
)

# ----------------------------------------------------------------------------- settings

# older newscrawl name -> spidermon setting, and how a value is converted
RENAMED: dict[str, str] = {
    "NEWSCRAWL_MONITOR_FINISH_REASONS": "SPIDERMON_EXPECTED_FINISH_REASONS",
    "NEWSCRAWL_MONITOR_MIN_ITEMS": "SPIDERMON_MIN_ITEMS",
    "NEWSCRAWL_MONITOR_COVERAGE": "SPIDERMON_FIELD_COVERAGE_RULES",
    "NEWSCRAWL_MONITOR_MAX_ERRORS": "SPIDERMON_MAX_ERRORS",
}


def coverage_rules(fields: dict[str, Any]) -> dict[str, float]:
    """``{"title": 1.0}`` -> spidermon's ``{"dict/title": 1.0}`` (items are exported as dicts)."""
    return {(k if "/" in k else f"dict/{k}"): float(v) for k, v in fields.items()}


class MonitorSettingsAddon:
    """Map the ``NEWSCRAWL_MONITOR_*`` names onto spidermon's settings (see the module docstring)."""

    def update_settings(self, settings: BaseSettings) -> None:
        for old, new in RENAMED.items():
            priority = settings.getpriority(old)
            if priority is None:
                continue
            if (settings.getpriority(new) or -1) > priority:
                continue  # the spidermon name was given more specifically
            value: Any
            if new == "SPIDERMON_FIELD_COVERAGE_RULES":
                value = coverage_rules(settings.getdict(old))
            elif new == "SPIDERMON_EXPECTED_FINISH_REASONS":
                value = settings.getlist(old)
            else:
                value = settings.getint(old)
            settings.set(new, value, priority=priority)


# ----------------------------------------------------------------------------- logging


def failure_reason(error: str | None) -> str | None:
    """The message of a failed check from unittest's formatted traceback, on one line."""
    if not error:
        return None
    text = error.strip()
    if "AssertionError: " in text:
        text = text.rsplit("AssertionError: ", 1)[1]
    elif "Traceback (most recent call last)" in text:
        text = text.splitlines()[-1]
    return "; ".join(line.strip() for line in text.splitlines() if line.strip()) or None


_FAILURE_BLOCK = re.compile(
    r"^\[Spidermon\]\s*\n=+\n(?P<status>[A-Z]+): (?P<name>[^\n]*)\n-+\n(?P<error>.*)$", re.S
)


class OneLineFailures(logging.Filter):
    """Rewrites spidermon's multi-line failure block (with a traceback) to one line."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno >= logging.ERROR and isinstance(record.msg, str):
            found = _FAILURE_BLOCK.match(record.getMessage())
            if found:
                reason = failure_reason(found["error"])
                record.msg = f"[Spidermon] {found['status']}: {found['name']}: {reason}"
                record.args = ()
        return True


ONE_LINE_FAILURES = OneLineFailures()

# ----------------------------------------------------------------------------- monitors


class _Monitor(Monitor):  # type: ignore[misc]
    longMessage = False

    @property
    def stats(self) -> dict[str, Any]:
        return dict(self.data.stats)

    @property
    def settings(self) -> BaseSettings:
        settings: BaseSettings = self.data.crawler.settings
        return settings

    @property
    def items(self) -> int:
        return int(self.stats.get("item_scraped_count", 0))


@monitors.name("Validation")
class ValidationMonitor(_Monitor):
    """Validation"""

    def test_validation_drops(self) -> None:
        """items that break the Article contract"""
        invalid = {k: int(v) for k, v in self.stats.items() if k.startswith("newscrawl/invalid/")}
        maximum = self.settings.getint("NEWSCRAWL_MONITOR_MAX_INVALID")
        self.assertLessEqual(
            sum(invalid.values()),
            maximum,
            f"validation errors { {k.rsplit('/', 1)[1]: v for k, v in invalid.items()} } (allowed {maximum});"
            " see rejected/",
        )


@monitors.name("Layout drift")
class DriftMonitor(_Monitor):
    """Layout drift"""

    def test_generic_body_share(self) -> None:
        """bodies from the generic fallback, not the source's selectors"""
        if not self.items:
            self.skipTest("no items")
        generic = int(self.stats.get("newscrawl/layer/body/generic", 0))
        share = generic / self.items
        maximum = self.settings.getfloat("NEWSCRAWL_MONITOR_MAX_GENERIC_SHARE")
        self.assertLessEqual(
            share, maximum,
            f"{generic}/{self.items} bodies ({share:.0%}) from the generic layer, allowed {maximum:.0%}:"
            " the site's layout probably changed; update the parser's selectors",
        )  # fmt: skip


@monitors.name("Feed export")
class FeedExportMonitor(_Monitor):
    """Feed export"""

    stat_name = "newscrawl/export/failed"  # the report's "check"

    def test_feeds_stored(self) -> None:
        """every feed written and stored (uploads at the end of the run included)"""
        feeds = list(self.stats.get(report.FAILED_FEEDS) or [])
        failed = max(int(self.stats.get("newscrawl/export/failed", 0)), len(feeds))
        reason = "; ".join(report.failure_line(f) for f in feeds) or f"{failed} feeds failed; see the log"
        self.assertEqual(failed, 0, reason)


class ItemCount(ItemCountMonitor):  # type: ignore[misc]
    """Items exported, plus articles the seen-store already exported, >= SPIDERMON_MIN_ITEMS."""

    def get_threshold(self) -> float:
        minimum = float(self.crawler.settings.getfloat("SPIDERMON_MIN_ITEMS"))
        known = sum(int(self.stats.get(f"newscrawl/seen/{k}", 0)) for k in ("skipped", "unchanged"))
        return minimum - known

    @property
    def fail_if_stat_missing(self) -> bool:  # no item_scraped_count = 0 items
        return self.get_threshold() > 0


@monitors.name("Spider exceptions")
class SpiderExceptionsMonitor(BaseStatMonitor):  # type: ignore[misc]
    """Exceptions raised by spider callbacks (Scrapy's ``spider_exceptions/count``)."""

    stat_name = "spider_exceptions/count"
    threshold_setting = "NEWSCRAWL_MONITOR_MAX_EXCEPTIONS"
    assert_type = "<="
    fail_if_stat_missing = False


# the report's name for each monitor (history, schedulers and docs use these)
LABELS: dict[type, str] = {
    FinishReasonMonitor: "Finish reason",
    ItemCountMonitor: "Item count",
    FieldCoverageMonitor: "Field coverage",
    ErrorCountMonitor: "Errors",
    SpiderExceptionsMonitor: "Errors",
    ValidationMonitor: "Validation",
    DriftMonitor: "Layout drift",
    FeedExportMonitor: "Feed export",
}


def label(monitor: Any) -> str:
    """The report's name of a monitor instance (its class's label, else its description)."""
    for cls in type(monitor).__mro__:
        if cls in LABELS:
            return LABELS[cls]
    return str(monitor.monitor_description).strip().split("\n")[0]


# ----------------------------------------------------------------------------- report


class WriteReport(Action):  # type: ignore[misc]
    """Write ``reports/<spider>/<timestamp>.json|.md`` and count monitor results in the stats."""

    def run_action(self) -> None:
        crawler = self.data.crawler
        spider = self.data.spider
        results = [
            {
                "monitor": label(item.item),
                "check": getattr(item.item, "stat_name", None) or item.item.method_name,
                "status": item.status,
                "reason": failure_reason(item.reason) or failure_reason(item.error),
            }
            for item in self.result.monitor_results
        ]
        built = report.build(
            self.data.stats,
            results,
            spider=spider.name,
            job=getattr(spider, "_job", None),
            replay=bool(crawler.settings.get("NEWSCRAWL_REPLAY")),
        )
        path = report.write(built, crawler.settings.get("NEWSCRAWL_DATA_DIR"))
        failed = built["monitors"]["failed"]
        if crawler.stats:
            crawler.stats.set_value("newscrawl/monitors/failed", len(failed))
            crawler.stats.set_value("newscrawl/monitors/passed", len(results) - len(failed))
            crawler.stats.set_value("newscrawl/report", str(path))
        if failed:
            spider.logger.warning("Monitors FAILED (%s); report %s", ", ".join(failed), path)
        else:
            spider.logger.info("Monitors passed; report %s", path)


class SpiderCloseMonitorSuite(SpidermonCloseSuite):  # type: ignore[misc]
    """spidermon's close suite class (``SPIDERMON_MONITOR_SKIPPING_RULES`` apply), newscrawl's monitors."""

    monitors = [  # noqa: RUF012 - spidermon reads class attributes
        FinishReasonMonitor,
        ItemCount,
        FieldCoverageMonitor,
        ValidationMonitor,
        DriftMonitor,
        FeedExportMonitor,
        ErrorCountMonitor,
        SpiderExceptionsMonitor,
    ]
    monitors_finished_actions = [WriteReport]  # noqa: RUF012

    def __init__(self, *args: Any, crawler: Crawler | None = None, **kwargs: Any) -> None:
        super().__init__(*args, crawler=crawler, **kwargs)
        if crawler is not None and crawler.spidercls is not None:
            logging.getLogger(crawler.spidercls.name).addFilter(ONE_LINE_FAILURES)


class Spidermon(SpidermonExtension):  # type: ignore[misc]
    """spidermon's extension, its close suites run once Scrapy stored the feeds (``AfterFeeds``)."""

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        ext: Self = super().from_crawler(crawler)
        ext.feeds = AfterFeeds.of(crawler)  # connected now, before the spider closes
        return ext

    def spider_closed(self, spider: Any) -> None:
        self.feeds.call(partial(super().spider_closed, spider))
