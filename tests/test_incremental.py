"""Incremental crawls end to end: real ``scrapy crawl`` runs on a generated Arab News snapshot.

The snapshot (``Snapshot``) is written into tmp_path: robots.txt, an RSS feed, a
(news) sitemap, empty section listings and one page per article. Runs share one
seen-store; each run writes its own output file. Article requests are counted from
the DEBUG "Crawled" lines, so "zero article-page requests" is measured, not inferred.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from pathlib import Path
from typing import IO, Any

import pytest
from scrapy.extensions.feedexport import BlockingFeedStorage
from scrapy.http import HtmlResponse
from scrapy.utils.test import get_crawler

from newscrawl.spiders.arab_news import ArabNewsSpider
from newscrawl.spiders.discovery import Link, sitemap_links
from newscrawl.storage.incremental import Journal, Mark, replay_journal
from newscrawl.storage.seen import Export, SeenRecord, SqliteSeenStore, record_fingerprint
from tests import forkserver
from tests.conftest import FIXTURES, ROOT, CrawlResult, run_crawl
from tests.redis_server import redis_url  # noqa: F401  (fixture)

SITE = "https://www.arabnews.com"
RIYADH = timezone(timedelta(hours=3))
T0 = datetime(2026, 11, 18, 6, 0, tzinfo=RIYADH)
FIGURES: dict[str, dict[str, int]] = {}

PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>{title} | Arab News</title>
<link rel="canonical" href="{url}">
<meta property="og:title" content="{title} | Arab News">
<meta property="og:image" content="{url}/lead.jpg">
<script type="application/ld+json">{jsonld}</script>
</head><body><article>
<h1>{title}</h1>
<div class="field--name-body">{paragraphs}</div>
</article></body></html>
"""


@dataclass
class Story:
    node: int
    published: datetime
    version: int = 1  # bump to change the text
    feed_updated: datetime | None = None  # <atom:updated> in the feed
    page_modified: datetime | None = None  # JSON-LD dateModified on the page
    in_feed: bool = True
    in_sitemap: bool = False
    author: str = "Staff Reporter"

    @property
    def url(self) -> str:
        return f"{SITE}/node/{self.node}/world"

    @property
    def id(self) -> str:
        return f"arab_news:{self.node}"

    @property
    def title(self) -> str:
        return f"Gulf report {self.node}: ministers meet in Riyadh"

    def paragraphs(self) -> list[str]:
        text = [
            f"RIYADH: Ministers met on Wednesday to discuss item {self.node} of the regional agenda,"
            " officials said after a day of talks in the Saudi capital.",
            f"The second paragraph of story {self.node} gives details that only this story carries,"
            " including the names of the delegations and the length of the meeting.",
            f"A closing paragraph for {self.node} says a further meeting is planned in the spring.",
        ]
        if self.version > 1:
            text.append(f"Update {self.version}: officials corrected the figures given earlier.")
        return text


