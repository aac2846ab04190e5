"""Rendering against real Chromium, through replay: JS pages, bot challenges, rendering off.

Every crawl runs ``tests/render_spider.py`` with ``scrapy runspider`` in a fresh
process on a snapshot built in ``tmp_path``; assertions are on extracted text
and stats, never on exit codes alone.
"""

from __future__ import annotations

import ast
import asyncio
import importlib
import json
import os
import re
import sys
import threading
from collections.abc import Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from scrapy import Request
from scrapy.http import HtmlResponse
from scrapy.settings import Settings
from scrapy_playwright.handler import Config

from newscrawl.addons import NewscrawlAddon
from newscrawl.downloader.rendering import (
    LazyBrowserProvider,
    as_rendered,
    challenge_marker,
    is_rendered,
    render_request,
)
from newscrawl.settings import NEWSCRAWL_CHALLENGE_MARKERS
from tests import forkserver
from tests.conftest import ROOT, CrawlResult

CHROMIUM = os.environ.get("NEWSCRAWL_CHROMIUM", "/usr/bin/chromium")
needs_chromium = pytest.mark.usefixtures("chromium")  # fails, never skips, without Chromium

SITE = "https://www.example-news.test"
DATE = "Fri, 20 Nov 2026 09:00:00 GMT"
HTML = {"Content-Type": "text/html; charset=utf-8", "Date": DATE}
DRIVER_STARTED = "Playwright driver started"  # LazyBrowserProvider's log line

