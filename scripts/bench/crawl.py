"""2-4. Crawl throughput, memory and incremental cost: one crawl measures all three.

``scrapy bench`` first (in an empty directory, so with Scrapy's own defaults), then
``scrapy crawl arab_news`` on the generated snapshot (``snapshot.py``) in a fresh process
with the project's settings and the whole pipeline, seen-store on: its rate (2), its RSS
sampled by ``RssProbe`` (3), and the same crawl again with the seen-store kept (4).
``crawl`` is also what ``render`` and ``profiling`` run their crawls with.
"""

from __future__ import annotations

import json
import os
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from .common import ROOT, SCRIPTS

# the extension as the crawl process imports it: scripts/ is on its PYTHONPATH (``_env``)
PROBE = "bench.crawl.RssProbe"


# --- the RSS probe (runs inside the crawl process) --------------------------
def _status_kb(field: str) -> int | None:
    """``VmRSS``/``VmHWM`` of this process from /proc (Linux), in kB."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return None


def _peak_kb() -> int:
    import resource

    return _status_kb("VmHWM") or resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # kB on Linux


class RssProbe:
    """Scrapy extension: RSS every ``BENCH_PROBE_EVERY`` exported items, peak at close,
    written as JSON to ``BENCH_PROBE_FILE``. Loaded by the bench's crawls only."""

    def __init__(self, path: Path, every: int) -> None:
        self.path = path
        self.every = every
        self.items = 0
        self.samples: list[tuple[int, float]] = []

    @classmethod
    def from_crawler(cls, crawler: Any) -> RssProbe:
        from scrapy import signals
        from scrapy.exceptions import NotConfigured

        path = crawler.settings.get("BENCH_PROBE_FILE")
        if not path:
            raise NotConfigured("BENCH_PROBE_FILE is not set")
        probe = cls(Path(path), crawler.settings.getint("BENCH_PROBE_EVERY", 100))
        crawler.signals.connect(probe.scraped, signal=signals.item_scraped)
        crawler.signals.connect(probe.closed, signal=signals.spider_closed)
        return probe

    def scraped(self) -> None:
        self.items += 1
        if self.items % self.every == 0 and (rss := _status_kb("VmRSS")) is not None:
            self.samples.append((self.items, rss / 1024))

    def closed(self) -> None:
        data = {"items": self.items, "samples": self.samples, "peak_rss_mb": _peak_kb() / 1024}
        self.path.write_text(json.dumps(data), "utf-8")


# --- running scrapy ---------------------------------------------------------
def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NEWSCRAWL_", "SCRAPY_"))}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(SCRIPTS), str(ROOT), env.get("PYTHONPATH")]))
    return env


def scrapy_bench(tmp: Path, seconds: int) -> dict[str, Any]:
    """``scrapy bench`` outside the project (Scrapy's defaults), its rate from the stats dump."""
    where = tmp / "scrapy-bench"
    where.mkdir()
    cmd = [sys.executable, "-m", "scrapy", "bench", "-s", f"CLOSESPIDER_TIMEOUT={seconds}"]
    proc = subprocess.run(cmd, cwd=where, env=_env(), capture_output=True, text=True, check=False)
    log = proc.stderr
    count = re.search(r"'response_received_count': (\d+)", log)
    elapsed = re.search(r"'elapsed_time_seconds': ([\d.]+)", log)
    if count and elapsed:
        rate = int(count[1]) / float(elapsed[1]) * 60
    else:  # LogStats lines: "Crawled N pages (at M pages/min)"
        rates = [int(m) for m in re.findall(r"Crawled \d+ pages \(at (\d+) pages/min\)", log)]
        rate = statistics.mean(rates[1:]) if len(rates) > 1 else 0.0
    if not rate:
        raise RuntimeError(f"scrapy bench gave no rate:\n{log[-2000:]}")
    return {"pages_per_min": rate, "pages": int(count[1]) if count else None}


