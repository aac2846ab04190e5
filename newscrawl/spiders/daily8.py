"""Daily8: home, hashtag and per-source listings to articles; a browser only when needed.

No sitemap or feed is known (docs/sources.md §4: gap), so discovery starts at each edition's
home (``/en``; Arabic is the default locale, ``/``) and follows its hashtag
(``/en/hashtag/<Tag>``) and per-source (``/en/source/<slug>``: a guessed URL scheme)
listings one level deep. Mirror hosts are rewritten to www.daily8.com before any
request, so a story is fetched and exported once. A page whose server HTML carries no
article is fetched again through Chromium (``newscrawl/render/requested``).
"""

import re
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

from scrapy import Request
from scrapy.http import Response, TextResponse

from newscrawl.downloader.rendering import is_rendered, render_request
from newscrawl.parsers.daily8 import Daily8Parser, canonical_article_url
from newscrawl.sources import SOURCES_INFO
from newscrawl.spiders.base import Edition, NewsSpider
from newscrawl.spiders.discovery import Link

PARSER = Daily8Parser()


class Daily8Spider(NewsSpider):
    name = "daily8"
    allowed_domains = SOURCES_INFO["daily8"].hosts
    editions = {
        "en": Edition(listings=("https://www.daily8.com/en",)),
        "ar": Edition(listings=("https://www.daily8.com/",)),
    }
    article_url = re.compile(r"^https://www\.daily8\.com/(?:en/)?article/[0-9a-f]{32}$")
    listing_url = re.compile(r"^https://www\.daily8\.com/(?:en/)?(?:hashtag|source)/[^/?#]+$")
    # Daily8 shows no bylines and not always an image (docs/sources.md §4): lower those coverage bars.
    custom_settings = {
        "NEWSCRAWL_MONITOR_COVERAGE": {"title": 1.0, "body": 1.0, "published_at": 1.0, "image_url": 0.5},
        "NEWSCRAWL_RENDER": True,  # a JavaScript application: client-rendered pages need the browser
    }

    def article_request(self, link: Link, *, explicit: bool = False) -> Request:
        return super().article_request(replace(link, url=canonical_article_url(link.url)), explicit=explicit)

    def explicit_target(self, url: str) -> str:
        return canonical_article_url(url)  # -a urls on a mirror host: checked as www.daily8.com

    def parse_listing(self, response: Response) -> Iterator[Request]:
        edition = response.meta.get("edition")
        if not isinstance(response, TextResponse):
            yield from super().parse_listing(response)
            return
        urls = [canonical_article_url(response.urljoin(h)) for h in response.css("a::attr(href)").getall()]
        urls = [
            u
            for u in urls
            if edition is None or u.startswith("https://www.daily8.com/en/") == (edition == "en")
        ]
        yield from self.article_requests((Link(u) for u in urls), response)
        if response.meta.get("depth", 0) == 0:  # the home: follow its listings, once
            for url in dict.fromkeys(u for u in urls if self.listing_url.match(u)):
                yield self.listing_request(url, edition, 1)

    def parse_article(self, response: Response) -> Iterator[Any]:
        if isinstance(response, TextResponse) and not is_rendered(response) and PARSER.needs_render(response):
            self._count("render/requested")  # the browser's answer is counted as newscrawl/rendered
            yield render_request(
                response.request or response.url, wait_for=PARSER.title_css, callback=self.parse_article
            )
            return
        if not is_rendered(response):
            self._count("render/not_needed")
        yield from super().parse_article(response)
