"""Parsers: one response in, Article fields out (no requests).

``REGISTRY`` maps a site's domain to its parser class; ``parser_for(url)``
returns the parser for a URL's host (subdomains included), or ``None`` when no
source parser covers it.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from newscrawl.parsers.al_arabiya import AlArabiyaParser
from newscrawl.parsers.arab_news import ArabNewsParser
from newscrawl.parsers.asharq_al_awsat import AsharqAlAwsatParser
from newscrawl.parsers.base import ArticleParser
from newscrawl.parsers.daily8 import Daily8Parser

REGISTRY: dict[str, type[ArticleParser]] = {
    "arabnews.com": ArabNewsParser,
    "aawsat.com": AsharqAlAwsatParser,
    "alarabiya.net": AlArabiyaParser,
    "daily8.com": Daily8Parser,
    "d358xbzettaslu.amplifyapp.com": Daily8Parser,  # Daily8's Amplify branch host
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
