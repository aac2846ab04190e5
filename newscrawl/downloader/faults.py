"""Misbehaving servers: Retry-After, wrong charsets, binary and truncated bodies, redirect dead ends.

Scrapy 2.19 already retries 5xx/429 and network errors (``RetryMiddleware``),
bounds body sizes (``DOWNLOAD_MAXSIZE``), obeys robots.txt and keeps redirects
on the spider's domains (``OffsiteMiddleware``). What it does not do, and what
this module adds:

- ``RetryAfterMiddleware`` (downloader, 560, before ``RetryMiddleware`` sees the
  response): a retryable answer with ``Retry-After`` (seconds or HTTP date), up to
  ``NEWSCRAWL_RETRY_AFTER_MAX`` seconds, is finished at once (``RetryLater``, which
  the spider's errback ignores); its retry (``get_retry_request``: ``retry/*`` stats
  as usual) is handed to the engine once the wait is over, and that domain's
  download slot is paused until then (``hold_slot``), so no other request of the
  domain starts either, while other domains keep downloading and nothing holds a
  download slot or a concurrency slot while it waits (``newscrawl/retry_after/waited``).
  A longer wait is not retried this run (counted ``newscrawl/retry_after/too_long``;
  the request fails as ``http_<status>``).
- ``CrawlDelay`` (extension): robots.txt ``Crawl-delay`` becomes the slot's delay.
- ``BodySanityMiddleware`` (downloader, 570), for HTML answers:
  a binary body served as ``text/html`` (image, PDF, archive magic, or a head of
  NUL/control bytes; one stray NUL is not binary) becomes a plain ``Response`` so
  the spider drops it as ``not_text``. Charsets (``choose_encoding``): header and
  ``<meta>`` agreeing on UTF-8 win over a few invalid bytes, which become U+FFFD
  (``newscrawl/encoding/replaced``, WARNING with the count); UTF-16/32 declared over
  ASCII-compatible bytes is read as the ``<meta>`` charset or UTF-8, as the HTML
  standard does (``newscrawl/encoding/not_utf16``); a charset header contradicted by
  the body (bytes that are not valid in the declared encoding, or a Latin-1/cp1252
  default over a ``<meta charset>`` that decodes cleanly) is replaced by the
  ``<meta>`` charset or, lacking one, by detection (charset-normalizer, which Scrapy
  uses too) - counted ``newscrawl/encoding/fallback``; an article page that ends
  cut short (``looks_truncated``: no ``</body>``/``</html>``, which HTML5 makes optional,
  *and* an unterminated script, comment or tag, or unclosed containers) is
  truncated: retried like a lost connection, then
  failed with ``ResponseDataLossError`` (``newscrawl/failed/response_data_loss_error``).
- ``RedirectAccounting`` (extension): a redirect that Scrapy drops silently
  (a loop caught by the duplicate filter, a hop to another site caught by
  ``OffsiteMiddleware``) is logged and counted: ``newscrawl/failed/redirect_loop``,
  ``newscrawl/failed/redirect_offsite``, ``newscrawl/skipped/redirect_duplicate``
  (a redirect to a page this run already fetched).
"""

from __future__ import annotations

import logging
import re
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from time import monotonic
from typing import TYPE_CHECKING, Any, Self
from urllib.parse import urlsplit

from charset_normalizer import from_bytes
from scrapy import Request, signals
from scrapy.downloadermiddlewares.retry import get_retry_request
from scrapy.exceptions import DontCloseSpider, IgnoreRequest, NotConfigured, ResponseDataLossError
from scrapy.http import HtmlResponse, Response
from scrapy.utils.asyncio import call_later
from scrapy.utils.response import response_status_message
from w3lib.encoding import html_body_declared_encoding, http_content_type_encoding, read_bom, resolve_encoding

from newscrawl.stats import failed_url, inc

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)

