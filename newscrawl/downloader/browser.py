"""The browser side of rendering: Chromium through scrapy-playwright (see ``rendering``).

Imported only when a crawl renders: ``newscrawl.downloader.rendering`` (what spiders and
``ChallengeMiddleware`` import on every crawl) imports neither scrapy-playwright nor
Playwright, and hands out these classes under its own name on first use, so the settings
paths ``newscrawl.downloader.rendering.LazyBrowserProvider`` (``PLAYWRIGHT_BROWSER_PROVIDER``),
``...rendering.RenderingDownloadHandler`` and ``...rendering.ReplayRenderingDownloadHandler``
(``DOWNLOAD_HANDLERS``, set by ``NewscrawlAddon`` when ``NEWSCRAWL_RENDER`` is on) load them
from here. Replay of browser requests: see the ``rendering`` module docstring.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import logging
import mimetypes
import time
from collections.abc import Callable
from typing import Any

from playwright.async_api import Browser, BrowserContext, Page, Route
from playwright.async_api import Request as PlaywrightRequest
from scrapy import Request
from scrapy.core.downloader.handlers.base import BaseDownloadHandler
from scrapy.crawler import Crawler
from scrapy.exceptions import DownloadFailedError, DownloadTimeoutError
from scrapy.http import Response
from scrapy.utils.misc import load_object
from scrapy_playwright.handler import Config, ScrapyPlaywrightDownloadHandler
from scrapy_playwright.provider import PlaywrightBrowserProvider

from newscrawl.downloader.replay import ReplayDownloadHandler

logger = logging.getLogger(__name__)

DEAD_PROXY = "http://127.0.0.1:9"  # discard port: nothing listens, nothing leaves


# --- download handlers ----------------------------------------------------
class LazyBrowserProvider(PlaywrightBrowserProvider):  # type: ignore[misc]
    """scrapy-playwright's default browser provider, starting the Playwright driver on first use.

    Set as ``PLAYWRIGHT_BROWSER_PROVIDER`` (settings.py). scrapy-playwright calls
    ``start()`` at ``engine_started``; here that does nothing, and the driver starts
    when the first page needs a browser, so a crawl that never renders starts
    neither the driver nor Chromium.
    """

    def __init__(self, config: Config) -> None:
        super().__init__(config)
        self.start_lock = asyncio.Lock()
        self.started = False

    async def start(self) -> None:
        """Deferred to the first ``launch_browser``/``launch_persistent_context``."""

    async def ensure_started(self) -> None:
        async with self.start_lock:
            if not self.started:
                await super().start()
                self.started = True
                logger.info("Playwright driver started (first rendering request)")

    async def launch_browser(self) -> Browser:
        await self.ensure_started()
        browser: Browser = await super().launch_browser()
        return browser

    async def launch_persistent_context(self, context_kwargs: dict[str, Any]) -> BrowserContext:
        await self.ensure_started()
        context: BrowserContext = await super().launch_persistent_context(context_kwargs)
        return context


class RenderingDownloadHandler(BaseDownloadHandler):
    """http(s): scrapy-playwright's stock handler, counting what it renders.

    Every request goes to ``ScrapyPlaywrightDownloadHandler``: ``meta["playwright"]``
    requests through the browser (all ``PLAYWRIGHT_*`` settings apply: header
    processing, ``PLAYWRIGHT_ABORT_REQUEST``, method and body), the others through
    its plain Scrapy HTTP handler.
    """

    lazy = False  # scrapy-playwright connects to engine_started when it is built

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        self.browser = ScrapyPlaywrightDownloadHandler.from_crawler(crawler)

    async def download_request(self, request: Request) -> Response:
        if not request.meta.get("playwright"):
            return await self.plain(request)
        stats = self.crawler.stats
        assert stats is not None
        started = time.monotonic()
        try:
            response: Response = await self.browser.download_request(request)
        except Exception:
            stats.inc_value("newscrawl/render/failed")
            raise
        elapsed = round(time.monotonic() - started, 3)
        stats.inc_value("newscrawl/rendered")
        stats.inc_value(f"newscrawl/rendered/{getattr(self.crawler.spider, 'name', 'unknown')}")
        stats.max_value("newscrawl/render/seconds_max", elapsed)
        total = stats.get_value("newscrawl/render/seconds_total", 0.0)
        stats.set_value("newscrawl/render/seconds_total", round(total + elapsed, 3))
        logger.debug("Rendered %s in %.2fs", request.url, elapsed)
        return response

    async def plain(self, request: Request) -> Response:
        response: Response = await self.browser.download_request(request)
        return response

    async def close(self) -> None:
        await self.browser.close()


class ReplayRenderingDownloadHandler(RenderingDownloadHandler):
    """Replay for plain and browser requests; see the module docstring.

    Browser requests still go through the stock handler; a page init callback
    (``meta["playwright_page_init_callback"]``, chained before the spider's own)
    routes every request of the page with Playwright's ``page.route`` to the
    snapshot, and the browser context gets a dead proxy
    (``meta["playwright_context_kwargs"]``) and no service workers.
    """

    def __init__(self, crawler: Crawler) -> None:
        self.replay = ReplayDownloadHandler(crawler)  # NotConfigured without NEWSCRAWL_REPLAY
        super().__init__(crawler)
        abort = crawler.settings.get("PLAYWRIGHT_ABORT_REQUEST")
        self.abort_request: Callable[[PlaywrightRequest], Any] | None = load_object(abort) if abort else None

    async def plain(self, request: Request) -> Response:
        return await self.replay.download_request(request)

    async def download_request(self, request: Request) -> Response:
        if not request.meta.get("playwright"):
            return await self.plain(request)
        entry = self.replay.snapshot.lookup(request.url)
        if entry is not None and entry.fault:
            self.replay.answer(request.url, browser=True)  # raises the replayed fault
        meta = request.meta
        kwargs = dict(meta.get("playwright_context_kwargs") or {})
        kwargs.setdefault("proxy", {"server": DEAD_PROXY, "bypass": "<-loopback>"})
        kwargs.setdefault("service_workers", "block")
        meta["playwright_context_kwargs"] = kwargs
        own = meta.get("playwright_page_init_callback")
        # only while this handler runs: a retried copy of the request must stay picklable
        meta["playwright_page_init_callback"] = functools.partial(self.route_to_snapshot, then=own)
        try:
            return await super().download_request(request)
        finally:
            if own is None:
                meta.pop("playwright_page_init_callback", None)
            else:
                meta["playwright_page_init_callback"] = own

    async def route_to_snapshot(self, page: Page, request: Request, *, then: Any = None) -> None:
        """Page init callback: the snapshot answers every request of ``page``."""
        # routes run newest first: this one answers before scrapy-playwright's (which continues
        # to the network); it hands over (fallback) only what PLAYWRIGHT_ABORT_REQUEST aborts
        await page.route("**", self.fulfil)
        if then is not None:
            await load_object(then)(page, request)

    async def fulfil(self, route: Route, pw_request: PlaywrightRequest) -> None:
        url = pw_request.url
        if self.abort_request is not None:
            verdict = self.abort_request(pw_request)
            if await verdict if inspect.isawaitable(verdict) else verdict:
                await route.fallback()  # scrapy-playwright's own handler aborts and counts it
                return
        entry = self.replay.snapshot.lookup(url)
        if entry is not None and entry.delay_ms:
            await asyncio.sleep(entry.delay_ms / 1000)
        try:
            status, headers, body = self.replay.answer(url, browser=True)
        except DownloadTimeoutError:
            await route.abort("timedout")
            return
        except DownloadFailedError:
            await route.abort("connectionreset")
            return
        if status == 404 and entry is None:
            logger.debug("Replay (browser): unlisted %s (%s)", url, pw_request.resource_type)
        await route.fulfill(status=status, headers=_browser_headers(headers, entry), body=body)


def _browser_headers(headers: dict[str, str], entry: Any) -> dict[str, str]:
    drop = {"content-length", "content-encoding", "transfer-encoding"}
    out = {k: v for k, v in headers.items() if k.lower() not in drop}
    if not any(k.lower() == "content-type" for k in out) and entry is not None:
        path = entry.browser_body or entry.body
        guessed = mimetypes.guess_type(path.name)[0] if path else None
        if guessed:
            out["Content-Type"] = guessed
    return out
