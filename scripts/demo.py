"""`make demo`: every spider, offline, against the bundled snapshot; then a summary.

    python scripts/demo.py [--snapshot tests/fixtures] [--data-dir data] [--spider NAME ...]

Each spider runs as ``scrapy crawl <spider>`` with ``NEWSCRAWL_REPLAY`` set, so
nothing touches the network, and writes ``<data dir>/<spider>/<timestamp>.jsonl``.
The demo uses a throw-away seen-store so that every run exports the whole
snapshot (a scheduled crawl keeps its store and exports only what is new).
Exit status 1 if a spider fails or exports nothing.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DROP_PREFIXES = (
    "invalid/",
    "duplicate/",
    "failed/",
    "dropped/",
    "skipped/",
    "parse_error",
    "seen/",
    "challenge/",
    "render",
)


def spiders() -> list[str]:
    out = subprocess.run([sys.executable, "-m", "scrapy", "list"], cwd=ROOT, capture_output=True, text=True)
    return out.stdout.split()


def run(spider: str, snapshot: Path, data_dir: Path, tmp: Path) -> tuple[int, dict[str, Any], float]:
    stats_file = tmp / f"{spider}.json"
    settings = {
        "NEWSCRAWL_REPLAY": snapshot.resolve(),
        "NEWSCRAWL_DATA_DIR": data_dir.resolve(),
        "NEWSCRAWL_STATE": tmp / "seen.sqlite3",
        "NEWSCRAWL_STATS_FILE": stats_file,
        "LOG_LEVEL": "WARNING",
    }
    cmd = [sys.executable, "-m", "scrapy", "crawl", spider]
    for key, value in settings.items():
        cmd += ["-s", f"{key}={value}"]
    started = time.monotonic()
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    elapsed = time.monotonic() - started
    if proc.returncode:
        print(proc.stderr[-4000:], file=sys.stderr)
    stats = json.loads(stats_file.read_text("utf-8")) if stats_file.exists() else {}
    return proc.returncode, stats, elapsed


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--snapshot", type=Path, default=ROOT / "tests" / "fixtures")
    ap.add_argument("--data-dir", type=Path, default=ROOT / "data")
    ap.add_argument("--spider", action="append", help="default: every spider")
    opts = ap.parse_args()
    names = opts.spider or spiders()
    failed = []
    rows = []
    with tempfile.TemporaryDirectory(prefix="newscrawl-demo-") as tmp:
        for name in names:
            code, stats, elapsed = run(name, opts.snapshot, opts.data_dir, Path(tmp))
            items = int(stats.get("item_scraped_count", 0))
            drops = {
                k.removeprefix("newscrawl/"): v
                for k, v in sorted(stats.items())
                if k.startswith("newscrawl/") and k.removeprefix("newscrawl/").startswith(DROP_PREFIXES)
            }
            rows.append((name, items, drops, elapsed))
            if code or not items:
                failed.append(name)
    print(f"\n{'spider':<17}{'items':>6}{'secs':>7}  drops / skips by reason")
    for name, items, drops, elapsed in rows:
        reasons = ", ".join(f"{k}={v}" for k, v in drops.items()) or "-"
        print(f"{name:<17}{items:>6}{elapsed:>7.1f}  {reasons}")
        files = sorted((opts.data_dir / name).glob("*.jsonl"))
        if files:
            print(
                f"{'':<17}-> {files[-1].relative_to(ROOT) if files[-1].is_relative_to(ROOT) else files[-1]}"
            )
    if any(k.startswith("invalid/") for _, _, drops, _ in rows for k in drops):
        print(f"rejected items, with their errors: {opts.data_dir / 'rejected'}/<spider>/")
    print(f"run reports (coverage, layers, monitors): {opts.data_dir / 'reports'}/<spider>/")
    if failed:
        print(f"FAILED: {', '.join(failed)} (crashed or exported nothing)", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
