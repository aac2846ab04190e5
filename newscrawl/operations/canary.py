"""Live canary (``make check-live``): a small real crawl per spider, to catch layout drift early.

    python -m newscrawl.operations.canary [--spider NAME ...] [--items 5] [--timeout 180]
                               [--data-dir data/canary] [--replay DIR]

Every spider runs at once as ``scrapy crawl <spider> -a max_pages=1`` with the
production settings (robots.txt, delays, AutoThrottle), bounded by
``CLOSESPIDER_ITEMCOUNT`` and ``CLOSESPIDER_TIMEOUT``, with a throw-away
seen-store (so the canary always sees articles and never marks the production
store) and its own data directory (output, logs, reports). Per spider it prints
field coverage, the extraction layers that supplied title/body/date, and the
monitor verdict from the run report (``newscrawl.operations.report``); the exit status is 1
when any spider's monitors failed or it wrote no report.

It needs the network, so it is not part of ``make test``; ``--replay`` runs the
same code path against a snapshot (tests/test_canary.py).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from newscrawl.operations import report

FIELDS = ("title", "body", "published_at", "authors", "image_url", "summary", "section", "tags")
LAYER_FIELDS = ("title", "body", "published_at")


def spiders() -> list[str]:
    out = subprocess.run([sys.executable, "-m", "scrapy", "list"], capture_output=True, text=True, check=True)
    return out.stdout.split()


def command(spider: str, job: str, opts: argparse.Namespace, state: Path) -> list[str]:
    data = Path(opts.data_dir)
    settings = {
        "CLOSESPIDER_ITEMCOUNT": opts.items,
        "CLOSESPIDER_TIMEOUT": opts.timeout,
        "NEWSCRAWL_DATA_DIR": data.absolute(),
        "NEWSCRAWL_STATE": state / f"{spider}.sqlite3",
        "NEWSCRAWL_MONITOR_FINISH_REASONS": "finished,closespider_itemcount,closespider_timeout",
        "NEWSCRAWL_MONITOR_MIN_ITEMS": 1,
        "LOG_FILE": (data / "logs" / f"{job}.log").absolute(),
        "LOG_LEVEL": "INFO",
    }
    if opts.replay:
        settings["NEWSCRAWL_REPLAY"] = Path(opts.replay).absolute()
    cmd = [sys.executable, "-m", "scrapy", "crawl", spider, "-a", "max_pages=1", "-a", f"_job={job}"]
    for key, value in settings.items():
        cmd += ["-s", f"{key}={value}"]
    return cmd


def summary(got: report.Report) -> list[str]:
    monitors = got["monitors"]
    verdict = "monitors passed" if monitors["passed"] else "MONITORS FAILED: " + ", ".join(monitors["failed"])
    cover = "  ".join(f"{f} {got['coverage'].get(f, 0):.0%}" for f in FIELDS)
    layers = " | ".join(
        f"{f}: " + ", ".join(f"{layer} {n}" for layer, n in sorted(got["layers"].get(f, {}).items()))
        for f in LAYER_FIELDS
    )
    lines = [
        f"== {got['spider']}: {got['items']} items in {got['elapsed_seconds'] or 0:.0f}s"
        f" ({got['finish_reason']}), {verdict}",
        f"   coverage  {cover}",
        f"   layers    {layers}",
    ]
    for result in monitors["results"]:
        if result["status"] in ("FAIL", "ERROR"):
            lines.append(f"   FAIL      {result['monitor']}: {result['reason']}")
    if got["failed"]:
        lines.append("   failed    " + ", ".join(f"{k} {v}" for k, v in got["failed"].items()))
    lines.append(f"   report    {Path(got['path']).with_suffix('.md')}")
    return lines


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m newscrawl.operations.canary", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--spider", action="append", help="default: every spider")
    parser.add_argument("--items", type=int, default=5, help="CLOSESPIDER_ITEMCOUNT (default 5)")
    parser.add_argument("--timeout", type=int, default=180, help="CLOSESPIDER_TIMEOUT seconds (default 180)")
    parser.add_argument("--data-dir", default=str(report.data_dir() / "canary"))
    parser.add_argument("--replay", help="snapshot directory: run offline (tests)")
    opts = parser.parse_args(argv)
    names = opts.spider or spiders()
    stamp = datetime.now(UTC).strftime(report.STAMP)
    (Path(opts.data_dir) / "logs").mkdir(parents=True, exist_ok=True)
    status = 0
    with tempfile.TemporaryDirectory(prefix="newscrawl-canary-") as state:
        started = time.monotonic()
        jobs = {name: f"canary-{stamp}-{name}" for name in names}
        procs = {
            name: subprocess.Popen(command(name, job, opts, Path(state)), stdout=subprocess.DEVNULL)
            for name, job in jobs.items()
        }
        for name, proc in procs.items():
            left = max(1.0, opts.timeout + 120 - (time.monotonic() - started))
            try:
                proc.wait(timeout=left)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
                print(f"== {name}: killed after {opts.timeout + 120}s")
            try:
                got = report.for_job(name, jobs[name], opts.data_dir)
            except FileNotFoundError:
                log = Path(opts.data_dir) / "logs" / f"{jobs[name]}.log"
                print(f"== {name}: NO REPORT (exit {proc.returncode}); log {log}")
                status = 1
                continue
            print("\n".join(summary(got)))
            if not got["monitors"]["passed"]:
                status = 1
    return status


if __name__ == "__main__":
    sys.exit(main())
