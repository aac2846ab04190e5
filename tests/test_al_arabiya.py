"""al_arabiya end to end through replay: both editions, Arabic, canonical URLs, paging, challenges."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import pytest

from newscrawl.items import Article
from newscrawl.parsers import parser_for
from newscrawl.spiders.al_arabiya import AlArabiyaSpider
from tests.conftest import FIXTURES, CrawlResult, Page, by_id, fake_response, run_crawl

SNAPSHOT = FIXTURES / "al_arabiya"
CHROMIUM = os.environ.get("NEWSCRAWL_CHROMIUM", "/usr/bin/chromium")
needs_chromium = pytest.mark.usefixtures("chromium")  # fails, never skips, without Chromium
CHALLENGED = (
    "https://english.alarabiya.net/News/gulf/2026/11/20/oman-and-iran-agree-to-expand-hormuz-ferry-link"
)
INVISIBLE = re.compile("[\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]")
PLAIN = {"NEWSCRAWL_RENDER": "0"}


def expected(slug: str) -> dict[str, Any]:
    return dict(json.loads((SNAPSHOT / f"{slug}.json").read_text("utf-8")))


def edition_slugs(prefix: str) -> list[str]:
    return sorted(p.stem for p in SNAPSHOT.glob(f"{prefix}-*.json"))


@pytest.fixture(scope="module")
def full(tmp_path_factory: pytest.TempPathFactory) -> CrawlResult:
    return run_crawl("al_arabiya", tmp_path_factory.mktemp("aa"), snapshot=SNAPSHOT, settings=PLAIN)


def test_both_editions_yield_their_golden_articles(full: CrawlResult) -> None:
    items = by_id(full)
    slugs = edition_slugs("en") + edition_slugs("ar")
    assert len(slugs) == 12
    assert sorted(items) == sorted(expected(s)["id"] for s in slugs)
    for slug in slugs:
        want = expected(slug)
        got = dict(items[want["id"]])
        Article(**got)
        got.pop("crawled_at")
        assert got == want, slug


def test_offsets_are_gulf_time_and_arabic_is_clean(full: CrawlResult) -> None:
    for item in full.items:
        assert item["published_at"].endswith("+04:00")
        assert item["modified_at"] is None or item["modified_at"].endswith("+04:00")
        text = " ".join([item["title"], item["summary"] or "", item["body"], *item["authors"], *item["tags"]])
        assert not INVISIBLE.search(text), item["id"]
    arabic = [i for i in full.items if i["language"] == "ar"]
    assert len(arabic) == 6 and all(re.search("[\u0600-\u06ff]", i["body"]) for i in arabic)
    assert {i["language"] for i in full.items if "english." in i["url"]} == {"en"}


def test_percent_encoded_urls_have_one_form(full: CrawlResult) -> None:
    feed = (SNAPSHOT / "mrss-ar.xml").read_text("utf-8")
    assert "%d8%a7%d9%84" in feed and "/saudi-today/2026/11/16/افتتاح" in feed  # the forms under test
    urls = [i["url"] for i in full.items]
    assert len(set(urls)) == len(urls)
    for item in full.items:
        for url in (item["url"], item["canonical_url"]):
            assert re.fullmatch(r"[\x21-\x7e]+", url) and not re.search(r"%(?:[a-f].|.[a-f])", url), url
    raw = next(i for i in full.items if i["id"] == expected("ar-video")["id"])
    assert raw["url"].startswith("https://www.alarabiya.net/saudi-today/2026/11/16/%D8%A7%D9%81")


def test_challenge_without_rendering_is_counted_not_parsed(full: CrawlResult) -> None:
    assert CHALLENGED not in {i["url"] for i in full.items}
    assert full.stats["newscrawl/challenge/detected"] == 1
    assert full.stats["newscrawl/challenge/blocked"] == 1
    assert "newscrawl/rendered" not in full.stats
    assert "Traceback" not in full.log and "newscrawl/parse_error" not in full.stats


def test_edition_narrows_the_crawl(tmp_path: Path) -> None:
    result = run_crawl("al_arabiya", tmp_path, snapshot=SNAPSHOT, args={"edition": "ar"}, settings=PLAIN)
    assert sorted(by_id(result)) == sorted(expected(s)["id"] for s in edition_slugs("ar"))
    assert "newscrawl/challenge/detected" not in result.stats  # the EN host was never asked
    assert all(i["url"].startswith("https://www.alarabiya.net/") for i in result.items)


def test_unknown_edition_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="unknown edition 'fr'"):
        AlArabiyaSpider(edition="fr")


def test_max_pages_bounds_archive_pagination(tmp_path: Path) -> None:
    opinion = expected("ar-opinion")["id"]  # linked only from ?pageNo=2
    one = run_crawl(
        "al_arabiya", tmp_path / "one", snapshot=SNAPSHOT, args={"edition": "ar", "max_pages": "1"},
        settings=PLAIN,
    )  # fmt: skip
    two = run_crawl(
        "al_arabiya", tmp_path / "two", snapshot=SNAPSHOT, args={"edition": "ar", "max_pages": "2"},
        settings=PLAIN,
    )  # fmt: skip
    assert opinion not in by_id(one) and len(one.items) == 5
    assert opinion in by_id(two) and len(two.items) == 6


@pytest.mark.parametrize(
    ("url", "article"),
    [
        ("https://english.alarabiya.net/News/gulf/2026/11/16/uae-opens-desert-solar-plant", True),
        ("https://english.alarabiya.net/News/middle-east/2026/11/18/truncated-slug-", True),
        ("https://english.alarabiya.net/News/middle-east", False),
        ("https://english.alarabiya.net/videos/2026/11/18/video-sandstorm", False),
        ("https://www.alarabiya.net/arab-and-world/yemen/2026/11/18/%D8%A7%D9%84", True),
        ("https://www.alarabiya.net/arab-and-world/2026/11/17/%D9%85%D8%B3", True),
        ("https://www.alarabiya.net/videos/2026/11/18/%D8%B9%D8%A7", False),
        ("https://www.alarabiya.net/amp/arab-and-world/iraq/2026/11/18/%D8%A7", False),
        ("https://www.alarabiya.net/latest-news/archive?pageNo=2", False),
    ],
)
def test_article_url_recognition(url: str, article: bool) -> None:
    assert bool(AlArabiyaSpider.article_url.match(url)) is article


def test_js_page_has_no_body_without_a_browser() -> None:
    page = Page("al_arabiya", "js-article", CHALLENGED, SNAPSHOT / "js-article.html", None, {})
    parser = parser_for(CHALLENGED)
    assert parser is not None
    fields = parser.parse(fake_response(page))
    assert fields["body"] is None and fields["title"] == "Al Arabiya English"


@needs_chromium
def test_challenge_is_rendered_in_chromium(tmp_path: Path) -> None:
    result = run_crawl(
        "al_arabiya",
        tmp_path,
        snapshot=SNAPSHOT,
        args={"urls": CHALLENGED},
        settings={"NEWSCRAWL_RENDER": "1"},
    )
    assert [i["url"] for i in result.items] == [CHALLENGED], result.log[-3000:]
    item = dict(result.items[0])
    assert "Oman and Iran agreed on Thursday to expand the ferry service" in item["body"]
    assert "Trade across the strait" in item["body"] and "Loading" not in item["body"]
    item.pop("crawled_at")
    assert item == expected("js-article-rendered")
    stats = result.stats
    assert stats["newscrawl/challenge/rendered"] == 1 and stats["newscrawl/challenge/solved"] == 1
    assert stats["newscrawl/rendered/al_arabiya"] == 1
