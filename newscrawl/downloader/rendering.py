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

Import cost: spiders and ``ChallengeMiddleware`` import this module on every crawl, so it
imports neither scrapy-playwright nor Playwright (about 0.2 s). The browser side
(``LazyBrowserProvider``, ``RenderingDownloadHandler``, ``ReplayRenderingDownloadHandler``)
lives in ``newscrawl.downloader.browser`` and is handed out here, under the same names, on
first use: the settings paths ``newscrawl.downloader.rendering.<class>`` load it, and only a
crawl that renders pays for it (tests/test_import_cost.py).

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

import logging
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, Self

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response

from newscrawl.stats import inc

if TYPE_CHECKING:
    from scrapy.settings import BaseSettings

    from newscrawl.downloader.browser import (
        LazyBrowserProvider,
        RenderingDownloadHandler,
        ReplayRenderingDownloadHandler,
    )

__all__ = [
    "ChallengeMiddleware",
    "LazyBrowserProvider",
    "RenderingDownloadHandler",
    "ReplayRenderingDownloadHandler",
    "as_rendered",
    "challenge_marker",
    "is_rendered",
    "render_request",
    "rendering_enabled",
]
# In newscrawl.downloader.browser (scrapy-playwright, Playwright: ~0.2 s to import), loaded on
# first use: every crawl imports this module (spiders, ChallengeMiddleware), few render.
BROWSER_SIDE = {"LazyBrowserProvider", "RenderingDownloadHandler", "ReplayRenderingDownloadHandler"}

logger = logging.getLogger(__name__)

RENDER_META = "newscrawl_render"
DEFAULT_WAIT_TIMEOUT_MS = 15_000
CHALLENGE_SCAN_BYTES = 65_536


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
    from scrapy_playwright.page import PageMethod  # a plain class; here, so no crawl imports the package

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


def __getattr__(name: str) -> Any:
    """The browser-side classes (``BROWSER_SIDE``), imported from ``browser`` on first use."""
    if name in BROWSER_SIDE:
        from newscrawl.downloader import browser

        return getattr(browser, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


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
