"""Read the stable contract of a page: JSON-LD articles and meta tags.

Pure functions over a parsel ``Selector``; no site knowledge here.
"""

from __future__ import annotations

import json
import logging
import weakref
from collections.abc import Iterator
from functools import lru_cache
from html import unescape
from typing import Any

from lxml import etree
from parsel import Selector
from parsel.csstranslator import css2xpath

from newscrawl.text import clean_text

logger = logging.getLogger(__name__)

ARTICLE_TYPES = {
    "NewsArticle", "Article", "ReportageNewsArticle", "AnalysisNewsArticle",
    "OpinionNewsArticle", "BackgroundNewsArticle", "BlogPosting", "LiveBlogPosting",
    "ReviewNewsArticle", "Report", "SatiricalArticle", "TechArticle", "ScholarlyArticle",
    "AskPublicNewsArticle", "SocialMediaPosting", "DiscussionForumPosting", "Blog",
}  # fmt: skip


def walk(node: Any) -> Iterator[dict[str, Any]]:
    """Every JSON-LD object in ``node``: lists, ``@graph``, ``mainEntity`` and
    ``mainEntityOfPage`` are entered (depth-bounded: a hostile page cannot recurse forever)."""
    yield from _walk(node, 0)


def _walk(node: Any, depth: int) -> Iterator[dict[str, Any]]:
    if depth > 8:
        return
    if isinstance(node, list):
        for child in node:
            yield from _walk(child, depth + 1)
    elif isinstance(node, dict):
        yield node
        for key in ("@graph", "mainEntity", "mainEntityOfPage"):
            if isinstance(node.get(key), (list, dict)):
                yield from _walk(node[key], depth + 1)


def types(node: dict[str, Any]) -> set[str]:
    """The ``@type`` names of a node (``"NewsArticle"``, ``["Article", "NewsArticle"]``,
    ``"http://schema.org/NewsArticle"``), anything else ignored."""
    kind = node.get("@type", ())
    kinds = [kind] if isinstance(kind, str) else kind if isinstance(kind, list) else []
    return {str(t).rsplit("/", 1)[-1] for t in kinds if isinstance(t, (str, int))}


# Keyed by the Selector, not the document (see _META_INDEXES below).
_JSONLD: weakref.WeakKeyDictionary[Selector, list[dict[str, Any]]] = weakref.WeakKeyDictionary()


def jsonld_nodes(sel: Selector) -> list[dict[str, Any]]:
    """Every JSON-LD object of the page, each ``<script>`` block parsed once per page.

    Malformed blocks are skipped (logged at debug): a broken script tag on a
    page must not hide the other layers.
    """
    if (cached := _JSONLD.get(sel)) is not None:
        return cached
    found: list[dict[str, Any]] = []
    for raw in sel.xpath('//script[contains(@type, "ld+json")]/text()').getall():
        try:
            data = json.loads(raw.strip().rstrip(";"), strict=False)
        except (ValueError, RecursionError):
            logger.debug("Skipping malformed JSON-LD block")
            continue
        found.extend(walk(data))
    _JSONLD[sel] = found
    return found


_NEXT_DATA: weakref.WeakKeyDictionary[Selector, Any] = weakref.WeakKeyDictionary()


def next_data(sel: Selector) -> Any:
    """The page's Next.js ``<script id="__NEXT_DATA__">`` JSON, parsed once per page (keyed
    on the selector, as ``jsonld_nodes``); None when the page has none or it is malformed."""
    if sel in _NEXT_DATA:
        return _NEXT_DATA[sel]
    raw = sel.xpath('//script[@id="__NEXT_DATA__"]/text()').get()
    try:
        data = json.loads(raw) if raw else None
    except (ValueError, RecursionError):
        logger.debug("Skipping malformed __NEXT_DATA__ block")
        data = None
    _NEXT_DATA[sel] = data
    return data


def jsonld_types(sel: Selector) -> set[str]:
    """The ``@type`` names of every JSON-LD object of the page."""
    out: set[str] = set()
    for node in jsonld_nodes(sel):
        out |= types(node)
    return out


def jsonld_article(sel: Selector) -> dict[str, Any]:
    """The first JSON-LD object typed as an article (``@graph`` and lists included)."""
    for node in jsonld_nodes(sel):
        if types(node) & ARTICLE_TYPES:
            return node
    return {}


def as_text(value: Any) -> str:
    """A JSON-LD value as one clean string, whatever its shape: a string (HTML
    entities unescaped, also when double-escaped), a number, a ``{"name"|"@value"|
    "text": ...}`` object, or a list (its first non-empty member). Else ``""``."""
    if isinstance(value, str):
        return clean_text(unescape(unescape(value)) if "&" in value else value)
    if isinstance(value, bool) or value is None:
        return ""
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, dict):
        for key in ("name", "@value", "text", "headline"):
            if text := as_text(value.get(key)):
                return text
        return ""
    if isinstance(value, list):
        for member in value[:20]:
            if text := as_text(member):
                return text
    return ""


def names(value: Any) -> list[str]:
    """Person/organisation names from a JSON-LD ``author`` value (str, dict or list)."""
    items = value if isinstance(value, list) else [value]
    out: list[str] = []
    for item in items:
        name = item.get("name") if isinstance(item, dict) else item
        if isinstance(name, list):
            name = " ".join(as_text(n) for n in name)
        text = as_text(name)
        if text and not text.startswith("http") and text not in out:
            out.append(text)
    return out


