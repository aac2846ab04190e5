"""Fault matrix: servers and pages misbehaving, through replay with the arab_news spider.

One crawl serves every case at its own URL (feed, sitemaps and listings of a
snapshot built in tmp_path from tests/fixtures/faults/); each case then asserts
its own outcome (an item, or a counter plus a log line naming its URL). Whole-run
checks: no traceback, and the run's failed/skipped/dropped/invalid counters are
exactly the sum of the cases' expected outcomes, so nothing is lost silently.
Feed variants need their own crawl each (the spider has one feed URL).
"""

from __future__ import annotations

import gzip
import http.server
import itertools
import json
import re
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import pytest

from tests import forkserver
from tests.conftest import FIXTURES, ROOT, CrawlResult, run_crawl
from tests.servers import clean_env

FAULTS = FIXTURES / "faults"
SITE = "https://www.arabnews.com"
DATE = "Wed, 18 Nov 2026 12:00:00 GMT"
HTML = {"Content-Type": "text/html; charset=utf-8", "Date": DATE}
ARABIC_TITLE = "ارتفاع حجم الحاويات في ميناء جدة الإسلامي"
SINCE = "2026-11-01T00:00:00+03:00"
OUTCOME_PREFIXES = ("newscrawl/failed/", "newscrawl/skipped/", "newscrawl/dropped/", "newscrawl/invalid/")


def exit_matches_monitors(result: CrawlResult) -> bool:
    """The crawl ran to its end: exit 0, or (monitors failed) the monitors' non-zero exit."""
    report = json.loads(Path(result.stats["newscrawl/report"]).read_text("utf-8"))
    return (result.returncode == 0) == bool(report["monitors"]["passed"])


def article(node: int, slug: str = "saudi-arabia", title: str | None = None) -> str:
    text = (FAULTS / "article.html").read_text("utf-8")
    title = title or f"Jeddah port volumes rise in October ({node})"
    return text.replace("@@NODE@@", str(node)).replace("@@SLUG@@", slug).replace("@@TITLE@@", title)


def arabic(node: int, meta_charset: bool) -> bytes:
    text = (FAULTS / "article-ar.html").read_text("utf-8")
    charset = '<meta charset="windows-1256">' if meta_charset else ""
    text = text.replace("@@CHARSET@@", charset).replace("@@NODE@@", str(node))
    return text.replace("@@SLUG@@", "saudi-arabia").replace("@@TITLE@@", ARABIC_TITLE).encode("cp1256")


def url(node: int, slug: str = "saudi-arabia") -> str:
    return f"{SITE}/node/{node}/{slug}"


@dataclass
class Case:
    """One fault: what the snapshot serves, and what the crawl must show for it."""

    name: str
    url: str
    entries: list[dict[str, Any]]  # manifest lines; "content" (bytes|str) becomes the body file
    item: bool = False
    stats: dict[str, int] = field(default_factory=dict)
    log: str | None = None  # regex that must match the log
    check: Callable[[dict[str, Any]], None] | None = None
    in_feed: bool = True
    feed_url: str | None = None  # what discovery lists, when not ``url``


def page(address: str, content: str | bytes) -> dict[str, Any]:
    return {"url": address, "headers": HTML, "content": content}


def ok(node: int, **extra: Any) -> dict[str, Any]:
    return {"url": url(node), "headers": HTML, "content": article(node), **extra}


def _truncated(node: int) -> str:
    html = article(node)
    return html[: html.index("The authority said")]


def _malformed(node: int) -> str:
    html = article(node)
    html = html.replace('<div class="field-item">', "<div class=field-item><span><b>", 1)
    html = html.replace("</p>\n      <p>The authority", "\n      <p>The authority<i>", 1)
    html = html.replace("</article>", "</div></span></div></article></section>", 1)
    return html.replace("&copy;", "&copy").replace("<main", "<script>var s='</div>';</script><main", 1)


def _no_body_tag(node: int) -> str:
    html = article(node)
    html = re.sub(r"<body[^>]*>", "", html)
    return html.replace("</body>", "")


def _head_only(node: int) -> str:
    html = article(node)
    return html[: html.index("<body")] + "</html>\n"


