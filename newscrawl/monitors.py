"""Spidermon monitors run when a spider closes, and the run report they feed.

``SpiderCloseMonitorSuite`` (enabled in settings: ``SPIDERMON_SPIDER_CLOSE_MONITORS``)
checks, with thresholds from ``NEWSCRAWL_MONITOR_*`` settings (a spider may
override any of them in ``custom_settings``):

- ``Finish reason``    ``finish_reason`` in ``NEWSCRAWL_MONITOR_FINISH_REASONS``
- ``Item count``       items + articles the seen-store already had (``newscrawl/seen/skipped``,
                       ``newscrawl/seen/unchanged``) >= ``NEWSCRAWL_MONITOR_MIN_ITEMS``
- ``Field coverage``   share of items with a non-empty field >= ``NEWSCRAWL_MONITOR_COVERAGE[field]``
- ``Validation``       validation errors (``newscrawl/invalid/*``) <= ``NEWSCRAWL_MONITOR_MAX_INVALID``
- ``Layout drift``     share of items whose body came from the ``generic`` layer
                       <= ``NEWSCRAWL_MONITOR_MAX_GENERIC_SHARE`` (selectors stopped matching)
- ``Errors``           ERROR log lines <= ``NEWSCRAWL_MONITOR_MAX_ERRORS``; unhandled
                       spider exceptions <= ``NEWSCRAWL_MONITOR_MAX_EXCEPTIONS``

``WriteReport`` then writes the run report (``newscrawl.report``) and records
``newscrawl/monitors/passed|failed`` in the stats.

Spidermon 1.27 on Scrapy 2.19: it works, except that its result logger calls
the deprecated ``Spider.log()`` (a ``ScrapyDeprecationWarning`` per line). The
``Spidermon`` extension here is spidermon's own with a runner that logs through
``spider.logger`` instead; enable it in place of
``spidermon.contrib.scrapy.extensions.Spidermon``.
"""

from __future__ import annotations

import logging
from typing import Any

from scrapy import Spider
from scrapy.settings import BaseSettings
from spidermon import Monitor, MonitorSuite
from spidermon.contrib.scrapy.extensions import Spidermon as _Spidermon
from spidermon.contrib.scrapy.runners import SpiderMonitorResult, SpiderMonitorRunner
from spidermon.core.actions import Action

from newscrawl import report

# ----------------------------------------------------------------------------- shim


class _LoggerResult(SpiderMonitorResult):  # type: ignore[misc]
    def log(self, msg: str, level: int = logging.DEBUG) -> None:
        self.spider.logger.log(level, f"[Spidermon] {msg}")

    def write_errors(self) -> None:
        """A failed check is one line with its reason; only a crashed monitor logs a traceback."""
        for status in self.step.error_statuses:
            for item in self.step.items_for_status(status):
                detail = item.reason if item.reason else item.error
                self.log(f"{item.status}: {item.item.name}: {detail}", level=logging.ERROR)


class _LoggerRunner(SpiderMonitorRunner):  # type: ignore[misc]
    def create_result(self) -> _LoggerResult:
        return _LoggerResult(self.spider)


class Spidermon(_Spidermon):  # type: ignore[misc]
    """spidermon's extension, logging through ``spider.logger`` (no Spider.log deprecation)."""

    def _run_suites(self, spider: Spider, suites: list[Any]) -> None:
        data = self._generate_data_for_spider(spider)
        for suite in suites:
            _LoggerRunner(spider=spider).run(suite, **data)


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

    def total(self, prefix: str) -> dict[str, int]:
        return {k[len(prefix) :]: int(v) for k, v in self.stats.items() if k.startswith(prefix)}


class FinishReasonMonitor(_Monitor):
    """Finish reason"""

    def test_finish_reason(self) -> None:
        """the crawl ended for an expected reason"""
        reason = self.stats.get("finish_reason")
        expected = self.settings.getlist("NEWSCRAWL_MONITOR_FINISH_REASONS")
        self.assertIn(reason, expected, f"finish reason {reason!r}, expected one of {expected}")


class ItemCountMonitor(_Monitor):
    """Item count"""

    def test_minimum_items(self) -> None:
        """enough articles found: exported, or already exported by an earlier run (seen-store)"""
        minimum = self.settings.getint("NEWSCRAWL_MONITOR_MIN_ITEMS")
        known = sum(int(self.stats.get(f"newscrawl/seen/{k}", 0)) for k in ("skipped", "unchanged"))
        self.assertGreaterEqual(
            self.items + known, minimum,
            f"{self.items} items (+{known} already exported), expected at least {minimum}",
        )  # fmt: skip


class FieldCoverageMonitor(_Monitor):
    """Field coverage"""

    def test_field_coverage(self) -> None:
        """required fields are present in enough items"""
        if not self.items:
            self.skipTest("no items")
        rules = {k: float(v) for k, v in self.settings.getdict("NEWSCRAWL_MONITOR_COVERAGE").items()}
        found = report.coverage(self.stats, list(rules))
        low = [f"{f} {found[f]:.0%} < {minimum:.0%}" for f, minimum in rules.items() if found[f] < minimum]
        self.assertFalse(low, "coverage below threshold: " + "; ".join(low))


class ValidationMonitor(_Monitor):
    """Validation"""

    def test_validation_drops(self) -> None:
        """items that break the Article contract"""
        invalid = self.total("newscrawl/invalid/")
        maximum = self.settings.getint("NEWSCRAWL_MONITOR_MAX_INVALID")
        self.assertLessEqual(
            sum(invalid.values()), maximum, f"validation errors {invalid} (allowed {maximum}); see rejected/"
        )


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


class ErrorMonitor(_Monitor):
    """Errors"""

    def test_error_log_lines(self) -> None:
        """ERROR log lines (retry give-ups, parse errors, crashes)"""
        errors = int(self.stats.get("log_count/ERROR", 0))
        maximum = self.settings.getint("NEWSCRAWL_MONITOR_MAX_ERRORS")
        self.assertLessEqual(errors, maximum, f"{errors} ERROR log lines, allowed {maximum}")

    def test_unhandled_exceptions(self) -> None:
        """exceptions raised by spider callbacks"""
        raised = self.total("spider_exceptions/")
        maximum = self.settings.getint("NEWSCRAWL_MONITOR_MAX_EXCEPTIONS")
        self.assertLessEqual(sum(raised.values()), maximum, f"unhandled exceptions {raised}")


# ----------------------------------------------------------------------------- report


class WriteReport(Action):  # type: ignore[misc]
    """Write ``reports/<spider>/<timestamp>.json|.md`` and count monitor results in the stats."""

    def run_action(self) -> None:
        crawler = self.data.crawler
        spider = self.data.spider
        results = [
            {
                "monitor": str(item.item.monitor_description).strip().split("\n")[0],
                "check": item.item.method_name,
                "status": item.status,
                "reason": item.reason or (item.error.strip().splitlines()[-1] if item.error else None),
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


class SpiderCloseMonitorSuite(MonitorSuite):  # type: ignore[misc]
    monitors = [  # noqa: RUF012 - spidermon reads class attributes
        FinishReasonMonitor,
        ItemCountMonitor,
        FieldCoverageMonitor,
        ValidationMonitor,
        DriftMonitor,
        ErrorMonitor,
    ]
    monitors_finished_actions = [WriteReport]  # noqa: RUF012
