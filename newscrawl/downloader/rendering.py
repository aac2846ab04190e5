"""Rendering: fetch a page through Chromium (scrapy-playwright) when a request asks for it.

How a spider asks for rendering::

    from newscrawl.downloader.rendering import as_rendered, is_rendered, render_request

    yield render_request(url, callback=self.parse_article, wait_for="article h1")
    # re-fetch a page already seen through the browser (dont_filter=True):
    yield as_rendered(response.request, wait_for="article h1")
    # in a callback: was this response rendered?  (avoid re-render loops)
    if not is_rendered(response): ...

``wait_for`` is a CSS selector awaited (``state="attached"``) after the page
loads; without it the page is read after the ``load`` event. Rendered responses
carry ``"playwright"`` in ``response.flags`` and ``meta["newscrawl_render"]``.

Settings:

- ``NEWSCRAWL_RENDER`` (bool, default off, the daily8 spider turns it on; env var of the same name): http(s)
  go to ``RenderingDownloadHandler`` (live) or ``ReplayRenderingDownloadHandler``
  (replay). Both hand ``meta["playwright"]`` requests to scrapy-playwright's stock
  ``ScrapyPlaywrightDownloadHandler`` (every ``PLAYWRIGHT_*`` setting applies) and
  count them; plain requests are unaffected. ``PLAYWRIGHT_BROWSER_PROVIDER =
  LazyBrowserProvider`` (settings.py) starts the Playwright driver, and Chromium,
  only when the first rendering request needs a browser, so crawls that never
  render never start either. Off: rendering requests are dropped
  (``IgnoreRequest``) and counted under ``newscrawl/render/disabled``.
- ``NEWSCRAWL_CHROMIUM``: Chromium binary (default Debian's ``/usr/bin/chromium``),
  used by ``PLAYWRIGHT_LAUNCH_OPTIONS`` (headless, ``--no-sandbox`` so it runs as root).
- ``NEWSCRAWL_CHALLENGE_STATUSES`` (default 403, 429, 503) and
  ``NEWSCRAWL_CHALLENGE_MARKERS`` (case-insensitive substrings of the body; an
  empty list turns detection off): what ``ChallengeMiddleware`` calls a bot challenge.
  A ``cf-mitigated: challenge`` header also counts.

Stats: ``newscrawl/rendered``, ``newscrawl/rendered/<spider>``,
``newscrawl/render/failed``, ``newscrawl/render/seconds_max`` and ``.../seconds_total``
(wall time per page, launch included for the first); challenges:
``newscrawl/challenge/detected``, ``.../rendered`` (re-issued through the browser),
``.../solved`` (the rendered page no longer is a challenge), ``.../unsolved``,
``.../blocked`` (rendering is off: logged as a warning, never silent).

Challenges: ``ChallengeMiddleware`` (any spider) re-issues a challenged plain
request through the browser once. A spider may set ``render_wait_for`` (CSS) to
say what its rendered pages must contain. A rendered challenge URL whose final
page has no challenge markers is "solved": its response gets status 200 (the
browser navigated past the challenge document, whose status it still reports).

Replay (``NEWSCRAWL_REPLAY``): ``ReplayRenderingDownloadHandler`` answers plain
requests with ``ReplayDownloadHandler`` and renders browser requests in real
Chromium through the stock handler. A page init callback
(``meta["playwright_page_init_callback"]``, run before the spider's own, if any)
routes every browser request (document, scripts, images, XHR) with Playwright's
``page.route`` to the same snapshot (``browser_body`` when the manifest gives
one); unlisted URLs are answered 404 and counted (``newscrawl/replay/unlisted``).
Routes run newest first, so this one answers before scrapy-playwright's, except
for what ``PLAYWRIGHT_ABORT_REQUEST`` aborts (handed back to scrapy-playwright,
which aborts and counts it). ``delay_ms`` and ``fail_first`` apply to browser
requests too; a ``fault`` on the page itself raises the same Scrapy exception as
plain replay, on a sub-resource it aborts that request. The browser context
(``meta["playwright_context_kwargs"]``) also gets a dead proxy and no service
workers, so nothing it might try outside the route reaches the network.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import logging
import mimetypes
import time
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, Self

from playwright.async_api import Browser, BrowserContext, Page, Route
from playwright.async_api import Request as PlaywrightRequest
from scrapy import Request
from scrapy.core.downloader.handlers.base import BaseDownloadHandler
from scrapy.crawler import Crawler
from scrapy.exceptions import DownloadFailedError, DownloadTimeoutError, IgnoreRequest
from scrapy.http import Response
from scrapy.utils.misc import load_object
from scrapy_playwright.handler import Config, ScrapyPlaywrightDownloadHandler
from scrapy_playwright.page import PageMethod
from scrapy_playwright.provider import PlaywrightBrowserProvider

from newscrawl.downloader.replay import ReplayDownloadHandler
from newscrawl.stats import inc

if TYPE_CHECKING:
    from scrapy.settings import BaseSettings

logger = logging.getLogger(__name__)

RENDER_META = "newscrawl_render"
DEFAULT_WAIT_TIMEOUT_MS = 15_000
CHALLENGE_SCAN_BYTES = 65_536
DEAD_PROXY = "http://127.0.0.1:9"  # discard port: nothing listens, nothing leaves


# --- API for spiders ------------------------------------------------------
def as_rendered(
    request: Request,
    *,
    wait_for: str | None = None,
    timeout_ms: int = DEFAULT_WAIT_TIMEOUT_MS,
    callback: Callable[..., Any] | None = None,
    reason: str = "spider",
) -> Request:
    """A copy of ``request`` fetched through Chromium (``dont_filter=True``; meta kept)."""
    methods = []
    if wait_for:
        methods.append(PageMethod("wait_for_selector", wait_for, state="attached", timeout=timeout_ms))
    meta = {
        **request.meta,
        "playwright": True,
        "playwright_page_methods": methods,
        RENDER_META: {"wait_for": wait_for, "reason": reason},
    }
    changes: dict[str, Any] = {"meta": meta, "dont_filter": True}
    if callback is not None:
        changes["callback"] = callback
    rendered: Request = request.replace(**changes)
    return rendered


def render_request(
    target: Request | str,
    *,
    callback: Callable[..., Any] | None = None,
    wait_for: str | None = None,
    timeout_ms: int = DEFAULT_WAIT_TIMEOUT_MS,
    **kwargs: Any,
) -> Request:
    """A rendering request for a URL (other ``Request`` kwargs pass through) or a Request."""
    if isinstance(target, Request):
        return as_rendered(target, wait_for=wait_for, timeout_ms=timeout_ms, callback=callback)
    return as_rendered(Request(target, callback=callback, **kwargs), wait_for=wait_for, timeout_ms=timeout_ms)


def is_rendered(obj: Request | Response) -> bool:
    """True for a rendering request, or a response that came from the browser."""
    if isinstance(obj, Response):
        if "playwright" in obj.flags:
            return True
        try:
            obj = obj.request  # type: ignore[assignment]
        except AttributeError:
            return False
        if obj is None:
            return False
    return bool(obj.meta.get("playwright"))


def rendering_enabled(settings: BaseSettings | Crawler) -> bool:
    """Whether ``NEWSCRAWL_RENDER`` is on (pass ``self.crawler`` or settings)."""
    got: BaseSettings = settings.settings if isinstance(settings, Crawler) else settings
    return got.getbool("NEWSCRAWL_RENDER")


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


# --- challenges -----------------------------------------------------------
def challenge_marker(response: Response, markers: Iterable[str]) -> str | None:
    """The first challenge marker found in ``response`` (headers or body start), else None."""
    if (response.headers.get(b"cf-mitigated") or b"").lower() == b"challenge":
        return "cf-mitigated: challenge"
    head = response.body[:CHALLENGE_SCAN_BYTES].decode("utf-8", "replace").lower()
    for marker in markers:
        if marker and marker.lower() in head:
            return marker
    return None


class ChallengeMiddleware:
    """Re-fetch bot-challenge pages through the browser, or count them as blocked.

    Enabled for every spider by ``NewscrawlAddon`` (order 580: it sees a response
    before RetryMiddleware and the Retry-After middleware). A challenge it gives up
    on (blocked, or unsolved by the browser) gets ``dont_retry``: retrying would
    only meet it again. Also drops rendering requests when ``NEWSCRAWL_RENDER`` is off.
    """

    def __init__(self, crawler: Crawler) -> None:
        settings = crawler.settings
        self.crawler = crawler
        self.render = rendering_enabled(settings)
        statuses = settings.getlist("NEWSCRAWL_CHALLENGE_STATUSES")
        self.statuses = {int(s) for s in statuses}
        markers = settings.getlist("NEWSCRAWL_CHALLENGE_MARKERS")
        self.markers = [str(m) for m in markers if m]

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler)

    def _inc(self, key: str) -> None:
        inc(self.crawler, key)

    def process_request(self, request: Request) -> None:
        if not self.render and request.meta.get("playwright"):
            self._inc("render/disabled")
            logger.warning("Rendering is off (NEWSCRAWL_RENDER): not fetching %s", request.url)
            raise IgnoreRequest(f"rendering disabled: {request.url}")

    def process_response(self, request: Request, response: Response) -> Request | Response:
        if not self.markers or response.status not in self.statuses:
            return response
        marker = challenge_marker(response, self.markers)
        if is_rendered(request):
            if (request.meta.get(RENDER_META) or {}).get("reason") != "challenge":
                return response
            if marker:
                self._inc("challenge/unsolved")
                logger.warning("Challenge not solved by the browser on %s (%r)", request.url, marker)
                request.meta["dont_retry"] = True  # retrying (429/503) would meet it again
                return response
            self._inc("challenge/solved")
            return response.replace(status=200)
        if not marker:
            return response
        self._inc("challenge/detected")
        if not self.render:
            self._inc("challenge/blocked")
            logger.warning(
                "Bot challenge on %s (HTTP %d, %r); rendering is off (NEWSCRAWL_RENDER), not retried",
                request.url, response.status, marker,
            )  # fmt: skip
            request.meta["dont_retry"] = True
            return response
        self._inc("challenge/rendered")
        logger.info("Bot challenge on %s (HTTP %d, %r): rendering", request.url, response.status, marker)
        wait_for = getattr(self.crawler.spider, "render_wait_for", None)
        return as_rendered(request, wait_for=wait_for, reason="challenge")