def _kind(node: int, old: str, new: str, *, text: bool = False) -> str:
    """A page of another kind: the article's markup retyped, its paragraphs gone unless
    ``text`` (an article that merely embeds a player or a slideshow is an article)."""
    html = article(node).replace(old, new)
    return html if text else re.sub(r"<p\b.*?</p>", "", html, flags=re.S)


def _arabic_ok(item: dict[str, Any]) -> None:
    assert item["title"] == ARABIC_TITLE
    assert item["body"].startswith("الرياض: أعلنت الهيئة العامة للموانئ")
    assert "\ufffd" not in item["body"] and item["authors"] == ["راشد حسن"]


def _utf8_with_dash(node: int) -> bytes:
    return article(node).replace("The authority said", "The authority \u2014 in Jeddah \u2014 said").encode()


def _bad_utf8(node: int) -> bytes:
    return _utf8_with_dash(node).replace(b"in Jeddah", b"in \xffJeddah", 1)


def _dash_ok(item: dict[str, Any]) -> None:
    assert "The authority \u2014 in Jeddah \u2014 said" in item["body"], item["body"]
    assert item["title"].startswith("Jeddah port volumes rise")


def _one_replacement(item: dict[str, Any]) -> None:
    assert "The authority \u2014 in \ufffdJeddah \u2014 said" in item["body"], item["body"]
    assert "\u00e2\u20ac" not in item["body"] and item["body"].count("\ufffd") == 1  # no mojibake


def _title_and_body(item: dict[str, Any]) -> None:
    assert item["title"].startswith("Jeddah port volumes rise")
    assert item["body"].count("\n\n") == 2, item["body"]  # all three paragraphs, nothing else
    assert item["extraction"]["body"] == "selectors"


