"""Misbehaving servers: Retry-After, wrong charsets, binary and truncated bodies, redirect dead ends.

Scrapy 2.19 already retries 5xx/429 and network errors (``RetryMiddleware``),
bounds body sizes (``DOWNLOAD_MAXSIZE``), obeys robots.txt and keeps redirects
on the spider's domains (``OffsiteMiddleware``). What it does not do, and what
this module adds:

- ``RetryAfterMiddleware`` (downloader, 560, before ``RetryMiddleware`` sees the
  response): a retryable answer with ``Retry-After`` (seconds or HTTP date) waits
  that long before the retry is issued, up to ``NEWSCRAWL_RETRY_AFTER_MAX``
  seconds; a longer wait is not retried this run (counted
  ``newscrawl/retry_after/too_long``; the request fails as ``http_<status>``).
- ``BodySanityMiddleware`` (downloader, 570), for HTML answers:
  a binary body served as ``text/html`` (image, PDF, archive magic or NUL bytes)
  becomes a plain ``Response`` so the spider drops it as ``not_text``; a
  charset header contradicted by the body (bytes that are not valid in the
  declared encoding, or a Latin-1/cp1252 default over a ``<meta charset>``
  that decodes cleanly) is replaced by the ``<meta>`` charset or, lacking one,
  by detection (charset-normalizer, which Scrapy uses too) - counted
  ``newscrawl/encoding/fallback``; an article page with neither ``</body>`` nor
  ``</html>`` is truncated: retried like a lost connection, then failed with
  ``ResponseDataLossError`` (``newscrawl/failed/response_data_loss_error``).
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
from typing import TYPE_CHECKING, Self
from urllib.parse import urlsplit

from charset_normalizer import from_bytes
from scrapy import Request, signals
from scrapy.downloadermiddlewares.retry import get_retry_request
from scrapy.exceptions import NotConfigured, ResponseDataLossError
from scrapy.http import HtmlResponse, Response
from scrapy.utils.asyncio import sleep
from w3lib.encoding import html_body_declared_encoding, http_content_type_encoding, read_bom, resolve_encoding

from newscrawl.stats import inc

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


class RetryAfterMiddleware:
    def __init__(self, crawler: Crawler) -> None:
        settings = crawler.settings
        if not settings.getbool("RETRY_ENABLED"):
            raise NotConfigured("retries are off")
        self.crawler = crawler
        self.cap = settings.getfloat("NEWSCRAWL_RETRY_AFTER_MAX")
        self.codes = {int(c) for c in settings.getlist("RETRY_HTTP_CODES")}
        self.max_retry_times = settings.getint("RETRY_TIMES")

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler)

    async def process_response(self, request: Request, response: Response) -> Response:
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
        inc(self.crawler, "retry_after/waited")
        logger.info("Waiting %.1fs (Retry-After) before retrying %s", wait, request.url)
        await sleep(wait)
        return response


def looks_binary(body: bytes) -> bool:
    """Image/PDF/archive/media magic, or NUL bytes in a body without a UTF-16/32 BOM."""
    head = body[:1024]
    if head.startswith(BINARY_MAGIC):
        return True
    return b"\x00" in head and read_bom(head)[0] is None


def _decodes(body: bytes, encoding: str) -> bool:
    try:
        body.decode(encoding)
    except (UnicodeDecodeError, LookupError):
        return False
    return True


def better_encoding(content_type: str, body: bytes) -> str | None:
    """An encoding to use instead of the header's, or None when the header is right (or absent)."""
    header = http_content_type_encoding(content_type)
    if not header or read_bom(body)[0]:
        return None  # no header: Scrapy already goes <meta>, then detection
    declared = html_body_declared_encoding(body)
    declared = resolve_encoding(declared) if declared else None
    if _decodes(body, header):
        if header in WEAK_ENCODINGS and declared and declared != header and _decodes(body, declared):
            return declared
        return None
    if declared and declared != header and _decodes(body, declared):
        return declared
    match = from_bytes(body).best()
    detected = resolve_encoding(match.encoding) if match else None
    return detected if detected and detected != header else None


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
        if looks_binary(body):
            inc(self.crawler, "binary_as_text")
            logger.warning("Binary body served as %r: %s", content_type, response.url)
            return Response(
                response.url, status=response.status, headers=response.headers, body=body,
                flags=response.flags, request=request, protocol=response.protocol,
            )  # fmt: skip
        encoding = better_encoding(content_type, body)
        if encoding:
            inc(self.crawler, "encoding/fallback")
            logger.info("Charset header %r contradicted by the body of %s: using %s",
                        content_type, response.url, encoding)  # fmt: skip
            response = response.replace(encoding=encoding)
        if (request.meta.get("newscrawl") or {}).get("kind") == "article" and not _CLOSING.search(body):
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
            logger.warning("Failed %s: redirects off the spider's domains to %s", chain[0], request.url)

    def request_dropped(self, request: Request) -> None:
        """A redirect the duplicate filter dropped: a loop, or a page this run already fetched."""
        chain: list[str] = request.meta.get("redirect_urls") or []
        if not chain:
            return  # an ordinary duplicate link: Scrapy's dupefilter stats count it
        if request.url in chain:
            inc(self.crawler, "failed/redirect_loop")
            logger.warning("Failed %s: redirect loop back to %s", chain[0], request.url)
        else:
            inc(self.crawler, "skipped/redirect_duplicate")
            logger.info("Redirect of %s leads to %s, already fetched this run", chain[0], request.url)


def _on_site(url: str, domains: list[str]) -> bool:
    host = (urlsplit(url).hostname or "").lower()
    return not domains or any(host == d or host.endswith("." + d) for d in domains)
