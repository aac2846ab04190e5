"""Hostile input and misuse (issue 12): explicit URLs, arguments, start-up failures, secrets,
swallowed parse errors, the ``until`` window. Each test fails on the code before the fix.

Crawls run in a subprocess (``run_crawl``) where the exit status and the log matter; checks
of one component (spider arguments, the start-up check) run in-process on a crawler from
``get_crawler``, with a few end-to-end cases for the one-line error and the exit status. The
servers the crawls talk to (an HTTP server counting requests, a password-protected
redis-server) are real, on free loopback ports, and stopped by PID.
"""

from __future__ import annotations

import http.server
import json
import re
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

import pytest
from scrapy.utils.test import get_crawler

from newscrawl.operations.startup import StartupCheck, StartupError
from newscrawl.spiders.arab_news import ArabNewsSpider
from newscrawl.spiders.base import SpiderArgs, refused_host
from newscrawl.storage.seen import open_store
from tests import forkserver
from tests.conftest import FIXTURES, ROOT, CrawlResult, require_component, run_crawl
from tests.servers import REDIS_SERVER, clean_env, free_port, stop
from tests.test_faults import SITE, Snapshot, article, base_snapshot, exit_matches_monitors, page, url

AN_ARTICLE = "https://www.arabnews.com/node/2621866/saudi-arabia"  # in tests/fixtures/arab_news
AA_ARTICLE = (
    "https://english.alarabiya.net/News/world/2026/11/18/oil-steadies-as-traders-weigh-opec-output-plans"
)


def error_lines(log: str) -> list[str]:
    return [line for line in log.splitlines() if "] ERROR:" in line]


# --- 1 and 6: explicit URLs ------------------------------------------------------------------


def explicit_snapshot(root: Path) -> Path:
    snap: Snapshot = base_snapshot(root, "", {"Content-Type": "application/rss+xml"})
    for node in (2631001, 2631002):
        snap.add(page(url(node), article(node)))
    snap.add(page(url(2631003, "sport"), article(2631003, "sport")))  # robots.txt: Disallow /node/*/sport
    # served, so that fetching them would show: the test asserts they never are
    for line in (FIXTURES / "al_arabiya" / "manifest.jsonl").read_text("utf-8").splitlines():
        entry = json.loads(line)
        if entry["url"] in (AA_ARTICLE, "https://english.alarabiya.net/robots.txt"):
            snap.add(
                {**entry, "content": (FIXTURES / "al_arabiya" / entry["body"]).read_bytes(), "body": None}
            )
    return snap.save()


def test_explicit_urls_obey_the_spider(tmp_path: Path) -> None:
    long_url = f"{SITE}/node/2631009/saudi-arabia?q={'x' * 3000}"
    entries = [
        url(2631001),
        "javascript:alert(document.cookie)",  # before 2631002: the start must go on after it
        AA_ARTICLE,  # another spider's site
        "ftp://www.arabnews.com/node/2631004/x",
        "file:///etc/passwd",
        "www.arabnews.com/node/2631005/saudi-arabia",  # no scheme
        long_url,
        url(2631003, "sport"),
        "https://www.arabnews.com.evil.test/node/2631006/x",
        url(2631002),
    ]
    result = run_crawl(
        "arab_news", tmp_path, snapshot=explicit_snapshot(tmp_path / "snap"), args={"urls": ",".join(entries)}
    )
    assert sorted(i["url"] for i in result.items) == [url(2631001), url(2631002)]
    assert {i["source"] for i in result.items} == {"arab_news"}
    stats = result.stats
    assert stats["newscrawl/skipped/bad_url"] == 4
    assert stats["newscrawl/skipped/offsite"] == 2
    assert stats["newscrawl/skipped/url_too_long"] == 1
    assert stats["newscrawl/skipped/robots_txt"] == 1
    for entry in ("javascript:alert(document.cookie)", "file:///etc/passwd", AA_ARTICLE):
        assert re.search(rf"Refused {re.escape(entry)}: (bad_url|offsite)", result.log), entry
    assert "alarabiya.net" not in "".join(re.findall(r"Crawled \(\d+\) <GET [^>]+>", result.log))
    assert "Traceback" not in result.log and exit_matches_monitors(result)
    store = open_store(None, tmp_path / "data")
    assert store is not None
    try:
        assert store.get(AA_ARTICLE) is None and store.get(url(2631001)) is not None
    finally:
        store.close()
    assert not (tmp_path / "data" / "arab_news").exists() or not any(
        "al_arabiya" in p.read_text("utf-8") for p in (tmp_path / "data" / "arab_news").glob("*.jsonl")
    )