# Encodings servers announce by default when nobody configured one.
WEAK_ENCODINGS = {"cp1252", "latin_1", "iso8859_1", "ascii"}
BINARY_MAGIC = (
    b"\x89PNG", b"\xff\xd8\xff", b"GIF87a", b"GIF89a", b"%PDF", b"PK\x03\x04", b"\x1f\x8b",
    b"RIFF", b"OggS", b"ID3", b"\x00\x00\x00\x18ftyp", b"\x00\x00\x00\x20ftyp", b"wOFF", b"wOF2",
)  # fmt: skip
_CLOSING = re.compile(rb"</(?:body|html)\s*>", re.I)
_HIDDEN = re.compile(rb"<(script|style)\b.*?</\1\s*>|<!--.*?-->", re.I | re.S)
_OPEN_AT_END = re.compile(
    rb"<(?:script|style)\b(?:(?!</(?:script|style)).)*$|<!--(?:(?!-->).)*$", re.I | re.S
)
_OPEN_CONTAINER = re.compile(rb"<(?:div|article|main|section|table)[\s>]", re.I)
_CLOSE_CONTAINER = re.compile(rb"</(?:div|article|main|section|table)\s*>", re.I)
TAIL = 200_000  # bytes of the end of a page searched for an unterminated script or comment


def looks_truncated(body: bytes) -> bool:
    """An HTML document cut short. ``</body>`` and ``</html>`` are optional in HTML5, so
    their absence alone proves nothing: a page without them is truncated when it ends
    inside a script, comment or tag, or leaves more ``<div>``/``<article>``/``<main>``/
    ``<section>``/``<table>`` containers open than it closes (their end tags are required)."""
    if _CLOSING.search(body):
        return False
    if _OPEN_AT_END.search(body[-TAIL:]):
        return True
    visible = _HIDDEN.sub(b"", body)
    if re.search(rb"<[a-zA-Z/][^>]*$", visible[-3000:]):
        return True
    return len(_OPEN_CONTAINER.findall(visible)) > len(_CLOSE_CONTAINER.findall(visible))


