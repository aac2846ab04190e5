"""asharq_al_awsat end to end through replay: both editions, Arabic, URL forms, paging."""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path
from typing import Any

import pytest
from scrapy.http import HtmlResponse, Request

from newscrawl.items import Article
from newscrawl.parsers import parser_for
from newscrawl.spiders.asharq_al_awsat import AsharqAlAwsatSpider
from tests.conftest import FIXTURES, FROZEN, CrawlResult, by_id, run_crawl

SNAPSHOT = FIXTURES / "asharq_al_awsat"
INVISIBLE = re.compile("[\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]")
AR_OPINION_NODE = "https://aawsat.com/node/5334011"  # the feed's link; the listing links the full path


def expected(slug: str) -> dict[str, Any]:
    return dict(json.loads((SNAPSHOT / f"{slug}.json").read_text("utf-8")))


def edition_slugs(prefix: str) -> list[str]:
    return sorted(p.stem for p in SNAPSHOT.glob(f"{prefix}-*.json"))


def ids(slugs: list[str]) -> list[str]:
    return sorted(expected(s)["id"] for s in slugs)


@pytest.fixture(scope="module")
def full_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("aawsat")


@pytest.fixture(scope="module")
def full(full_dir: Path) -> CrawlResult:
    return run_crawl("asharq_al_awsat", full_dir, snapshot=SNAPSHOT)


def test_both_editions_yield_their_golden_articles(full: CrawlResult) -> None:
    items = by_id(full)
    slugs = edition_slugs("en") + edition_slugs("ar")
    assert len(slugs) == 14
    assert sorted(items) == ids(slugs)
    for slug in slugs:
        want = expected(slug)
        got = dict(items[want["id"]])
        Article(**got)
        got.pop("crawled_at")
        if slug == "ar-opinion":  # fetched under whichever form was linked first
            assert got.pop("url") in {want.pop("url"), want["canonical_url"]}
        assert got == want, slug
    assert full.stats["finish_reason"] == "finished"
    assert "Traceback" not in full.log and "newscrawl/parse_error" not in full.stats


def test_offsets_are_saudi_time_and_arabic_is_clean(full: CrawlResult) -> None:
    for item in full.items:
        assert item["published_at"].endswith("+03:00"), item["id"]
        assert item["modified_at"] is None or item["modified_at"].endswith("+03:00"), item["id"]
        text = " ".join([item["title"], item["summary"] or "", item["body"], *item["authors"], *item["tags"]])
        assert not INVISIBLE.search(text), item["id"]
        assert "TT" not in item["body"].split("\n\n")
        assert item["language"] == ("en" if item["url"].startswith("https://english.") else "ar")
    arabic = [i for i in full.items if i["language"] == "ar"]
    assert len(arabic) == 7 and all(re.search("[\u0600-\u06ff]", i["body"]) for i in arabic)
    assumed = {i["id"] for i in full.items if i["timezone_assumed"]}
    assert assumed == set(ids(["ar-no-jsonld", "ar-visible-date", "en-visible-date"]))


def test_output_file_is_readable_arabic(full: CrawlResult, full_dir: Path) -> None:
    raw = (full_dir / "asharq_al_awsat.jsonl").read_text("utf-8")  # written by run_crawl's -O
    assert len(full.items) == 14
    assert expected("ar-visible-date")["title"] in raw
    assert "\\u06" not in raw


def test_each_node_is_fetched_once_whatever_its_url_form(full: CrawlResult) -> None:
    feed_en = (SNAPSHOT / "feed-en.xml").read_text("utf-8")
    feed_ar = (SNAPSHOT / "feed-ar.xml").read_text("utf-8")
    assert "/node/5334108<" in feed_en and AR_OPINION_NODE in feed_ar  # the forms under test
    assert "/تكنولوجيا/5333389-" in feed_ar and "%d8%a7%d9%84" in feed_ar
    # 2 feeds + 4 listing pages + 14 articles, nothing fetched twice, nothing dropped as a duplicate
    assert full.stats["downloader/response_status_count/200"] == 20
    assert not any(k.startswith("newscrawl/duplicate/") for k in full.stats)
    for item in full.items:
        assert item["canonical_url"].startswith(("https://english.aawsat.com/", "https://aawsat.com/"))
        assert re.fullmatch(r"[\x21-\x7e]+", item["canonical_url"])
        assert not re.search(r"%(?:[a-f].|.[a-f])", item["canonical_url"])


def test_links_outside_listing_cards_are_not_followed(full: CrawlResult) -> None:
    # "Most Read" blocks link articles that are not in the snapshot: a 404 would show they were followed
    assert "newscrawl/failed/http_404" not in full.stats
    assert full.stats.get("newscrawl/replay/unlisted", 0) <= 2  # robots.txt of the two hosts