class Counting(http.server.BaseHTTPRequestHandler):
    hits: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        Counting.hits.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.end_headers()
        self.wfile.write(article(2631010).encode())

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def http_server() -> Iterator[int]:
    Counting.hits = []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Counting)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield int(server.server_address[1])
    finally:
        server.shutdown()
        server.server_close()
        thread.join(10)


def test_loopback_and_private_addresses_are_refused_outside_replay(tmp_path: Path, http_server: int) -> None:
    entries = [
        f"http://127.0.0.1:{http_server}/node/1/saudi-arabia",
        f"http://localhost:{http_server}/node/2/saudi-arabia",
        f"http://127.1:{http_server}/node/3/saudi-arabia",
        f"http://[::1]:{http_server}/node/4/saudi-arabia",
        "http://169.254.169.254/latest/meta-data/",
        "http://10.0.0.7/node/5/saudi-arabia",
    ]
    result = run_crawl(
        "arab_news", tmp_path, args={"urls": ",".join(entries)}, settings={"NEWSCRAWL_REPLAY": ""}
    )
    assert Counting.hits == [] and result.items == []
    assert result.stats["newscrawl/skipped/offsite"] == len(entries)
    assert "loopback, private or link-local address" in result.log
    assert "Traceback" not in result.log


@pytest.mark.parametrize(
    ("host", "refused"),
    [("127.0.0.1", True), ("localhost", True), ("2130706433", True), ("0x7f.1", True), ("::1", True),
     ("::ffff:10.1.2.3", True), ("192.168.1.20", True), ("169.254.169.254", True), ("0.0.0.0", True),
     ("fe80::1", True), ("8.8.8.8", False), ("www.arabnews.com", False)],
)  # fmt: skip
def test_refused_hosts(host: str, refused: bool) -> None:
    assert refused_host(host) is refused


def test_urls_are_checked_against_allowed_domains_in_process() -> None:
    crawler = get_crawler(ArabNewsSpider, {"NEWSCRAWL_REPLAY": "", "URLLENGTH_LIMIT": 100})
    spider = ArabNewsSpider.from_crawler(crawler, urls=AN_ARTICLE)
    assert spider.explicit_url(AN_ARTICLE) == AN_ARTICLE
    for bad in ("javascript:void(0)", "mailto:x@arabnews.com", "//www.arabnews.com/node/1", "http://[::1"):
        assert spider.explicit_url(bad) is None, bad
    assert spider.explicit_url(f"{SITE}/node/1/{'a' * 100}") is None
    assert crawler.stats.get_value("newscrawl/skipped/bad_url") == 4
    assert crawler.stats.get_value("newscrawl/skipped/url_too_long") == 1


# --- 5: arguments --------------------------------------------------------------------------


BAD_ARGUMENTS = [
    ({"sincee": "2026-11-01"},
     "unknown spider argument(s) sincee; accepted: urls, since, until, edition, max_pages"),
    ({"allowed_domains": "127.0.0.1"}, "unknown spider argument(s) allowed_domains"),
    ({"max_pages": "0"}, "-a max_pages='0': Input should be greater than or equal to 1"),
    ({"max_pages": "many"}, "-a max_pages='many': Input should be a valid integer"),
    ({"edition": "fr"}, "-a edition='fr': unknown edition 'fr', choose from en"),
    ({"since": "someday"}, "-a since='someday': not an ISO date or datetime"),
    ({"since": "2026-11-20", "until": "2026-11-01"}, "is after until"),
]  # fmt: skip


