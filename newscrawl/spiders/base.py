"""NewsSpider: discovery from feeds, sitemaps and listings; parsing is delegated.

A source spider is declarative. Knobs (class attributes):

    name              the source slug (also the Article ``source``)
    allowed_domains   hosts the spider may fetch
    editions          {"en": Edition(feeds=..., sitemaps=..., listings=...), "ar": ...}
    article_url       compiled regex matched against an absolute URL: is it an article?
    listing_links     CSS for candidate links on listing pages (default ``a[href]``)
    next_page         CSS for the pagination link on listing pages (None: no paging)
    default_max_pages listing pages followed per listing when ``-a max_pages`` is absent

Arguments (``-a name=value``, validated by ``SpiderArgs``):

    urls       comma-separated article URLs: fetch and parse only these (re-parse, backfill)
    since      ISO date/datetime: skip articles whose feed/sitemap date is older
    edition    one edition key (``en``/``ar``); default all
    max_pages  bound on listing pagination

Every article request carries ``meta["newscrawl"]`` = ``{"kind": "article",
"published": iso|None, "lastmod": iso|None, "explicit": bool}`` so downloader
components (the seen-store) can act on articles without knowing the spider.
Failures (HTTP errors, timeouts) are counted under ``newscrawl/failed/<reason>``
and logged with the URL; pages that do not parse are counted under
``newscrawl/parse_error``. Non-article pages (``ArticleParser.page_kind``) and
robots.txt refusals are skipped, not failed: ``newscrawl/skipped/<kind>``,
``newscrawl/skipped/robots_txt``.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, ClassVar

from pydantic import BaseModel, Field, ValidationError, field_validator
from scrapy import Request, Spider
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response, TextResponse
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure

from newscrawl.discovery import Link, feed_links, sitemap_links
from newscrawl.parsers import parser_for
from newscrawl.stats import inc
from newscrawl.text import canonical_url, parse_iso


@dataclass(frozen=True)
class Edition:
    feeds: tuple[str, ...] = ()
    sitemaps: tuple[str, ...] = ()
    listings: tuple[str, ...] = ()


class SpiderArgs(BaseModel):
    """The ``-a`` arguments every spider takes (strings from the command line or Scrapyd)."""

    urls: list[str] = Field(default_factory=list)
    since: datetime | None = None
    edition: str | None = None
    max_pages: int | None = Field(default=None, ge=1)

    @field_validator("urls", mode="before")
    @classmethod
    def _split(cls, value: Any) -> Any:
        if isinstance(value, str):
            return [u.strip() for u in value.split(",") if u.strip()]
        return value

    @field_validator("since", mode="before")
    @classmethod
    def _since(cls, value: Any) -> Any:
        if isinstance(value, str):
            parsed = parse_iso(value, UTC)
            if parsed is None:
                raise ValueError(f"not an ISO date or datetime: {value!r}")
            return parsed.value
        return value


class NewsSpider(Spider):
    editions: ClassVar[dict[str, Edition]] = {}
    article_url: ClassVar[re.Pattern[str]] = re.compile(r"$^")
    listing_links: ClassVar[str] = "a[href]"
    next_page: ClassVar[str | None] = None
    default_max_pages: ClassVar[int] = 3

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        known = {k: kwargs.pop(k) for k in list(kwargs) if k in SpiderArgs.model_fields}
        super().__init__(*args, **kwargs)
        try:
            self.args = SpiderArgs(**known)
        except ValidationError as exc:
            raise ValueError(f"{self.name}: invalid spider argument(s): {exc}") from exc
        if self.args.edition and self.args.edition not in self.editions:
            raise ValueError(
                f"{self.name}: unknown edition {self.args.edition!r}; choose from {sorted(self.editions)}"
            )
        self.max_pages = self.args.max_pages or self.default_max_pages

    # --- start ------------------------------------------------------------
    async def start(self) -> AsyncIterator[Request]:
        if self.args.urls:
            for url in self.args.urls:
                yield self.article_request(Link(canonical_url(url)), explicit=True)
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
            yield self.article_request(link)

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
            dont_filter=explicit,
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
            fields = parser.parse(response)
        except Exception as exc:  # noqa: BLE001 - a bad page is a counted drop, not a crash
            self._count("parse_error")
            self.logger.error("Parse error on %s: %r", response.url, exc)
            return
        if self.args.since and self._older_than_since(fields.get("published_at")):
            self._count("skipped/since")
            return
        yield fields

    def _older_than_since(self, published_at: Any) -> bool:
        parsed = parse_iso(published_at, UTC) if isinstance(published_at, str) else None
        return bool(parsed and self.args.since and parsed.value < self.args.since)

    # --- accounting -------------------------------------------------------
    def on_error(self, failure: Failure) -> None:
        request = failure.request  # type: ignore[attr-defined]
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
        self.logger.warning("Failed %s: %s (%s)", request.url, reason, failure.getErrorMessage())

    def _drop(self, response: Response, reason: str) -> None:
        self._count(f"dropped/{reason}")
        self.logger.warning("Dropped %s: %s", response.url, reason)

    def _count(self, key: str, count: int = 1) -> None:
        inc(self.crawler, key, count)
