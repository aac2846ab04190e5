"""NEWSCRAWL_ARCHIVE (WARC files of article responses) and ``newscrawl reparse``.

Round trip: a replayed crawl archives its article responses; ``newscrawl reparse``
re-parses the archive offline through the same spiders and pipelines and exports
the same records (``crawled_at`` aside).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from io import BytesIO
from pathlib import Path
from typing import Any

from warcio.archiveiterator import ArchiveIterator
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from newscrawl.spiders.arab_news import ArabNewsSpider
from newscrawl.spiders.daily8 import Daily8Spider
from newscrawl.storage.archive import read_archive
from tests import forkserver
from tests.conftest import FIXTURES, ROOT, CrawlResult, by_id, run_crawl

JS_ARTICLE = "daily8:07fd0e6d9632f14c1527c439ec82fbbe"  # client-rendered: needs Chromium in a crawl


def reparse(
    archive: Path, tmp_path: Path, *args: str, **env: str
) -> tuple[subprocess.CompletedProcess[str], list[Any]]:
    out = tmp_path / "reparsed.jsonl"
    clean = {k: v for k, v in os.environ.items() if not k.startswith("NEWSCRAWL_")}
    run = forkserver.run(
        [sys.executable, "-m", "newscrawl.cli", "reparse", str(archive), "-o", str(out), *args],
        cwd=ROOT,
        env={**clean, "NEWSCRAWL_DATA_DIR": str(tmp_path / "reparse-data"), **env},
        capture_output=True,
        text=True,
        timeout=240,
    )
    items = [json.loads(line) for line in out.read_text("utf-8").splitlines()] if out.exists() else []
    return run, items


def archived_crawl(spider: str, tmp_path: Path) -> tuple[CrawlResult, Path]:
    archive = tmp_path / "archive"
    result = run_crawl(
        spider, tmp_path, settings={"NEWSCRAWL_ARCHIVE": str(archive), "NEWSCRAWL_STATE": "off"}
    )
    assert result.returncode == 0, result.log[-3000:]
    return result, archive


def same_records(crawled: CrawlResult, reparsed: list[dict[str, Any]]) -> None:
    before = by_id(crawled)
    after = {item["id"]: item for item in reparsed}
    assert len(after) == len(reparsed)
    assert sorted(after) == sorted(before)
    for key, item in before.items():
        assert {k: v for k, v in after[key].items() if k != "crawled_at"} == {
            k: v for k, v in item.items() if k != "crawled_at"
        }, key


def test_crawl_archive_reparse_round_trip(tmp_path: Path) -> None:
    crawled, archive = archived_crawl("arab_news", tmp_path)
    (warc,) = archive.glob("arab_news-*.warc.gz")
    with warc.open("rb") as stream:
        records = [(r.rec_type, r.rec_headers.get_header("WARC-Target-URI")) for r in ArchiveIterator(stream)]
    assert records[0][0] == "warcinfo"
    responses = [url for kind, url in records if kind == "response"]
    requests = [url for kind, url in records if kind == "request"]
    assert sorted(requests) == sorted(responses)
    # only article responses: no robots.txt, feeds, sitemaps or listings
    assert responses and all(ArabNewsSpider.article_url.match(url) for url in responses)
    assert crawled.stats["newscrawl/archive/records"] == len(responses)
    assert {i["url"] for i in crawled.items} <= set(responses)

    run, reparsed = reparse(archive, tmp_path)
    assert run.returncode == 0, run.stderr
    same_records(crawled, reparsed)
    assert (
        f"arab_news: {len(crawled.items) + 1} archived pages -> {len(crawled.items)} articles" in run.stderr
    )
    assert "(skipped video=1)" in run.stderr  # the video page is archived, and skipped again
    assert "archived URLs never answered 2xx" in run.stderr  # the 404/500 answers are kept, not re-parsed


def test_rendered_pages_are_archived_as_rendered_and_reparsed_without_a_browser(tmp_path: Path) -> None:
    crawled, archive = archived_crawl("daily8", tmp_path)
    assert JS_ARTICLE in by_id(crawled)  # rendered in Chromium during the crawl
    js_url = by_id(crawled)[JS_ARTICLE]["url"]
    kept = [r for r in read_archive(archive) if r.url == js_url]
    assert [r.rendered for r in kept] == [False, True]  # server HTML, then the rendered DOM
    assert b"<article" in kept[1].body and all(r.spider == "daily8" for r in kept)
    assert all(Daily8Spider.article_url.match(r.url) for r in read_archive(archive))
    # no Chromium needed to re-parse: the rendered DOM is in the archive
    run, reparsed = reparse(archive, tmp_path, NEWSCRAWL_CHROMIUM="/nonexistent/chromium")
    assert run.returncode == 0, run.stderr
    same_records(crawled, reparsed)


def write_warc(path: Path, pages: dict[str, bytes]) -> None:
    """A WARC written by another tool: no warcinfo, no newscrawl metadata."""
    with path.open("wb") as out:
        writer = WARCWriter(out, gzip=True)
        for url, body in pages.items():
            http = StatusAndHeaders(
                "200 OK", [("Content-Type", "text/html; charset=utf-8")], protocol="HTTP/1.1"
            )
            writer.write_record(
                writer.create_warc_record(
                    url, "response", payload=BytesIO(body), length=len(body), http_headers=http
                )
            )


def test_reparse_validates_like_a_crawl(tmp_path: Path) -> None:
    good = (FIXTURES / "arab_news" / "arabic-byline.html").read_bytes()
    broken = b"<html><head><title>x</title></head><body><h1>Title only</h1></body></html>"
    warc = tmp_path / "other-tool.warc.gz"
    write_warc(
        warc,
        {
            "https://www.arabnews.com/node/2621540/art-culture": good,
            "https://www.arabnews.com/node/2620001/world": broken,
        },
    )
    run, reparsed = reparse(warc, tmp_path)
    assert run.returncode == 1  # a page that no longer yields a valid article
    assert [i["id"] for i in reparsed] == ["arab_news:2621540"]
    assert "arab_news: 2 archived pages -> 1 articles (invalid body=1, invalid published_at=1" in run.stderr
    (rejected,) = (tmp_path / "reparse-data" / "rejected" / "arab_news").glob("*.jsonl")
    record = json.loads(rejected.read_text("utf-8"))
    assert record["url"] == "https://www.arabnews.com/node/2620001/world"
    assert {"body", "published_at"} <= {e["field"] for e in record["errors"]}


def test_reparse_of_nothing_says_so(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    run, _ = reparse(tmp_path / "empty", tmp_path)
    assert run.returncode == 2 and "no archived article responses" in run.stderr
    run, _ = reparse(tmp_path / "missing", tmp_path)
    assert run.returncode == 2 and "no such archive" in run.stderr