@pytest.mark.parametrize(("args", "message"), BAD_ARGUMENTS)
def test_bad_arguments_are_a_startup_error_in_process(args: dict[str, str], message: str) -> None:
    """Every bad ``-a`` is refused where Scrapy builds the spider, as a StartupError (the
    type that ends as one log line, below)."""
    crawler = get_crawler(ArabNewsSpider, {"NEWSCRAWL_REPLAY": str(FIXTURES / "arab_news")})
    with pytest.raises(StartupError) as refused:
        ArabNewsSpider.from_crawler(crawler, **args)
    assert message in str(refused.value) and "\n" not in str(refused.value)


@pytest.mark.parametrize(("args", "message"), [BAD_ARGUMENTS[0], BAD_ARGUMENTS[5]])
def test_bad_arguments_fail_with_one_line(tmp_path: Path, args: dict[str, str], message: str) -> None:
    """End to end: ``scrapy crawl`` exits non-zero with that StartupError as its only ERROR line."""
    result = run_crawl("arab_news", tmp_path, snapshot=FIXTURES / "arab_news", args=args)
    assert result.returncode != 0
    errors = error_lines(result.log)
    assert len(errors) == 1 and message in errors[0], result.log[-3000:]
    assert "Traceback" not in result.log and result.items == []


def test_arguments_in_process() -> None:
    args = SpiderArgs.parse("arab_news", {"since": "2026-11-01", "until": "2026-11-02", "_job": "abc"})
    assert args.until is not None and args.until.isoformat() == "2026-11-02T23:59:59.999999+00:00"
    with pytest.raises(StartupError, match="unknown spider argument"):
        SpiderArgs.parse("arab_news", {"sincee": "x"})
    spider = ArabNewsSpider.from_crawler(get_crawler(ArabNewsSpider), _job="job1")  # Scrapyd's -a _job
    assert spider.args.urls == []


# --- 14.6: until ---------------------------------------------------------------------------


def test_until_prefilters_feeds_and_drops_later_pages(tmp_path: Path) -> None:
    until = "2026-11-18T00:00:00+03:00"
    result = run_crawl("arab_news", tmp_path / "feed", snapshot=FIXTURES / "arab_news", args={"until": until})
    full = run_crawl("arab_news", tmp_path / "all", snapshot=FIXTURES / "arab_news")
    published = [i["published_at"] for i in result.items]
    assert published and all(p <= "2026-11-18T00:00:00+03:00" for p in published), published
    assert 0 < len(result.items) < len(full.items)
    assert result.stats["newscrawl/skipped/until"] > 0
    # no feed date for an explicit URL: the page's own date drops it
    page_only = run_crawl(
        "arab_news", tmp_path / "page", snapshot=FIXTURES / "arab_news",
        args={"urls": AN_ARTICLE, "until": "2020-01-01"},
    )  # fmt: skip
    assert page_only.items == [] and page_only.stats["newscrawl/skipped/until"] == 1
    assert re.search(rf"Skipped {re.escape(AN_ARTICLE)}: published .*, after until", page_only.log)


# --- 3: start-up failures ------------------------------------------------------------------


