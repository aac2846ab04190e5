"""Asharq Al-Awsat: RSS feeds and editor-selection listings of both editions.

Articles: ``/<section>/<id>-<slug>`` (Arabic section and slug raw or percent-encoded)
and ``/node/<id>`` (docs/sources.md §1). Links are canonicalised before requesting, and each
node is requested once, under whichever form links it first; the item id is the node
number either way. Listings page by Drupal's ``?page=N`` (``-a max_pages``, default 3).
Section listings (``/<section>``) are unverified [B] and not crawled.
"""

import re
from collections.abc import Iterable, Iterator
from typing import Any

from scrapy import Request
from scrapy.http import Response

from newscrawl.sources import SOURCES_INFO
from newscrawl.spiders.base import Edition, NewsSpider
from newscrawl.spiders.discovery import Link

EN = "https://english.aawsat.com"
AR = "https://aawsat.com"


class AsharqAlAwsatSpider(NewsSpider):
    name = "asharq_al_awsat"
    allowed_domains = SOURCES_INFO["asharq_al_awsat"].hosts
    editions = {
        "en": Edition(feeds=(f"{EN}/feed",), listings=(f"{EN}/editor-selections",)),
        "ar": Edition(feeds=(f"{AR}/feed",), listings=(f"{AR}/editor-selections",)),
    }
    article_url = re.compile(r"^https://(?:english\.)?aawsat\.com/(?:node/(\d+)|[^/?#]+/(\d+)-[^/?#]+)$")
    listing_links = ".views-row a[href]"
    next_page = ".pager__item--next a, a[rel=next]"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.requested_nodes: set[str] = set()

    def article_requests(self, links: Iterable[Link], response: Response) -> Iterator[Request]:
        """One request per node: ``/node/<id>`` and ``/<section>/<id>-<slug>`` name one article."""
        for request in super().article_requests(links, response):
            match = self.article_url.match(request.url)
            node = (match[1] or match[2]) if match else request.url
            if node not in self.requested_nodes:
                self.requested_nodes.add(node)
                yield request