CASES = [
    Case("control", url(2629001), [ok(2629001)], item=True, check=_title_and_body),
    Case(
        "429 Retry-After then recovered", url(2629002),
        [ok(2629002, fail_first=1, fail_status=429, fail_headers={"Retry-After": "1", "Date": DATE})],
        item=True, stats={"newscrawl/retry_after/waited": 1},
        log=rf"Waiting 1\.0s \(Retry-After\) before retrying {re.escape(url(2629002))}",
    ),
    Case(
        "429 Retry-After beyond the cap", url(2629003),
        [{"url": url(2629003), "status": 429, "headers": {"Retry-After": "86400", "Date": DATE}}],
        stats={"newscrawl/failed/http_429": 1, "newscrawl/retry_after/too_long": 1},
        log=rf"Not retrying {re.escape(url(2629003))} this run: Retry-After 86400s",
    ),
    Case("500 cleared by retries", url(2629004), [ok(2629004, fail_first=2, fail_status=500)], item=True),
    Case("502 cleared by retries", url(2629005), [ok(2629005, fail_first=2, fail_status=502)], item=True),
    Case("503 cleared by retries", url(2629006), [ok(2629006, fail_first=3, fail_status=503)], item=True),
    Case(
        "permanent 503", url(2629007), [{"url": url(2629007), "status": 503, "headers": HTML}],
        stats={"newscrawl/failed/http_503": 1},
        log=rf"Gave up retrying <GET {re.escape(url(2629007))}> \(failed 4 times\)",
    ),
    Case(
        "timeout", url(2629008), [{"url": url(2629008), "fault": "timeout"}],
        stats={"newscrawl/failed/download_timeout_error": 1},
        log=rf"Failed {re.escape(url(2629008))}: download_timeout_error",
    ),
    Case(
        "connection lost", url(2629009), [{"url": url(2629009), "fault": "connection_lost"}],
        stats={"newscrawl/failed/download_failed_error": 1},
        log=rf"Failed {re.escape(url(2629009))}: download_failed_error",
    ),
    Case(
        "truncated HTML", url(2629010), [page(url(2629010), _truncated(2629010))],
        stats={"newscrawl/failed/response_data_loss_error": 1, "newscrawl/truncated": 4},
        log=rf"Failed {re.escape(url(2629010))}: response_data_loss_error \(HTML ends before",
    ),
    Case(
        "malformed markup", url(2629011), [page(url(2629011), _malformed(2629011))],
        item=True, check=_title_and_body,
    ),
    Case(
        "no <body> tag", url(2629012), [page(url(2629012), _no_body_tag(2629012))],
        item=True, check=_title_and_body,
    ),
    Case(
        "head only, no article text", url(2629013),
        [page(url(2629013), _head_only(2629013))],
        stats={"newscrawl/invalid/body": 1},
        log=rf"Invalid article {re.escape(url(2629013))}: body",
    ),
    Case(
        "binary body as text/html", url(2629014),
        [{"url": url(2629014), "headers": HTML, "content": b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8}],
        stats={"newscrawl/dropped/not_text": 1, "newscrawl/binary_as_text": 1},
        log=rf"Dropped {re.escape(url(2629014))}: not_text",
    ),
    Case(
        "windows-1256, wrong header, <meta charset>", url(2629015),
        [{"url": url(2629015), "headers": HTML, "content": arabic(2629015, True)}],
        item=True, check=_arabic_ok,
    ),
    Case(
        "windows-1256, wrong header, no <meta>", url(2629016),
        [{"url": url(2629016), "headers": HTML, "content": arabic(2629016, False)}],
        item=True, check=_arabic_ok,
    ),
    Case(
        "windows-1256, no charset anywhere", url(2629017),
        [{"url": url(2629017), "headers": {"Content-Type": "text/html", "Date": DATE},
          "content": arabic(2629017, False)}],
        item=True, check=_arabic_ok,
    ),
    Case(
        "one invalid byte in a UTF-8 page (header and <meta> agree)", url(2629040),
        [{"url": url(2629040), "headers": HTML, "content": _bad_utf8(2629040)}],
        item=True, check=_one_replacement, stats={"newscrawl/encoding/replaced": 1},
        log=rf"1 invalid UTF-8 byte sequence\(s\) in {re.escape(url(2629040))} replaced by U\+FFFD",
    ),
    Case(
        "UTF-8 page, header says utf-16", url(2629041),
        [{"url": url(2629041), "headers": {"Content-Type": "text/html; charset=utf-16", "Date": DATE},
          "content": _utf8_with_dash(2629041)}],
        item=True, check=_dash_ok, stats={"newscrawl/encoding/not_utf16": 1},
    ),
    Case(
        "UTF-8 page, <meta> says utf-16, no charset header", url(2629042),
        [{"url": url(2629042), "headers": {"Content-Type": "text/html", "Date": DATE},
          "content": _utf8_with_dash(2629042).replace(b'charset="utf-8"', b'charset="utf-16"')}],
        item=True, check=_dash_ok, stats={"newscrawl/encoding/not_utf16": 1},
    ),
    Case(
        "NUL byte in the first kilobyte of an HTML page", url(2629043),
        [{"url": url(2629043), "headers": HTML,
          "content": article(2629043).replace("<head>", "<head>\x00", 1).encode()}],
        item=True, check=_title_and_body,
    ),
    Case(
        "oversized body (> DOWNLOAD_MAXSIZE)", url(2629018),
        [{"url": url(2629018), "headers": HTML,
          "content": article(2629018).replace("</body>", "<!--" + "x" * (11 * 1024 * 1024) + "--></body>")}],
        stats={"newscrawl/failed/download_cancelled_error": 1},
        log=rf"larger than download max size \(10485760\) in request <GET {re.escape(url(2629018))}>",
    ),
    Case(
        "redirect loop A -> B -> A", url(2629019),
        [{"url": url(2629019), "status": 301, "headers": {"Location": url(2629119)}},
         {"url": url(2629119), "status": 302, "headers": {"Location": url(2629019)}}],
        stats={"newscrawl/failed/redirect_loop": 1},
        log=rf"Failed {re.escape(url(2629019))}: redirect loop back to {re.escape(url(2629019))}",
    ),
    Case(
        "redirect to itself", url(2629020),
        [{"url": url(2629020), "status": 301, "headers": {"Location": url(2629020)}}],
        stats={"newscrawl/failed/redirect_loop": 1},
        log=rf"Failed {re.escape(url(2629020))}: redirect loop back to",
    ),
    Case(
        "redirect to another site", url(2629021),
        [{"url": url(2629021), "status": 301, "headers": {"Location": "https://www.example.com/story"}},
         {"url": "https://www.example.com/story", "headers": HTML, "content": article(2629021)}],
        stats={"newscrawl/failed/redirect_offsite": 1},
        log=rf"Failed {re.escape(url(2629021))}: redirects off the spider's domains to https://www\.example\.com",
    ),
    Case(
        "redirect within the site", url(2629022),
        [{"url": url(2629022, "old-slug"), "status": 301, "headers": {"Location": url(2629022)}},
         ok(2629022)],
        item=True, feed_url=url(2629022, "old-slug"),
    ),
    Case(
        "robots.txt disallows the section", url(2629023, "sport"),
        [{"url": url(2629023, "sport"), "headers": HTML, "content": article(2629023, "sport")}],
        stats={"newscrawl/skipped/robots_txt": 1},
        log=rf"Skipped {re.escape(url(2629023, 'sport'))}: disallowed by robots\.txt",
    ),
    Case(
        "video page", url(2629024, "media"),
        [{"url": url(2629024, "media"), "headers": HTML,
          "content": _kind(2629024, 'content="article"', 'content="video.other"')}],
        stats={"newscrawl/skipped/video": 1}, log=rf"Skipped {re.escape(url(2629024, 'media'))}: video page",
    ),
    Case(
        "article with a player", url(2629099, "media"),
        [{"url": url(2629099, "media"), "headers": HTML,
          "content": _kind(2629099, 'content="article"', 'content="video.other"', text=True)}],
        item=True, check=_title_and_body,
    ),
    Case(
        "photo gallery", url(2629025, "photos"),
        [{"url": url(2629025, "photos"), "headers": HTML,
          "content": _kind(2629025, '"@type": "NewsArticle"', '"@type": "ImageGallery"')}],
        stats={"newscrawl/skipped/gallery": 1},
        log=rf"Skipped {re.escape(url(2629025, 'photos'))}: gallery page",
    ),
    Case(
        "live blog", url(2629026, "middle-east"),
        [{"url": url(2629026, "middle-east"), "headers": HTML,
          "content": _kind(2629026, '"@type": "NewsArticle"', '"@type": "LiveBlogPosting"')}],
        stats={"newscrawl/skipped/live": 1},
        log=rf"Skipped {re.escape(url(2629026, 'middle-east'))}: live page",
    ),
    Case(
        "author page", url(2629027, "opinion"),
        [{"url": url(2629027, "opinion"), "headers": HTML,
          "content": _kind(2629027, 'content="article"', 'content="profile"')}],
        stats={"newscrawl/skipped/author": 1},
        log=rf"Skipped {re.escape(url(2629027, 'opinion'))}: author page",
    ),
    # --- sitemaps (children of sitemap.xml; the articles they list are fetched)
    Case("gzip sitemap (.xml.gz)", url(2629028), [ok(2629028)], item=True, in_feed=False),
    Case("malformed sitemap, first entry", url(2629029), [ok(2629029)], item=True, in_feed=False),
    Case("malformed sitemap, second entry", url(2629030), [ok(2629030)], item=True, in_feed=False),
    Case(
        "sitemap with 50,000 URLs", url(2000000), [], in_feed=False,
        stats={"newscrawl/skipped/since": 50_000},
    ),
]  # fmt: skip


