"""The Python API: one page in, one validated ``Article`` out (``newscrawl.parse``).

::

    import newscrawl

    article = newscrawl.parse(html, "https://www.arabnews.com/node/2592171/saudi-arabia")
    article.title, article.published_at, article.model_dump(mode="json")

The parser is chosen by the URL's domain (``newscrawl.parsers.parser_for``), or by
``source`` (a spider name) for a page saved from another host. Nothing is fetched.
Errors are ``ValueError`` subclasses, each with a message meant for a person:

- ``UnsupportedSite``: no source parser covers the URL's host (there is no generic
  parser: an ``Article`` is always one of the four sources).
- ``NotAnArticle``: a video, gallery, live or author page (a crawl skips these).
- ``InvalidArticle``: the page breaks the output contract; ``.errors`` lists
  ``{"field", "reason"}`` as ``data/rejected/`` does and ``.fields`` holds what was
  extracted.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from pydantic import ValidationError
from scrapy.http import HtmlResponse, Request

from newscrawl.items import Article
from newscrawl.parsers import REGISTRY, parser_for
from newscrawl.parsers.base import ArticleParser
from newscrawl.sources import SOURCES


class UnsupportedSite(ValueError):
    """No source parser covers the URL's host."""


class NotAnArticle(ValueError):
    """The page is a video, gallery, live or author page."""

    def __init__(self, url: str, kind: str) -> None:
        super().__init__(f"{url} is a {kind} page, not an article (a crawl skips it)")
        self.url = url
        self.kind = kind


class InvalidArticle(ValueError):
    """The extracted fields break the ``Article`` contract."""

    def __init__(self, url: str, errors: list[dict[str, str]], fields: dict[str, Any]) -> None:
        reasons = "; ".join(f"{e['field']}: {e['reason']}" for e in errors)
        super().__init__(f"invalid article {url}: {reasons}")
        self.url = url
        self.errors = errors
        self.fields = fields


def choose_parser(url: str, source: str | None = None) -> ArticleParser:
    """The parser for ``source`` (a spider name) if given, else for the URL's domain."""
    if source is not None:
        domains: dict[str, str] = {}
        for domain, cls in REGISTRY.items():
            domains.setdefault(cls.source, domain)
        chosen = parser_for(f"https://{domains[source]}/") if source in domains else None
        if chosen is None:
            raise UnsupportedSite(f"unknown source {source!r}; choose from {', '.join(sorted(SOURCES))}")
        return chosen
    parser = parser_for(url)
    if parser is None:
        raise UnsupportedSite(
            f"no parser for {url}: newscrawl parses {', '.join(sorted(REGISTRY))}"
            " (a page saved from another host: give --url with its original URL, or --source)"
        )
    return parser


def validate(fields: Mapping[str, Any]) -> Article:
    """``Article`` from extracted fields; ``InvalidArticle`` lists what breaks the contract."""
    try:
        return Article(**fields)
    except ValidationError as exc:
        errors = [
            {"field": ".".join(str(p) for p in e["loc"]) or "item", "reason": e["msg"]}
            for e in exc.errors(include_url=False, include_input=False)
        ]
        raise InvalidArticle(str(fields.get("url")), errors, dict(fields)) from None


def parse_fields(
    html: str | bytes,
    url: str,
    *,
    source: str | None = None,
    headers: Mapping[str, str] | None = None,
    crawled_at: datetime | None = None,
) -> dict[str, Any]:
    """The parser's raw fields for one page, before validation (``NotAnArticle`` for a skip)."""
    parser = choose_parser(url, source)
    body = html.encode("utf-8") if isinstance(html, str) else html
    response = HtmlResponse(
        url=url,
        body=body,
        headers=dict(headers or {}),
        encoding="utf-8" if isinstance(html, str) else None,  # bytes: <meta charset>/headers decide
        request=Request(url),
    )
    if kind := parser.page_kind(response):
        raise NotAnArticle(url, kind)
    return parser.parse(response, crawled_at=crawled_at)


def parse(
    html: str | bytes,
    url: str,
    *,
    source: str | None = None,
    headers: Mapping[str, str] | None = None,
    crawled_at: datetime | None = None,
) -> Article:
    """Parse one article page offline into a validated ``Article``.

    ``html``: the page (``str``, or ``bytes`` decoded as its ``<meta charset>`` says);
    ``url``: where it was fetched (picks the parser; the record's ``url``); ``source``:
    force a source's parser; ``headers``: response headers, e.g. ``Date`` (Daily8's
    relative dates count from it); ``crawled_at``: defaults to now.
    Raises ``UnsupportedSite``, ``NotAnArticle`` or ``InvalidArticle``.
    """
    return validate(parse_fields(html, url, source=source, headers=headers, crawled_at=crawled_at))