def crawl(
    spider: str,
    snapshot: Path,
    work: Path,
    name: str,
    *,
    state: str,
    extra: dict[str, str] | None = None,
    args: dict[str, str] | None = None,
    profile: Path | None = None,
) -> dict[str, Any]:
    """``scrapy crawl`` in a fresh process; returns its stats, probe data and wall time."""
    from newscrawl import settings as project

    stats_file = work / f"{name}.stats.json"
    probe_file = work / f"{name}.probe.json"
    extensions = {**project.EXTENSIONS, PROBE: 900}
    settings = {
        "NEWSCRAWL_REPLAY": str(snapshot),
        "NEWSCRAWL_DATA_DIR": str(work / "data"),
        "NEWSCRAWL_STATE": state,
        "NEWSCRAWL_STATS_FILE": str(stats_file),
        "EXTENSIONS": json.dumps(extensions),
        "BENCH_PROBE_FILE": str(probe_file),
        "LOG_LEVEL": "INFO",
        **(extra or {}),
    }
    cmd = [sys.executable, "-m", "scrapy", "crawl", spider]
    for key, value in settings.items():
        cmd += ["-s", f"{key}={value}"]
    for key, value in (args or {}).items():
        cmd += ["-a", f"{key}={value}"]
    if profile:
        cmd += ["--profile", str(profile)]
    log = work / f"{name}.log"
    started = time.monotonic()
    with log.open("w") as err:
        proc = subprocess.run(cmd, cwd=ROOT, env=_env(), stdout=err, stderr=err, check=False)
    wall = time.monotonic() - started
    stats = json.loads(stats_file.read_text("utf-8")) if stats_file.exists() else {}
    if proc.returncode or not stats:
        tail = "\n".join(log.read_text("utf-8", errors="replace").splitlines()[-8:])
        raise RuntimeError(f"crawl {name} failed (exit {proc.returncode}); log ends:\n{tail}")
    probe = json.loads(probe_file.read_text("utf-8")) if probe_file.exists() else {}
    return {"stats": stats, "probe": probe, "wall_s": wall, "log": str(log)}


def _rate(stats: dict[str, Any]) -> float:
    """Responses per minute over the crawl's own elapsed time (as ``scrapy bench`` reports)."""
    elapsed = float(stats.get("elapsed_time_seconds") or 0)
    return int(stats.get("response_received_count", 0)) / elapsed * 60 if elapsed else 0.0


def _rss_at(samples: list[list[float]], items: int) -> float | None:
    for count, rss in samples:
        if count >= items:
            return float(rss)
    return None


# --- the measurements -------------------------------------------------------
def measure_scrapy_bench(tmp: Path, seconds: int) -> dict[str, Any]:
    """2, the baseline: ``scrapy_bench`` and ``scrapy_bench_pages_per_min``."""
    bench = scrapy_bench(tmp, seconds)
    return {"scrapy_bench": bench, "scrapy_bench_pages_per_min": bench["pages_per_min"]}


def measure_crawl(snapshot: Path, tmp: Path, state: str, bench_rate: float) -> dict[str, Any]:
    """2-3: the first crawl of the snapshot, seen-store ``state`` (a fresh SQLite file):
    rate, ratio to ``bench_rate`` (``scrapy bench``'s pages/min), items, memory."""
    first = crawl("arab_news", snapshot, tmp, "crawl", state=state)
    stats = first["stats"]
    r: dict[str, Any] = {"crawl_pages_per_min": _rate(stats)}
    r["crawl_items_per_min"] = (
        int(stats.get("item_scraped_count", 0)) / float(stats["elapsed_time_seconds"]) * 60
    )
    r["crawl_ratio"] = r["crawl_pages_per_min"] / bench_rate
    r["crawl_items"] = int(stats.get("item_scraped_count", 0))
    r["crawl_requests"] = int(stats.get("downloader/request_count", 0))
    r["crawl_wall_s"] = first["wall_s"]
    r["crawl_elapsed_s"] = float(stats["elapsed_time_seconds"])
    r["seen_store"] = "on" if any(k.startswith("newscrawl/seen/") for k in stats) else "absent"
    samples = first["probe"].get("samples", [])
    r["peak_rss_mb"] = first["probe"].get("peak_rss_mb")
    r["rss_mb_at_1000"] = _rss_at(samples, 1000)
    r["rss_mb_at_2000"] = _rss_at(samples, 2000)
    r["rss_growth_1000_to_2000"] = (
        r["rss_mb_at_2000"] / r["rss_mb_at_1000"] - 1 if r["rss_mb_at_1000"] and r["rss_mb_at_2000"] else None
    )
    r["rss_samples"] = samples
    r["crawl_stats"] = {k: v for k, v in stats.items() if not k.startswith("spidermon")}
    return r


