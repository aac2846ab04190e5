"""What kind of page is this? Non-article pages that discovery reaches are skipped, not failed.

Sites link video pages, photo galleries, live blogs and author pages from the
same feeds, sitemaps and listings as articles, often under article-shaped URLs.
``page_kind`` names such a page from the page's own structured data first, its
URL second; ``None`` means "treat it as an article".

Signals, strongest first:
1. JSON-LD ``@type`` of the page's main nodes: ``LiveBlogPosting`` -> ``live``,
   ``ProfilePage`` -> ``author``, ``VideoObject``
   -> ``video``, ``ImageGallery``/``MediaGallery`` -> ``gallery`` (the latter two only
   when no article type is present, since articles embed videos and galleries).
2. ``og:type``: ``video.*`` -> ``video``, ``profile`` -> ``author``.
3. URL path segments (``NON_ARTICLE_PATHS``, extendable per parser).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from urllib.parse import urlsplit

from parsel import Selector

from newscrawl.parsers.structured import ARTICLE_TYPES, _types, _walk, meta

KINDS = ("video", "gallery", "live", "author")
NON_ARTICLE_PATHS: dict[str, str] = {
    "video": r"/(videos?|watch|tv)(/|$)",
    "gallery": r"/(galler(y|ies)|photos?|photo-gallery|in-pictures)(/|$)",
    "live": r"/(live|liveblog|live-updates)(/|$)",
    "author": r"/(authors?|writers?|columnists?|profile)(/|$)",
}
_NOT_ARTICLES = {"ImageGallery": "gallery", "MediaGallery": "gallery", "VideoObject": "video"}


def _jsonld_types(sel: Selector) -> set[str]:
    found: set[str] = set()
    for raw in sel.xpath('//script[contains(@type, "ld+json")]/text()').getall():
        try:
            data = json.loads(raw.strip().rstrip(";"), strict=False)
        except ValueError:
            continue
        for node in _walk(data):
            found |= _types(node)
    return found


def page_kind(sel: Selector, url: str, paths: Mapping[str, str] = NON_ARTICLE_PATHS) -> str | None:
    """``video``/``gallery``/``live``/``author`` for a non-article page, else None."""
    types = _jsonld_types(sel)
    if "LiveBlogPosting" in types:
        return "live"
    if "ProfilePage" in types:
        return "author"
    if not types & (ARTICLE_TYPES - {"LiveBlogPosting"}):
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
