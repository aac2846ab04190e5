"""arab_news end to end through replay: discovery, contract, drops, arguments."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest

from newscrawl.items import Article
from tests.conftest import FIXTURES, CrawlResult, run_crawl

EXPECTED_IDS = {f"arab_news:{n}" for n in (2621120, 2621385, 2621540, 2621702, 2621866, 2621931, 2622140)}


@pytest.fixture(scope="module")
def full(tmp_path_factory: pytest.TempPathFactory) -> CrawlResult:
    return run_crawl("arab_news", tmp_path_factory.mktemp("an"), snapshot=FIXTURES / "arab_news")


def test_discovery_finds_every_article_once(full: CrawlResult) -> None:
    ids = [item["id"] for item in full.items]
    assert sorted(ids) == sorted(EXPECTED_IDS)
    for item in full.items:
        Article(**item)  # every line meets the contract
        assert item["published_at"].endswith("+03:00")


def test_failures_and_drops_are_counted_not_crashes(full: CrawlResult) -> None:
    stats = full.stats
    assert stats["newscrawl/failed/http_500"] == 1
    assert stats["newscrawl/failed/http_404"] >= 2  # feed items missing from the snapshot
    assert stats["newscrawl/skipped/video"] == 1  # og:type video.other: skipped, not a failed article
    assert "newscrawl/invalid/body" not in stats
    assert stats["finish_reason"] == "finished"
    assert "Traceback" not in full.log
    assert "newscrawl/parse_error" not in stats


def test_urls_argument_fetches_only_those(tmp_path: Path) -> None:
    url = "https://www.arabnews.com/node/2621866/saudi-arabia?utm_source=rss"
    result = run_crawl("arab_news", tmp_path, snapshot=FIXTURES / "arab_news", args={"urls": url})
    assert [i["id"] for i in result.items] == ["arab_news:2621866"]
    assert result.items[0]["canonical_url"] == "https://www.arabnews.com/node/2621866/saudi-arabia"
    assert "newscrawl/feed_links" not in result.stats


def test_since_skips_older_feed_entries_before_fetching(tmp_path: Path) -> None:
    result = run_crawl(
        "arab_news", tmp_path, snapshot=FIXTURES / "arab_news",
        args={"since": "2026-11-18T00:00:00+03:00"},
    )  # fmt: skip
    since = datetime.fromisoformat("2026-11-18T00:00:00+03:00")
    assert result.stats["newscrawl/skipped/since"] > 0
    published = [datetime.fromisoformat(i["published_at"]) for i in result.items]
    assert published and all(p >= since for p in published), published
    assert len(published) < len(EXPECTED_IDS)


def test_bad_argument_is_a_clear_error(tmp_path: Path) -> None:
    result = run_crawl("arab_news", tmp_path, snapshot=FIXTURES / "arab_news", args={"since": "someday"})
    assert result.returncode != 0
    assert "not an ISO date" in result.log


def test_output_is_utf8_json_lines(full: CrawlResult) -> None:
    """The exported file's bytes: Arabic as UTF-8, not ``\\uXXXX`` escapes; one object a line."""
    assert full.output is not None
    raw = full.output.read_bytes()
    [line] = [line for line in raw.split(b"\n") if b'"arab_news:2621540"' in line]
    assert "نورة القحطاني".encode() in line
    assert b"\\u" not in raw  # no escape anywhere in the file (Scrapy's default would write \\u0646...)
    assert raw.endswith(b"\n") and all(json.loads(x) for x in raw.splitlines())
