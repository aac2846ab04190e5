"""Distributed mode against a real redis-server: two workers of one spider share one crawl.

Two ``scrapy crawl arab_news -s REDIS_URL=...`` processes run on a generated replay
snapshot of a few hundred articles (each answer delayed, the feed slower still, so
one worker waits with an empty queue while the other fetches the feed). Every
article must be exported exactly once across both outputs, both workers must have
exported some, and the round's Redis keys must be gone afterwards; a second round
exports nothing (the seen-store lives in the same Redis).
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from scrapy.settings import Settings

from newscrawl.storage import distributed
from tests import forkserver
from tests.conftest import ROOT
from tests.servers import clean_env, free_port, redis_server, stop
from tests.synth import arab_news_snapshot

ARTICLES = 300


@pytest.fixture
def redis_url(tmp_path: Path) -> Iterator[str]:
    with redis_server(tmp_path / "redis") as url:
        yield url


def test_redis_url_switches_scheduler_dupefilter_and_seen_store() -> None:
    plain = Settings({"NEWSCRAWL_STATE": None})
    distributed.apply(plain)
    assert plain["SCHEDULER"] == "scrapy.core.scheduler.Scheduler" and plain["NEWSCRAWL_STATE"] is None

    settings = Settings({"NEWSCRAWL_STATE": None})
    settings.set("REDIS_URL", "redis://cache:6379/2", priority="cmdline")
    settings.set("SCHEDULER_IDLE_BEFORE_CLOSE", "10", priority="cmdline")
    distributed.apply(settings)
    assert settings["SCHEDULER"] == "newscrawl.storage.distributed.RedisScheduler"
    assert settings["DUPEFILTER_CLASS"] == "newscrawl.storage.distributed.RedisDupeFilter"
    assert settings["NEWSCRAWL_STATE"] == "redis://cache:6379/2"
    assert settings.getint("SCHEDULER_IDLE_BEFORE_CLOSE") == 10  # -s wins

    own = Settings({"NEWSCRAWL_STATE": None})
    own.set("REDIS_URL", "redis://cache:6379/2", priority="cmdline")
    own.set("NEWSCRAWL_STATE", "/var/lib/newscrawl/seen.sqlite3", priority="cmdline")
    distributed.apply(own)
    assert own["NEWSCRAWL_STATE"] == "/var/lib/newscrawl/seen.sqlite3"


def _worker(name: str, tmp_path: Path, snapshot: Path, url: str) -> Any:
    cmd = [sys.executable, "-m", "scrapy", "crawl", "arab_news"]
    settings = {
        "REDIS_URL": url,
        "NEWSCRAWL_REPLAY": str(snapshot),
        "NEWSCRAWL_DATA_DIR": str(tmp_path / name),
        "NEWSCRAWL_STATS_FILE": str(tmp_path / f"{name}.stats.json"),
    }
    for key, value in settings.items():
        cmd += ["-s", f"{key}={value}"]
    log = (tmp_path / f"{name}.log").open("w")
    return forkserver.popen(cmd, cwd=ROOT, env=clean_env(), stdout=log, stderr=subprocess.STDOUT)


def _finish(proc: subprocess.Popen[str], timeout: float = 180) -> int:
    try:
        return proc.wait(timeout)
    except subprocess.TimeoutExpired:
        stop(proc)
        raise


def _items(tmp_path: Path, name: str) -> list[dict[str, Any]]:
    return [
        json.loads(line)
        for path in sorted((tmp_path / name / "arab_news").glob("*.jsonl"))
        for line in path.read_text("utf-8").splitlines()
    ]


def _stats(tmp_path: Path, name: str) -> dict[str, Any]:
    stats: dict[str, Any] = json.loads((tmp_path / f"{name}.stats.json").read_text("utf-8"))
    return stats


def test_two_workers_share_one_crawl(redis_url: str, tmp_path: Path) -> None:
    snapshot = tmp_path / "snapshot"
    urls = arab_news_snapshot(snapshot, ARTICLES, delay_ms=15, feed_delay_ms=1500)
    started = time.monotonic()
    first = _worker("w1", tmp_path, snapshot, redis_url)
    time.sleep(0.5)
    second = _worker("w2", tmp_path, snapshot, redis_url)
    codes = (_finish(first), _finish(second))
    elapsed = time.monotonic() - started
    logs = {n: (tmp_path / f"{n}.log").read_text("utf-8") for n in ("w1", "w2")}
    assert codes == (0, 0), logs

    shares = {name: _items(tmp_path, name) for name in ("w1", "w2")}
    ids = Counter(item["id"] for items in shares.values() for item in items)
    duplicates = sum(n - 1 for n in ids.values())
    print(
        f"\ndistributed: {ARTICLES} articles, w1 {len(shares['w1'])} items, w2 {len(shares['w2'])} items,"
        f" {duplicates} duplicates, {elapsed:.1f}s wall for both workers"
    )
    assert duplicates == 0
    assert sorted(item["url"] for items in shares.values() for item in items) == sorted(urls)
    assert all(shares.values()), "both workers did part of the work"

    stats = {name: _stats(tmp_path, name) for name in ("w1", "w2")}
    assert all(s["finish_reason"] == "finished" for s in stats.values())
    assert sorted(s["newscrawl/distributed/opened_round"] for s in stats.values()) == [False, True]
    # the feed was fetched once: the other worker's start request was filtered by the shared dupefilter
    assert sum(s.get("newscrawl/feed_links", 0) for s in stats.values()) == ARTICLES

    server = redis.Redis.from_url(redis_url, decode_responses=True)
    left = sorted(k for k in server.scan_iter("newscrawl:arab_news:*"))
    assert left == [], f"the last worker out clears the round: {left}"
    assert len(list(server.scan_iter("newscrawl:seen:article:arab_news:*"))) == ARTICLES

    # next round: a worker killed earlier left a busy entry and queued garbage; it is stale,
    # so the new worker opens a round (clearing the garbage) and the seen-store skips everything
    stale_ms = (int(server.time()[0]) - 3600) * 1000
    server.zadd("newscrawl:arab_news:workers", {"dead-host:1:x": stale_ms})
    server.zadd("newscrawl:arab_news:busy", {"dead-host:1:x": stale_ms})
    server.zadd("newscrawl:arab_news:requests", {"not a pickled request": 0})
    again = _worker("w3", tmp_path, snapshot, redis_url)
    assert _finish(again) == 0, (tmp_path / "w3.log").read_text("utf-8")
    round2 = _stats(tmp_path, "w3")
    assert round2["newscrawl/distributed/opened_round"] is True
    assert _items(tmp_path, "w3") == []
    assert round2.get("newscrawl/seen/skipped") == ARTICLES
    assert sorted(server.scan_iter("newscrawl:arab_news:*")) == []


def test_unreachable_redis_fails_the_crawl_clearly(tmp_path: Path) -> None:
    snapshot = tmp_path / "snapshot"
    arab_news_snapshot(snapshot, 2)
    proc = _worker("w", tmp_path, snapshot, f"redis://:secret@127.0.0.1:{free_port()}/0")
    assert _finish(proc, timeout=120) != 0
    log = (tmp_path / "w.log").read_text("utf-8")
    errors = [line for line in log.splitlines() if "] ERROR:" in line]
    assert len(errors) == 1 and "Cannot start: REDIS_URL redis://:***@127.0.0.1:" in errors[0], errors
    assert "Connection refused" in errors[0] and "Traceback" not in log
    assert "secret" not in log
