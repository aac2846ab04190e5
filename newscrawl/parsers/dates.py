"""Publication and modification dates: every layer a page may state them in, strongest first.

``published(...)`` returns the date with the layer's name (recorded in
``extraction.published_at``).

The page's own statements vote (see ``published``):

1. ``jsonld``    ``datePublished``/``dateCreated`` of the article node, else of any node
2. ``meta``      ``article:published_time`` and the other common ``<meta>`` conventions
3. ``selectors`` the source's own ``date_css`` (``@datetime`` or visible text)
4. ``html``      microdata ``itemprop=datePublished`` and ``<time datetime>`` in the page
5. ``text``      a visible date in a date-like element (class/id naming a date, time,
                 byline...): every form ``text.parse_visible_date`` reads, and relative
                 forms ("3 hours ago", "منذ 3 ساعات") against the response's ``Date``

then, when the page states none of these, in order:

6. ``generic``   htmldate's extensive search over the same lxml tree
7. ``url``       a date in the URL path (day precision)
8. ``feed``      the date of the feed/sitemap entry that led to the page (request meta)
9. ``http``      the response's ``Last-Modified`` header, last

Precision is truthful: a date-only value is ``day`` (time 00:00 of the assumed
offset, never an invented time of day); an offset the page does not state is the
source's default and recorded as assumed.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timezone
from typing import Any

from lxml import etree
from parsel import Selector
from scrapy.http import TextResponse

from newscrawl.parsers.structured import (
    ARTICLE_TYPES,
    as_text,
    elements,
    inside,
    jsonld_nodes,
    meta,
    root_of,
    select,
    short_text,
    strings,
    types,
)
from newscrawl.text import (
    ParsedDate,
    clean_text,
    date_in_url,
    parse_iso,
    parse_relative_date,
    parse_rfc822,
    parse_visible_date,
)

logger = logging.getLogger(__name__)

PUBLISHED_META = (
    "article:published_time", "og:article:published_time", "og:published_time", "datePublished",
    "article.published", "pubdate", "publishdate", "publish-date", "publish_date", "published_date",
    "published-date", "publication_date", "date.published", "dc.date.issued", "dcterms.issued",
    "dc.date.created", "dcterms.created", "dc.date", "dcterms.date", "citation_publication_date",
    "citation_date", "parsely-pub-date", "sailthru.date", "article:published", "date", "created",
    "original-publish-date", "cxenseparse:recs:publishtime", "rnews:datepublished", "datecreated",
    "release_date", "timestamp",
)  # fmt: skip
MODIFIED_META = (
    "article:modified_time", "og:updated_time", "og:article:modified_time", "dateModified",
    "article.updated", "dcterms.modified", "dc.date.modified", "last-modified", "lastmod",
)  # fmt: skip

# Elements whose class, id or itemprop names a date: where pages show it.
_DATEISH = (
    "date", "time", "publish", "posted", "byline", "dateline", "meta", "datum", "fecha", "data-",
    "topline", "info", "stamp", "تاريخ",
)  # fmt: skip
_DATEISH_RE = re.compile("|".join(_DATEISH), re.I)
_LABELLED = etree.XPath("//*[@class or @id][not(self::script or self::style or self::meta or self::link)]")
_MICRODATA = etree.XPath(
    "//*[@itemprop='datePublished' or @itemprop='dateCreated' or @property='datePublished']"
    "[not(self::meta)]/@content"
    " | //*[@itemprop='datePublished' or @itemprop='dateCreated']/@datetime"
)
_TIMES = etree.XPath("//time[@datetime]")
_DATETIME = etree.XPath("./@datetime | .//@datetime")
_FURNITURE = frozenset(("nav", "footer", "aside", "header", "form"))
MAX_TEXT_CANDIDATES = 60  # date-like elements read at most (a page of 100,000 stays linear and cheap)


def _jsonld_values(sel: Selector, *keys: str) -> Iterator[str]:
    """The ``keys`` of the article node first, then of any node that has them."""
    nodes = jsonld_nodes(sel)
    ordered = [n for n in nodes if types(n) & ARTICLE_TYPES] + [
        n for n in nodes if not types(n) & ARTICLE_TYPES
    ]
    for node in ordered:
        for key in keys:
            if text := as_text(node.get(key)):
                yield text


def _in_furniture(element: Any) -> bool:
    return inside(element, _FURNITURE)


def _html_dates(sel: Selector, default_offset: timezone) -> ParsedDate | None:
    root = root_of(sel)
    if root is None:
        return None
    for value in strings(_MICRODATA, root):
        if parsed := parse_iso(str(value), default_offset) or parse_visible_date(str(value), default_offset):
            return parsed
    times = [t for t in elements(_TIMES, root) if not _in_furniture(t)]
    # <time pubdate> and itemprop'd times first, then the first time of the page
    times.sort(key=lambda t: 0 if t.get("pubdate") is not None or t.get("itemprop") else 1)
    for node in times[:10]:
        value = str(node.get("datetime") or "")
        if parsed := parse_iso(value, default_offset) or parse_visible_date(value, default_offset):
            return parsed
    return None


def _base_time(response: TextResponse, crawled_at: datetime) -> datetime:
    date = parse_rfc822((response.headers.get(b"Date") or b"").decode("latin-1"))
    return date.value if date else crawled_at


def _text_dates(
    sel: Selector, response: TextResponse, default_offset: timezone, crawled_at: datetime
) -> ParsedDate | None:
    root = root_of(sel)
    if root is None:
        return None
    base: datetime | None = None
    seen = 0
    for node in elements(_LABELLED, root):
        if len(node) > 12 or not _DATEISH_RE.search(f"{node.get('class') or ''} {node.get('id') or ''}"):
            continue  # a container of many blocks is not a date line
        if _in_furniture(node):
            continue
        text = clean_text(short_text(node, 300))
        if not text or len(text) > 200:
            continue
        seen += 1
        if parsed := parse_visible_date(text, default_offset):
            return parsed
        base = base or _base_time(response, crawled_at)
        if parsed := parse_relative_date(text, base.astimezone(default_offset)):
            return parsed
        if seen >= MAX_TEXT_CANDIDATES:
            break
    return None


def _generic(tree: Any, default_offset: timezone) -> ParsedDate | None:
    from htmldate import find_date  # lazy: most pages state their date earlier

    try:
        found = find_date(tree, original_date=True, extensive_search=True, outputformat="%Y-%m-%d")
    except Exception as exc:  # noqa: BLE001 - a third-party heuristic must not cost the article
        logger.debug("htmldate failed: %r", exc)
        return None
    return parse_iso(str(found), default_offset) if found else None


def _request_meta(response: TextResponse) -> dict[str, Any]:
    try:
        info = response.meta.get("newscrawl")
    except AttributeError:  # a response built without a request (tests, the parse CLI)
        return {}
    return info if isinstance(info, dict) else {}


def published(
    sel: Selector,
    response: TextResponse,
    *,
    default_offset: timezone,
    date_css: str | None = None,
    generic: bool = True,
    crawled_at: datetime | None = None,
) -> tuple[ParsedDate, str] | None:
    """The publication date and the layer that stated it, or None when the page has none.

    The page's own layers (JSON-LD, meta, selectors, ``<time>``/microdata, visible
    text) are read and vote by day: the day most of them state wins (ties go to the
    stronger layer), and the strongest layer stating that day supplies the moment.
    One stale ``datePublished`` or a sidebar's date is outvoted that way. Without any
    of them: htmldate, the URL, the feed entry, ``Last-Modified``, in that order.
    """
    now = crawled_at or datetime.now(UTC)
    layers: list[tuple[str, Callable[[], ParsedDate | None]]] = [
        ("jsonld", lambda: _jsonld_date(sel, default_offset)),
        ("meta", lambda: _meta_date(sel, PUBLISHED_META, default_offset)),
        ("selectors", lambda: selector_date(sel, date_css, default_offset) if date_css else None),
        ("html", lambda: _html_dates(sel, default_offset)),
        ("text", lambda: _text_dates(sel, response, default_offset, now)),
    ]
    if winner := _vote(layers):
        return winner
    if generic and (root := root_of(sel)) is not None and (parsed := _generic(root, default_offset)):
        return parsed, "generic"
    if day := date_in_url(response.url):
        return ParsedDate(datetime(*day, tzinfo=default_offset), "day", True), "url"
    info = _request_meta(response)
    for key in ("published", "lastmod"):
        if parsed := parse_iso(info.get(key), default_offset):
            return parsed, "feed"
    header = (response.headers.get(b"Last-Modified") or b"").decode("latin-1")
    if parsed := parse_rfc822(header):
        return parsed, "http"
    return None


def _vote(layers: list[tuple[str, Callable[[], ParsedDate | None]]]) -> tuple[ParsedDate, str] | None:
    """The candidate of the strongest layer stating the day most layers state. Layers
    are read in order and no further once two agree and none disagrees, or the leading
    day cannot be outvoted by those left: the page's text is scanned only when the
    structured layers are missing or at odds."""
    found: list[tuple[str, ParsedDate]] = []
    for index, (layer, read) in enumerate(layers):
        if (parsed := read()) is not None:
            found.append((layer, parsed))
        left = len(layers) - index - 1
        days = [p.value.date() for _, p in found]
        counts = sorted((days.count(d) for d in set(days)), reverse=True)
        unanimous = len(counts) == 1 and counts[0] >= 2
        if counts and (unanimous or counts[0] > (counts[1] if len(counts) > 1 else 0) + left):
            break
    if not found:
        return None
    days = [parsed.value.date() for _, parsed in found]
    # most votes first; among equals, the day of the strongest (earliest) layer
    best = max(range(len(found)), key=lambda i: (days.count(days[i]), -i))
    return next((parsed, layer) for layer, parsed in found if parsed.value.date() == days[best])


def _jsonld_date(sel: Selector, default_offset: timezone) -> ParsedDate | None:
    for value in _jsonld_values(sel, "datePublished", "dateCreated", "uploadDate"):
        if parsed := parse_iso(value, default_offset) or parse_visible_date(value, default_offset):
            return parsed
    return None


def modified(
    sel: Selector, *, default_offset: timezone, modified_css: str | None = None
) -> ParsedDate | None:
    for value in _jsonld_values(sel, "dateModified"):
        if parsed := parse_iso(value, default_offset):
            return parsed
    if parsed := _meta_date(sel, MODIFIED_META, default_offset):
        return parsed
    if modified_css:
        return selector_date(sel, modified_css, default_offset)
    return None


def _meta_date(sel: Selector, names: tuple[str, ...], default_offset: timezone) -> ParsedDate | None:
    for name in names:
        value = meta(sel, name)
        if value and (
            parsed := parse_iso(value, default_offset) or parse_visible_date(value, default_offset)
        ):
            return parsed
    return None


def selector_date(sel: Selector, css: str, default_offset: timezone) -> ParsedDate | None:
    """The date of the first element ``css`` selects: its ``@datetime``, else its text."""
    nodes = select(sel, css)
    machine = next((str(v) for n in nodes for v in strings(_DATETIME, n)), None)
    visible = clean_text(" ".join(str(t) for n in nodes for t in n.itertext()))
    return parse_iso(machine, default_offset) or parse_visible_date(visible, default_offset)
