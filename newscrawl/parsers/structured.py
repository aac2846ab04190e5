"""Read the stable contract of a page: JSON-LD articles and meta tags.

Pure functions over a parsel ``Selector``; no site knowledge here.
"""

from __future__ import annotations

import json
import logging
import weakref
from collections.abc import Iterator
from typing import Any

from lxml import etree
from parsel import Selector

from newscrawl.text import clean_text

logger = logging.getLogger(__name__)

ARTICLE_TYPES = {
    "NewsArticle", "Article", "ReportageNewsArticle", "AnalysisNewsArticle",
    "OpinionNewsArticle", "BackgroundNewsArticle", "BlogPosting", "LiveBlogPosting",
    "ReviewNewsArticle", "Report", "SatiricalArticle", "TechArticle",
}  # fmt: skip


def _walk(node: Any) -> Iterator[dict[str, Any]]:
    if isinstance(node, list):
        for child in node:
            yield from _walk(child)
    elif isinstance(node, dict):
        yield node
        for key in ("@graph", "mainEntity", "mainEntityOfPage"):
            if isinstance(node.get(key), (list, dict)):
                yield from _walk(node[key])


def _types(node: dict[str, Any]) -> set[str]:
    kind = node.get("@type", ())
    return {str(t).rsplit("/", 1)[-1] for t in ([kind] if isinstance(kind, str) else kind)}


def jsonld_article(sel: Selector) -> dict[str, Any]:
    """The first JSON-LD object typed as an article (``@graph`` and lists included).

    Malformed blocks are skipped (logged at debug): a broken script tag on a
    page must not hide the other layers.
    """
    for raw in sel.xpath('//script[contains(@type, "ld+json")]/text()').getall():
        try:
            data = json.loads(raw.strip().rstrip(";"), strict=False)
        except ValueError:
            logger.debug("Skipping malformed JSON-LD block")
            continue
        for node in _walk(data):
            if _types(node) & ARTICLE_TYPES:
                return node
    return {}


def names(value: Any) -> list[str]:
    """Person/organisation names from a JSON-LD ``author`` value (str, dict or list)."""
    items = value if isinstance(value, list) else [value]
    out: list[str] = []
    for item in items:
        name = item.get("name") if isinstance(item, dict) else item
        if isinstance(name, list):
            name = " ".join(str(n) for n in name)
        text = clean_text(str(name)) if name else ""
        if text and not text.startswith("http") and text not in out:
            out.append(text)
    return out


def first_url(value: Any) -> str | None:
    """A URL from a JSON-LD ``image`` value (str, ImageObject or list)."""
    if isinstance(value, list):
        value = value[0] if value else None
    if isinstance(value, dict):
        value = value.get("url") or value.get("contentUrl")
    return str(value) if value else None


def text_list(value: Any) -> list[str]:
    """Keywords/sections given as a list or a comma-separated string."""
    if isinstance(value, str):
        value = value.split(",")
    if not isinstance(value, list):
        return []
    return [t for t in (clean_text(str(v)) for v in value) if t]


META_ATTRS = ("property", "name", "itemprop")


class _MetaIndex:
    """Every ``<meta content>`` of a document, read in one pass (``meta`` is called
    for a dozen names per page; one XPath scan per name and attribute was the
    parser's largest cost). Same answers as the per-name XPath queries:

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
                    self.first.setdefault((attr, value), content)
            for value in {node.get("property"), node.get("name")} - {None}:
                self.every.setdefault(value, []).append(content)


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
                value = index.first.get((attr, name))
            else:
                value = sel.xpath(f'//meta[@{attr}="{name}"]/@content').get()
            if value and value.strip():
                return value.strip()
    return None


def meta_all(sel: Selector, name: str) -> list[str]:
    index = _meta_index(sel)
    if index is not None:
        values = index.every.get(name, [])
    else:
        values = sel.xpath(f'//meta[@property="{name}" or @name="{name}"]/@content').getall()
    return [clean_text(v) for v in values if clean_text(v)]