def measure_rerun(snapshot: Path, tmp: Path, state: str, counts: dict[str, int]) -> dict[str, Any]:
    """4: the same crawl again with the seen-store ``state`` the first one left;
    ``counts`` is ``generate_snapshot``'s (to tell article requests from the rest)."""
    again = crawl("arab_news", snapshot, tmp, "rerun", state=state)
    stats = again["stats"]
    requests = int(stats.get("downloader/request_count", 0))
    return {
        "rerun_requests": requests,
        # robots.txt, feeds, sitemaps and listings are fetched on every run; the rest are articles
        "rerun_article_requests": requests - (counts["urls"] - counts["articles"]),
        "rerun_items": int(stats.get("item_scraped_count", 0)),
        "rerun_wall_s": again["wall_s"],
        "rerun_elapsed_s": float(stats.get("elapsed_time_seconds") or 0),
        "rerun_seen_skipped": int(stats.get("newscrawl/seen/skipped", 0)),
    }


def measure_nostate(snapshot: Path, tmp: Path, bench_rate: float) -> dict[str, Any]:
    """Diagnosis: the first crawl with the seen-store off (its share of the crawl's cost)."""
    off = crawl("arab_news", snapshot, tmp, "nostate", state="off")
    rate = _rate(off["stats"])
    return {
        "crawl_nostate_pages_per_min": rate,
        "crawl_nostate_ratio": rate / bench_rate,
        "crawl_nostate_peak_rss_mb": off["probe"].get("peak_rss_mb"),
    }


def measure_seen_store_cost(snapshot: Path, tmp: Path, first_on: float, first_off: float) -> dict[str, Any]:
    """Issue 13's ratio: seen-store on vs off, best of two crawls each, run alternately (on,
    off, on, off), so one burst of load from other processes does not decide the figure."""
    state = tmp / "state2"
    state.mkdir(exist_ok=True)
    on = _rate(crawl("arab_news", snapshot, tmp, "on2", state=str(state / "seen.sqlite3"))["stats"])
    off = _rate(crawl("arab_news", snapshot, tmp, "off2", state="off")["stats"])
    best_on, best_off = max(first_on, on), max(first_off, off)
    return {
        "seen_store_ratio": best_on / best_off if best_off else None,
        "seen_store_runs": {"on": [first_on, on], "off": [first_off, off]},
    }


def settings_used(bench_seconds: int) -> dict[str, Any]:
    """The settings the crawls ran with (the JSON's ``settings``)."""
    from newscrawl import settings as project

    return {
        "spider": "arab_news, replay, whole pipeline (project settings; nothing tuned for the bench)",
        "CONCURRENT_REQUESTS": project.CONCURRENT_REQUESTS,
        "CONCURRENT_REQUESTS_PER_DOMAIN": project.CONCURRENT_REQUESTS_PER_DOMAIN,
        "DOWNLOAD_DELAY": "0 (replay turns politeness delays off)",
        "AUTOTHROTTLE_ENABLED": "False (replay)",
        "ROBOTSTXT_OBEY": project.ROBOTSTXT_OBEY,
        "NEWSCRAWL_STATE": "a fresh SQLite file, kept for the rerun",
        "LOG_LEVEL": "INFO",
        "scrapy bench": "Scrapy's defaults (run outside the project), CLOSESPIDER_TIMEOUT="
        + str(bench_seconds),
    }
