"""Replay handler: manifest format, matching, faults, refusal of paths outside the snapshot."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from newscrawl.downloader.replay import ReplayError, Snapshot
from tests.conftest import run_crawl

ARTICLE = Path(__file__).parent / "fixtures" / "arab_news" / "wire-story.html"
URL = "https://www.arabnews.com/node/2621866/saudi-arabia"


def write_snapshot(root: Path, *entries: dict[str, object]) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "page.html").write_bytes(ARTICLE.read_bytes())
    (root / "manifest.jsonl").write_text("\n".join(json.dumps(e) for e in entries) + "\n", "utf-8")
    return root


def test_lookup_exact_then_canonical(tmp_path: Path) -> None:
    snap = Snapshot(write_snapshot(tmp_path, {"url": "https://x.test/a?b=2&a=1", "body": "page.html"}))
    assert snap.lookup("https://x.test/a?b=2&a=1") is not None
    assert snap.lookup("https://x.test/a?a=1&b=2") is not None  # canonicalize_url sorts the query
    assert snap.lookup("https://x.test/other") is None


def test_include_reads_bodies_relative_to_the_included_manifest(tmp_path: Path) -> None:
    write_snapshot(tmp_path / "sub", {"url": "https://x.test/a", "body": "page.html"})
    (tmp_path / "manifest.jsonl").write_text('{"include": "sub/manifest.jsonl"}\n', "utf-8")
    entry = Snapshot(tmp_path).lookup("https://x.test/a")
    assert entry is not None and entry.read() == ARTICLE.read_bytes()


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ({"url": "https://x.test/", "body": "../../etc/passwd"}, "leaves the snapshot"),
        ({"url": "https://x.test/", "body": "missing.html"}, "not found"),
        ({"body": "page.html"}, "`url` is required"),
        ({"url": "https://x.test/", "fault": "explode"}, "unknown fault"),
    ],
)
def test_bad_manifest_lines_are_refused_with_the_line_named(
    tmp_path: Path, entry: dict[str, object], message: str
) -> None:
    with pytest.raises(ReplayError, match=message) as err:
        Snapshot(write_snapshot(tmp_path, entry))
    assert "manifest.jsonl:1" in str(err.value)


def test_crawl_faults_and_retries(tmp_path: Path) -> None:
    snap = write_snapshot(
        tmp_path / "snap",
        {"url": URL, "body": "page.html", "fail_first": 2, "fail_status": 503,
         "headers": {"Content-Type": "text/html; charset=utf-8"}},
        {"url": "https://www.arabnews.com/node/1/world", "fault": "timeout"},
        {"url": "https://www.arabnews.com/node/2/world", "fault": "connection_lost"},
        {"url": "https://www.arabnews.com/node/3/world", "status": 500},
    )  # fmt: skip
    urls = [URL, *(f"https://www.arabnews.com/node/{n}/world" for n in (1, 2, 3, 4))]
    result = run_crawl("arab_news", tmp_path, snapshot=snap, args={"urls": ",".join(urls)})
    assert [i["id"] for i in result.items] == ["arab_news:2621866"]  # recovered after two 503s
    stats = result.stats
    assert stats["retry/count"] >= 2 + 3 * 3  # 503 x2, then 3 retries each for timeout/lost/500
    assert stats["newscrawl/failed/download_timeout_error"] == 1
    assert stats["newscrawl/failed/download_failed_error"] == 1
    assert stats["newscrawl/failed/http_500"] == 1
    assert stats["newscrawl/failed/http_404"] == 1  # unlisted URL
    assert "Traceback" not in result.log


def test_delay_ms_delays_the_answer(tmp_path: Path) -> None:
    snap = write_snapshot(tmp_path / "snap", {"url": URL, "body": "page.html", "delay_ms": 1500})
    result = run_crawl("arab_news", tmp_path, snapshot=snap, args={"urls": URL})
    assert len(result.items) == 1
    assert result.stats["elapsed_time_seconds"] >= 1.5