@dataclass
class Snapshot:
    root: Path
    stories: list[Story] = field(default_factory=list)
    delay_ms: int = 0

    def add(self, count: int, *, first: int | None = None, **kwargs: Any) -> list[Story]:
        start = first or 3_200_000 + len(self.stories)
        new = [Story(start + i, T0 + timedelta(minutes=10 * (len(self.stories) + i)), **kwargs)
               for i in range(count)]  # fmt: skip
        self.stories.extend(new)
        return new

    def story(self, node: int) -> Story:
        return next(s for s in self.stories if s.node == node)

    def write(self) -> Path:
        pages = self.root / "pages"
        pages.mkdir(parents=True, exist_ok=True)
        headers = {"Date": "Fri, 20 Nov 2026 09:00:00 GMT"}
        lines: list[dict[str, Any]] = []

        def serve(url: str, name: str, text: str, content_type: str, delay_ms: int = 0) -> None:
            (self.root / name).write_text(text, "utf-8")
            entry = {"url": url, "headers": {**headers, "Content-Type": content_type}, "body": name}
            lines.append({**entry, "delay_ms": delay_ms} if delay_ms else entry)

        serve(f"{SITE}/robots.txt", "robots.txt", "User-agent: *\nDisallow: /admin/\n", "text/plain")
        for listing in ("saudiarabia", "middleeast", "world"):
            serve(f"{SITE}/{listing}", f"{listing}.html", "<html><body></body></html>", "text/html")
        items, urls = [], []
        for s in self.stories:
            jsonld: dict[str, Any] = {"@context": "https://schema.org", "@type": "NewsArticle",
                                      "headline": s.title, "datePublished": s.published.isoformat(),
                                      "author": {"@type": "Person", "name": s.author}}  # fmt: skip
            if s.page_modified:
                jsonld["dateModified"] = s.page_modified.isoformat()
            body = "".join(f"<p>{p}</p>" for p in s.paragraphs())
            html = PAGE.format(title=s.title, url=s.url, jsonld=json.dumps(jsonld), paragraphs=body)
            serve(s.url, f"pages/{s.node}.html", html, "text/html; charset=utf-8", self.delay_ms)
            if s.in_feed:
                updated = (
                    f"<atom:updated>{s.feed_updated.isoformat()}</atom:updated>" if s.feed_updated else ""
                )
                pub = f"<pubDate>{format_datetime(s.published)}</pubDate>"
                items.append(f"<item><title>{s.title}</title><link>{s.url}</link>{pub}{updated}</item>")
            if s.in_sitemap:
                news = f"<news:publication_date>{s.published.isoformat()}</news:publication_date>"
                urls.append(f"<url><loc>{s.url}</loc><news:news>{news}</news:news></url>")
        serve(f"{SITE}/rss.xml", "rss.xml",
              '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"'
              ' xmlns:atom="http://www.w3.org/2005/Atom"><channel><title>Arab News</title>'
              f"{''.join(items)}</channel></rss>", "application/rss+xml")  # fmt: skip
        serve(f"{SITE}/sitemap.xml", "sitemap.xml",
              '<?xml version="1.0" encoding="utf-8"?><urlset'
              ' xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"'
              ' xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">'
              f"{''.join(urls)}</urlset>", "application/xml")  # fmt: skip
        manifest = "".join(json.dumps(line) + "\n" for line in lines)
        (self.root / "manifest.jsonl").write_text(manifest, "utf-8")
        return self.root


@dataclass
class Run:
    result: CrawlResult
    article_requests: int

    @property
    def items(self) -> list[dict[str, Any]]:
        return self.result.items

    @property
    def ids(self) -> list[str]:
        return [i["id"] for i in self.items]

    def stat(self, key: str) -> int:
        return int(self.result.stats.get(key, 0))


class Runner:
    """Successive crawls sharing a data dir and a seen-store; one output file per run."""

    def __init__(self, tmp_path: Path, state: str, snapshot: Path) -> None:
        self.tmp_path, self.state, self.snapshot, self.count = tmp_path, state, snapshot, 0

    def __call__(self, spider: str = "arab_news", **kwargs: Any) -> Run:
        self.count += 1
        run_dir = self.tmp_path / f"run{self.count}"
        run_dir.mkdir()
        settings = {"NEWSCRAWL_STATE": self.state, "NEWSCRAWL_DATA_DIR": str(self.tmp_path / "data"),
                    "LOG_LEVEL": "DEBUG", **kwargs.pop("settings", {})}  # fmt: skip
        result = run_crawl(spider, run_dir, snapshot=kwargs.pop("snapshot", self.snapshot),
                           settings=settings, **kwargs)  # fmt: skip
        assert result.returncode == 0, result.log[-3000:]
        assert "Traceback" not in result.log, result.log[-3000:]
        crawled = [line for line in result.log.splitlines() if "Crawled (" in line and "/node/" in line]
        return Run(result, len(crawled))


