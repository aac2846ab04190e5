"""The command line (``scripts/bench.py``) and ``run``: every measurement, in order.

``run`` returns the JSON (one dict of top-level keys, each module contributing its own);
``main`` writes and prints it (``report``) and sets the exit status.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from . import __doc__ as OVERVIEW
from . import crawl, largest_page, linking, parse, profiling, render, report
from .common import ROOT, load_average, step
from .snapshot import generate_snapshot


def parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(
        prog="scripts/bench.py",
        description=(OVERVIEW or "").split("\nOne module per measurement")[0],  # not the module map
        formatter_class=argparse.RawTextHelpFormatter,
    )
    ap.add_argument("--corpus", type=Path, default=ROOT.parent / "shared" / "corpus" / "wild")
    ap.add_argument("--articles", type=int, default=2400, help="articles in the generated snapshot (>= 2000)")
    ap.add_argument("--out", type=Path, default=ROOT / "data" / "bench")
    ap.add_argument("--repeat", type=int, default=15, help="timings per page in the parse benchmark")
    ap.add_argument("--bench-seconds", type=int, default=10, help="scrapy bench duration")
    ap.add_argument("--render-pages", type=int, default=24)
    ap.add_argument("--skip-render", action="store_true", help="no Chromium and no daily8 demo crawl")
    ap.add_argument("--no-state-baseline", action="store_true", help="skip the seen-store-off crawl")
    ap.add_argument("--keep", action="store_true", help="keep the temporary directory (snapshot, logs)")
    ap.add_argument(
        "--profile", action="store_true", help="also cProfile the parsers and the crawl (<out>/*.prof)"
    )
    ap.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    return ap


def main(argv: list[str] | None = None) -> int:
    opts = parser().parse_args(argv)
    started = time.monotonic()
    tmp = Path(tempfile.mkdtemp(prefix="newscrawl-bench-"))
    try:
        result = run(opts, tmp)
    finally:
        if opts.keep:
            print(f"kept {tmp}", file=sys.stderr)
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    result["bench_seconds"] = round(time.monotonic() - started, 1)
    stamp = report.write(result, opts.out)
    missed = report.show(result, opts.out, stamp)
    return 1 if opts.strict and missed else 0


def run(opts: argparse.Namespace, tmp: Path) -> dict[str, Any]:
    """Every measurement in ``tmp`` (a scratch directory); the JSON's top-level keys."""
    r: dict[str, Any] = {
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "cpus": os.cpu_count(),
            "python": sys.version.split()[0],
            "platform": sys.platform,
            "load_average_at_start": load_average(),
        },
    }
    step("1/5 parse cost: project parsers vs trafilatura")
    r.update(parse.measure(opts.corpus, opts.repeat))
    step("    largest page: 100,000 paragraphs near DOWNLOAD_MAXSIZE")
    r["largest_page"] = largest_page.bench_largest_page()

    step(f"2/5 scrapy bench ({opts.bench_seconds} s), then generating {opts.articles} articles")
    r.update(crawl.measure_scrapy_bench(tmp, opts.bench_seconds))
    bench_rate = r["scrapy_bench_pages_per_min"]
    snapshot = tmp / "snapshot"
    r["snapshot"] = generate_snapshot(snapshot, opts.articles)
    state = str(tmp / "state" / "seen.sqlite3")
    (tmp / "state").mkdir()

    r["machine"]["load_average_at_crawl"] = load_average()
    step("2-3/5 crawl of the snapshot, whole pipeline, seen-store on (SQLite)")
    r.update(crawl.measure_crawl(snapshot, tmp, state, bench_rate))

    step("4/5 the same crawl again, seen-store kept")
    r.update(crawl.measure_rerun(snapshot, tmp, state, r["snapshot"]))

    if not opts.no_state_baseline:
        step("    diagnosis: the first crawl with the seen-store off")
        r.update(crawl.measure_nostate(snapshot, tmp, bench_rate))
        # issue 13: incremental crawling costs at most 10% (seen-store on vs off, same snapshot)
        step("    seen-store on vs off: one more crawl of each, best of two")
        r.update(
            crawl.measure_seen_store_cost(
                snapshot, tmp, r["crawl_pages_per_min"], r["crawl_nostate_pages_per_min"]
            )
        )

    if opts.profile:
        step("    profiles: parsers over the fixtures, and the crawl (fresh seen-store) under cProfile")
        r["profile"] = profiling.measure(snapshot, tmp, opts.out)

    if not opts.skip_render:
        step("5/5 rendering through Chromium, and the daily8 demo crawl")
    r.update(render.measure(tmp, opts.render_pages, skip=opts.skip_render))
    step("    linking: Daily8 original lookup in the seen-store at 1k/100k/1M originals")
    r["linking"] = linking.bench_linking(tmp)
    r["settings"] = crawl.settings_used(opts.bench_seconds)
    r["targets"] = report.targets(r)
    return r
