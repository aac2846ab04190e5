"""Monitors and run reports: the demo passes, a redesign trips the drift alarm, schedulers can tell."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from scrapy.http import HtmlResponse
from scrapy.spiderloader import SpiderLoader
from scrapy.utils.project import get_project_settings

from newscrawl import report
from newscrawl.faults import better_encoding, looks_binary, retry_after_seconds
from newscrawl.parsers.pagekind import page_kind
from tests.conftest import FIXTURES, ROOT, run_crawl

SPIDERS = sorted(SpiderLoader.from_settings(get_project_settings()).list())
# Class names the Arab News parser's selectors rely on, renamed as a redesign would.
RENAMED = {
    "field--name-body": "story__content",
    "field-name-body": "story__content-legacy",
    "field-items": "story__blocks",
    "field-item": "story__block",
    "article-body": "story__text",
    "node-title": "story__headline",
}


def check(spider: str, data_dir: Path) -> subprocess.CompletedProcess[str]:
    """What a scheduler runs after a job: ``python -m newscrawl.report --check``."""
    cmd = [sys.executable, "-m", "newscrawl.report", "--check", spider, "--data-dir", str(data_dir)]
    return subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)


@pytest.mark.parametrize("spider", SPIDERS)
def test_demo_crawl_passes_its_monitors(spider: str, tmp_path: Path) -> None:
    result = run_crawl(spider, tmp_path, settings={"NEWSCRAWL_STATE": str(tmp_path / "seen.sqlite3")})
    latest = report.latest(spider, tmp_path / "data")
    assert latest["path"] == result.stats["newscrawl/report"]
    assert latest["monitors"]["passed"], latest["monitors"]
    assert latest["items"] == len(result.items) > 0
    assert latest["coverage"]["title"] == latest["coverage"]["body"] == 1.0
    assert sum(latest["layers"]["body"].values()) == latest["items"]
    assert result.stats["newscrawl/monitors/failed"] == 0
    markdown = Path(latest["path"]).with_suffix(".md").read_text("utf-8")
    assert "Monitors **PASSED**" in markdown and "| Layout drift | test_generic_body_share | OK |" in markdown
    assert check(spider, tmp_path / "data").returncode == 0


def test_incremental_rerun_with_nothing_new_passes(tmp_path: Path) -> None:
    state = {"NEWSCRAWL_STATE": str(tmp_path / "seen.sqlite3")}
    first = run_crawl("arab_news", tmp_path / "1", settings=state)
    second = run_crawl("arab_news", tmp_path / "2", settings=state)
    assert len(first.items) == 7 and second.items == []
    got = report.latest("arab_news", tmp_path / "2" / "data")
    assert got["items"] == 0 and got["monitors"]["passed"], got["monitors"]
    assert second.stats["newscrawl/seen/skipped"] >= 7


def redesigned_snapshot(root: Path) -> Path:
    """The arab_news snapshot with the site's CSS classes renamed (same articles, same structured data)."""
    shutil.copytree(FIXTURES / "arab_news", root)
    for page in root.glob("*.html"):
        html = page.read_text("utf-8")
        for old, new in RENAMED.items():
            html = re.sub(rf'(class="[^"]*)\b{re.escape(old)}\b', rf"\1{new}", html)
        page.write_text(html, "utf-8")
    return root


def test_redesign_trips_the_drift_alarm(tmp_path: Path) -> None:
    snapshot = redesigned_snapshot(tmp_path / "snap")
    assert "field--name-body" not in (snapshot / "wire-story.html").read_text("utf-8")
    result = run_crawl("arab_news", tmp_path, snapshot=snapshot)
    got = report.latest("arab_news", tmp_path / "data")
    assert got["items"] == 7  # the same articles are still exported...
    assert got["layers"]["body"] == {"generic": 7}  # ...but every body now comes from the fallback
    assert got["monitors"]["failed"] == ["Layout drift"]
    reason = next(r["reason"] for r in got["monitors"]["results"] if r["monitor"] == "Layout drift")
    assert "7/7 bodies (100%) from the generic layer" in reason
    assert "Monitors FAILED (Layout drift)" in result.log
    proc = check("arab_news", tmp_path / "data")
    assert proc.returncode == 1 and "FAILED Layout drift" in proc.stdout


# --- report files -------------------------------------------------------------------------------


def fake_report(tmp_path: Path, *, start: datetime, failed: bool = False, job: str | None = None) -> Path:
    stats: dict[str, Any] = {
        "start_time": start,
        "finish_reason": "finished",
        "item_scraped_count": 4,
        "spidermon_item_scraped_count": 4,
        "spidermon_item_scraped_count/dict/title": 4,
        "spidermon_item_scraped_count/dict/authors": 1,
        "newscrawl/layer/body/selectors": 3,
        "newscrawl/layer/body/generic": 1,
        "newscrawl/invalid/body": 2,
        "newscrawl/failed/http_503": 1,
    }
    results = [
        {"monitor": "Layout drift", "check": "test", "status": "FAIL" if failed else "OK", "reason": None}
    ]
    return report.write(report.build(stats, results, spider="s", job=job), tmp_path)


