"""Rendering: fetch a page through Chromium (scrapy-playwright) when a request asks for it.

How a spider asks for rendering::

    from newscrawl.rendering import as_rendered, is_rendered, render_request

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
  (replay). Plain requests are unaffected; the Playwright driver and Chromium
  start only when the first rendering request arrives, so crawls that never
  render never start a browser. Off: rendering requests are dropped
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
Chromium, with every browser request (document, scripts, images, XHR) fulfilled
from the same snapshot (``browser_body`` when the manifest gives one), unlisted
URLs answered 404 and counted (``newscrawl/replay/unlisted``). ``delay_ms`` and
``fail_first`` apply to browser requests too; a ``fault`` on the page itself
raises the same Scrapy exception as plain replay, on a sub-resource it aborts
that request. Chromium is also pointed at a dead proxy, so nothing it might
try outside the route (service workers, prefetch) reaches the network.
"""

from __future__ import annotations

import asyncio
import logging
import mimetypes
import time
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, Self

from playwright.async_api import Request as PlaywrightRequest
from playwright.async_api import Route
from scrapy import Request, Spider
from scrapy.crawler import Crawler
from scrapy.exceptions import DownloadFailedError, DownloadTimeoutError, IgnoreRequest
from scrapy.http import Response
from scrapy_playwright.handler import ScrapyPlaywrightDownloadHandler
from scrapy_playwright.page import PageMethod

from newscrawl.replay import ReplayDownloadHandler
from newscrawl.stats import inc

if TYPE_CHECKING:
    from scrapy.settings import BaseSettings
    from scrapy.statscollectors import StatsCollector

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
class RenderingDownloadHandler(ScrapyPlaywrightDownloadHandler):  # type: ignore[misc]
    """scrapy-playwright's handler, started lazily and counting renders.

    Upstream starts the Playwright driver at ``engine_started``; here it starts
    on the first ``meta["playwright"]`` request (Chromium itself is launched by
    scrapy-playwright on the first page either way).
    """

    lazy = False

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        self.crawler = crawler
        self._start_lock = asyncio.Lock()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler)

    async def _maybe_launch_in_thread(self) -> None:
        """Connected to ``engine_started`` upstream: deliberately nothing (lazy start)."""

    async def _ensure_started(self) -> None:
        async with self._start_lock:
            if getattr(self, "browser_provider", None) is None:
                await self._launch()

    async def _download_request(self, request: Request, spider: Spider | None = None) -> Response:
        await self._ensure_started()
        stats: StatsCollector = self.stats
        started = time.monotonic()
        try:
            response: Response = await super()._download_request(request, spider)
        except Exception:
            stats.inc_value("newscrawl/render/failed")
            raise
        elapsed = round(time.monotonic() - started, 3)
        name = spider.name if spider else getattr(self.crawler.spider, "name", "unknown")
        stats.inc_value("newscrawl/rendered")
        stats.inc_value(f"newscrawl/rendered/{name}")
        stats.max_value("newscrawl/render/seconds_max", elapsed)
        total = stats.get_value("newscrawl/render/seconds_total", 0.0)
        stats.set_value("newscrawl/render/seconds_total", round(total + elapsed, 3))
        logger.debug("Rendered %s in %.2fs", request.url, elapsed)
        return response


class ReplayRenderingDownloadHandler(RenderingDownloadHandler):
    """Replay for plain and browser requests; see the module docstring."""

    def __init__(self, crawler: Crawler) -> None:
        self.replay = ReplayDownloadHandler(crawler)  # NotConfigured without NEWSCRAWL_REPLAY
        super().__init__(crawler)
        options = dict(self.config.launch_options)
        options["proxy"] = {"server": DEAD_PROXY}
        options["args"] = [*options.get("args", []), "--proxy-bypass-list=<-loopback>"]
        self.config.launch_options = options

    async def download_request(self, request: Request) -> Response:
        if not request.meta.get("playwright"):
            return await self.replay.download_request(request)
        entry = self.replay.snapshot.lookup(request.url)
        if entry is not None and entry.fault:
            self.replay.answer(request.url, browser=True)  # raises the replayed fault
        response: Response = await super().download_request(request)
        return response

    def _make_request_handler(self, **kwargs: Any) -> Callable[[Route, PlaywrightRequest], Any]:
        """Replaces upstream's route handler (which would ``continue_`` to the network)."""
        return self._fulfil

    async def _fulfil(self, route: Route, pw_request: PlaywrightRequest) -> None:
        url = pw_request.url
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
