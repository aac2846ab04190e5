"""What kind of page is this? Non-article pages that discovery reaches are skipped, not failed.

Sites link video pages, photo galleries, live blogs and author pages from the
same feeds, sitemaps and listings as articles, often under article-shaped URLs.
``page_kind`` names such a page from the page's own structured data first, its
URL second; ``None`` means "treat it as an article".

Signals, strongest first:
1. JSON-LD ``@type`` of the page's main nodes: ``LiveBlogPosting`` -> ``live``,
   ``ProfilePage`` -> ``author``, ``VideoObject`` -> ``video``,
   ``ImageGallery``/``MediaGallery`` -> ``gallery`` (the latter two only when no
   article type is present, since articles embed videos and galleries).
2. ``og:type``: ``video.*`` -> ``video``, ``profile`` -> ``author``.
3. URL path segments (``NON_ARTICLE_PATHS``, extendable per parser).

A video or gallery signal is overruled by the main content: a page whose own
paragraphs hold a few sentences of prose (``MIN_ARTICLE_CHARS``) is an article
that embeds a player or a slideshow, and is parsed as one (skipping it would lose
its text for good: skipped pages are remembered and never fetched again).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from urllib.parse import urlsplit

from lxml import etree
from parsel import Selector

from newscrawl.parsers.structured import ARTICLE_TYPES, elements, jsonld_types, meta

NON_ARTICLE_PATHS: dict[str, str] = {
    "video": r"/(videos?|watch|tv)(/|$)",
    "gallery": r"/(galler(y|ies)|photos?|photo-gallery|in-pictures)(/|$)",
    "live": r"/(live|liveblog|live-updates)(/|$)",
    "author": r"/(authors?|writers?|columnists?|profile)(/|$)",
}
_NOT_ARTICLES = {"ImageGallery": "gallery", "MediaGallery": "gallery", "VideoObject": "video"}


MIN_ARTICLE_CHARS = 300  # characters of paragraph prose (outside page furniture): a few sentences
_PROSE = etree.XPath("//p[not(ancestor::nav or ancestor::footer or ancestor::aside or ancestor::header)]")


def prose_chars(sel: Selector, enough: int | None = None) -> int:
    """Characters of the page's own ``<p>`` paragraphs outside navigation, headers,
    footers and asides (counting stops once ``enough`` is reached)."""
    if not isinstance(sel.root, etree._Element):
        return 0
    total = 0
    for node in elements(_PROSE, sel.root):
        total += len("".join(str(t) for t in node.itertext()).strip())
        if enough is not None and total >= enough:
            break
    return total


def has_article_text(sel: Selector) -> bool:
    """The page's own ``<p>`` paragraphs hold an article's worth of text."""
    return prose_chars(sel, MIN_ARTICLE_CHARS) >= MIN_ARTICLE_CHARS


def page_kind(sel: Selector, url: str, paths: Mapping[str, str] = NON_ARTICLE_PATHS) -> str | None:
    """``video``/``gallery``/``live``/``author`` for a non-article page, else None."""
    kind = _signalled_kind(sel, url, paths)
    if kind in ("video", "gallery") and has_article_text(sel):
        return None
    return kind


def _signalled_kind(sel: Selector, url: str, paths: Mapping[str, str]) -> str | None:
    types = jsonld_types(sel)
    if "LiveBlogPosting" in types:
        return "live"
    if "ProfilePage" in types:
        return "author"
    article = bool(types & (ARTICLE_TYPES - {"LiveBlogPosting"}))
    if not article:
        for schema_type, kind in _NOT_ARTICLES.items():
            if schema_type in types:
                return kind
    og_type = (meta(sel, "og:type") or "").lower()
    if og_type.startswith("video"):
        return "video"
    if og_type == "profile":
        return "author"
    path = urlsplit(url).path.lower()
    for kind, pattern in paths.items():
        if re.search(pattern, path):
            return kind
    return None