def urls(value: Any) -> list[str]:
    """URLs from a JSON-LD ``image``-like value: a string, an ``ImageObject``
    (``url``/``contentUrl``/``@id``), or a (nested) list of these, in order."""
    out: list[str] = []
    stack = [value]
    while stack and len(out) < 50:
        item = stack.pop(0)
        if isinstance(item, list):
            stack[:0] = item[:50]
        elif isinstance(item, dict):
            stack.insert(0, item.get("url") or item.get("contentUrl") or item.get("@id"))
        elif isinstance(item, str) and (url := item.strip()) and " " not in url and url not in out:
            out.append(url)
    return out


def first_url(value: Any) -> str | None:
    """The first URL of a JSON-LD ``image`` value (str, ImageObject or list)."""
    found = urls(value)
    return found[0] if found else None


def text_list(value: Any) -> list[str]:
    """Keywords/sections given as a list or a comma-separated string."""
    if isinstance(value, str):
        value = value.split(",")
    if not isinstance(value, list):
        return []
    return [t for t in (as_text(v) for v in value) if t]


def elements(query: etree.XPath, root: Any) -> list[etree._Element]:
    """The elements a compiled XPath selects under ``root`` (text and attribute results dropped)."""
    found = query(root)
    return [n for n in found if isinstance(n, etree._Element)] if isinstance(found, list) else []


def root_of(sel: Selector) -> Any:
    """The lxml element a selector wraps, or None (a text or JSON selector)."""
    return sel.root if isinstance(sel.root, etree._Element) else None


def inside(element: Any, tags: frozenset[str]) -> bool:
    """``element`` has an ancestor whose tag is one of ``tags`` (``nav``, ``footer``, ...)."""
    return any(getattr(a, "tag", None) in tags for a in element.iterancestors())


def strings(query: etree.XPath, root: Any) -> list[str]:
    """The string results (attributes, text) of a compiled XPath under ``root``."""
    found = query(root)
    return [str(n) for n in found if isinstance(n, str)] if isinstance(found, list) else []


@lru_cache(maxsize=512)
def compiled_css(css: str) -> etree.XPath:
    """A CSS selector compiled once (per process) to an lxml XPath, as parsel translates it."""
    return etree.XPath(css2xpath(css))


def select(sel: Selector, css: str) -> list[etree._Element]:
    """``sel.css(css)`` as lxml elements, through the compiled XPath (no Selector objects)."""
    if not isinstance(sel.root, etree._Element):
        return []
    return elements(compiled_css(css), sel.root)


def short_text(node: Any, limit: int) -> str:
    """The first ``limit``-odd characters of ``node``'s text (a long element is not read whole)."""
    parts: list[str] = []
    size = 0
    for text in node.itertext():
        parts.append(str(text))
        size += len(text)
        if size > limit:
            break
    return "".join(parts)


META_ATTRS = ("property", "name", "itemprop")


class _MetaIndex:
    """Every ``<meta content>`` of a document, read in one pass (``meta`` is called
    for a dozen names per page; one XPath scan per name and attribute was the
    parser's largest cost). Same answers as the per-name XPath queries:

    Names are compared case-insensitively (``DC.date.issued`` = ``dc.date.issued``).
    ``first[(attr, value)]``: ``content`` of the first ``<meta>`` whose ``attr`` is
    ``value`` (``//meta[@attr="value"]/@content``, first match);
    ``every[value]``: contents of the ``<meta>`` whose ``property`` or ``name`` is
    ``value``, in document order (``//meta[@property=... or @name=...]/@content``).
    """

    def __init__(self, nodes: list[Any]) -> None:
        self.first: dict[tuple[str, str], str] = {}
        self.every: dict[str, list[str]] = {}
        for node in nodes:
            content = str(node.get("content"))
            for attr in META_ATTRS:
                if (value := node.get(attr)) is not None:
                    self.first.setdefault((attr, value.strip().lower()), content)
            for value in {node.get("property"), node.get("name")} - {None}:
                self.every.setdefault(value.strip().lower(), []).append(content)


# Keyed by the Selector, not the document: parsers drop nodes only in copies, so
# a selector's document does not change while it is alive.
_META_INDEXES: weakref.WeakKeyDictionary[Selector, _MetaIndex] = weakref.WeakKeyDictionary()


def _meta_index(sel: Selector) -> _MetaIndex | None:
    if not isinstance(sel.root, etree._Element):
        return None
    index = _META_INDEXES.get(sel)
    if index is None:
        nodes = sel.root.xpath("//meta[@content]")
        index = _META_INDEXES[sel] = _MetaIndex(nodes if isinstance(nodes, list) else [])
    return index


def meta(sel: Selector, *names_: str) -> str | None:
    """The first non-empty ``content`` of ``<meta property|name|itemprop=...>``."""
    index = _meta_index(sel)
    for name in names_:
        for attr in META_ATTRS:
            if index is not None:
                value = index.first.get((attr, name.lower()))
            else:
                value = sel.xpath(f'//meta[@{attr}="{name}"]/@content').get()
            if value and value.strip():
                return unescape(value.strip()) if "&" in value else value.strip()
    return None


def meta_all(sel: Selector, name: str) -> list[str]:
    index = _meta_index(sel)
    if index is not None:
        values = index.every.get(name.lower(), [])
    else:
        values = sel.xpath(f'//meta[@property="{name}" or @name="{name}"]/@content').getall()
    return [clean_text(v) for v in values if clean_text(v)]
