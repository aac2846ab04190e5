"""Monitors and run reports: the demo passes, a redesign trips the drift alarm, schedulers can tell."""

from __future__ import annotations

import json
import logging
import re
import shutil
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from scrapy import Spider
from scrapy.crawler import Crawler
from scrapy.http import HtmlResponse
from scrapy.settings import Settings
from scrapy.spiderloader import SpiderLoader
from scrapy.utils.project import get_project_settings
from scrapy.utils.reactor import install_reactor, is_reactor_installed
from scrapy.utils.test import get_crawler
from spidermon.contrib.scrapy.runners import SpiderMonitorRunner

from newscrawl.commands.crawl import monitor_exit_code
from newscrawl.downloader.faults import better_encoding, looks_binary, retry_after_seconds
from newscrawl.operations import report
from newscrawl.operations.monitors import MonitorSettingsAddon, SpiderCloseMonitorSuite
from newscrawl.operations.report import Report
from newscrawl.parsers.pagekind import page_kind
from tests import forkserver
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
    """What a scheduler runs after a job: ``python -m newscrawl.operations.report --check``."""
    cmd = [
        sys.executable,
        "-m",
        "newscrawl.operations.report",
        "--check",
        spider,
        "--data-dir",
        str(data_dir),
    ]
    return forkserver.run(cmd, cwd=ROOT, capture_output=True, text=True)


# Each spider's crawl of the whole snapshot passing its monitors: tests/test_demo.py (the demo's run).


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
    # cron/systemd see it: `scrapy crawl` itself exits NEWSCRAWL_MONITOR_EXIT_CODE (3)
    assert result.returncode == 3 and "Exit status 3: monitors failed" in result.log
    # one line per failed check, no traceback, no Spider.log() deprecation warning
    assert "ERROR: [Spidermon] FAIL: Layout drift/test_generic_body_share: 7/7 bodies" in result.log
    assert "Traceback" not in result.log and "Spider.log() is deprecated" not in result.log


def test_monitor_exit_code_can_be_turned_off(tmp_path: Path) -> None:
    snapshot = redesigned_snapshot(tmp_path / "snap")
    result = run_crawl(
        "arab_news", tmp_path, snapshot=snapshot, settings={"NEWSCRAWL_MONITOR_EXIT_CODE": "0"}
    )
    assert report.latest("arab_news", tmp_path / "data")["monitors"]["failed"] == ["Layout drift"]
    assert result.returncode == 0  # Scrapy's own behaviour


# --- the suite in-process: spidermon's built-ins, newscrawl's two checks -----------------------


class Probe(Spider):
    name = "probe"


def run_suite(tmp_path: Path, stats: dict[str, Any], **settings: Any) -> tuple[Crawler, Report]:
    """Run the project's close suite on ``stats`` with spidermon's runner; the report it wrote."""
    if not is_reactor_installed():  # get_crawler expects the one `scrapy crawl` installs
        install_reactor("twisted.internet.asyncioreactor.AsyncioSelectorReactor")
    project = get_project_settings()
    project.setdict({"NEWSCRAWL_DATA_DIR": str(tmp_path), **settings}, priority="cmdline")
    crawler = get_crawler(Probe, project.copy_to_dict())
    crawler.spider = Probe()
    crawler.stats.set_stats({"start_time": datetime(2026, 11, 20, 9, 0, tzinfo=UTC), **stats})
    suite = SpiderCloseMonitorSuite(crawler=crawler)
    data = {
        "stats": crawler.stats.get_stats(),
        "stats_history": [],
        "crawler": crawler,
        "spider": crawler.spider,
    }
    SpiderMonitorRunner(spider=crawler.spider).run(suite, job=None, **data)
    return crawler, report.latest("probe", tmp_path)


GOOD = {
    "finish_reason": "finished",
    "item_scraped_count": 4,
    **{
        f"spidermon_field_coverage/dict/{f}": 1.0
        for f in ("title", "body", "published_at", "authors", "image_url")
    },
    "newscrawl/layer/body/selectors": 4,
}


def results(got: Report) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for r in got["monitors"]["results"]:
        out.setdefault(r["monitor"], []).append(r["status"])
    return out


def test_suite_is_spidermons_builtins_plus_two() -> None:
    from spidermon.contrib.scrapy import monitors as builtin

    suite = set(SpiderCloseMonitorSuite.monitors)
    assert {builtin.FinishReasonMonitor, builtin.FieldCoverageMonitor, builtin.ErrorCountMonitor} <= suite
    assert any(issubclass(m, builtin.ItemCountMonitor) for m in suite)
    own = {m.__name__ for m in suite if not m.__module__.startswith("spidermon.")}
    assert own == {
        "ItemCount",
        "ValidationMonitor",
        "DriftMonitor",
        "FeedExportMonitor",
        "SpiderExceptionsMonitor",
    }


def test_a_good_run_passes_every_monitor(tmp_path: Path) -> None:
    crawler, got = run_suite(tmp_path, GOOD)
    assert got["monitors"]["passed"], got["monitors"]
    assert results(got) == {
        "Finish reason": ["OK"],
        "Item count": ["OK"],
        "Field coverage": ["OK"],
        "Validation": ["OK"],
        "Layout drift": ["OK"],
        "Feed export": ["OK"],
        "Errors": ["SKIPPED", "SKIPPED"],  # no ERROR line, no exception: nothing to count
    }
    assert monitor_exit_code(crawler) == 0


