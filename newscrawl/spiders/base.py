"""NewsSpider: discovery from feeds, sitemaps and listings; parsing is delegated.

A source spider is declarative. Knobs (class attributes):

    name              the source slug (also the Article ``source``)
    allowed_domains   hosts the spider may fetch
    editions          {"en": Edition(feeds=..., sitemaps=..., listings=...), "ar": ...}
    article_url       compiled regex matched against an absolute URL: is it an article?
    listing_links     CSS for candidate links on listing pages (default ``a[href]``)
    next_page         CSS for the pagination link on listing pages (None: no paging)
    default_max_pages listing pages followed per listing when ``-a max_pages`` is absent

Arguments (``-a name=value``, validated by ``SpiderArgs``; any other name is an
error listing these, a bad value one ``StartupError`` line, no traceback):

    urls       comma-separated article URLs: fetch and parse only these (re-parse, backfill)
    since      ISO date/datetime: skip articles whose feed/sitemap date is older
    until      ISO date/datetime (a date alone: the end of that day): skip articles
               published later (feed/sitemap publication dates before fetching, the
               page's ``published_at`` after parsing: ``newscrawl/skipped/until``)
    edition    one edition key (``en``/``ar``); default all
    max_pages  bound on listing pagination

Scrapyd adds ``_job`` (accepted, not a spider argument).

Explicit URLs (``-a urls``) are held to the spider's rules before anything is
requested; each refused entry is counted and logged, the others are fetched:
not http(s), or no host (``javascript:``, ``file://``, ``ftp://``, scheme-less) ->
``newscrawl/skipped/bad_url``; longer than ``URLLENGTH_LIMIT`` ->
``newscrawl/skipped/url_too_long``; a host outside ``allowed_domains`` or, outside
replay, a loopback/private/link-local/reserved address (``localhost``, ``127.0.0.1``,
``10.x``, ``169.254.x``, ``[::1]``, ...) -> ``newscrawl/skipped/offsite``. robots.txt
applies to them as to any request, and a redirect off the spider's domains is
refused by ``OffsiteMiddleware`` (explicit requests are not ``dont_filter``).

Every article request carries ``meta["newscrawl"]`` = ``{"kind": "article",
"published": iso|None, "lastmod": iso|None, "explicit": bool}`` so downloader
components (the seen-store) can act on articles without knowing the spider.
Failures (HTTP errors, timeouts) are counted under ``newscrawl/failed/<reason>``
and logged with the URL; pages that do not parse are counted under
``newscrawl/parse_error`` and the exception is re-raised, so Scrapy logs it with
its traceback and counts it under ``spider_exceptions/<type>`` (the exceptions
monitor). Non-article pages (``ArticleParser.page_kind``) and
robots.txt refusals are skipped, not failed: ``newscrawl/skipped/<kind>``,
``newscrawl/skipped/robots_txt``.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from collections.abc import AsyncIterator, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cached_property
from typing import Any, ClassVar, Self
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from scrapy import Request, Spider
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response, TextResponse
from scrapy.spidermiddlewares.httperror import HttpError
from scrapy.utils.url import url_is_from_any_domain
from twisted.python.failure import Failure

from newscrawl.downloader.faults import RetryLater
from newscrawl.operations.startup import StartupError
from newscrawl.parsers import parser_for
from newscrawl.parsers.errors import FieldErrors
from newscrawl.spiders.discovery import Link, feed_links, sitemap_links
from newscrawl.stats import failed_url, inc
from newscrawl.text import canonical_url, parse_iso

# Arguments Scrapyd adds to every job: accepted, not spider arguments.
SCRAPYD_ARGS = frozenset({"_job"})


@dataclass(frozen=True)
class Edition:
    feeds: tuple[str, ...] = ()
    sitemaps: tuple[str, ...] = ()
    listings: tuple[str, ...] = ()


def _iso(value: Any, *, end_of_day: bool = False) -> Any:
    if isinstance(value, str):
        parsed = parse_iso(value, UTC)
        if parsed is None:
            raise ValueError(f"not an ISO date or datetime: {value!r}")
        if end_of_day and parsed.precision == "day":
            return parsed.value + timedelta(days=1) - timedelta(microseconds=1)
        return parsed.value
    return value


class SpiderArgs(BaseModel):
    """The ``-a`` arguments every spider takes (strings from the command line or Scrapyd)."""

    model_config = ConfigDict(extra="forbid")

    urls: list[str] = Field(default_factory=list)
    since: datetime | None = None
    until: datetime | None = None
    edition: str | None = None
    max_pages: int | None = Field(default=None, ge=1)

    @classmethod
    def parse(cls, spider: str, raw: dict[str, Any]) -> Self:
        """Validate ``-a`` arguments; ``StartupError`` (one line) names what is wrong."""
        values = {k: v for k, v in raw.items() if k not in SCRAPYD_ARGS}
        accepted = ", ".join(cls.model_fields)
        if unknown := sorted(set(values) - set(cls.model_fields)):
            raise StartupError(
                f"{spider}: unknown spider argument(s) {', '.join(unknown)}; accepted: {accepted}"
            )
        try:
            return cls.model_validate(values)
        except ValidationError as exc:
            raise StartupError(f"{spider}: invalid spider argument(s): {one_line(exc)}") from None

    @model_validator(mode="after")
    def _window(self) -> Self:
        if self.since and self.until and self.since > self.until:
            raise ValueError(f"since ({self.since.isoformat()}) is after until ({self.until.isoformat()})")
        return self

    @field_validator("urls", mode="before")
    @classmethod
    def _split(cls, value: Any) -> Any:
        if isinstance(value, str):
            return [u.strip() for u in value.split(",") if u.strip()]
        return value

    @field_validator("since", mode="before")
    @classmethod
    def _since(cls, value: Any) -> Any:
        return _iso(value)

    @field_validator("until", mode="before")
    @classmethod
    def _until(cls, value: Any) -> Any:
        return _iso(value, end_of_day=True)


def one_line(exc: ValidationError) -> str:
    """A pydantic error as ``-a name=value: reason; ...`` (no URLs, no multi-line dump)."""
    parts = []
    for error in exc.errors(include_url=False):
        name = ".".join(str(p) for p in error["loc"][:1])
        value = error.get("input")
        shown = f"-a {name}={value!r}" if name and isinstance(value, str | int) else (name or "arguments")
        parts.append(f"{shown}: {error['msg'].removeprefix('Value error, ')}")
    return "; ".join(parts)


def refused_host(host: str) -> bool:
    """``localhost`` or an IP literal (any form the resolver accepts, ``127.1`` and
    ``2130706433`` included) that is loopback, private, link-local, reserved or unspecified."""
    host = host.lower().rstrip(".")
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        address: ipaddress.IPv4Address | ipaddress.IPv6Address = ipaddress.ip_address(host)
    except ValueError:
        try:
            address = ipaddress.IPv4Address(socket.inet_aton(host))
        except OSError:
            return False  # a host name: allowed_domains decides
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    return not address.is_global or address.is_multicast


class NewsSpider(Spider):
    editions: ClassVar[dict[str, Edition]] = {}
    article_url: ClassVar[re.Pattern[str]] = re.compile(r"$^")
    listing_links: ClassVar[str] = "a[href]"
    next_page: ClassVar[str | None] = None
    default_max_pages: ClassVar[int] = 3

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        scrapy_kwargs = {k: kwargs.pop(k) for k in list(kwargs) if k in SCRAPYD_ARGS or k == "name"}
        self.args = self.validate_args(kwargs, scrapy_kwargs.get("name"))
        super().__init__(*args, **scrapy_kwargs)
        self.max_pages = self.args.max_pages or self.default_max_pages

    @classmethod
    def validate_args(cls, raw: dict[str, Any], name: str | None = None) -> SpiderArgs:
        """``SpiderArgs`` of this spider (its editions included); ``StartupError`` if wrong.
        ``newscrawl-schedule`` calls it too, before a job is scheduled."""
        name = name or getattr(cls, "name", None) or cls.__name__
        args = SpiderArgs.parse(name, raw)
        if args.edition and args.edition not in cls.editions:
            raise StartupError(
                f"{name}: invalid spider argument(s): -a edition={args.edition!r}:"
                f" unknown edition {args.edition!r}, choose from {', '.join(sorted(cls.editions))}"
            )
        return args

    # --- start ------------------------------------------------------------
    async def start(self) -> AsyncIterator[Request]:
        if self.args.urls:
            for url in self.args.urls:
                if (checked := self.explicit_url(url)) is not None:
                    yield self.article_request(Link(checked), explicit=True)
            return
        for key, edition in self.editions.items():
            if self.args.edition and key != self.args.edition:
                continue
            for url in edition.feeds:
                yield Request(url, self.parse_feed, errback=self.on_error, meta={"edition": key})
            for url in edition.sitemaps:
                yield Request(url, self.parse_sitemap, errback=self.on_error, meta={"edition": key})
            for url in edition.listings:
                yield self.listing_request(url, key, 1)

    # --- discovery --------------------------------------------------------
    def parse_feed(self, response: Response) -> Iterator[Request]:
        links = feed_links(response.body)
        self._count("feed_links", len(links))
        yield from self.article_requests(links, response)

    def parse_sitemap(self, response: Response) -> Iterator[Request]:
        children, links = sitemap_links(response.body)
        for child in children:
            yield Request(child.url, self.parse_sitemap, errback=self.on_error, meta=response.meta.copy())
        self._count("sitemap_links", len(links))
        yield from self.article_requests(links, response)

    def parse_listing(self, response: Response) -> Iterator[Request]:
        if not isinstance(response, TextResponse):
            self._drop(response, "not_text")
            return
        hrefs = response.css(self.listing_links).xpath("@href").getall()
        links = (Link(canonical_url(response.urljoin(h))) for h in hrefs)
        yield from self.article_requests(links, response)
        page = int(response.meta.get("page", 1))
        if self.next_page and page < self.max_pages:
            if href := response.css(self.next_page).xpath("@href").get():
                yield self.listing_request(response.urljoin(href), response.meta.get("edition"), page + 1)

    def article_requests(self, links: Iterable[Link], response: Response) -> Iterator[Request]:
        for link in links:
            if not self.article_url.match(link.url):
                continue
            # no publication date: a page last modified before `since` was published before it too
            if self.args.since and (when := link.published or link.lastmod) and when < self.args.since:
                self._count("skipped/since")
                continue
            # a later lastmod says nothing about the publication date: only `published` counts
            if self.args.until and link.published and link.published > self.args.until:
                self._count("skipped/until")
                continue
            if (limit := self.settings.getint("URLLENGTH_LIMIT")) and len(link.url) > limit:
                self._refuse(link.url, "url_too_long", "longer than URLLENGTH_LIMIT")
                continue
            yield self.article_request(link)

    def explicit_target(self, url: str) -> str:
        """The URL an explicit entry is fetched as (a spider may rewrite mirror hosts)."""
        return url

    def explicit_url(self, raw: str) -> str | None:
        """The canonical form of an ``-a urls`` entry, or None (refusal counted and logged)."""
        shown = raw if len(raw) <= 200 else raw[:200] + "..."
        try:
            parts = urlsplit(raw)
            host = parts.hostname or ""
        except ValueError as exc:
            self._refuse(shown, "bad_url", f"not a URL ({exc})")
            return None
        if parts.scheme.lower() not in ("http", "https") or not host:
            self._refuse(shown, "bad_url", "only http(s) URLs with a host are fetched")
            return None
        limit = self.settings.getint("URLLENGTH_LIMIT")
        if limit and len(raw) > limit:
            self._refuse(shown, "url_too_long", f"{len(raw)} characters, URLLENGTH_LIMIT is {limit}")
            return None
        if not self.settings.get("NEWSCRAWL_REPLAY") and refused_host(host):
            self._refuse(shown, "offsite", "loopback, private or link-local address")
            return None
        url = self.explicit_target(canonical_url(raw))
        domains: list[str] = list(getattr(self, "allowed_domains", None) or [])
        if domains and not url_is_from_any_domain(url, domains):
            self._refuse(shown, "offsite", f"not on {', '.join(domains)}")
            return None
        return url

    # --- requests ---------------------------------------------------------
    def article_request(self, link: Link, *, explicit: bool = False) -> Request:
        info = {
            "kind": "article",
            "published": link.published.isoformat() if link.published else None,
            "lastmod": link.lastmod.isoformat() if link.lastmod else None,
            "explicit": explicit,
        }
        return Request(
            link.url,
            self.parse_article,
            errback=self.on_error,
            meta={"newscrawl": info},
        )

    def listing_request(self, url: str, edition: str | None, page: int) -> Request:
        return Request(
            url, self.parse_listing, errback=self.on_error, meta={"edition": edition, "page": page}
        )

    # --- articles ---------------------------------------------------------
    def parse_article(self, response: Response) -> Iterator[dict[str, Any]]:
        parser = parser_for(response.url)
        if parser is None:
            self._drop(response, "no_parser")
            return
        if not isinstance(response, TextResponse):
            self._drop(response, "not_text")
            return
        if kind := parser.page_kind(response):
            self._count(f"skipped/{kind}")
            self.logger.info("Skipped %s: %s page, not an article", response.url, kind)
            response.meta.setdefault("newscrawl", {})["skipped"] = kind  # the seen-store remembers it
            return
        try:
            fields = parser.parse(response, report=self.field_errors)
        except Exception as exc:
            # counted, then Scrapy's own handling: "Spider error processing <url>" with the
            # traceback, spider_exceptions/<type> (the exceptions monitor); the crawl goes on
            self._count("parse_error")
            exc.add_note(f"newscrawl: {type(parser).__name__} failed on {response.url}")
            raise
        value = fields.get("published_at")
        published = parse_iso(value, UTC) if isinstance(value, str) else None
        if published and self.args.since and published.value < self.args.since:
            self._count("skipped/since")
            return
        if published and self.args.until and published.value > self.args.until:
            self._count("skipped/until")
            self.logger.info("Skipped %s: published %s, after until", response.url, published.iso())
            return
        yield fields

    # --- accounting -------------------------------------------------------
    @cached_property
    def field_errors(self) -> FieldErrors:
        """Fields a parser could not read: ``newscrawl/parse_error/<field>``, logged once per field."""
        return FieldErrors(getattr(self, "crawler", None))

    def on_error(self, failure: Failure) -> None:
        request = failure.request  # type: ignore[attr-defined]
        if isinstance(failure.value, RetryLater):
            return  # retried once its Retry-After is over; that attempt's outcome counts
        if isinstance(failure.value, IgnoreRequest) and "robots.txt" in str(failure.value):
            self._count("skipped/robots_txt")
            self.logger.info("Skipped %s: disallowed by robots.txt", request.url)
            return
        if isinstance(failure.value, HttpError):
            reason = f"http_{failure.value.response.status}"
        elif isinstance(failure.value, IgnoreRequest) and "max redirections" in str(failure.value):
            reason = "redirect_loop"
        else:
            reason = re.sub(r"(?<!^)(?=[A-Z])", "_", type(failure.value).__name__).lower()
        self._count(f"failed/{reason}")
        failed_url(self.crawler, request.url, reason)  # the run report lists them
        self.logger.warning("Failed %s: %s (%s)", request.url, reason, failure.getErrorMessage())

    def _refuse(self, url: str, reason: str, why: str) -> None:
        self._count(f"skipped/{reason}")
        self.logger.warning("Refused %s: %s (%s)", url, reason, why)

    def _drop(self, response: Response, reason: str) -> None:
        self._count(f"dropped/{reason}")
        self.logger.warning("Dropped %s: %s", response.url, reason)

    def _count(self, key: str, count: int = 1) -> None:
        inc(self.crawler, key, count)
