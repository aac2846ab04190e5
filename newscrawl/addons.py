"""NewscrawlAddon: settings derived from other settings, after ``-s`` is applied.

- ``NEWSCRAWL_REPLAY`` set: http(s) go to ``newscrawl.replay.ReplayDownloadHandler``,
  politeness delays and AutoThrottle are off (robots.txt is still read, from the snapshot).
- ``FEEDS``: unless the user gave ``-o/-O``/``FEEDS`` or ``NEWSCRAWL_FEEDS=False``,
  every crawl writes ``<NEWSCRAWL_DATA_DIR>/<spider>/<timestamp>.jsonl``.
"""

from __future__ import annotations

from pathlib import Path

from scrapy.settings import BaseSettings

REPLAY_HANDLER = "newscrawl.replay.ReplayDownloadHandler"


class NewscrawlAddon:
    def update_settings(self, settings: BaseSettings) -> None:
        if settings.get("NEWSCRAWL_REPLAY"):
            handlers = {"http": REPLAY_HANDLER, "https": REPLAY_HANDLER}
            settings.set("DOWNLOAD_HANDLERS", handlers, priority="addon")
            # above settings.py's politeness, below -s on the command line
            settings.set("DOWNLOAD_DELAY", 0, priority="spider")
            settings.set("AUTOTHROTTLE_ENABLED", False, priority="spider")
        if settings.getbool("NEWSCRAWL_FEEDS") and not settings.getdict("FEEDS"):
            root = Path(settings.get("NEWSCRAWL_DATA_DIR") or "data")
            feed = {"format": "jsonlines", "encoding": "utf-8", "store_empty": False}
            uri = str(root.absolute() / "%(name)s" / "%(time)s.jsonl")
            settings.set("FEEDS", {uri: feed}, priority="addon")