@pytest.mark.parametrize("edition", ["en", "ar"])
def test_edition_narrows_the_crawl(edition: str, tmp_path: Path) -> None:
    result = run_crawl("asharq_al_awsat", tmp_path, snapshot=SNAPSHOT, args={"edition": edition})
    assert sorted(by_id(result)) == ids(edition_slugs(edition))
    host = "https://english.aawsat.com/" if edition == "en" else "https://aawsat.com/"
    assert all(i["url"].startswith(host) and i["language"] == edition for i in result.items)


def test_unknown_edition_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="unknown edition 'fa'"):
        AsharqAlAwsatSpider(edition="fa")


def test_max_pages_bounds_listing_pagination(tmp_path: Path) -> None:
    page_two = ids(["ar-page2", "en-page2"])  # linked only from ?page=1
    one = run_crawl("asharq_al_awsat", tmp_path / "one", snapshot=SNAPSHOT, args={"max_pages": "1"})
    two = run_crawl("asharq_al_awsat", tmp_path / "two", snapshot=SNAPSHOT, args={"max_pages": "2"})
    assert not set(page_two) & set(by_id(one)) and len(one.items) == 12
    assert one.stats["downloader/response_status_count/200"] == 2 + 2 + 12
    assert set(page_two) <= set(by_id(two)) and len(two.items) == 14


@pytest.mark.parametrize(
    ("url", "article"),
    [
        ("https://english.aawsat.com/technology/5323756-openai-cancels-release-newest-model", True),
        ("https://english.aawsat.com/node/5334108", True),
        ("https://aawsat.com/node/5191673", True),
        ("https://aawsat.com/%D8%AA%D9%83%D9%86%D9%88%D9%84%D9%88%D8%AC%D9%8A%D8%A7/4995261-%D8%A7", True),
        ("https://english.aawsat.com/editor-selections?page=1", False),
        ("https://english.aawsat.com/technology", False),
        ("https://english.aawsat.com/writers/nadim-kassab", False),
        ("https://english.aawsat.com/home/article/4246711/some-old-story", False),
        ("https://turkish.aawsat.com/node/5334108", False),
        ("https://english.aawsat.com/feed", False),
    ],
)
def test_article_url_recognition(url: str, article: bool) -> None:
    assert bool(AsharqAlAwsatSpider.article_url.match(url)) is article


def _response(url: str, body: bytes) -> HtmlResponse:
    return HtmlResponse(url=url, body=body, encoding="utf-8", request=Request(url))


@pytest.mark.parametrize(
    "url",
    [
        AR_OPINION_NODE,
        "https://aawsat.com/الرأي/5334011-المدن-العربية-وسؤال-النقل-العام",
        expected("ar-opinion")["canonical_url"],
        expected("ar-opinion")["canonical_url"].lower(),  # lower-case percent-encoding
        "https://aawsat.com/%D8%A7%D9%84%D8%B1%D8%A3%D9%8A/5334011-another-slug?utm_source=rss",
    ],
)
def test_id_and_canonical_url_do_not_depend_on_the_url_form(url: str) -> None:
    parser = parser_for(url)
    assert parser is not None
    fields = parser.parse(_response(url, (SNAPSHOT / "ar-opinion.html").read_bytes()), crawled_at=FROZEN)
    assert fields["id"] == "asharq_al_awsat:5334011"
    assert fields["canonical_url"] == expected("ar-opinion")["canonical_url"]


def test_language_is_the_pages_and_the_edition_the_fallback(caplog: pytest.LogCaptureFixture) -> None:
    url = expected("en-wire-story")["url"]
    page = (SNAPSHOT / "en-wire-story.html").read_bytes()
    parser = parser_for(url)
    assert parser is not None
    # an Arabic-script declaration over English text is not the page's language: the edition's
    wrong = page.replace(b'<html lang="en"', b'<html lang="ar"')
    assert parser.parse(_response(url, wrong), crawled_at=FROZEN)["language"] == "en"
    # no declaration at all: the edition's
    undeclared = page.replace(b'<html lang="en"', b"<html")
    assert parser.parse(_response(url, undeclared), crawled_at=FROZEN)["language"] == "en"
    # a French page on the English edition is French, and said so in the log
    french = page.replace(b'<html lang="en"', b'<html lang="fr-FR"')
    with caplog.at_level(logging.INFO):
        assert parser.parse(_response(url, french), crawled_at=FROZEN)["language"] == "fr"
    assert "a fr page on the en edition" in caplog.text