def test_report_contents_and_latest(tmp_path: Path) -> None:
    fake_report(tmp_path, start=datetime(2026, 11, 20, 9, 0, tzinfo=UTC), job="a")
    newest = fake_report(tmp_path, start=datetime(2026, 11, 20, 10, 0, tzinfo=UTC), failed=True, job="b")
    same_second = fake_report(tmp_path, start=datetime(2026, 11, 20, 10, 0, tzinfo=UTC), job="c")
    assert newest.name == "2026-11-20T10-00-00.json" and same_second.name == "2026-11-20T10-00-00.2.json"
    got = report.latest("s", tmp_path)
    assert got["job"] == "c" and got["monitors"]["passed"]
    assert report.for_job("s", "b", tmp_path)["monitors"]["failed"] == ["Layout drift"]
    assert got["coverage"]["title"] == 1.0 and got["coverage"]["authors"] == 0.25
    assert got["layers"] == {"body": {"generic": 1, "selectors": 3}}
    assert got["drops"] == {"invalid/body": 2} and got["failed"] == {"http_503": 1}
    with pytest.raises(FileNotFoundError):
        report.latest("other", tmp_path)
    with pytest.raises(FileNotFoundError):
        report.for_job("s", "zzz", tmp_path)


def test_check_exit_codes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    fake_report(tmp_path, start=datetime(2026, 11, 20, 9, 0, tzinfo=UTC))
    assert report.main(["--check", "s", "--data-dir", str(tmp_path)]) == 0
    fake_report(tmp_path, start=datetime(2026, 11, 20, 10, 0, tzinfo=UTC), failed=True)
    assert report.main(["--check", "s", "--data-dir", str(tmp_path)]) == 1
    assert report.main(["--check", "s", "missing", "--data-dir", str(tmp_path)]) == 2
    assert report.main(["s", "--data-dir", str(tmp_path)]) == 0  # without --check: print only
    assert "s: FAILED Layout drift" in capsys.readouterr().out


# --- fault helpers ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "seconds"),
    [("5", 5.0), ("  30 ", 30.0), ("Fri, 20 Nov 2026 09:01:00 GMT", 60.0),
     ("Fri, 20 Nov 2026 08:00:00 GMT", 0.0), ("soon", None), ("", None), (None, None), ("-3", None)],
)  # fmt: skip
def test_retry_after_values(value: str | None, seconds: float | None) -> None:
    assert retry_after_seconds(value, now=datetime(2026, 11, 20, 9, 0, tzinfo=UTC)) == seconds


ARABIC = (
    "<html><head>{meta}</head><body><p>"
    + "قال مسؤولون إن الميناء سيستقبل سفنا جديدة. " * 4
    + "</p></body></html>"
)


UTF8, LATIN1, CP1256 = (
    "text/html; charset=utf-8",
    "text/html; charset=iso-8859-1",
    "text/html; charset=windows-1256",
)
META_1256, META_UTF8 = '<meta charset="windows-1256">', '<meta charset="utf-8">'


@pytest.mark.parametrize(
    ("content_type", "meta", "encoding", "expected"),
    [
        (UTF8, META_1256, "cp1256", "cp1256"),  # header wrong, <meta> right
        (LATIN1, META_1256, "cp1256", "cp1256"),  # a server's Latin-1 default over a right <meta>
        (UTF8, "", "cp1256", "cp1256"),  # header wrong, no <meta>: detection
        ("text/html", "", "cp1256", None),  # no header: Scrapy's own order already works
        (UTF8, "", "utf-8", None),  # right header
        (CP1256, META_UTF8, "cp1256", None),  # header right, <meta> wrong: the header wins
    ],
)
def test_charset_fallback(content_type: str, meta: str, encoding: str, expected: str | None) -> None:
    body = ARABIC.format(meta=meta).encode(encoding)
    assert better_encoding(content_type, body) == expected
    if expected:
        response = HtmlResponse("https://x.test/", body=body, headers={"Content-Type": content_type})
        assert "مسؤولون" in response.replace(encoding=expected).text


def test_binary_detection() -> None:
    assert looks_binary(b"\x89PNG\r\n\x1a\n....") and looks_binary(b"%PDF-1.7")
    assert looks_binary(b"<p>\x00\x01")
    assert not looks_binary("<html>قال</html>".encode())
    assert not looks_binary("\ufeff<html></html>".encode("utf-16"))  # UTF-16 with BOM is text


def _page(head: str, url: str = "https://www.arabnews.com/node/1/saudi-arabia") -> tuple[Any, str]:
    return HtmlResponse(url, body=f"<html><head>{head}</head><body></body></html>".encode()).selector, url


def _ld(kind: str) -> str:
    return f'<script type="application/ld+json">{json.dumps({"@type": kind})}</script>'


@pytest.mark.parametrize(
    ("head", "url", "kind"),
    [
        (_ld("NewsArticle"), None, None),
        (_ld("NewsArticle") + _ld("VideoObject"), None, None),  # an article with an embedded video
        (_ld("VideoObject"), None, "video"),
        ('<meta property="og:type" content="video.other">' + _ld("NewsArticle"), None, "video"),
        (_ld("ImageGallery"), None, "gallery"),
        (_ld("LiveBlogPosting"), None, "live"),
        (_ld("ProfilePage"), None, "author"),
        ('<meta property="og:type" content="profile">', None, "author"),
        ("", "https://www.alarabiya.net/ar/videos/2026/11/18/x", "video"),
        ("", "https://www.arabnews.com/authors/rashid-hassan", "author"),
        ("", "https://www.arabnews.com/node/1/photos", "gallery"),
        ("", "https://www.arabnews.com/node/1/sport", None),
        ('<script type="application/ld+json">{broken', None, None),
    ],
)
def test_page_kind(head: str, url: str | None, kind: str | None) -> None:
    sel, address = _page(head, url or "https://www.arabnews.com/node/1/saudi-arabia")
    assert page_kind(sel, address) == kind