JS_PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>JS page</title></head>
<body><div id="app"><p class="loading">Loading…</p></div>
<script id="data" type="application/json">{"title": "%s", "paragraphs": %s}</script>
<script src="/static/app.js"></script>
<img src="https://cdn.unlisted.test/pixel.png" alt="">
</body></html>
"""
APP_JS = """var data = JSON.parse(document.getElementById("data").textContent);
var app = document.getElementById("app");
app.innerHTML = "";
var h = document.createElement("h1"); h.textContent = data.title; app.appendChild(h);
data.paragraphs.forEach(function (t) {
  var p = document.createElement("p"); p.textContent = t; app.appendChild(p);
});
"""
CHALLENGE_PAGE = """<!doctype html><html><head><title>Just a moment...</title></head>
<body><div id="app"><h1>Checking your browser before accessing the site.</h1></div>
<script src="/cdn-cgi/challenge-platform/h/b/orchestrate/jsch/v1"></script></body></html>
"""


def js_page(title: str, paragraphs: list[str]) -> str:
    return JS_PAGE % (title, json.dumps(paragraphs))


@pytest.fixture
def snapshot(tmp_path: Path) -> Path:
    """A tiny snapshot: a JS-built page, a challenged page, the script they share."""
    snap = tmp_path / "snapshot"
    snap.mkdir()
    (snap / "js.html").write_text(js_page("Rendered headline", ["First rendered paragraph."]), "utf-8")
    (snap / "app.js").write_text(APP_JS, "utf-8")
    (snap / "challenge.html").write_text(CHALLENGE_PAGE, "utf-8")
    (snap / "solved.html").write_text(js_page("Past the challenge", ["Body behind it."]), "utf-8")
    lines = [
        {"url": f"{SITE}/js", "headers": HTML, "body": "js.html"},
        {"url": f"{SITE}/static/app.js", "headers": {"Date": DATE}, "body": "app.js"},
        {"url": f"{SITE}/guarded", "status": 403, "headers": HTML, "body": "challenge.html",
         "browser_body": "solved.html"},
        {"url": f"{SITE}/stuck", "status": 503, "headers": HTML, "body": "challenge.html"},
        {"url": f"{SITE}/down", "fault": "timeout"},
    ]  # fmt: skip
    (snap / "manifest.jsonl").write_text("\n".join(json.dumps(line) for line in lines) + "\n", "utf-8")
    return snap


def probe(
    tmp_path: Path,
    snapshot: Path | None,
    *urls: str,
    render: bool = False,
    settings: dict[str, str] | None = None,
    args: dict[str, str] | None = None,
    site: str = SITE,
) -> CrawlResult:
    """Crawl ``urls`` (paths on ``site``) with the probe spider; ``snapshot=None``: live."""
    out, stats = tmp_path / "out.jsonl", tmp_path / "stats.json"
    cmd = [sys.executable, "-m", "scrapy", "runspider", str(ROOT / "tests" / "render_spider.py")]
    cmd += ["-O", str(out), "-a", "urls=" + ",".join(f"{site}{u}" for u in urls)]
    if render:
        cmd += ["-a", "render=1", "-a", "wait_for=#app h1"]
    for key, value in (args or {}).items():
        cmd += ["-a", f"{key}={value}"]
    all_settings = {
        **({"NEWSCRAWL_REPLAY": str(snapshot)} if snapshot else {}),
        "NEWSCRAWL_DATA_DIR": str(tmp_path / "data"),
        "NEWSCRAWL_STATS_FILE": str(stats),
        "NEWSCRAWL_CHROMIUM": CHROMIUM,
        "NEWSCRAWL_RENDER": "True",  # opt-in; the tests of the off switch override it
        "RETRY_TIMES": "1",
        **(settings or {}),
    }
    for key, value in all_settings.items():
        cmd += ["-s", f"{key}={value}"]
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSCRAWL_")}
    env["NEWSCRAWL_CHROMIUM"] = CHROMIUM  # read by settings.py for PLAYWRIGHT_LAUNCH_OPTIONS
    proc = forkserver.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    items = [json.loads(x) for x in out.read_text("utf-8").splitlines()] if out.exists() else []
    data = json.loads(stats.read_text("utf-8")) if stats.exists() else {}
    return CrawlResult(items=items, stats=data, log=proc.stderr, returncode=proc.returncode)


def browser_stats(result: CrawlResult) -> dict[str, Any]:
    return {k: v for k, v in result.stats.items() if k.startswith("playwright/")}


# --- API ------------------------------------------------------------------
def test_render_request_meta() -> None:
    request = render_request(f"{SITE}/js", callback=print, wait_for="article h1", meta={"x": 1})
    assert request.meta["playwright"] is True and request.meta["x"] == 1
    (method,) = request.meta["playwright_page_methods"]
    assert (method.method, method.args, method.kwargs["state"]) == (
        "wait_for_selector",
        ("article h1",),
        "attached",
    )
    assert request.callback is print and request.dont_filter
    assert is_rendered(request)
    assert render_request(f"{SITE}/js").meta["playwright_page_methods"] == []


def test_as_rendered_keeps_the_request() -> None:
    plain = Request(f"{SITE}/a", callback=print, meta={"newscrawl": {"kind": "article"}})
    rendered = as_rendered(plain, wait_for="h1")
    assert rendered.url == plain.url and rendered.callback is print and rendered.dont_filter
    assert rendered.meta["newscrawl"] == {"kind": "article"}
    assert rendered.meta["newscrawl_render"] == {"wait_for": "h1", "reason": "spider"}
    assert not is_rendered(plain) and "playwright" not in plain.meta
    response = HtmlResponse(plain.url, body=b"", request=plain, flags=["playwright"])
    assert is_rendered(response)


def test_challenge_markers() -> None:
    def response(body: str, headers: dict[str, str] | None = None) -> HtmlResponse:
        return HtmlResponse(f"{SITE}/x", status=403, body=body.encode(), headers=headers)

    assert challenge_marker(response(CHALLENGE_PAGE), NEWSCRAWL_CHALLENGE_MARKERS) == "Just a moment..."
    assert challenge_marker(response("<p>Forbidden</p>"), NEWSCRAWL_CHALLENGE_MARKERS) is None
    blank = response("", {"cf-mitigated": "challenge"})
    assert challenge_marker(blank, NEWSCRAWL_CHALLENGE_MARKERS) == "cf-mitigated: challenge"


@pytest.mark.parametrize(
    ("replay", "render", "handler"),
    [
        ("snap", True, "newscrawl.downloader.rendering.ReplayRenderingDownloadHandler"),
        ("snap", False, "newscrawl.downloader.replay.ReplayDownloadHandler"),
        (None, True, "newscrawl.downloader.rendering.RenderingDownloadHandler"),
    ],
)
def test_addon_wiring(replay: str | None, render: bool, handler: str) -> None:
    settings = Settings({"NEWSCRAWL_REPLAY": replay, "NEWSCRAWL_RENDER": render, "NEWSCRAWL_FEEDS": False})
    NewscrawlAddon().update_settings(settings)
    assert settings.getdict("DOWNLOAD_HANDLERS").get("https") == handler
    orders = {getattr(k, "__name__", k): v for k, v in settings.getdict("DOWNLOADER_MIDDLEWARES").items()}
    assert orders["ChallengeMiddleware"] == 580


# --- real Chromium --------------------------------------------------------
@needs_chromium
def test_js_page_rendered_from_the_snapshot(tmp_path: Path, snapshot: Path) -> None:
    result = probe(tmp_path, snapshot, "/js", render=True)
    (item,) = result.items
    assert item["title"] == "Rendered headline"
    assert item["text"] == "Rendered headline First rendered paragraph."  # built by app.js
    assert item["rendered"] is True and item["status"] == 200
    assert item["date"] == DATE  # the manifest's headers reach the rendered response
    assert result.stats["newscrawl/rendered"] == 1
    assert result.stats["newscrawl/rendered/render_probe"] == 1
    assert result.stats["playwright/request_count/resource_type/script"] == 1
    # the image on an unlisted host was answered by the route (404), not the network
    assert result.stats["playwright/request_count/resource_type/image"] == 1
    assert result.stats["newscrawl/replay/unlisted"] == 2  # robots.txt and the image
    assert result.log.count(DRIVER_STARTED) == 1  # started by the first rendering request


@needs_chromium
def test_playwright_abort_request_applies_in_replay(tmp_path: Path, snapshot: Path) -> None:
    """scrapy-playwright's own route handler still runs: PLAYWRIGHT_ABORT_REQUEST is honoured."""
    settings = {"PLAYWRIGHT_ABORT_REQUEST": "tests.render_spider.abort_images"}
    result = probe(tmp_path, snapshot, "/js", render=True, settings=settings)
    (item,) = result.items
    assert item["text"] == "Rendered headline First rendered paragraph."  # the script still ran
    assert result.stats["playwright/request_count/aborted"] == 1  # the image, counted upstream
    assert result.stats["newscrawl/replay/unlisted"] == 1  # robots.txt: the image never reached replay


