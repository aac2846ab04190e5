"""What a crawl's end is judged on: its feeds stored (``AfterFeeds``), its final stats (``StatsFile``).

``AfterFeeds`` (one per crawler, ``AfterFeeds.of(crawler)``): Scrapy stores the feeds
(uploads to FTP/S3, closes compressed files) *after* the spider closed, on tasks it
starts from its own ``spider_closed`` handler, and sends ``feed_exporter_closed`` when
every slot is done. What is judged at the end of a run (spidermon's close monitors and
the run report, ``newscrawl.operations.monitors.Spidermon``; the stats file) waits for
that signal through ``AfterFeeds.call``, so a store that fails at close is in the
verdict. Before the callbacks run it records, from the public ``feed_slot_closed``
signal, the feeds that could not be stored:

- ``newscrawl/export/failed_feeds``: ``[{"uri": <redacted URI>, "items": n}]`` (``[]`` when
  every feed was stored); ``items`` is the slot's item count, all of them not written there
- ``newscrawl/export/failed``: at least the number of those feeds (the seen-state counts
  the failures it sees itself, during the run too)

A slot is failed when its ``DurableFeedStorage`` (the seen-store's wrapper,
``newscrawl.storage.incremental``) says so; with ``NEWSCRAWL_STATE=off`` (no wrapper) by
Scrapy's ``feedexport/failed_count/<storage class>``: all slots of that class when the
count equals their number, else ``"k of <uris>"`` with no item count. Without Scrapy's
``FeedExporter`` (no ``FEEDS``) nothing waits. Should ``feed_exporter_closed`` never
come (the exporter crashed), the waiting callbacks run at ``engine_stopped``.

``StatsFile``: write the crawl's final stats as JSON to ``NEWSCRAWL_STATS_FILE`` once the
feeds are stored (after the monitors, whose results it includes). Off unless the setting
is given. Used by the demo summary, the tests and the benchmark to read a finished
crawl's counters without parsing logs. Values are written through
``newscrawl.operations.redact`` (no credentials in the file).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar, Self
from weakref import WeakKeyDictionary

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.extensions.feedexport import FeedExporter

from newscrawl.operations.redact import redact, redact_value
from newscrawl.operations.report import FAILED_FEEDS
from newscrawl.storage.incremental import DurableFeedStorage

logger = logging.getLogger(__name__)


class AfterFeeds:
    """Runs end-of-crawl callbacks once Scrapy's feed exporter has stored every feed."""

    _instances: ClassVar[WeakKeyDictionary[Crawler, AfterFeeds]] = WeakKeyDictionary()

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.closed = False  # feed_exporter_closed was sent
        self.slots: list[tuple[Any, str, int]] = []  # (storage, uri, items) per closed slot, batches too
        self.waiting: list[Callable[[], None]] = []
        crawler.signals.connect(self.slot_closed, signal=signals.feed_slot_closed)
        crawler.signals.connect(self.exporter_closed, signal=signals.feed_exporter_closed)
        crawler.signals.connect(self.engine_stopped, signal=signals.engine_stopped)

    @classmethod
    def of(cls, crawler: Crawler) -> AfterFeeds:
        if crawler not in cls._instances:
            cls._instances[crawler] = cls(crawler)
        return cls._instances[crawler]

    def call(self, callback: Callable[[], None]) -> None:
        """``callback()`` now if the feeds are stored (or there are none), else once they are."""
        if self.closed or self.crawler.get_extension(FeedExporter) is None:
            callback()
        else:
            self.waiting.append(callback)

    def slot_closed(self, slot: Any) -> None:
        self.slots.append((slot.storage, slot.uri, slot.itemcount))  # not the slot: it holds the exporter

    def failed_feeds(self) -> list[dict[str, Any]]:
        """The feeds whose store failed (see the module docstring)."""
        stats = self.crawler.stats
        failed: list[dict[str, Any]] = []
        unwrapped: dict[str, list[tuple[str, int]]] = {}
        for storage, uri, items in self.slots:
            if isinstance(storage, DurableFeedStorage):
                if storage.failed:
                    failed.append({"uri": redact(uri), "items": items})
            else:
                unwrapped.setdefault(type(storage).__name__, []).append((uri, items))
        for name, slots in unwrapped.items():
            count = int((stats.get_value(f"feedexport/failed_count/{name}") if stats else 0) or 0)
            if count >= len(slots):
                failed += [{"uri": redact(uri), "items": items} for uri, items in slots]
            elif count:
                uris = ", ".join(redact(uri) for uri, _ in slots)
                failed.append({"uri": f"{count} of {uris}", "items": None})
        return failed

    def exporter_closed(self) -> None:
        self.closed = True
        failed = self.failed_feeds()
        if self.crawler.stats:
            self.crawler.stats.set_value(FAILED_FEEDS, failed)
            if failed:
                self.crawler.stats.max_value("newscrawl/export/failed", len(failed))
        self._run_waiting()

    def engine_stopped(self) -> None:
        if self.waiting:
            logger.warning("The feed exporter never reported its feeds stored; judging the run without it")
            self._run_waiting()

    def _run_waiting(self) -> None:
        waiting, self.waiting = self.waiting, []
        for callback in waiting:
            try:
                callback()
            except Exception:
                logger.exception("Error in an end-of-crawl callback %r", callback)


class StatsFile:
    def __init__(self, crawler: Crawler, path: Path) -> None:
        self.crawler = crawler
        self.path = path
        self.feeds = AfterFeeds.of(crawler)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        path = crawler.settings.get("NEWSCRAWL_STATS_FILE")
        if not path:
            raise NotConfigured("NEWSCRAWL_STATS_FILE is not set")
        ext = cls(crawler, Path(path))
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        return ext

    def spider_closed(self, reason: str) -> None:
        self.feeds.call(lambda: self.write(reason))

    def write(self, reason: str) -> None:
        stats = dict(self.crawler.stats.get_stats()) if self.crawler.stats else {}
        stats["finish_reason"] = reason
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.write_text(
            json.dumps(redact_value(stats), default=lambda v: redact(str(v)), indent=1, sort_keys=True),
            "utf-8",
        )
