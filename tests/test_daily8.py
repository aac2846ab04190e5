"""Daily8: relative dates, mirrors, furniture, linking, discovery, rendering through real Chromium."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from scrapy.http import HtmlResponse, Request
from scrapy.utils.test import get_crawler

from newscrawl.items import Article
from newscrawl.parsers.daily8 import Daily8Parser, canonical_article_url
from newscrawl.pipelines.linking import MAX_DISTANCE, LinkingPipeline, distance, fingerprint, id_from_url
from newscrawl.spiders.daily8 import Daily8Spider
from newscrawl.text import parse_relative_date, split_glued_time
from tests.conftest import FIXTURES, FROZEN, CrawlResult, Page, fake_response, fixture_pages, run_crawl

D8 = FIXTURES / "daily8"
PAGES = {p.slug: p for p in fixture_pages() if p.source == "daily8"}
ARTICLES = [p for p in PAGES.values() if p.expected is not None]
PARSER = Daily8Parser()
WWW_EN = "https://www.daily8.com/en/article/"
ALL_IDS = {
    f"daily8:{h}"
    for h in (
        "e0d62776f7005ebdbf4cd189656529f4", "1943658b35e5f89326402bc0c07220d4",
        "7775311a83feec2ea26ae4f05eea1aa2", "1c6c50f527eaa93066a9ffaad647ca13",
        "b6a23248c4fa4cde25f349fff253589a", "7f2f5b257ea18f79b7fe30e21688ebd9",
        "38c03045590eaf15ab89af7cde9dc1dc", "07fd0e6d9632f14c1527c439ec82fbbe",
    )
}  # fmt: skip
WIDGETS = (
    "Try Our AI Features", "Explore what Daily8 AI", "No comments yet", "Related Articles", "Hashtags",
    "Orange background", "Copy the Story Link", "جرب ميزات", "التعليقات", "أخبار ذات صلة", "هاشتاغز",
    "mailto:", "%3C", "arab.news/", "Short Url",
)  # fmt: skip


def parse(page: Page, **headers: str) -> dict[str, Any]:
    response = fake_response(page)
    if headers:
        response = response.replace(headers={**page.headers, **headers})
    return PARSER.parse(response, crawled_at=FROZEN)


# --- dates ------------------------------------------------------------------
BASE = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("shown", "iso", "precision"),
    [
        ("15 minutes ago", "2026-11-20T08:45:00+00:00", "minute"),
        ("an hour ago", "2026-11-20T08:00:00+00:00", "hour"),
        ("14 hours ago", "2026-11-19T19:00:00+00:00", "hour"),
        ("a day ago", "2026-11-19T09:00:00+00:00", "day"),
        ("2 days ago", "2026-11-18T09:00:00+00:00", "day"),
        ("منذ 4 أيام", "2026-11-16T09:00:00+00:00", "day"),
        ("منذ ساعة واحدة", "2026-11-20T08:00:00+00:00", "hour"),
        ("منذ 5 دقائق", "2026-11-20T08:55:00+00:00", "minute"),
        ("منذ ٢١ ساعات", "2026-11-19T12:00:00+00:00", "hour"),
        ("منذ ساعتين", "2026-11-20T07:00:00+00:00", "hour"),
        ("منذ دقيقة", "2026-11-20T08:59:00+00:00", "minute"),
    ],
)
def test_relative_dates_resolve_against_the_base(shown: str, iso: str, precision: str) -> None:
    parsed = parse_relative_date(shown, BASE)
    assert parsed is not None
    assert (parsed.iso(), parsed.precision, parsed.assumed_offset) == (iso, precision, False)


def test_absolute_and_unknown_dates_are_not_relative() -> None:
    assert parse_relative_date("16-11-2026", BASE) is None
    assert parse_relative_date("منذ ساعات", BASE) is None  # no count: too vague to resolve
    assert parse_relative_date("an hour ago", BASE.replace(tzinfo=None)) is None


@pytest.mark.parametrize(
    ("glued", "parts"),
    [
        ("Asharq Al-Awsat28-05-2025", ("Asharq Al-Awsat", "28-05-2025")),
        ("The Nationala day ago", ("The National", "a day ago")),
        ("Arab Newsan hour ago", ("Arab News", "an hour ago")),
        ("يمني برسمنذ 4 أيام", ("يمني برس", "منذ 4 أيام")),
        ("Asharq Al-Awsat", None),
    ],
)
def test_split_glued_source_and_time(glued: str, parts: tuple[str, str] | None) -> None:
    assert split_glued_time(glued) == parts


@pytest.mark.parametrize("page", ARTICLES, ids=[p.slug for p in ARTICLES])
def test_every_date_has_an_offset_and_follows_the_date_header(page: Page) -> None:
    got = parse(page)
    published = datetime.fromisoformat(got["published_at"])
    assert published.utcoffset() is not None
    later = parse(page, Date="Sat, 21 Nov 2026 09:00:00 GMT")
    if got["timezone_assumed"]:  # absolute DD-MM-YYYY: the Date header is irrelevant
        assert (got["published_precision"], later["published_at"]) == ("day", got["published_at"])
    else:  # relative: one day later on the clock, one day later in the result
        shift = datetime.fromisoformat(later["published_at"]) - published
        assert shift.total_seconds() > 0


def test_without_a_date_header_the_crawl_time_is_the_base() -> None:
    page = PAGES["en-layout-a-relative"]
    response = HtmlResponse(page.url, body=page.html.read_bytes(), encoding="utf-8")
    got = PARSER.parse(response, crawled_at=FROZEN)
    assert got["published_at"] == "2026-11-20T12:45:00+04:00"  # FROZEN 09:00Z - 15 minutes


# --- body, related, mirrors -------------------------------------------------
@pytest.mark.parametrize("page", ARTICLES, ids=[p.slug for p in ARTICLES])
def test_no_card_or_widget_text_in_the_body(page: Page) -> None:
    got = parse(page)
    assert got["related"], "every modelled page has related cards"
    for card in got["related"]:
        assert card["title"] not in got["body"]
        assert card["url"].startswith("https://www.daily8.com/")
    for marker in WIDGETS:
        assert marker not in got["body"], marker
    assert got["title"] not in got["body"].split("\n\n")


def test_copied_byline_and_pull_quote_leave_the_body() -> None:
    got = parse(PAGES["republished-arab-news"])
    assert got["authors"] == ["Ghassan Charbel"]
    assert "Ghassan Charbel" not in got["body"]
    assert got["body"].count("It does not promise prosperity or glory.") == 1


@pytest.mark.parametrize(
    ("mirror", "www"),
    [("mirror-test-host", "en-layout-a-absolute"), ("mirror-amplify-host", "en-layout-b")],
)
def test_mirrors_canonicalise_to_www(mirror: str, www: str) -> None:
    got, original = parse(PAGES[mirror]), parse(PAGES[www])
    assert (got["id"], got["canonical_url"]) == (original["id"], original["canonical_url"])
    assert got["canonical_url"].startswith(WWW_EN)
    assert got["via"] != original["via"] == "www.daily8.com"


def test_canonical_article_url_leaves_other_hosts_alone() -> None:
    url = "https://main.d358xbzettaslu.amplifyapp.com/en/article/" + "a" * 32 + "?utm_source=x#c"
    assert canonical_article_url(url) == WWW_EN + "a" * 32
    assert canonical_article_url("https://www.arabnews.com/node/1") == "https://www.arabnews.com/node/1"


def test_only_the_client_rendered_page_needs_a_browser() -> None:
    needs = {slug for slug, page in PAGES.items() if PARSER.needs_render(fake_response(page))}
    listings = {"hashtag-listing", "source-listing", "home-en", "home-ar"}
    assert needs - listings == {"js-rendered"}


# --- linking ----------------------------------------------------------------
def original() -> dict[str, Any]:
    return dict(json.loads((FIXTURES / "arab_news" / "charbel-normal-country.json").read_text("utf-8")))


def linker(tmp_path: Path) -> Any:
    crawler = get_crawler(settings_dict={"NEWSCRAWL_DATA_DIR": str(tmp_path)})
    crawler.stats.open_spider()
    return crawler, LinkingPipeline.from_crawler(crawler)


def test_fingerprint_ignores_quote_style_and_needs_enough_words() -> None:
    an, d8 = original(), parse(PAGES["republished-arab-news"])
    assert "“normal”" in an["body"] and "'normal'" in d8["body"]
    a, b = fingerprint(an["title"], an["body"]), fingerprint(d8["title"], d8["body"])
    assert a is not None and b is not None and distance(a, b) <= MAX_DISTANCE
    other = parse(PAGES["en-layout-a-relative"])
    assert distance(a, fingerprint(other["title"], other["body"] * 3) or 0) > MAX_DISTANCE
    assert fingerprint("Short", "one line lede") is None


def test_explicit_link_maps_to_the_publisher_id() -> None:
    assert id_from_url("https://www.arabnews.com/node/2622140/opinion") == "arab_news:2622140"
    assert id_from_url("https://www.thenationalnews.com/x") is None
    assert id_from_url(WWW_EN + "a" * 32) is None  # an aggregator is never an original


def test_pipeline_links_by_url_and_by_fingerprint(tmp_path: Path) -> None:
    crawler, pipe = linker(tmp_path)
    pipe.process_item(original())
    items = {slug: parse(PAGES[slug]) for slug in ("republished-arab-news", "republished-arab-news-linked")}
    items["other"] = parse(PAGES["en-layout-b"])
    for item in items.values():
        pipe.process_item(item)
    assert items["republished-arab-news"]["duplicate_of"] == "arab_news:2622140"
    assert items["republished-arab-news-linked"]["duplicate_of"] == "arab_news:2622140"
    assert items["other"].get("duplicate_of") is None
    assert crawler.stats.get_value("newscrawl/linked/fingerprint") == 1
    assert crawler.stats.get_value("newscrawl/linked/url") == 1


def test_pipeline_finds_originals_in_the_seen_store_not_in_export_files(tmp_path: Path) -> None:
    """A fresh worker (no export files) links through the store; export files are not read."""
    from newscrawl.storage.seen import Export, SeenRecord, SqliteSeenStore

    an = original()
    export = tmp_path / "arab_news" / "2026-11-20T09-00-00.jsonl"
    export.parent.mkdir()
    export.write_text(json.dumps(an) + "\n", "utf-8")
    crawler, pipe = linker(tmp_path)  # its store: <data dir>/state/seen.sqlite3, empty
    assert pipe.process_item(parse(PAGES["republished-arab-news"])).get("duplicate_of") is None

    store = SqliteSeenStore(tmp_path / "state" / "seen.sqlite3")
    record = SeenRecord(an["id"], "v2:x", None, "2026-11-20T09:00:00+00:00")
    store.commit([Export(record, (an["url"],), fingerprint(an["title"], an["body"]))])
    store.close()
    crawler, pipe = linker(tmp_path)
    item = pipe.process_item(parse(PAGES["republished-arab-news"]))
    assert item["duplicate_of"] == "arab_news:2622140"
    assert crawler.stats.get_value("newscrawl/linked/store") == 1


# --- crawling through replay -------------------------------------------------
@pytest.fixture(scope="module")
def full(tmp_path_factory: pytest.TempPathFactory) -> CrawlResult:
    return run_crawl("daily8", tmp_path_factory.mktemp("d8"), snapshot=FIXTURES)


def test_discovery_finds_every_article_once_in_both_editions(full: CrawlResult) -> None:
    assert full.returncode == 0, full.log[-3000:]
    ids = [item["id"] for item in full.items]
    assert sorted(ids) == sorted(ALL_IDS)
    for item in full.items:
        Article(**item)
        assert item["source"] == "daily8" and item["via"] == "www.daily8.com"
        assert not [m for m in WIDGETS if m in item["body"]], item["id"]
        assert not [c for c in item["related"] if c["title"] in item["body"]], item["id"]
    assert "Traceback" not in full.log


def test_mirror_link_in_a_listing_is_fetched_on_www(full: CrawlResult) -> None:
    urls = {item["url"] for item in full.items}
    assert not any("test.daily8.com" in u or "amplifyapp" in u for u in urls)


def test_rendered_page_text_comes_from_real_chromium(full: CrawlResult) -> None:
    expected = json.loads((D8 / "js-rendered.rendered.json").read_text("utf-8"))
    [got] = [item for item in full.items if item["id"] == expected["id"]]
    got.pop("crawled_at")
    assert got == expected
    assert full.stats["newscrawl/render/requested"] == full.stats["newscrawl/rendered/daily8"] == 1
    assert full.stats["newscrawl/render/not_needed"] == len(ALL_IDS) - 1


def test_edition_argument_and_urls_on_mirror_hosts(tmp_path: Path) -> None:
    arabic = run_crawl("daily8", tmp_path / "ar", snapshot=FIXTURES, args={"edition": "ar"})
    assert {i["language"] for i in arabic.items} == {"ar"} and len(arabic.items) == 2
    hexid = "e0d62776f7005ebdbf4cd189656529f4"
    urls = f"https://test.daily8.com/en/article/{hexid},{WWW_EN}{hexid}"
    mirrored = run_crawl("daily8", tmp_path / "m", snapshot=FIXTURES, args={"urls": urls})
    assert [i["id"] for i in mirrored.items] == [f"daily8:{hexid}"]
    assert mirrored.stats["dupefilter/filtered"] == 1  # both name one article: fetched once


def test_request_for_a_render_keeps_the_article_meta() -> None:
    spider = Daily8Spider()
    spider.crawler = get_crawler(Daily8Spider)
    page = PAGES["js-rendered"]
    response = fake_response(page)
    response = response.replace(request=Request(page.url, meta={"newscrawl": {"kind": "article"}}))
    [request] = list(spider.parse_article(response))
    assert isinstance(request, Request) and request.meta.get("playwright")
    assert request.meta["newscrawl"]["kind"] == "article" and request.dont_filter