@pytest.mark.parametrize(
    ("stats", "settings", "failed", "reason"),
    [
        ({"finish_reason": "shutdown"}, {}, "Finish reason", 'Finished with "shutdown" the expected reasons'),
        ({"item_scraped_count": 2}, {"NEWSCRAWL_MONITOR_MIN_ITEMS": 3}, "Item count", "Current value: '2.0'"),
        ({"spidermon_field_coverage/dict/authors": 0.25}, {}, "Field coverage",
         "dict/authors (expected 0.5, got 0.25"),
        ({"log_count/ERROR": 6}, {}, "Errors", "'log_count/ERROR' to be '<=' to '5.0'"),
        ({"spider_exceptions/count": 1}, {}, "Errors", "'spider_exceptions/count' to be '<=' to '0.0'"),
        ({"newscrawl/invalid/body": 2}, {}, "Validation", "validation errors {'body': 2} (allowed 0)"),
        ({"newscrawl/layer/body/generic": 2}, {}, "Layout drift", "2/4 bodies (50%) from the generic layer"),
        ({"newscrawl/export/failed_feeds": [{"uri": "s3://b/k.jsonl", "items": 4}]}, {}, "Feed export",
         "export to s3://b/k.jsonl failed: 4 items not written"),
    ],
)  # fmt: skip
def test_each_monitor_fails_on_its_own(
    tmp_path: Path, stats: dict[str, Any], settings: dict[str, Any], failed: str, reason: str
) -> None:
    crawler, got = run_suite(tmp_path, {**GOOD, **stats}, **settings)
    assert got["monitors"]["failed"] == [failed]
    (why,) = [r["reason"] for r in got["monitors"]["results"] if r["status"] == "FAIL"]
    assert reason in why and "Traceback" not in why and "\n" not in why
    assert crawler.stats.get_value("newscrawl/monitors/failed") == 1
    assert monitor_exit_code(crawler) == 3


def test_item_count_counts_articles_the_seen_store_had(tmp_path: Path) -> None:
    rerun = {k: v for k, v in GOOD.items() if k != "item_scraped_count"}  # Scrapy sets no count for 0
    _, got = run_suite(tmp_path / "a", {**rerun, "newscrawl/seen/skipped": 7})
    assert got["monitors"]["passed"] and "FAIL" not in results(got)["Item count"]
    _, got = run_suite(tmp_path / "b", rerun)
    assert got["monitors"]["failed"] == ["Item count"]
    _, got = run_suite(tmp_path / "c", {**GOOD, "newscrawl/seen/unchanged": 1}, NEWSCRAWL_MONITOR_MIN_ITEMS=5)
    assert results(got)["Item count"] == ["OK"]  # 4 exported + 1 unchanged


def test_failed_check_is_one_log_line(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO):
        run_suite(tmp_path, {**GOOD, "finish_reason": "shutdown"})
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert errors == [
        "[Spidermon] FAIL: Finish Reason Monitor/Should have the expected finished reason(s): "
        'Finished with "shutdown" the expected reasons are '
        "['finished', 'closespider_itemcount', 'closespider_pagecount']"
    ]


# --- NEWSCRAWL_MONITOR_* -> SPIDERMON_* ----------------------------------------------------------


def mapped(**given: tuple[Any, str]) -> Settings:
    settings = Settings()
    for name, (value, priority) in given.items():
        settings.set(name, value, priority=priority)
    MonitorSettingsAddon().update_settings(settings)
    return settings


def test_old_monitor_settings_are_mapped() -> None:
    settings = mapped(
        NEWSCRAWL_MONITOR_FINISH_REASONS=("finished,closespider_timeout", "cmdline"),
        NEWSCRAWL_MONITOR_MIN_ITEMS=("3", "spider"),
        NEWSCRAWL_MONITOR_COVERAGE=({"title": 1.0, "image_url": "0.5"}, "project"),
        NEWSCRAWL_MONITOR_MAX_ERRORS=(9, "project"),
    )
    assert settings.getlist("SPIDERMON_EXPECTED_FINISH_REASONS") == ["finished", "closespider_timeout"]
    assert settings["SPIDERMON_MIN_ITEMS"] == 3 and settings.getpriority("SPIDERMON_MIN_ITEMS") == 30
    assert settings["SPIDERMON_FIELD_COVERAGE_RULES"] == {"dict/title": 1.0, "dict/image_url": 0.5}
    assert settings["SPIDERMON_MAX_ERRORS"] == 9


def test_spidermon_name_given_more_specifically_wins() -> None:
    settings = mapped(NEWSCRAWL_MONITOR_MIN_ITEMS=(1, "project"), SPIDERMON_MIN_ITEMS=(4, "cmdline"))
    assert settings["SPIDERMON_MIN_ITEMS"] == 4
    settings = mapped(NEWSCRAWL_MONITOR_MIN_ITEMS=(2, "spider"), SPIDERMON_MIN_ITEMS=(4, "project"))
    assert settings["SPIDERMON_MIN_ITEMS"] == 2  # e.g. a spider's custom_settings


def test_project_settings_configure_the_builtins(tmp_path: Path) -> None:
    project = get_project_settings()
    for addon in ("newscrawl.addons.NewscrawlAddon", "newscrawl.operations.monitors.MonitorSettingsAddon"):
        assert addon in project.getdict("ADDONS")
    assert project["COMMANDS_MODULE"] == "newscrawl.commands"
    crawler, _ = run_suite(tmp_path, GOOD)
    assert crawler.settings["SPIDERMON_MIN_ITEMS"] == 1 and crawler.settings["SPIDERMON_MAX_ERRORS"] == 5
    assert crawler.settings["SPIDERMON_FIELD_COVERAGE_RULES"]["dict/title"] == 1.0


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