def _startup_cases(tmp: Path) -> dict[str, tuple[dict[str, str], list[str], str]]:
    (tmp / "a-file").write_text("x")
    (tmp / "a-dir.jsonl").mkdir()
    (tmp / "corrupt.sqlite3").write_bytes(b"this is not a database\n" * 100)
    (tmp / "state-dir").mkdir()
    broken = tmp / "broken-replay"
    broken.mkdir()
    (broken / "manifest.jsonl").write_text('{"url": "https://www.arabnews.com/rss.xml"\n')
    readonly = tmp / "read-only"
    readonly.mkdir()
    (tmp / "ro-state.sqlite3").write_bytes(b"")
    (tmp / "ro-state.sqlite3").chmod(0o444)
    readonly.chmod(0o555)  # chmod a-w: refused even when running as root
    port = free_port()
    return {  # name: (settings, extra command line, message)
        "-o under a file": ({}, ["-o", str(tmp / "a-file" / "out.jsonl")], "a-file is not a directory"),
        "-o a directory": ({}, ["-o", str(tmp / "a-dir.jsonl")], "a-dir.jsonl is a directory"),
        "data dir under a file": ({"NEWSCRAWL_DATA_DIR": str(tmp / "a-file" / "data")}, [],
                                  "NEWSCRAWL_DATA_DIR"),
        "-o into a read-only directory": ({}, ["-o", str(readonly / "out.jsonl")], "read-only is read-only"),
        "read-only data dir": ({"NEWSCRAWL_DATA_DIR": str(readonly / "data")}, [], "read-only is read-only"),
        "state is read-only": ({"NEWSCRAWL_STATE": str(tmp / "ro-state.sqlite3")}, [], "is read-only"),
        "state is a directory": ({"NEWSCRAWL_STATE": str(tmp / "state-dir")}, [], "unable to open database"),
        "state is corrupt": ({"NEWSCRAWL_STATE": str(tmp / "corrupt.sqlite3")}, [], "file is not a database"),
        "state redis unreachable": ({"NEWSCRAWL_STATE": f"redis://:s3cret@127.0.0.1:{port}/0"}, [],
                                    f"redis://:***@127.0.0.1:{port}/0"),
        "state redis malformed": ({"NEWSCRAWL_STATE": "redis://:s3cret@127.0.0.1:sixty/0"}, [], "Port"),
        "REDIS_URL unreachable": ({"REDIS_URL": f"redis://:s3cret@127.0.0.1:{port}/0"}, [], "REDIS_URL"),
        "replay directory missing": ({"NEWSCRAWL_REPLAY": str(tmp / "nowhere")}, [], "has no manifest"),
        "replay manifest broken": ({"NEWSCRAWL_REPLAY": str(broken)}, [], "manifest.jsonl:1: invalid JSON"),
    }  # fmt: skip


STARTUP_CASES = [
    "-o under a file", "-o a directory", "data dir under a file", "-o into a read-only directory",
    "read-only data dir", "state is read-only", "state is a directory", "state is corrupt",
    "state redis unreachable", "state redis malformed", "REDIS_URL unreachable", "replay directory missing",
    "replay manifest broken",
]  # fmt: skip


@pytest.mark.parametrize("name", STARTUP_CASES)
def test_startup_check_refuses_in_process(tmp_path: Path, name: str) -> None:
    """Each case, on the extension Scrapy builds before any other (``-o`` is a ``FEEDS`` entry)."""
    settings, extra, message = _startup_cases(tmp_path)[name]
    all_settings: dict[str, Any] = {
        "NEWSCRAWL_REPLAY": str(FIXTURES / "arab_news"),
        "NEWSCRAWL_DATA_DIR": str(tmp_path / "data"),
        **settings,
    }
    if extra:
        all_settings["FEEDS"] = {extra[1]: {"format": "jsonlines"}}
    with pytest.raises(StartupError) as refused:
        StartupCheck.from_crawler(get_crawler(ArabNewsSpider, all_settings))
    assert message in str(refused.value) and "s3cret" not in str(refused.value)


# end to end, one case per kind of check: an -o target, the seen-store (with a password), the replay
@pytest.mark.parametrize("name", ["-o under a file", "state redis unreachable", "replay manifest broken"])
def test_startup_failure_is_one_error_line_and_exit_1(tmp_path: Path, name: str) -> None:
    settings, extra, message = _startup_cases(tmp_path)[name]
    all_settings = {
        "NEWSCRAWL_REPLAY": str(FIXTURES / "arab_news"),
        "NEWSCRAWL_DATA_DIR": str(tmp_path / "data"),
        "NEWSCRAWL_STATS_FILE": str(tmp_path / "stats.json"),
        **settings,
    }
    cmd = [sys.executable, "-m", "scrapy", "crawl", "arab_news", *extra]
    for key, value in all_settings.items():
        cmd += ["-s", f"{key}={value}"]
    proc = forkserver.run(cmd, cwd=ROOT, env=clean_env(), capture_output=True, text=True, timeout=120)
    errors = error_lines(proc.stderr)
    assert proc.returncode == 1, proc.stderr[-3000:]
    assert len(errors) == 1 and "Cannot start:" in errors[0] and message in errors[0], errors
    assert "Traceback" not in proc.stderr and "s3cret" not in proc.stderr
    assert "Spider opened" not in proc.stderr  # failed before any request
    assert not (tmp_path / "stats.json").exists()


