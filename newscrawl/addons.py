"""NewscrawlAddon: settings derived from other settings, after ``-s`` is applied.

- ``NEWSCRAWL_REPLAY`` set: http(s) go to ``newscrawl.downloader.replay.ReplayDownloadHandler``,
  politeness delays and AutoThrottle are off (robots.txt is still read, from the snapshot).
- ``NEWSCRAWL_RENDER`` on: http(s) go to ``newscrawl.downloader.rendering.RenderingDownloadHandler``
  (scrapy-playwright, started lazily) or, with replay, ``ReplayRenderingDownloadHandler``.
  ``newscrawl.downloader.rendering.ChallengeMiddleware`` is always enabled (it counts challenges
  as blocked when rendering is off); ``DOWNLOADER_MIDDLEWARES`` may set it to None.
- ``FEEDS``: unless the user gave ``-o/-O``/``FEEDS`` or ``NEWSCRAWL_FEEDS=False``,
  every crawl writes ``<NEWSCRAWL_DATA_DIR>/<spider>/<timestamp>.jsonl``.
- ``REDIS_URL`` set: distributed mode, see ``newscrawl.storage.distributed.apply``.
"""

from __future__ import annotations

from pathlib import Path

from scrapy.settings import BaseSettings
from scrapy.utils.misc import load_object

REPLAY_HANDLER = "newscrawl.downloader.replay.ReplayDownloadHandler"
RENDER_HANDLER = "newscrawl.downloader.rendering.RenderingDownloadHandler"
REPLAY_RENDER_HANDLER = "newscrawl.downloader.rendering.ReplayRenderingDownloadHandler"
# process_response before RetryMiddleware (550) and the faults middlewares (560/570),
# after HttpCompressionMiddleware (590) has decoded the body.
CHALLENGE_MIDDLEWARE = ("newscrawl.downloader.rendering.ChallengeMiddleware", 580)


class NewscrawlAddon:
    def update_settings(self, settings: BaseSettings) -> None:
        if settings.get("NEWSCRAWL_REPLAY"):
            handlers = {"http": REPLAY_HANDLER, "https": REPLAY_HANDLER}
            settings.set("DOWNLOAD_HANDLERS", handlers, priority="addon")
            # above settings.py's politeness, below -s on the command line
            settings.set("DOWNLOAD_DELAY", 0, priority="spider")
            settings.set("AUTOTHROTTLE_ENABLED", False, priority="spider")
        if settings.getbool("NEWSCRAWL_RENDER"):
            handler = REPLAY_RENDER_HANDLER if settings.get("NEWSCRAWL_REPLAY") else RENDER_HANDLER
            settings.set("DOWNLOAD_HANDLERS", {"http": handler, "https": handler}, priority="addon")
        path, order = CHALLENGE_MIDDLEWARE
        settings.setdefault_in_component_priority_dict("DOWNLOADER_MIDDLEWARES", load_object(path), order)
        if settings.getbool("NEWSCRAWL_FEEDS") and not settings.getdict("FEEDS"):
            root = Path(settings.get("NEWSCRAWL_DATA_DIR") or "data")
            feed = {"format": "jsonlines", "encoding": "utf-8", "store_empty": False}
            uri = str(root.absolute() / "%(name)s" / "%(time)s.jsonl")
            settings.set("FEEDS", {uri: feed}, priority="addon")
        if settings.get("REDIS_URL"):  # shared scheduler, dupefilter, seen-store (imports redis)
            from newscrawl.storage import distributed

            distributed.apply(settings)
