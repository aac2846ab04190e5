"""Arab News: RSS feed, news sitemap and section listings; articles /node/<id>/<section>."""

import re

from newscrawl.sources import SOURCES_INFO
from newscrawl.spiders.base import Edition, NewsSpider


class ArabNewsSpider(NewsSpider):
    name = "arab_news"
    allowed_domains = SOURCES_INFO["arab_news"].hosts
    editions = {
        "en": Edition(
            feeds=("https://www.arabnews.com/rss.xml",),
            sitemaps=("https://www.arabnews.com/sitemap.xml",),
            listings=(
                "https://www.arabnews.com/saudiarabia",
                "https://www.arabnews.com/middleeast",
                "https://www.arabnews.com/world",
            ),
        )
    }
    article_url = re.compile(r"^https?://(?:www\.)?arabnews\.com/node/\d+(?:/[a-z0-9-]+)?/?$")
    listing_links = ".article-item a[href], h2 a[href], h4 a[href]"
    next_page = ".pager__item--next a, .pager-next a, a[rel=next]"