TOTALS: Counter[str] = Counter()
for _case in CASES:
    TOTALS.update(_case.stats)
TOTALS["newscrawl/skipped/robots_txt"] += 1  # the /world listing, a start URL


def _urlset(urls: list[str], news_date: str | None = None) -> str:
    news = f"<news:news><news:publication_date>{news_date}</news:publication_date></news:news>"
    body = "".join(f"<url><loc>{u}</loc>{news if news_date else ''}</url>\n" for u in urls)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"'
        ' xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">\n' + body + "</urlset>\n"
    )


def _rss(urls: list[str]) -> str:
    items = "".join(f"<item><title>t</title><link>{u}</link></item>\n" for u in urls)
    head = '<?xml version="1.0"?><rss version="2.0"><channel><title>Arab News</title>\n'
    return f"{head}{items}</channel></rss>\n"


class Snapshot:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.lines: list[dict[str, Any]] = []
        root.mkdir(parents=True, exist_ok=True)

    def add(self, entry: dict[str, Any]) -> None:
        entry = dict(entry)
        content = entry.pop("content", None)
        if content is not None:
            name = f"body-{len(self.lines)}.bin"
            data = content.encode("utf-8") if isinstance(content, str) else content
            (self.root / name).write_bytes(data)
            entry["body"] = name
        entry.setdefault("headers", {})
        self.lines.append(entry)

    def save(self) -> Path:
        text = "\n".join(json.dumps(line, ensure_ascii=False) for line in self.lines) + "\n"
        (self.root / "manifest.jsonl").write_text(text, "utf-8")
        return self.root