@pytest.fixture(params=["sqlite", "redis"])
def state(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "redis":
        return str(request.getfixturevalue("redis_url"))
    return str(tmp_path / "state" / "seen.sqlite3")


# --- the "done means" ---------------------------------------------------


def test_unchanged_snapshot_fetches_nothing_and_new_articles_only_themselves(
    tmp_path: Path, state: str, request: pytest.FixtureRequest
) -> None:
    snap = Snapshot(tmp_path / "snapshot")
    snap.add(8)
    crawl = Runner(tmp_path, state, snap.write())

    run1 = crawl()
    assert (run1.article_requests, len(run1.items)) == (8, 8)
    assert run1.stat("newscrawl/seen/new") == 8 and run1.stat("newscrawl/seen/marked") == 8

    run2 = crawl()
    assert (run2.article_requests, len(run2.items)) == (0, 0)
    assert run2.stat("newscrawl/seen/skipped") == 8  # the stats say why

    new = snap.add(3)
    snap.write()
    run3 = crawl()
    assert (run3.article_requests, len(run3.items)) == (3, 3)
    assert sorted(run3.ids) == sorted(s.id for s in new)
    assert run3.stat("newscrawl/seen/skipped") == 8

    FIGURES[request.node.callspec.id] = {
        "run1_requests": run1.result.stats["downloader/request_count"],
        "run1_article_requests": run1.article_requests,
        "run1_items": len(run1.items),
        "run2_requests": run2.result.stats["downloader/request_count"],
        "run2_article_requests": run2.article_requests,
        "run2_items": len(run2.items),
        "run3_requests": run3.result.stats["downloader/request_count"],
        "run3_article_requests": run3.article_requests,
        "run3_items": len(run3.items),
    }
    print(f"\nincremental figures ({request.node.callspec.id}): {FIGURES[request.node.callspec.id]}")


def test_changed_article_is_refetched_and_exported_once_as_an_update(tmp_path: Path) -> None:
    snap = Snapshot(tmp_path / "snapshot")
    first, second, third = snap.add(3)
    crawl = Runner(tmp_path, str(tmp_path / "seen.sqlite3"), snap.write())
    assert len(crawl().items) == 3

    # 1: the feed announces a change and the text changed; the page gives no dateModified
    first.version, first.feed_updated = 2, first.published + timedelta(hours=5)
    # 2: the feed announces a change but the text is the same
    second.feed_updated = second.published + timedelta(hours=5)
    # 3: the text changed silently (no date anywhere): not noticed, nothing refetched
    third.version = 2
    snap.write()
    run = crawl()
    assert run.article_requests == 2
    assert run.stat("newscrawl/seen/refetch_changed") == 2 and run.stat("newscrawl/seen/skipped") == 1
    [update] = run.items
    assert update["id"] == first.id and "Update 2" in update["body"]
    assert update["modified_at"] == first.feed_updated.isoformat()  # the date that revealed the change
    assert run.stat("newscrawl/seen/updated") == 1 and run.stat("newscrawl/seen/unchanged") == 1

    # the refetch recorded the newer dates: nothing is fetched again
    again = crawl()
    assert (again.article_requests, len(again.items)) == (0, 0)

    # a page that states its own dateModified keeps it
    first.version, first.page_modified = 3, first.published + timedelta(hours=9)
    first.feed_updated = first.page_modified
    snap.write()
    [update] = crawl().items
    assert update["modified_at"] == first.page_modified.isoformat() and "Update 3" in update["body"]


def test_explicit_urls_are_always_exported_and_any_field_change_is_an_update(tmp_path: Path) -> None:
    snap = Snapshot(tmp_path / "snapshot")
    story, other = snap.add(2)
    crawl = Runner(tmp_path, str(tmp_path / "seen.sqlite3"), snap.write())
    [first, _] = sorted(crawl().items, key=lambda i: i["id"])
    # -a urls is the re-parse path: an unchanged article is exported again, as it is
    run = crawl(args={"urls": f"{story.url},{story.url}"})
    assert (run.article_requests, len(run.items)) == (1, 1)  # still once per run
    [again] = run.items
    assert run.stat("newscrawl/seen/explicit") == 2 and run.stat("newscrawl/seen/reexported") == 1
    assert {k: v for k, v in again.items() if k != "crawled_at"} == {
        k: v for k, v in first.items() if k != "crawled_at"
    }
    # a feed crawl still skips it: nothing changed
    assert (crawl().article_requests, len(crawl().items)) == (0, 0)

    # a change outside title and body (a parser fix to the byline) is an update
    story.author = "Desk Editor"
    snap.write()
    run = crawl(args={"urls": f"{story.url},{other.url}"})
    assert run.article_requests == 2
    assert run.stat("newscrawl/seen/updated") == 1 and run.stat("newscrawl/seen/reexported") == 1
    update = next(i for i in run.items if i["id"] == story.id)
    assert update["authors"] == ["Desk Editor"] and update["body"] == first["body"]
    assert update["modified_at"] == update["crawled_at"]  # no date said when: when we saw it


def test_state_off_exports_everything_every_time(tmp_path: Path) -> None:
    snap = Snapshot(tmp_path / "snapshot")
    snap.add(2)
    crawl = Runner(tmp_path, "off", snap.write())
    assert len(crawl().items) == 2
    assert len(crawl().items) == 2
    assert not (tmp_path / "data" / "state").exists()


# --- since ---------------------------------------------------------------------------


def test_since_skips_old_feed_and_news_sitemap_links_before_fetching(tmp_path: Path) -> None:
    snap = Snapshot(tmp_path / "snapshot")
    old_feed = snap.add(2)
    old_sitemap = snap.add(2, in_feed=False, in_sitemap=True)
    new_feed = snap.add(1)
    new_sitemap = snap.add(1, in_feed=False, in_sitemap=True)
    for s in (*old_feed, *old_sitemap):
        s.published = T0 - timedelta(days=3)
    crawl = Runner(tmp_path, "off", snap.write())
    run = crawl(args={"since": "2026-11-17"})
    assert run.article_requests == 2
    assert sorted(run.ids) == sorted(s.id for s in (*new_feed, *new_sitemap))
    assert run.stat("newscrawl/skipped/since") == 4


def test_since_uses_lastmod_when_a_link_has_no_publication_date() -> None:
    crawler = get_crawler(ArabNewsSpider, {"NEWSCRAWL_STATE": "off"})
    spider = ArabNewsSpider.from_crawler(crawler, since="2026-11-18T00:00:00+03:00")
    crawler.spider = spider
    crawler.stats.open_spider()
    day = datetime(2026, 11, 18, tzinfo=RIYADH)
    links = [
        Link(f"{SITE}/node/1/world", lastmod=day - timedelta(hours=1)),  # modified before: skipped
        Link(f"{SITE}/node/2/world", lastmod=day + timedelta(hours=1)),
        Link(f"{SITE}/node/3/world", published=day - timedelta(days=1), lastmod=day + timedelta(hours=1)),
        Link(f"{SITE}/node/4/world"),  # no date at all: fetched, its published_at is checked later
    ]
    response = HtmlResponse(f"{SITE}/sitemap.xml", body=b"")
    urls = [r.url for r in spider.article_requests(links, response)]
    assert urls == [f"{SITE}/node/2/world", f"{SITE}/node/4/world"]
    assert crawler.stats.get_value("newscrawl/skipped/since") == 2


def test_news_sitemap_publication_date_is_read() -> None:
    body = (
        b'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"'
        b' xmlns:news="http://www.google.com/schemas/sitemap-news/0.9"><url><loc>https://www.arabnews.com/node/5/x</loc>'
        b"<lastmod>2026-11-19T10:00:00+03:00</lastmod><news:news><news:publication_date>2026-11-18T14:05:00+03:00"
        b"</news:publication_date></news:news></url></urlset>"
    )
    [link] = sitemap_links(body)[1]
    assert link.published == datetime(2026, 11, 18, 14, 5, tzinfo=RIYADH)
    assert link.lastmod == datetime(2026, 11, 19, 10, 0, tzinfo=RIYADH)


# --- crash safety ----------------------------------------------------------------------


def _complete_lines(path: Path) -> list[dict[str, Any]]:
    """JSON lines that end with a newline: a consumer ignores a trailing partial line."""
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_bytes().split(b"\n")[:-1]]


