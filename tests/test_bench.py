"""scripts/bench/snapshot.py: the generated snapshot is one the spider can crawl (no timings here)."""

from __future__ import annotations

from pathlib import Path

from scrapy.http import HtmlResponse, Request

from newscrawl.downloader.replay import Snapshot
from newscrawl.items import Article
from newscrawl.parsers import parser_for
from newscrawl.spiders.arab_news import ArabNewsSpider
from newscrawl.spiders.discovery import feed_links, sitemap_links
from scripts.bench.snapshot import generate_snapshot
from tests.conftest import FROZEN


def test_generated_snapshot_lists_and_parses_every_article(tmp_path: Path) -> None:
    counts = generate_snapshot(tmp_path, 30)
    snapshot = Snapshot(tmp_path)
    articles = [url for url in snapshot.entries if ArabNewsSpider.article_url.match(url)]
    assert len(articles) == counts["articles"] == 30

    # the spider's entry points are there and, together, list every article
    site = "https://www.arabnews.com"
    for start in ("/robots.txt", "/rss.xml", "/sitemap.xml", "/saudiarabia", "/middleeast", "/world"):
        assert site + start in snapshot.entries
    children, _ = sitemap_links(snapshot.entries[site + "/sitemap.xml"].read())
    listed = set()
    for child in children:
        listed |= {link.url for link in sitemap_links(snapshot.entries[child.url].read())[1]}
    assert listed == set(articles)
    assert {link.url for link in feed_links(snapshot.entries[site + "/rss.xml"].read())} <= listed

    # every page is a valid Article with its own id, URL and title
    items = []
    for url in articles:
        entry = snapshot.entries[url]
        response = HtmlResponse(
            url=url, body=entry.read(), headers=entry.headers, encoding="utf-8", request=Request(url)
        )
        parser = parser_for(url)
        assert parser is not None
        items.append(Article(**parser.parse(response, crawled_at=FROZEN)))
    assert (
        len({a.id for a in items})
        == len({a.canonical_url for a in items})
        == len({a.title for a in items})
        == 30
    )
    assert all(a.extraction["body"] == "selectors" for a in items)