# --- 10: secrets -----------------------------------------------------------------------------


@pytest.fixture
def redis_with_password(tmp_path: Path) -> Iterator[str]:
    require_component("redis-server", REDIS_SERVER)  # fails, never skips: `make install` installs it
    port = free_port()
    root = tmp_path / "redis"
    root.mkdir()
    proc = subprocess.Popen(
        [REDIS_SERVER, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
         "--requirepass", "s3cret", "--dir", str(root), "--daemonize", "no"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    import redis

    try:
        deadline = time.monotonic() + 15
        while True:
            try:
                if redis.Redis(port=port, password="s3cret", socket_timeout=1).ping():
                    break
            except redis.ConnectionError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        yield f"redis://:s3cret@127.0.0.1:{port}/0"
    finally:
        stop(proc)


def test_redis_password_is_never_written(tmp_path: Path, redis_with_password: str) -> None:
    result = run_crawl(
        "arab_news", tmp_path, snapshot=FIXTURES / "arab_news",
        settings={"NEWSCRAWL_STATE": redis_with_password, "LOG_LEVEL": "DEBUG"},
    )  # fmt: skip
    assert exit_matches_monitors(result) and result.items, result.log[-3000:]
    assert "Overridden settings" in result.log and "Seen-store: redis://:***@127.0.0.1" in result.log
    assert "s3cret" not in result.log
    stats_text = (tmp_path / "arab_news.stats.json").read_text("utf-8")
    assert "s3cret" not in stats_text
    report = Path(result.stats["newscrawl/report"])
    for path in (report, report.with_suffix(".md")):
        assert "s3cret" not in path.read_text("utf-8"), path


# --- 12: parse exceptions reach Scrapy's spider_exceptions -----------------------------------

BOOM = """
import sys
import newscrawl.spiders.base as base

real = base.parser_for


class Exploding:
    def __init__(self, parser):
        self.parser = parser

    def __getattr__(self, name):
        return getattr(self.parser, name)

    def parse(self, response, **kwargs):
        if "2621866" in response.url:
            raise RuntimeError("injected parser failure")
        return self.parser.parse(response, **kwargs)


base.parser_for = lambda url: (lambda p: p and Exploding(p))(real(url))
from scrapy.cmdline import execute

execute(["scrapy", *sys.argv[1:]])
"""


def test_parse_exception_is_counted_where_the_monitor_looks(tmp_path: Path) -> None:
    out, stats = tmp_path / "out.jsonl", tmp_path / "stats.json"
    cmd = [sys.executable, "-c", BOOM, "crawl", "arab_news", "-O", str(out)]
    for key, value in {
        "NEWSCRAWL_REPLAY": str(FIXTURES / "arab_news"), "NEWSCRAWL_DATA_DIR": str(tmp_path / "data"),
        "NEWSCRAWL_STATS_FILE": str(stats),
    }.items():  # fmt: skip
        cmd += ["-s", f"{key}={value}"]
    proc = forkserver.run(cmd, cwd=ROOT, env=clean_env(), capture_output=True, text=True, timeout=180)
    result = CrawlResult([json.loads(x) for x in out.read_text("utf-8").splitlines()],
                         json.loads(stats.read_text("utf-8")), proc.stderr, proc.returncode)  # fmt: skip
    assert result.stats["newscrawl/parse_error"] == 1
    assert result.stats["spider_exceptions/RuntimeError"] == 1
    assert re.search(
        r"Spider error processing <GET https://www\.arabnews\.com/node/2621866/saudi-arabia>", result.log
    )
    assert "Traceback" in result.log and "RuntimeError: injected parser failure" in result.log
    assert "newscrawl: Exploding failed on https://www.arabnews.com/node/2621866" in result.log
    assert result.items and "arab_news:2621866" not in {i["id"] for i in result.items}  # the rest go on
    report = json.loads(Path(result.stats["newscrawl/report"]).read_text("utf-8"))
    failed = " ".join(
        f"{r['check']} {r['reason']}" for r in report["monitors"]["results"] if r["status"] == "FAIL"
    )
    assert not report["monitors"]["passed"] and "exceptions" in failed, failed