def _crawl_cmd(snapshot: Path, tmp_path: Path, out: Path, *extra: str) -> list[str]:
    cmd = [sys.executable, "-m", "scrapy", "crawl", "arab_news", "-o", f"{out}:jsonlines"]
    settings = {
        "NEWSCRAWL_REPLAY": str(snapshot),
        "NEWSCRAWL_DATA_DIR": str(tmp_path / "data"),
        "NEWSCRAWL_STATE": str(tmp_path / "seen.sqlite3"),
        "NEWSCRAWL_STATS_FILE": str(out.with_suffix(".stats.json")),
        "LOG_FILE": str(out.with_suffix(".log")),
    }
    for key, value in settings.items():
        cmd += ["-s", f"{key}={value}"]
    return cmd + list(extra)


def _interrupt(cmd: list[str], out: Path, after_lines: int, sig: int) -> int:
    """Start a crawl, send ``sig`` once ``out`` has ``after_lines`` lines; returns its exit code."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSCRAWL_")}
    proc = forkserver.popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    try:
        while time.monotonic() < deadline and proc.poll() is None:
            if out.exists() and out.read_bytes().count(b"\n") >= after_lines:
                proc.send_signal(sig)
                break
            time.sleep(0.002)
        return proc.wait(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


@pytest.mark.parametrize("after_lines", [1, 4, 9, 15])
def test_sigkill_mid_run_then_rerun_exports_every_article_exactly_once(
    tmp_path: Path, after_lines: int
) -> None:
    snap = Snapshot(tmp_path / "snapshot", delay_ms=60)
    stories = snap.add(24)
    root = snap.write()
    out1, out2 = tmp_path / "out1.jsonl", tmp_path / "out2.jsonl"
    code = _interrupt(_crawl_cmd(root, tmp_path, out1), out1, after_lines, signal.SIGKILL)
    assert code == -signal.SIGKILL  # killed, not finished
    first = _complete_lines(out1)
    assert after_lines <= len(first) < len(stories)

    rerun = forkserver.run(_crawl_cmd(root, tmp_path, out2), cwd=ROOT, capture_output=True, timeout=240)
    assert rerun.returncode == 0, rerun.stderr[-3000:]
    second = _complete_lines(out2)
    ids = [item["id"] for item in first + second]
    assert sorted(ids) == sorted(s.id for s in stories)  # none missing, none twice
    stats = json.loads(out2.with_suffix(".stats.json").read_text("utf-8"))
    assert stats.get("newscrawl/seen/new", 0) == len(second)
    # nothing exported in run 1 was fetched again, not even the articles in flight at the kill
    # (their intents were settled from the journal); no journal is left behind
    assert stats.get("newscrawl/seen/unchanged", 0) == 0
    assert not list((tmp_path / "data" / "state" / "journal").glob("*.jsonl"))


def test_jobdir_pause_and_resume(tmp_path: Path) -> None:
    snap = Snapshot(tmp_path / "snapshot", delay_ms=60)
    stories = snap.add(60)  # more than the downloader holds (CONCURRENT_REQUESTS) at the pause
    root = snap.write()
    job = f"JOBDIR={tmp_path / 'job'}"
    out1, out2 = tmp_path / "out1.jsonl", tmp_path / "out2.jsonl"
    code = _interrupt(_crawl_cmd(root, tmp_path, out1, "-s", job), out1, 3, signal.SIGINT)
    assert code >= 0  # it stopped itself (a paused run fails the finish-reason monitor: exit 3)
    stats1 = json.loads(out1.with_suffix(".stats.json").read_text("utf-8"))
    assert stats1["finish_reason"] == "shutdown"
    assert list((tmp_path / "job" / "requests.queue").iterdir())  # pending requests were pickled

    rerun = forkserver.run(
        _crawl_cmd(root, tmp_path, out2, "-s", job), cwd=ROOT, capture_output=True, timeout=240
    )
    assert rerun.returncode == 0, rerun.stderr[-3000:]
    stats2 = json.loads(out2.with_suffix(".stats.json").read_text("utf-8"))
    assert stats2["finish_reason"] == "finished"
    first, second = _complete_lines(out1), _complete_lines(out2)
    assert first and second
    assert sorted(i["id"] for i in first + second) == sorted(s.id for s in stories)


class Upload(BlockingFeedStorage):
    """A feed storage like S3's: lines go to a temp file, uploaded (here: copied) at slot close;
    a path containing "fail" makes the upload fail."""

    def __init__(self, uri: str, *, feed_options: dict[str, Any] | None = None) -> None:
        self.path = Path(uri.removeprefix("upload://"))

    def _store_in_thread(self, file: IO[bytes]) -> None:
        if "fail" in self.path.name:
            raise OSError("upload refused")
        file.seek(0)
        self.path.write_bytes(file.read())


@pytest.mark.parametrize("upload", ["uploaded.jsonl", "fail.jsonl"])
def test_remote_feeds_mark_articles_only_once_stored(tmp_path: Path, upload: str) -> None:
    snap = Snapshot(tmp_path / "snapshot")
    stories = snap.add(3)
    root = snap.write()
    remote = ["-o", f"upload://{tmp_path / upload}:jsonlines", "-s", 'FEED_STORAGES={"upload": "%s"}']
    remote[-1] %= f"{__name__}.Upload"
    out1, out2 = tmp_path / "out1.jsonl", tmp_path / "out2.jsonl"
    uploaded: list[dict[str, Any]] = []
    for out in (out1, out2):
        run = forkserver.run(
            _crawl_cmd(root, tmp_path, out, *remote), cwd=ROOT, capture_output=True, timeout=240
        )
        # a failed upload fails the run (tests/test_export_failure.py): exit 3
        assert run.returncode == (3 if upload == "fail.jsonl" else 0), run.stderr[-3000:]
        uploaded += _complete_lines(tmp_path / upload)
    second = _complete_lines(out2)
    assert len(_complete_lines(out1)) == 3  # the local feed got every line in both cases
    if upload == "fail.jsonl":  # upload lost: nothing was marked, run 2 exports them again
        assert sorted(i["id"] for i in second) == sorted(s.id for s in stories)
        log = out1.with_suffix(".log").read_text("utf-8")
        assert "'newscrawl/export/failed': 1" in log and "'newscrawl/export/unmarked': 3" in log
    else:
        assert len(uploaded) == 3 and second == []


def test_a_feed_that_fails_mid_run_fails_the_run_and_marks_nothing_it_lost(tmp_path: Path) -> None:
    """/dev/full takes the file open and every write, then fails the flush (ENOSPC): the
    run stops with ``feed_failed``, counts it, and marks nothing that went to that feed."""
    snap = Snapshot(tmp_path / "snapshot", delay_ms=100)
    stories = snap.add(24)
    root = snap.write()
    out1, out2 = tmp_path / "out1.jsonl", tmp_path / "out2.jsonl"
    # one request at a time: >= 2.4 s of crawl, so a group commit (every 0.2 s) finds the
    # failure mid-run however fast the machine (concurrent fetches could end it first)
    extra = (
        "-o",
        "/dev/full:jsonlines",
        "-s",
        "NEWSCRAWL_COMMIT_INTERVAL=0.2",
        "-s",
        "CONCURRENT_REQUESTS=1",
    )
    run = forkserver.run(
        _crawl_cmd(root, tmp_path, out1, *extra),
        cwd=ROOT,
        capture_output=True,
        timeout=240,
    )
    stats = json.loads(out1.with_suffix(".stats.json").read_text("utf-8"))
    assert stats["finish_reason"] == "feed_failed" and stats["newscrawl/export/failed"] == 1
    assert "newscrawl/seen/marked" not in stats
    assert "Feed /dev/full failed" in out1.with_suffix(".log").read_text("utf-8")
    assert run.returncode != 0  # the monitors see the finish reason
    rerun = forkserver.run(_crawl_cmd(root, tmp_path, out2), cwd=ROOT, capture_output=True, timeout=240)
    assert rerun.returncode == 0, rerun.stderr[-3000:]
    assert sorted(i["id"] for i in _complete_lines(out2)) == sorted(s.id for s in stories)


# --- the journal, deterministically -----------------------------------------------------


def _line(node: int, body: str = "B") -> dict[str, Any]:
    when = {"published_at": "2026-11-20T08:00:00+00:00", "crawled_at": "2026-11-20T09:00:00+00:00"}
    return {"id": f"arab_news:{node}", "url": f"{SITE}/node/{node}/world", "title": "T", "body": body, **when}


def _mark(node: int, body: str = "B", urls: tuple[str, ...] = ()) -> Mark:
    line = _line(node, body)
    record = SeenRecord(
        line["id"], record_fingerprint(line), "2026-11-20T08:30:00+00:00", "2026-11-20T09:00:01+00:00"
    )
    return Mark(Export(record, (*urls, line["url"])))


def _lines(*items: dict[str, Any]) -> bytes:
    return b"".join(json.dumps(i).encode() + b"\n" for i in items)


def test_journal_replay_marks_every_complete_line_the_crawl_wrote(tmp_path: Path) -> None:
    store = SqliteSeenStore(tmp_path / "seen.sqlite3")
    out = tmp_path / "out.jsonl"
    out.write_bytes(_lines(_line(9)))  # an earlier run's line, before this crawl's offset
    journal = Journal(tmp_path / "journal", store.url, "host:1:x")
    journal.output(out, out.stat().st_size)
    for node in (1, 2, 3, 4, 5):
        assert store.claim(f"arab_news:{node}", "fp", "host:1:x") == "ok"
        journal.claim(f"arab_news:{node}")
    redirected = _mark(1, urls=(f"{SITE}/node/1",))
    journal.intent(redirected)
    journal.intent(_mark(2))  # its line never reached the file
    journal.intent(_mark(4))
    journal.done(["arab_news:4"])  # marked by the crawl itself
    with out.open("ab") as handle:  # 1 with its intent, 3 without (lost in a power cut), 5 cut short
        handle.write(_lines(_line(1), _line(3), _line(4)) + json.dumps(_line(5)).encode()[:30])
    # while the crawl lives, its journal is left alone
    assert replay_journal(journal.path, store) == (0, 0) and journal.path.exists()
    journal.close()  # the process died: its lock is gone
    assert replay_journal(journal.path, store) == (2, 1)
    assert store.get(f"{SITE}/node/1") == redirected.export.record  # the intent's URLs and dates
    three = store.get(f"{SITE}/node/3/world")  # from the line alone
    assert three is not None and three.fingerprint == record_fingerprint(_line(3))
    assert three.lastmod == "2026-11-20T08:00:00+00:00"
    for node in (2, 4, 5, 9):
        assert store.get(f"arab_news:{node}") is None
    assert store.claim("arab_news:2", "fp", "another crawl") == "ok"  # the dead crawl's claims are gone
    assert not journal.path.exists()


def test_journal_replay_ignores_an_older_version_of_the_line(tmp_path: Path) -> None:
    store = SqliteSeenStore(tmp_path / "seen.sqlite3")
    out = tmp_path / "out.jsonl"
    journal = Journal(tmp_path / "journal", store.url, "host:1:x")
    journal.output(out, 0)
    out.write_bytes(_lines(_line(1, body="old")))
    journal.close()
    newer = SeenRecord("arab_news:1", record_fingerprint(_line(1, "new")), None, "2026-11-21T00:00:00+00:00")
    store.mark_exported(newer)  # a later crawl exported the new version
    assert replay_journal(journal.path, store) == (0, 0)
    assert store.get("arab_news:1") == newer


def test_journal_with_a_deferred_output_marks_nothing(tmp_path: Path) -> None:
    store = SqliteSeenStore(tmp_path / "seen.sqlite3")
    out = tmp_path / "out.jsonl"
    journal = Journal(tmp_path / "journal", store.url, "host:1:x")
    journal.output(out, 0)
    journal.deferred("s3://bucket/items.jsonl")  # never uploaded: the lines may be only here
    journal.intent(_mark(1))
    out.write_bytes(_lines(_line(1)))
    journal.close()
    assert replay_journal(journal.path, store) == (0, 1) and store.get("arab_news:1") is None


def test_journal_of_another_store_is_left_alone(tmp_path: Path) -> None:
    store = SqliteSeenStore(tmp_path / "seen.sqlite3")
    journal = Journal(tmp_path / "journal", "redis://elsewhere:6379/0", "host:1:x")
    journal.intent(_mark(1))
    journal.close()
    assert replay_journal(journal.path, store) == (0, 0) and journal.path.exists()


# --- Daily8 republication linked across runs via the store --------------------------------

ORIGINAL = f"{SITE}/node/2622140"
REPUBLISHED = "https://www.daily8.com/en/article/7f2f5b257ea18f79b7fe30e21688ebd9"


def test_daily8_republication_is_linked_through_the_store_across_runs(tmp_path: Path) -> None:
    """The original is exported by arab_news in one run; daily8 runs later with another
    data dir (no export files to read) and finds it through the shared store."""
    store = str(tmp_path / "seen.sqlite3")
    arab = Runner(tmp_path / "a", store, FIXTURES)
    (tmp_path / "a").mkdir()
    [original] = arab(args={"urls": ORIGINAL}).items
    assert original["id"] == "arab_news:2622140"

    (tmp_path / "b").mkdir()
    [republished] = Runner(tmp_path / "b", store, FIXTURES)("daily8", args={"urls": REPUBLISHED}).items
    assert republished["via"] and republished["duplicate_of"] == "arab_news:2622140"

    (tmp_path / "c").mkdir()  # control: a fresh store knows no original
    [alone] = Runner(tmp_path / "c", str(tmp_path / "c.sqlite3"), FIXTURES)(
        "daily8", args={"urls": REPUBLISHED}
    ).items
    assert alone["duplicate_of"] is None


# --- wiring ---------------------------------------------------------------------------------


def test_seen_addon_wraps_every_feed_storage_even_one_given_on_the_command_line() -> None:
    from scrapy.settings import Settings

    from newscrawl.storage.incremental import DURABLE_STORAGE, SeenAddon

    settings = Settings()
    settings.set("FEED_STORAGES", {"upload": f"{__name__}.Upload"}, priority="cmdline")
    addon = SeenAddon()
    addon.update_settings(settings)
    wrapped = settings.getwithbase("FEED_STORAGES")
    assert {wrapped[k] for k in wrapped} == {DURABLE_STORAGE}
    assert addon.storages["upload"] == f"{__name__}.Upload"
    assert addon.storages["file"] == "scrapy.extensions.feedexport.FileFeedStorage"
    assert {"", "file", "s3", "ftp", "stdout", "upload"} <= set(addon.storages)

    off = Settings({"NEWSCRAWL_STATE": "off"})
    SeenAddon().update_settings(off)
    assert off.getwithbase("FEED_STORAGES")["file"] == "scrapy.extensions.feedexport.FileFeedStorage"


def test_journal_never_writes_the_store_password(tmp_path: Path) -> None:
    from newscrawl.storage.incremental import Journal

    journal = Journal(tmp_path / "journal", "redis://:s3cret@127.0.0.1:6391/0", "owner-1")
    journal.file.close()
    text = journal.path.read_text("utf-8")
    assert "s3cret" not in text and "127.0.0.1:6391" in text
