"""Discovery: article links and their dates from feeds and sitemaps.

Pure functions over response bodies. RSS 2.0 (incl. Media-RSS), Atom, sitemap
indexes and urlsets (incl. Google News ``news:publication_date``, which Scrapy's
``SitemapSpider`` drops) are read with a recovering XML parser; gzip bodies are
unpacked (bounded). Malformed or empty documents give no links, never an error.
"""

from __future__ import annotations

import gzip
import zlib
from dataclasses import dataclass
from datetime import UTC, datetime

from lxml import etree

from newscrawl.text import ParsedDate, canonical_url, parse_iso, parse_rfc822

MAX_UNZIPPED = 50 * 1024 * 1024


@dataclass(frozen=True)
class Link:
    """An article URL with what the feed or sitemap said about it."""

    url: str
    published: datetime | None = None
    lastmod: datetime | None = None


def _unzip(body: bytes) -> bytes:
    if body[:2] != b"\x1f\x8b":
        return body
    try:
        out = zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(body, MAX_UNZIPPED)
    except (zlib.error, gzip.BadGzipFile):
        return b""
    return out


def _root(body: bytes) -> etree._Element | None:
    data = _unzip(body).strip()
    if not data:
        return None
    parser = etree.XMLParser(recover=True, resolve_entities=False, no_network=True, huge_tree=True)
    try:
        return etree.fromstring(data, parser)
    except etree.XMLSyntaxError:
        return None


def _local(el: etree._Element) -> str:
    tag = el.tag
    return str(etree.QName(tag).localname) if isinstance(tag, str) else ""


def _children(el: etree._Element, *names: str) -> list[etree._Element]:
    return [c for c in el if _local(c) in names]


def _text(el: etree._Element, *names: str) -> str | None:
    for child in _children(el, *names):
        if child.text and child.text.strip():
            return child.text.strip()
    return None


def _when(value: str | None) -> datetime | None:
    parsed: ParsedDate | None = parse_iso(value, UTC) or parse_rfc822(value)
    return parsed.value if parsed else None


def feed_links(body: bytes) -> list[Link]:
    """Links of an RSS/Atom feed, with ``pubDate``/``published`` and ``updated`` dates."""
    root = _root(body)
    if root is None:
        return []
    links: list[Link] = []
    for item in root.iter():
        kind = _local(item)
        if kind == "item":
            url = _text(item, "link") or _text(item, "guid")
        elif kind == "entry":
            hrefs = [
                a.get("href") for a in _children(item, "link") if a.get("rel", "alternate") == "alternate"
            ]
            url = next((h for h in hrefs if h), None)
        else:
            continue
        if not url or not url.startswith("http"):
            continue
        links.append(Link(
            canonical_url(url),
            published=_when(_text(item, "pubDate", "published", "date", "issued")),
            lastmod=_when(_text(item, "updated", "modified")),
        ))  # fmt: skip
    return links


def sitemap_links(body: bytes) -> tuple[list[Link], list[Link]]:
    """(child sitemaps, article links) of a sitemap index or urlset."""
    root = _root(body)
    if root is None:
        return [], []
    children: list[Link] = []
    links: list[Link] = []
    for node in root:
        loc = _text(node, "loc")
        if not loc:
            continue
        lastmod = _when(_text(node, "lastmod"))
        if _local(node) == "sitemap":
            children.append(Link(loc.strip(), lastmod=lastmod))
        elif _local(node) == "url":
            published = None
            for news in _children(node, "news"):
                published = _when(_text(news, "publication_date"))
            links.append(Link(canonical_url(loc), published=published, lastmod=lastmod))
    return children, links
