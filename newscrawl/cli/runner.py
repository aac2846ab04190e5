"""Run project spiders in this process, for the ``newscrawl`` subcommands.

``project_settings(**overrides)`` is ``newscrawl.settings`` with the overrides at
command-line priority (above spiders' ``custom_settings``, as ``-s`` would be), so it
works from any directory, without ``scrapy.cfg``. ``run(settings, jobs)`` runs the
jobs — ``(spider name, spider arguments)`` — side by side in one
``AsyncCrawlerProcess`` and returns, per job, the items it scraped and its final
stats. A process can start crawls once: call ``run`` once per process.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from scrapy import signals
from scrapy.crawler import AsyncCrawlerProcess, Crawler
from scrapy.settings import Settings


@dataclass
class Outcome:
    spider: str
    items: list[dict[str, Any]] = field(default_factory=list)
    stats: dict[str, Any] = field(default_factory=dict)

    def stat(self, key: str) -> int:
        return int(self.stats.get(key, 0) or 0)

    def counts(self, prefix: str) -> dict[str, int]:
        """``newscrawl/<prefix>...`` stats, keyed by what follows the prefix."""
        full = f"newscrawl/{prefix}"
        return {k.removeprefix(full): int(v) for k, v in sorted(self.stats.items()) if k.startswith(full)}


def project_settings(**overrides: Any) -> Settings:
    settings = Settings()
    settings.setmodule("newscrawl.settings", priority="project")
    for name, value in overrides.items():
        settings.set(name, value, priority="cmdline")
    return settings


class _Recorder:
    def __init__(self, outcome: Outcome) -> None:
        self.outcome = outcome

    def item_scraped(self, item: Any) -> None:
        self.outcome.items.append(dict(item))


def run(settings: Settings, jobs: Sequence[tuple[str, dict[str, Any]]]) -> list[Outcome]:
    process = AsyncCrawlerProcess(settings)
    runs: list[tuple[Outcome, _Recorder, Crawler]] = []
    for name, kwargs in jobs:
        outcome = Outcome(name)
        recorder = _Recorder(outcome)  # kept referenced: signal receivers are weak references
        crawler = process.create_crawler(name)
        crawler.signals.connect(recorder.item_scraped, signal=signals.item_scraped)
        process.crawl(crawler, **kwargs)
        runs.append((outcome, recorder, crawler))
    process.start()
    for outcome, _, crawler in runs:  # final stats, finish_reason included
        outcome.stats = dict(crawler.stats.get_stats()) if crawler.stats else {}
    return [outcome for outcome, _, _ in runs]