@needs_chromium
def test_lazy_browser_provider_starts_the_driver_on_first_launch() -> None:
    """In-process: ``start()`` (scrapy-playwright calls it at engine start) starts nothing."""
    settings = Settings(
        {"PLAYWRIGHT_LAUNCH_OPTIONS": {"executable_path": CHROMIUM, "args": ["--no-sandbox"]}}
    )
    provider = LazyBrowserProvider(Config.from_settings(settings))

    async def run() -> str:
        await provider.start()
        assert provider.playwright is None  # no Playwright driver yet
        browser = await provider.launch_browser()
        try:
            assert provider.playwright is not None
            return str(browser.version)
        finally:
            await browser.close()
            await provider.close()

    assert asyncio.run(run())


@pytest.mark.parametrize("name", ["newscrawl.downloader.rendering", "newscrawl.downloader.browser"])
def test_no_private_library_api_in_rendering(name: str) -> None:
    """No ``_name`` of scrapy-playwright/Scrapy is overridden, read or imported by rendering.py
    or browser.py (its browser side)."""
    module = importlib.import_module(name)

    tree = ast.parse(Path(module.__file__ or "").read_text("utf-8"))
    found = [
        f"line {node.lineno}: {ast.unparse(node)[:60]}"
        for node in ast.walk(tree)
        if (
            isinstance(node, ast.Attribute)
            and re.match(r"_[^_]", node.attr)
            and not (isinstance(node.value, ast.Name) and node.value.id == "self")
        )
        or (isinstance(node, ast.ImportFrom) and any(a.name.startswith("_") for a in node.names))
    ]
    classes = [c for c in vars(module).values() if isinstance(c, type) and c.__module__ == module.__name__]
    found += [
        f"{cls.__name__}.{name} overrides {base.__name__}.{name}"
        for cls in classes
        for name in vars(cls)
        if re.match(r"_[^_]", name) and name != "_abc_impl"  # set by ABCMeta on every subclass
        for base in cls.__mro__[1:]
        if hasattr(base, name)
    ]
    assert found == []


@needs_chromium
def test_challenge_is_rendered(tmp_path: Path, snapshot: Path) -> None:
    result = probe(tmp_path, snapshot, "/guarded", "/stuck")
    items = {item["url"].rsplit("/", 1)[1]: item for item in result.items}
    assert set(items) == {"guarded"}
    assert items["guarded"]["text"] == "Past the challenge Body behind it."
    assert items["guarded"]["rendered"] is True and items["guarded"]["status"] == 200
    stats = result.stats
    assert stats["newscrawl/challenge/detected"] == 2
    assert stats["newscrawl/challenge/rendered"] == 2
    assert stats["newscrawl/challenge/solved"] == 1
    # /stuck shows the challenge to the browser too: counted once, not retried and re-rendered
    assert stats["newscrawl/challenge/unsolved"] == 1
    assert stats["newscrawl/rendered"] == 2
    assert "retry/count" not in stats
    assert "newscrawl/challenge/blocked" not in stats