def base_snapshot(root: Path, rss: bytes | str, rss_headers: dict[str, str]) -> Snapshot:
    snap = Snapshot(root)
    plain = {"Content-Type": "text/plain", "Date": DATE}
    snap.add({"url": f"{SITE}/robots.txt", "headers": plain, "content": (FAULTS / "robots.txt").read_text()})
    snap.add({"url": f"{SITE}/rss.xml", "headers": {**rss_headers, "Date": DATE}, "content": rss})
    for listing in ("saudiarabia", "middleeast", "world"):
        snap.add({"url": f"{SITE}/{listing}", "headers": HTML, "content": "<html><body></body></html>"})
    return snap


def fault_snapshot(root: Path) -> Path:
    rss = gzip.compress(_rss([c.feed_url or c.url for c in CASES if c.in_feed]).encode())
    snap = base_snapshot(root, rss, {"Content-Type": "application/rss+xml", "Content-Encoding": "gzip"})
    for case in CASES:
        for entry in case.entries:
            snap.add(entry)
    xml = {"Content-Type": "application/xml", "Date": DATE}
    children = ["sitemap-empty.xml", "sitemap-malformed.xml", "sitemap-gz.xml.gz", "sitemap-big.xml"]
    index = "".join(f"<sitemap><loc>{SITE}/{c}</loc></sitemap>" for c in children)
    snap.add({"url": f"{SITE}/sitemap.xml", "headers": xml,
              "content": f'<?xml version="1.0"?><sitemapindex>{index}</sitemapindex>'})  # fmt: skip
    snap.add({"url": f"{SITE}/sitemap-empty.xml", "headers": xml, "content": b""})
    broken = _urlset([url(2629029), url(2629030)]).replace("</urlset>", "<url><loc>https://www.arabn")
    snap.add({"url": f"{SITE}/sitemap-malformed.xml", "headers": xml, "content": broken})
    gz = gzip.compress(_urlset([url(2629028)]).encode())
    gz_headers = {"Content-Type": "application/x-gzip", "Date": DATE}
    snap.add({"url": f"{SITE}/sitemap-gz.xml.gz", "headers": gz_headers, "content": gz})
    big = _urlset([url(2000000 + i) for i in range(50_000)], news_date="2020-01-01")
    snap.add({"url": f"{SITE}/sitemap-big.xml", "headers": xml, "content": big})
    return snap.save()


@pytest.fixture(scope="module")
def faults(tmp_path_factory: pytest.TempPathFactory) -> CrawlResult:
    tmp = tmp_path_factory.mktemp("faults")
    return run_crawl("arab_news", tmp, snapshot=fault_snapshot(tmp / "snap"), args={"since": SINCE})


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_fault_case(faults: CrawlResult, case: Case) -> None:
    items = {i["url"]: i for i in faults.items}
    if case.item:
        assert case.url in items, f"{case.name}: no item for {case.url}"
        if case.check:
            case.check(items[case.url])
    else:
        assert case.url not in items
    for key in case.stats:
        assert faults.stats.get(key) == TOTALS[key], key  # TOTALS: cases may share a counter
    if case.log:
        assert re.search(case.log, faults.log), f"{case.name}: log lacks {case.log!r}"


