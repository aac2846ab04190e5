"""A feed store that fails when the feed is stored at the end of the crawl fails the run
(issue 12, point 3): exit status, one ERROR line, the report's verdict, the stats file, and
nothing marked seen.

The failing store is real and offline: Scrapy's own ``FTPFeedStorage`` writes the lines to
a temporary file during the crawl and connects only when the slot closes, here to a
loopback port nobody listens on (a closed port; the password in the URI must never be
written). The local feed next to it gets every line, and that is the point: the run looks
complete until its remote copy is stored.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from newscrawl.operations import report
from newscrawl.storage.seen import open_store
from tests import forkserver
from tests.conftest import FIXTURES, ROOT
from tests.servers import clean_env, free_port


def error_lines(log: str) -> list[str]:
    return [line for line in log.splitlines() if "] ERROR:" in line]


def crawl(tmp_path: Path, *feeds: str, state: str) -> tuple[subprocess.CompletedProcess[str], dict[str, Any]]:
    stats = tmp_path / "stats.json"
    cmd = [sys.executable, "-m", "scrapy", "crawl", "arab_news"]
    for feed in feeds:
        cmd += ["-o", feed]
    for key, value in {
        "NEWSCRAWL_REPLAY": str(FIXTURES / "arab_news"),
        "NEWSCRAWL_DATA_DIR": str(tmp_path / "data"),
        "NEWSCRAWL_STATE": state,
        "NEWSCRAWL_STATS_FILE": str(stats),
    }.items():
        cmd += ["-s", f"{key}={value}"]
    proc = forkserver.run(cmd, cwd=ROOT, env=clean_env(), capture_output=True, text=True, timeout=180)
    return proc, json.loads(stats.read_text("utf-8"))


@pytest.mark.parametrize("state", ["sqlite", "off"])
def test_a_feed_that_fails_at_close_fails_the_run(tmp_path: Path, state: str) -> None:
    port = free_port()  # bound and released: connecting is refused
    remote = f"ftp://crawler:s3cret@127.0.0.1:{port}/feeds/arab_news.jsonl"
    shown = f"ftp://crawler:***@127.0.0.1:{port}/feeds/arab_news.jsonl"
    local = tmp_path / "local.jsonl"
    seen = tmp_path / "seen.sqlite3"
    proc, stats = crawl(
        tmp_path, f"{local}:jsonlines", f"{remote}:jsonlines", state=str(seen) if state == "sqlite" else "off"
    )
    written = [json.loads(line) for line in local.read_text("utf-8").splitlines()]
    assert len(written) == 7  # the local feed is complete: only the remote store failed

    # exit status: the monitors' (NEWSCRAWL_MONITOR_EXIT_CODE, 3), not Scrapy's 0
    assert proc.returncode == 3, proc.stderr[-3000:]
    line = f"export to {shown} failed: 7 items not written"
    errors = error_lines(proc.stderr)
    assert [e for e in errors if e.endswith("] ERROR: " + line)] == [
        proc.stderr.rstrip().splitlines()[-1]  # one line, the run's last word (cron mail, journalctl)
    ], errors
    assert any(f"FAIL: Feed export/test_feeds_stored: {line}" in e for e in errors)  # the monitor's
    assert "s3cret" not in proc.stderr

    # the stats file is written after the feeds were stored, so it records the failure
    assert stats["finish_reason"] == "finished"  # the crawl itself ran to its end
    assert stats["newscrawl/export/failed"] == 1
    assert stats["newscrawl/export/failed_feeds"] == [{"uri": shown, "items": 7}]
    assert stats["newscrawl/monitors/failed"] >= 1
    assert "s3cret" not in json.dumps(stats)

    # the report (what schedulers and `newscrawl report` read) says failed, and why
    got = report.latest("arab_news", tmp_path / "data")
    assert got["path"] == stats["newscrawl/report"]
    assert not got["monitors"]["passed"] and "Feed export" in got["monitors"]["failed"]
    (result,) = [r for r in got["monitors"]["results"] if r["monitor"] == "Feed export"]
    assert result["status"] == "FAIL" and result["reason"] == line
    assert got["failed_feeds"] == [{"uri": shown, "items": 7}]
    md = Path(got["path"]).with_suffix(".md").read_text("utf-8")
    assert "FAILED: Feed export" in md and line in md
    assert report.main(["arab_news", "--check", "--data-dir", str(tmp_path / "data")]) == 1
    assert "s3cret" not in Path(got["path"]).read_text("utf-8")

    if state == "sqlite":  # nothing marked seen: the next run exports all 7 again
        assert "newscrawl/seen/marked" not in stats and stats["newscrawl/seen/new"] == 7
        assert stats["newscrawl/export/unmarked"] == 7
        store = open_store(str(seen), tmp_path / "data")
        assert store is not None
        try:
            assert [i["id"] for i in written if store.get(i["id"]) is not None] == []
            assert [i["url"] for i in written if store.get(i["url"]) is not None] == []
        finally:
            store.close()


def test_the_same_crawl_with_every_feed_stored_passes(tmp_path: Path) -> None:
    """The control: without the unreachable store the same crawl exits 0 and marks all 7."""
    local, seen = tmp_path / "local.jsonl", tmp_path / "seen.sqlite3"
    proc, stats = crawl(tmp_path, f"{local}:jsonlines", state=str(seen))
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert not [e for e in error_lines(proc.stderr) if "export to " in e]
    assert stats["newscrawl/seen/marked"] == 7 and "newscrawl/export/failed" not in stats
    assert stats["newscrawl/export/failed_feeds"] == []
    got = report.latest("arab_news", tmp_path / "data")
    assert got["monitors"]["passed"] and got["failed_feeds"] == []
    (result,) = [r for r in got["monitors"]["results"] if r["monitor"] == "Feed export"]
    assert result["status"] == "OK"