def retry_after_seconds(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` value (delta-seconds or HTTP date), or None."""
    if not value or not value.strip():
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def hold_slot(crawler: Crawler, request: Request, seconds: float) -> str | None:
    """Pause the download slot of ``request`` (its domain) for ``seconds``: no request of
    that slot starts before then, other slots go on. Returns the slot key (None: no slot).

    Uses the downloader's public slot state as AutoThrottle does: ``lastseen`` is moved
    into the future, and a zero ``delay`` (replay, ``DOWNLOAD_DELAY=0``) becomes a
    millisecond until then, since the downloader only waits when a slot has a delay.
    """
    engine = crawler.engine
    key = request.meta.get("download_slot")
    slot = engine.downloader.slots.get(key) if engine and key else None
    if slot is None:
        return None
    slot.lastseen = max(slot.lastseen, monotonic() + seconds)
    if not slot.delay:
        slot.delay = HOLD_DELAY

        def release() -> None:
            if slot.delay == HOLD_DELAY:
                slot.delay = 0.0

        call_later(seconds, release)
    return str(key)


HOLD_DELAY = 0.001


class RetryLater(IgnoreRequest):
    """Raised for an answer whose retry ``RetryAfterMiddleware`` scheduled for later:
    not a failure (the spider's errback ignores it; the retry's outcome counts)."""


class RetryAfterMiddleware:
    def __init__(self, crawler: Crawler) -> None:
        settings = crawler.settings
        if not settings.getbool("RETRY_ENABLED"):
            raise NotConfigured("retries are off")
        self.crawler = crawler
        self.cap = settings.getfloat("NEWSCRAWL_RETRY_AFTER_MAX")
        self.codes = {int(c) for c in settings.getlist("RETRY_HTTP_CODES")}
        self.max_retry_times = settings.getint("RETRY_TIMES")
        self.pending: set[Request] = set()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        mw = cls(crawler)
        crawler.signals.connect(mw.spider_idle, signal=signals.spider_idle)
        return mw

    def spider_idle(self) -> None:
        if self.pending:
            raise DontCloseSpider  # a retry is still waiting out its Retry-After

    def process_response(self, request: Request, response: Response) -> Response:
        if response.status not in self.codes or request.meta.get("dont_retry"):
            return response
        retries = int(request.meta.get("retry_times", 0))
        if retries >= int(request.meta.get("max_retry_times", self.max_retry_times)):
            return response  # RetryMiddleware gives up: no point waiting
        header = response.headers.get(b"Retry-After")
        date = response.headers.get(b"Date")
        now = None
        if date:
            try:
                now = parsedate_to_datetime(date.decode("latin-1"))
            except (TypeError, ValueError, IndexError):
                now = None
        wait = retry_after_seconds(header.decode("latin-1") if header else None, now)
        if wait is None:
            return response
        if wait > self.cap:
            inc(self.crawler, "retry_after/too_long")
            logger.warning(
                "Not retrying %s this run: Retry-After %.0fs exceeds NEWSCRAWL_RETRY_AFTER_MAX=%.0fs",
                request.url, wait, self.cap,
            )  # fmt: skip
            request.meta["dont_retry"] = True
            return response
        spider = self.crawler.spider
        assert spider is not None
        retry = get_retry_request(request, spider=spider, reason=response_status_message(response.status))
        if retry is None:
            return response
        inc(self.crawler, "retry_after/waited")
        # Nothing sleeps here: this answer is done at once, the retry enters the scheduler only
        # once the wait is over, and the domain's slot is paused meanwhile; other domains go on.
        key = hold_slot(self.crawler, request, wait)
        logger.info("Waiting %.1fs (Retry-After) before retrying %s: download slot %s paused",
                    wait, request.url, key)  # fmt: skip
        self.pending.add(retry)
        call_later(wait, self._reschedule, retry)
        raise RetryLater(f"{response.status} with Retry-After {wait:.1f}s: retried after the wait")

    def _reschedule(self, retry: Request) -> None:
        self.pending.discard(retry)
        engine = self.crawler.engine
        if engine is not None and engine.running:
            engine.crawl(retry)


class CrawlDelay:
    """Extension: honour robots.txt ``Crawl-delay`` (for our ``USER_AGENT``, else ``*``).

    On ``robots_parsed`` the site's delay (capped at ``NEWSCRAWL_CRAWL_DELAY_MAX``,
    counted ``newscrawl/robots/crawl_delay``; above the cap ``.../crawl_delay_capped``)
    becomes that download slot's fixed delay: no jitter, and AutoThrottle does not
    lower it (``autothrottle_dont_adjust_delay``). Off in replay (delays are off there).
    """

    def __init__(self, crawler: Crawler) -> None:
        if crawler.settings.get("NEWSCRAWL_REPLAY"):
            raise NotConfigured("replay: no delays")
        self.crawler = crawler
        self.cap = crawler.settings.getfloat("NEWSCRAWL_CRAWL_DELAY_MAX", 60.0)
        self.user_agent = crawler.settings.get("ROBOTSTXT_USER_AGENT") or crawler.settings.get("USER_AGENT")
        self.delays: dict[str, float] = {}

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        ext = cls(crawler)
        crawler.signals.connect(ext.robots_parsed, signal=signals.robots_parsed)
        crawler.signals.connect(ext.request_reached_downloader, signal=signals.request_reached_downloader)
        return ext

    def robots_parsed(self, robotparser: Any, request: Request) -> None:
        try:
            delay = robotparser.crawl_delay(self.user_agent or "*")
        except (AttributeError, NotImplementedError, TypeError, ValueError):
            return
        if not delay or delay <= 0:
            return
        host = urlsplit(request.url).hostname or ""
        if delay > self.cap:
            inc(self.crawler, "robots/crawl_delay_capped")
            logger.warning("robots.txt of %s asks Crawl-delay %gs: using NEWSCRAWL_CRAWL_DELAY_MAX=%gs",
                           host, delay, self.cap)  # fmt: skip
            delay = self.cap
        inc(self.crawler, "robots/crawl_delay")
        logger.info("robots.txt of %s: Crawl-delay %gs between requests", host, delay)
        engine = self.crawler.engine
        key = engine.downloader.get_slot_key(request) if engine else host
        self.delays[key] = float(delay)
        self._apply(key, request)

    def request_reached_downloader(self, request: Request) -> None:
        key = request.meta.get("download_slot")
        if key in self.delays:
            request.meta["autothrottle_dont_adjust_delay"] = True
            self._apply(key, request)

    def _apply(self, key: str, request: Request) -> None:
        engine = self.crawler.engine
        slot = engine.downloader.slots.get(key) if engine else None
        if slot is not None and (slot.delay < self.delays[key] or slot.jitter):
            slot.delay, slot.jitter = max(slot.delay, self.delays[key]), 0.0


# Bytes that do not occur in text (as ``file(1)`` reckons): NUL and most C0 controls.
_TEXT_BYTES = bytes([7, 8, 9, 10, 12, 13, 27, *range(0x20, 0x100)])
_WIDE = ("utf-16", "utf-32")
# A declared UTF-8 body with at most this share of invalid sequences (per non-ASCII
# byte) is UTF-8 with a few bad bytes, not another encoding.
MAX_BAD_UTF8_SHARE = 0.05


def _wide(encoding: str | None) -> bool:
    return bool(encoding) and str(encoding).replace("_", "-").startswith(_WIDE)


def looks_binary(body: bytes, *, wide: bool = False) -> bool:
    """Image/PDF/archive/media magic, or non-text bytes (NUL, C0 controls) in over 1/32
    of the head, unless a BOM or a UTF-16/32 declaration (``wide``) explains them. A
    stray NUL in an HTML page does not make it binary (parsel drops NULs)."""
    head = body[:1024]
    if head.startswith(BINARY_MAGIC):
        return True
    if not head or wide or read_bom(head)[0] is not None:
        return False
    return len(head.translate(None, _TEXT_BYTES)) > len(head) / 32


def _decodes(body: bytes, encoding: str) -> bool:
    try:
        body.decode(encoding)
    except (UnicodeDecodeError, LookupError):
        return False
    return True


def bad_utf8(body: bytes) -> int:
    """Invalid UTF-8 sequences in ``body`` (each becomes one U+FFFD)."""
    return body.decode("utf-8", "replace").count("\ufffd") - body.decode("utf-8", "ignore").count("\ufffd")


def mostly_utf8(body: bytes) -> bool:
    """Valid UTF-8 but for a few bad bytes (cp1256 or latin-1 text has a bad sequence
    at nearly every non-ASCII byte)."""
    non_ascii = len(body) - len(body.translate(None, bytes(range(0x80))))
    return bool(non_ascii) and bad_utf8(body) <= non_ascii * MAX_BAD_UTF8_SHARE


def choose_encoding(content_type: str, body: bytes) -> tuple[str | None, str | None]:
    """(encoding to use instead of Scrapy's choice or None, what was wrong or None).

    What was wrong: ``fallback`` (declared charset contradicted by the body),
    ``not_utf16`` (UTF-16/32 declared over ASCII-compatible bytes: decoded as the
    ``<meta>`` charset or UTF-8, as the HTML standard does for such a ``<meta>``),
    ``replaced`` (declared UTF-8, and the body is, but for a few invalid bytes: they
    become U+FFFD and the rest stays right).
    """
    if read_bom(body)[0]:
        return None, None  # a BOM wins everywhere
    header = http_content_type_encoding(content_type)
    declared = html_body_declared_encoding(body)
    declared = resolve_encoding(declared) if declared else None
    ascii_compatible = b"\x00" not in body[:1024]
    if ascii_compatible and (_wide(header) or _wide(declared)):
        meta = None if _wide(declared) else declared
        for candidate in (meta, "utf-8"):
            if candidate and _decodes(body, candidate):
                return candidate, "not_utf16"
        if mostly_utf8(body):
            return "utf-8", "not_utf16"
        match = from_bytes(body).best()
        return (resolve_encoding(match.encoding) if match else None) or "utf-8", "not_utf16"
    if not header:
        return None, None  # Scrapy goes <meta>, then detection
    if _decodes(body, header):
        if header in WEAK_ENCODINGS and declared and declared != header and _decodes(body, declared):
            return declared, "fallback"
        return None, None
    if header == "utf-8" and (declared in (None, "utf-8")) and (declared == "utf-8" or mostly_utf8(body)):
        return None, "replaced"  # agreeing declarations win: UTF-8 with U+FFFD for the bad bytes
    if declared and declared != header and _decodes(body, declared):
        return declared, "fallback"
    match = from_bytes(body).best()
    detected = resolve_encoding(match.encoding) if match else None
    return (detected, "fallback") if detected and detected != header else (None, None)


def better_encoding(content_type: str, body: bytes) -> str | None:
    """An encoding to use instead of Scrapy's choice, or None when that is right."""
    return choose_encoding(content_type, body)[0]


class BodySanityMiddleware:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler)

    def process_response(self, request: Request, response: Response) -> Request | Response:
        if not isinstance(response, HtmlResponse) or response.status != 200:
            return response
        body = response.body
        content_type = (response.headers.get(b"Content-Type") or b"").decode("latin-1")
        if looks_binary(body, wide=_wide(http_content_type_encoding(content_type))):
            inc(self.crawler, "binary_as_text")
            logger.warning("Binary body served as %r: %s", content_type, response.url)
            return Response(
                response.url, status=response.status, headers=response.headers, body=body,
                flags=response.flags, request=request, protocol=response.protocol,
            )  # fmt: skip
        encoding, problem = choose_encoding(content_type, body)
        if problem == "replaced":
            inc(self.crawler, "encoding/replaced")
            logger.warning("%d invalid UTF-8 byte sequence(s) in %s replaced by U+FFFD",
                           bad_utf8(body), response.url)  # fmt: skip
        elif problem:
            inc(self.crawler, f"encoding/{problem}")
            logger.info("Charset %r contradicted by the body of %s: using %s",
                        content_type, response.url, encoding)  # fmt: skip
        if encoding:
            response = response.replace(encoding=encoding)
        if (request.meta.get("newscrawl") or {}).get("kind") == "article" and looks_truncated(body):
            return self._truncated(request, response)
        return response

    def _truncated(self, request: Request, response: Response) -> Request:
        inc(self.crawler, "truncated")
        spider = self.crawler.spider
        assert spider is not None
        retry = get_retry_request(request, spider=spider, reason="truncated_html")
        if retry is not None:
            return retry
        raise ResponseDataLossError(f"HTML ends before </body></html> ({len(response.body)} bytes)")


class RedirectAccounting:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        ext = cls(crawler)
        crawler.signals.connect(ext.request_scheduled, signal=signals.request_scheduled)
        crawler.signals.connect(ext.request_dropped, signal=signals.request_dropped)
        return ext

    def request_scheduled(self, request: Request) -> None:
        """A redirect leaving the spider's domains: OffsiteMiddleware drops it without an errback."""
        chain: list[str] = request.meta.get("redirect_urls") or []
        if not chain or request.dont_filter or request.meta.get("allow_offsite"):
            return
        if not _on_site(request.url, getattr(self.crawler.spider, "allowed_domains", None) or []):
            inc(self.crawler, "failed/redirect_offsite")
            failed_url(self.crawler, chain[0], "redirect_offsite")
            logger.warning("Failed %s: redirects off the spider's domains to %s", chain[0], request.url)

    def request_dropped(self, request: Request) -> None:
        """A redirect the duplicate filter dropped: a loop, or a page this run already fetched."""
        chain: list[str] = request.meta.get("redirect_urls") or []
        if not chain:
            return  # an ordinary duplicate link: Scrapy's dupefilter stats count it
        if request.url in chain:
            inc(self.crawler, "failed/redirect_loop")
            failed_url(self.crawler, chain[0], "redirect_loop")
            logger.warning("Failed %s: redirect loop back to %s", chain[0], request.url)
        else:
            inc(self.crawler, "skipped/redirect_duplicate")
            logger.info("Redirect of %s leads to %s, already fetched this run", chain[0], request.url)


def _on_site(url: str, domains: list[str]) -> bool:
    host = (urlsplit(url).hostname or "").lower()
    return not domains or any(host == d or host.endswith("." + d) for d in domains)