def test_nothing_lost_silently(faults: CrawlResult) -> None:
    """Every counted outcome is a case's expected one, and every case is counted or exported."""
    got = {k: v for k, v in faults.stats.items() if k.startswith(OUTCOME_PREFIXES)}
    assert got == {k: v for k, v in TOTALS.items() if k.startswith(OUTCOME_PREFIXES)}
    assert sorted(i["url"] for i in faults.items) == sorted(c.url for c in CASES if c.item)
    assert exit_matches_monitors(faults) and faults.stats["finish_reason"] == "finished"
    assert "Traceback" not in faults.log and not any(k.startswith("spider_exceptions") for k in faults.stats)


def test_sitemaps_are_read_whole(faults: CrawlResult) -> None:
    # 50,000 (big) + 1 (gzip) + 3 (malformed: 2 entries and the cut-off "https://www.arabn") + 0 (empty)
    assert faults.stats["newscrawl/sitemap_links"] == 50_004
    assert faults.stats["newscrawl/feed_links"] == sum(c.in_feed for c in CASES)


def test_retry_after_was_waited(faults: CrawlResult) -> None:
    assert faults.stats["elapsed_time_seconds"] >= 1.0
    retried_429 = [v for k, v in faults.stats.items() if k.startswith("retry/reason_count/429")]
    assert retried_429 == [1]  # the capped one was not retried


def test_faults_are_reported(faults: CrawlResult) -> None:
    report_path = Path(faults.stats["newscrawl/report"])
    report = json.loads(report_path.read_text("utf-8"))
    assert report["failed"]["http_503"] == 1 and report["failed"]["redirect_loop"] == 2
    assert report["skipped"]["video"] == 1 and report["drops"]["invalid/body"] == 1
    assert not report["monitors"]["passed"]
    assert report["monitors"]["failed"] == ["Validation"]  # 4 ERROR lines (give-ups) are within 5
    assert "## Failed requests" in report_path.with_suffix(".md").read_text("utf-8")


# --- feeds: one crawl per variant --------------------------------------------------------------

FEEDS = {
    "empty feed": (b"", 0, []),
    "malformed feed": (_rss([url(2629031), url(2629032)]).replace("</channel></rss>", "<item><link>ht"), 2,
                       [url(2629031), url(2629032)]),
    "feed of another format (HTML error page)": (b"<html><body>Service unavailable</body></html>", 0, []),
}  # fmt: skip


@pytest.mark.parametrize("name", FEEDS)
def test_feed_variants(name: str, tmp_path: Path) -> None:
    body, links, urls = FEEDS[name]
    snap = base_snapshot(tmp_path / "snap", body, {"Content-Type": "application/rss+xml"})
    for u in urls:
        snap.add(page(u, article(int(u.split("/")[4]))))
    snap.add(
        {"url": f"{SITE}/sitemap.xml", "headers": {"Content-Type": "application/xml"}, "content": _urlset([])}
    )
    result = run_crawl("arab_news", tmp_path, snapshot=snap.save())
    assert result.stats.get("newscrawl/feed_links", 0) == links
    assert sorted(i["url"] for i in result.items) == urls
    assert not [k for k in result.stats if k.startswith(OUTCOME_PREFIXES) and "robots_txt" not in k]
    assert "Traceback" not in result.log and exit_matches_monitors(result)


# --- rate limits against a real HTTP server (no replay: delays are real) -------------------------

RATE_SPIDER = """
import scrapy


class RateSpider(scrapy.Spider):
    name = "rate"

    def __init__(self, urls="", **kwargs):
        super().__init__(**kwargs)
        self.urls = urls.split(",")

    async def start(self):
        for url in self.urls:  # the throttled host's requests first
            yield scrapy.Request(url, priority=10 if "/a" in url else 0)

    def parse(self, response):
        yield {"url": response.url, "status": response.status}
"""


