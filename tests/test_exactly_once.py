"""Exactly once across workers: three ``scrapy crawl`` workers share one crawl through a real
redis-server, and every article is linked under three URLs (the feed's, and two section
listings' with other slugs). The shared dupefilter lets each URL through once, so one
article is fetched by up to three workers at the same time; the seen-store claim (an
atomic script in Redis) lets exactly one of them export it.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

from tests import forkserver
from tests.conftest import ROOT
from tests.servers import clean_env, redis_server, stop
from tests.synth import LISTINGS, SITE, arab_news_snapshot

ARTICLES = 40
WORKERS = ("w1", "w2", "w3")


def snapshot_with_aliases(root: Path) -> list[str]:
    """The synthetic Arab News snapshot, each listing linking every article under its own slug."""
    urls = arab_news_snapshot(root, ARTICLES, delay_ms=40, feed_delay_ms=300)
    nodes = [url.split("/")[-2] for url in urls]
    lines = [json.loads(line) for line in (root / "manifest.jsonl").read_text("utf-8").splitlines()]
    for line in lines:
        for name in LISTINGS:
            if line["url"] == f"{SITE}/{name}" and name != "world":
                links = "".join(f'<h2><a href="/node/{n}/{name}">Story {n}</a></h2>' for n in nodes)
                (root / f"{name}.html").write_text(f"<html><body>{links}</body></html>", "utf-8")
                line["body"] = f"{name}.html"
    for node in nodes:
        for name in LISTINGS:
            if name != "world":  # /node/<n>/world is the feed's link and the canonical URL
                page = {"Content-Type": "text/html; charset=utf-8", "Date": "Fri, 20 Nov 2026 09:00:00 GMT"}
                lines.append({"url": f"{SITE}/node/{node}/{name}", "status": 200, "headers": page,
                              "body": f"pages/{node}.html", "delay_ms": 40})  # fmt: skip
    (root / "manifest.jsonl").write_text("".join(json.dumps(line) + "\n" for line in lines), "utf-8")
    return urls


def _worker(name: str, tmp_path: Path, snapshot: Path, url: str) -> Any:
    cmd = [sys.executable, "-m", "scrapy", "crawl", "arab_news"]
    settings = {
        "REDIS_URL": url,
        "NEWSCRAWL_REPLAY": str(snapshot),
        "NEWSCRAWL_DATA_DIR": str(tmp_path / name),
        "NEWSCRAWL_STATS_FILE": str(tmp_path / f"{name}.stats.json"),
        "NEWSCRAWL_MONITOR_EXIT_CODE": "0",  # monitors are not what this test is about
    }
    for key, value in settings.items():
        cmd += ["-s", f"{key}={value}"]
    log = (tmp_path / f"{name}.log").open("w")
    return forkserver.popen(cmd, cwd=ROOT, env=clean_env(), stdout=log, stderr=subprocess.STDOUT)


def _items(tmp_path: Path, name: str) -> list[dict[str, Any]]:
    return [
        json.loads(line)
        for path in sorted((tmp_path / name / "arab_news").glob("*.jsonl"))
        for line in path.read_text("utf-8").splitlines()
    ]


def test_three_workers_export_each_article_once_though_linked_three_times(tmp_path: Path) -> None:
    snapshot = tmp_path / "snapshot"
    urls = snapshot_with_aliases(snapshot)
    with redis_server(tmp_path / "redis") as url:
        procs = [_worker(name, tmp_path, snapshot, url) for name in WORKERS]
        try:
            codes = [proc.wait(240) for proc in procs]
        finally:
            for proc in procs:
                stop(proc)
    logs = {n: (tmp_path / f"{n}.log").read_text("utf-8") for n in WORKERS}
    assert codes == [0, 0, 0], logs
    stats = {n: json.loads((tmp_path / f"{n}.stats.json").read_text("utf-8")) for n in WORKERS}
    fetched = sum(int(s.get("downloader/response_status_count/200", 0)) for s in stats.values())
    ids = Counter(item["id"] for name in WORKERS for item in _items(tmp_path, name))
    contended = {k: sum(int(s.get(f"newscrawl/seen/{k}", 0)) for s in stats.values())
                 for k in ("claimed_elsewhere", "unchanged")}  # fmt: skip
    print(f"\nexactly once: {ARTICLES} articles x 3 URLs, {fetched} pages fetched by 3 workers,"
          f" exported {sum(ids.values())}, {contended}")  # fmt: skip
    assert sorted(ids) == sorted(f"arab_news:{u.split('/')[-2]}" for u in urls)  # none missing
    assert set(ids.values()) == {1}, [k for k, n in ids.items() if n > 1]  # none twice
    # the aliases were fetched in other workers too: the claim, not luck, kept them out
    assert fetched > ARTICLES + 6