@needs_chromium
def test_plain_crawl_never_starts_a_browser(tmp_path: Path, snapshot: Path) -> None:
    result = probe(tmp_path, snapshot, "/js")
    (item,) = result.items
    assert item["title"] is None and item["text"] == "Loading…"  # the server HTML, JS not run
    assert item["rendered"] is False
    assert browser_stats(result) == {} and "newscrawl/rendered" not in result.stats
    # scrapy-playwright's handler is there (it logs at engine start), but neither the Playwright
    # driver (LazyBrowserProvider) nor Chromium was started
    assert "Starting download handler" in result.log
    assert DRIVER_STARTED not in result.log and "Launching browser" not in result.log


def test_rendering_off_counts_challenge_as_blocked(tmp_path: Path, snapshot: Path) -> None:
    result = probe(tmp_path, snapshot, "/guarded", "/stuck", settings={"NEWSCRAWL_RENDER": "False"})
    assert result.items == []
    assert result.stats["newscrawl/challenge/detected"] == 2
    assert result.stats["newscrawl/challenge/blocked"] == 2  # /stuck's 503 is not retried
    assert "rendering is off" in result.log and "Bot challenge on" in result.log
    assert browser_stats(result) == {} and "Traceback" not in result.log


def test_rendering_off_drops_render_requests(tmp_path: Path, snapshot: Path) -> None:
    result = probe(tmp_path, snapshot, "/js", render=True, settings={"NEWSCRAWL_RENDER": "0"})
    assert result.items == []
    assert result.stats["newscrawl/render/disabled"] == 1
    assert browser_stats(result) == {}


def test_replayed_fault_on_a_rendered_page(tmp_path: Path, snapshot: Path) -> None:
    result = probe(tmp_path, snapshot, "/down", render=True)
    assert result.items == []
    key = "downloader/exception_type_count/scrapy.exceptions.DownloadTimeoutError"
    assert result.stats[key] == 2  # first try + RETRY_TIMES=1, as with plain replay
    assert "playwright/browser_count" not in result.stats  # raised before the browser


@needs_chromium
def test_wait_for_timeout_is_a_counted_failure(tmp_path: Path, snapshot: Path) -> None:
    args = {"wait_for": "#never", "timeout_ms": "300"}
    result = probe(tmp_path, snapshot, "/js", render=True, args=args)
    assert result.items == []
    assert result.stats["newscrawl/render/failed"] == 1
    assert "newscrawl/rendered" not in result.stats
    assert "playwright/page_count/closed" in result.stats  # the page is not leaked


@pytest.fixture
def local_site(tmp_path: Path) -> Iterator[str]:
    """The JS page and its script served over real HTTP on 127.0.0.1."""
    root = tmp_path / "www"
    (root / "static").mkdir(parents=True)
    (root / "js.html").write_text(js_page("Live headline", ["Served over HTTP."]), "utf-8")
    (root / "static" / "app.js").write_text(APP_JS, "utf-8")
    handler = partial(QuietHandler, directory=str(root))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@needs_chromium
def test_live_rendering_without_replay(tmp_path: Path, local_site: str) -> None:
    """RenderingDownloadHandler itself (no replay): plain and rendered fetch of one page."""
    settings = {"DOWNLOAD_DELAY": "0", "AUTOTHROTTLE_ENABLED": "False", "ROBOTSTXT_OBEY": "False"}
    rendered = probe(tmp_path, None, "/js.html", render=True, settings=settings, site=local_site)
    (item,) = rendered.items
    assert item["text"] == "Live headline Served over HTTP." and item["rendered"] is True
    assert rendered.stats["newscrawl/rendered"] == 1
    plain = probe(tmp_path, None, "/js.html", settings=settings, site=local_site)
    (item,) = plain.items
    assert item["text"] == "Loading…" and item["rendered"] is False
    assert "playwright/browser_count" not in plain.stats


def test_rendering_is_opt_in_except_for_daily8() -> None:
    from scrapy.utils.project import get_project_settings

    from newscrawl.spiders.al_arabiya import AlArabiyaSpider
    from newscrawl.spiders.daily8 import Daily8Spider

    env = {k: v for k, v in os.environ.items() if k == "NEWSCRAWL_RENDER"}
    assert not env, "the test environment must not force rendering"
    assert get_project_settings().getbool("NEWSCRAWL_RENDER") is False
    assert Daily8Spider.custom_settings["NEWSCRAWL_RENDER"] is True
    assert "NEWSCRAWL_RENDER" not in (AlArabiyaSpider.custom_settings or {})