class RateServer(http.server.BaseHTTPRequestHandler):
    """Logs (time, host, path, status). Host ``127.0.0.1``: ``/a*`` answers 429 with
    ``Retry-After: 2`` the first time. Host ``localhost``: robots.txt asks ``Crawl-delay: 1``."""

    log: ClassVar[list[tuple[float, str, str, int]]] = []
    throttled: ClassVar[set[str]] = set()

    def do_GET(self) -> None:
        host = (self.headers.get("Host") or "").split(":")[0]
        status, headers, body = (
            200,
            {"Content-Type": "text/html; charset=utf-8"},
            b"<html><body>ok</body></html>",
        )
        if self.path == "/robots.txt":
            status, body = (200, b"User-agent: *\nCrawl-delay: 1\n") if host == "localhost" else (404, b"")
            headers = {"Content-Type": "text/plain"}
        elif host == "127.0.0.1" and self.path.startswith("/a") and self.path not in RateServer.throttled:
            RateServer.throttled.add(self.path)
            status, headers = 429, {"Retry-After": "2"}
        RateServer.log.append((time.monotonic(), host, self.path, status))
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def rate_server() -> Iterator[int]:
    RateServer.log, RateServer.throttled = [], set()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), RateServer)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield int(server.server_address[1])
    finally:
        server.shutdown()
        server.server_close()
        thread.join(10)


def _run_rate_spider(tmp_path: Path, urls: list[str], **settings: str) -> dict[str, Any]:
    spider = tmp_path / "rate_spider.py"
    spider.write_text(RATE_SPIDER, "utf-8")
    stats = tmp_path / "stats.json"
    cmd = [sys.executable, "-m", "scrapy", "runspider", str(spider), "-a", f"urls={','.join(urls)}",
           "-o", str(tmp_path / "out.jsonl")]  # fmt: skip
    all_settings = {
        "NEWSCRAWL_DATA_DIR": str(tmp_path / "data"), "NEWSCRAWL_STATE": "off",
        "NEWSCRAWL_STATS_FILE": str(stats), "DOWNLOAD_DELAY": "0", "AUTOTHROTTLE_ENABLED": "False",
        "LOG_LEVEL": "INFO", **settings,
    }  # fmt: skip
    for key, value in all_settings.items():
        cmd += ["-s", f"{key}={value}"]
    proc = forkserver.run(cmd, cwd=ROOT, env=clean_env(), capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0 and "Traceback" not in proc.stderr, proc.stderr[-3000:]
    return dict(json.loads(stats.read_text("utf-8")))


def test_retry_after_pauses_only_that_domain(tmp_path: Path, rate_server: int) -> None:
    """Two 429s with Retry-After: 2 on one host fill CONCURRENT_REQUESTS=2; the other
    host's pages are fetched meanwhile, and the retries come after the wait."""
    throttled = [f"http://127.0.0.1:{rate_server}/a{i}" for i in (1, 2)]
    others = [f"http://localhost:{rate_server}/b{i}" for i in range(1, 5)]
    stats = _run_rate_spider(
        tmp_path, throttled + others, ROBOTSTXT_OBEY="False", CONCURRENT_REQUESTS="2",
        CONCURRENT_REQUESTS_PER_DOMAIN="2",
    )  # fmt: skip
    log = RateServer.log
    first_429 = min(t for t, _, _, status in log if status == 429)
    retries = [t for t, host, path, status in log if host == "127.0.0.1" and status == 200]
    b_pages = [t for t, host, _, _ in log if host == "localhost"]
    assert len(retries) == 2 and len(b_pages) == 4, log
    assert all(t - first_429 >= 1.9 for t in retries), "retried before Retry-After"
    assert max(b_pages) - first_429 < 1.5, "the other domain waited for the throttled one"
    assert stats["newscrawl/retry_after/waited"] == 2
    assert stats["downloader/response_status_count/200"] == 6
    assert not [k for k in stats if k.startswith(("newscrawl/failed/", "spider_exceptions"))]


def test_robots_crawl_delay_is_honoured(tmp_path: Path, rate_server: int) -> None:
    pages = [f"http://localhost:{rate_server}/p{i}" for i in range(1, 4)]
    stats = _run_rate_spider(tmp_path, pages, ROBOTSTXT_OBEY="True")
    times = sorted(t for t, _, path, _ in RateServer.log if path.startswith("/p"))
    assert len(times) == 3
    gaps = [b - a for a, b in itertools.pairwise(times)]
    assert all(gap >= 0.95 for gap in gaps), gaps  # DOWNLOAD_DELAY is 0: only Crawl-delay spaces them
    assert stats["newscrawl/robots/crawl_delay"] == 1
