"""Parsers: one response in, Article fields out (no requests).

``REGISTRY`` maps a site's domain to its parser class, built from ``newscrawl.sources``
(each source's ``domains`` and ``parser``); ``parser_for(url)`` returns the parser for a
URL's host (subdomains included), or ``None`` when no source parser covers it.
"""

from __future__ import annotations

import importlib
from urllib.parse import urlsplit

from newscrawl.parsers.base import ArticleParser
from newscrawl.sources import SOURCES_INFO


def _parser_class(reference: str) -> type[ArticleParser]:
    module, name = reference.split(":")
    cls = getattr(importlib.import_module(f"newscrawl.parsers.{module}"), name)
    if not (isinstance(cls, type) and issubclass(cls, ArticleParser)):
        raise TypeError(f"newscrawl.sources names {reference!r}, which is not an ArticleParser")
    return cls


REGISTRY: dict[str, type[ArticleParser]] = {
    domain: _parser_class(info.parser) for info in SOURCES_INFO.values() for domain in info.domains
}


_INSTANCES: dict[type[ArticleParser], ArticleParser] = {}


def _instance(cls: type[ArticleParser]) -> ArticleParser:
    if cls not in _INSTANCES:
        _INSTANCES[cls] = cls()
    return _INSTANCES[cls]


def parser_for(url: str) -> ArticleParser | None:
    host = (urlsplit(url).hostname or "").lower()
    for domain, cls in REGISTRY.items():
        if host == domain or host.endswith("." + domain):
            return _instance(cls)
    return None
