"""`make demo`: every spider, offline, against the bundled snapshot; then a plain summary.

    python scripts/demo.py [--snapshot tests/fixtures] [--data-dir data] [--spider NAME ...]

Each spider runs as ``scrapy crawl <spider>`` with ``NEWSCRAWL_REPLAY`` set, so
nothing touches the network, and writes ``<data dir>/<spider>/<timestamp>.jsonl``
(daily8 renders its JavaScript-only page in Chromium, as a live crawl would). The
demo uses a throw-away seen-store so that every run exports the whole snapshot.

Per spider the summary says: items exported and the monitors' verdict; failures
(each URL and why; an error status the snapshot records on purpose is said so);
snapshot gaps, i.e. URLs the spider found but the snapshot leaves out on purpose
(manifest lines with a ``gap`` note, answered 404), apart from failures; pages
skipped or dropped; pages rendered; then where the items, reports and rejects are.

Exit status 1 if a spider crashed, exported nothing, failed a monitor or could not
render a page.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from newscrawl.operations.history import write_page

ROOT = Path(__file__).resolve().parent.parent
FAILED_LINE = re.compile(r"\[(?P<logger>[\w.]+)\] WARNING: Failed (?P<url>\S+): (?P<reason>\S+)")


@dataclass
class Recorded:
    """What the snapshot's manifests say about a URL (the keys `make demo` reads)."""

    status: int
    gap: str | None = None


def manifest_entries(manifest: Path, seen: set[Path] | None = None) -> dict[str, Recorded]:
    """``url -> Recorded`` for every line of a replay manifest, includes followed."""
    seen = seen if seen is not None else set()
    if manifest in seen or not manifest.is_file():
        return {}
    seen.add(manifest)
    found: dict[str, Recorded] = {}
    for line in manifest.read_text("utf-8").splitlines():
        if not line.strip():
            continue
        entry = json.loads(line)
        if "include" in entry:
            found.update(manifest_entries((manifest.parent / entry["include"]).resolve(), seen))
        elif isinstance(entry.get("url"), str):
            found[entry["url"]] = Recorded(int(entry.get("status", 200)), entry.get("gap"))
    return found


@dataclass
class Run:
    spider: str
    code: int
    elapsed: float
    stats: dict[str, Any]
    failures: list[tuple[str, str]]  # (url, reason)
    report: dict[str, Any] = field(default_factory=dict)
    items_file: Path | None = None

    @property
    def items(self) -> int:
        return int(self.stats.get("item_scraped_count", 0))

    def counts(self, prefix: str) -> dict[str, int]:
        full = f"newscrawl/{prefix}"
        return {k.removeprefix(full): int(v) for k, v in sorted(self.stats.items()) if k.startswith(full)}

    def stat(self, key: str) -> float:
        return float(self.stats.get(f"newscrawl/{key}", 0) or 0)

    @property
    def monitors_passed(self) -> bool | None:
        monitors = self.report.get("monitors") or {}
        if "passed" in monitors:
            return bool(monitors["passed"])
        if "newscrawl/monitors/failed" in self.stats:
            return not self.stats["newscrawl/monitors/failed"]
        return None

    @property
    def monitors_failed(self) -> list[str]:
        failed = (self.report.get("monitors") or {}).get("failed") or []
        return [str(f.get("monitor", f) if isinstance(f, dict) else f) for f in failed]


def spiders() -> list[str]:
    out = subprocess.run([sys.executable, "-m", "scrapy", "list"], cwd=ROOT, capture_output=True, text=True)
    return out.stdout.split()


def run(spider: str, snapshot: Path, data_dir: Path, tmp: Path) -> Run:
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
    env = {k: v for k, v in os.environ.items() if k not in ("NEWSCRAWL_ARCHIVE", "NEWSCRAWL_STATS_FILE")}
    started = time.time()
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True)
    elapsed = time.time() - started
    stats = json.loads(stats_file.read_text("utf-8")) if stats_file.exists() else {}
    if proc.returncode and not stats:
        print(proc.stderr[-4000:], file=sys.stderr)
    failures = [(m["url"], m["reason"]) for m in FAILED_LINE.finditer(proc.stderr) if m["logger"] == spider]
    result = Run(spider, proc.returncode, elapsed, stats, failures)
    report = Path(str(stats.get("newscrawl/report") or ""))
    if report.suffix == ".json" and report.is_file():
        result.report = json.loads(report.read_text("utf-8"))
    files = [p for p in (data_dir / spider).glob("*.jsonl") if p.stat().st_mtime >= started - 1]
    result.items_file = max(files, key=lambda p: p.stat().st_mtime) if files else None
    return result


def shown(path: Path) -> str:
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


def describe(result: Run, recorded: dict[str, Recorded]) -> tuple[list[str], int, int]:
    """The lines about one spider, its failure count and its count of unexpected 404s."""
    verdict = {True: "monitors passed", False: "MONITORS FAILED", None: "no monitor verdict"}
    head = f"{result.spider:<17}{result.items:>4} items   {verdict[result.monitors_passed]}"
    if result.monitors_failed:
        head += f": {', '.join(result.monitors_failed)}"
    if result.code and result.monitors_passed is not False:
        head += f"   (scrapy exit status {result.code})"
    lines = [head]
    gaps, failures, unexpected = [], [], 0
    for url, reason in result.failures:
        entry = recorded.get(url)
        if entry and entry.gap:
            gaps.append(f"{url}  ({entry.gap})")
        elif entry:
            failures.append(f"{reason:<9} {url}  (the snapshot records this answer: HTTP {entry.status})")
        else:
            unexpected += reason == "http_404"
            failures.append(f"{reason:<9} {url}  (NOT in the snapshot, and not marked as a gap)")
    logged = len(result.failures)
    counted = sum(result.counts("failed/").values())
    if counted > logged:  # failures the log lines did not name
        failures.append(f"{counted - logged} more: {result.counts('failed/')}")
    for title, rows in (("failed", failures), ("snapshot gaps, left out on purpose (404)", gaps)):
        if rows:
            lines.append(f"    {title}: {len(rows)}")
            lines += [f"        {row}" for row in rows]
    if blocked := result.stat("challenge/blocked"):
        lines.append(f"    bot challenges not rendered (rendering is off for {result.spider}): {blocked:.0f}")
    other = {**result.counts("skipped/"), **result.counts("dropped/")}
    if result.stat("parse_error"):
        other["parse_error"] = int(result.stat("parse_error"))
    if invalid := result.counts("invalid/"):
        other.update({f"invalid {k}": v for k, v in invalid.items()})
    if other:
        lines.append("    skipped or dropped: " + ", ".join(f"{k}={v}" for k, v in other.items()))
    if rendered := result.stat("rendered"):
        seconds = result.stat("render/seconds_total")
        lines.append(f"    rendered in Chromium: {rendered:.0f} page(s), {seconds:.1f} s")
    if render_failed := result.stat("render/failed"):
        chromium = os.environ.get("NEWSCRAWL_CHROMIUM", "/usr/bin/chromium")
        lines.append(
            f"    RENDERING FAILED: {render_failed:.0f} page(s) (Chromium: {chromium}; `make install`)"
        )
    if result.items_file:
        lines.append(f"    items  -> {shown(result.items_file)}")
    if report := result.stats.get("newscrawl/report"):
        lines.append(f"    report -> {shown(Path(str(report)).with_suffix('.md'))}")
    return lines, len(failures), unexpected


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--snapshot", type=Path, default=ROOT / "tests" / "fixtures")
    ap.add_argument("--data-dir", type=Path, default=ROOT / "data")
    ap.add_argument("--spider", action="append", help="default: every spider")
    opts = ap.parse_args()
    names = opts.spider or spiders()
    recorded = manifest_entries(opts.snapshot.resolve() / "manifest.jsonl")
    print(
        f"make demo: {len(names)} spiders, offline, against the recorded snapshot in {shown(opts.snapshot)}"
    )
    print("(a throw-away seen-store: every run exports the whole snapshot)\n")
    broken, results = [], []
    total_failures = total_gaps = total_unexpected = 0
    with tempfile.TemporaryDirectory(prefix="newscrawl-demo-") as tmp:
        for name in names:
            result = run(name, opts.snapshot, opts.data_dir, Path(tmp))
            results.append(result)
            lines, failures, unexpected = describe(result, recorded)
            print("\n".join(lines), flush=True)
            total_failures += failures
            total_unexpected += unexpected
            total_gaps += sum(1 for url, _ in result.failures if (e := recorded.get(url)) and e.gap)
            if (
                (result.code and not result.stats)
                or not result.items
                or result.monitors_passed is False
                or result.stat("render/failed")
            ):
                broken.append(name)
    data = shown(opts.data_dir)
    print("\nfiles:")
    print(f"    items     {data}/<spider>/<timestamp>.jsonl (one per spider, above)")
    print(f"    reports   {data}/reports/<spider>/<timestamp>.md and .json (coverage, layers, monitors)")
    rejected = [r.spider for r in results if r.counts("invalid/")]
    if rejected:
        print(f"    rejected  {data}/rejected/<spider>/ (items that broke the contract, with errors): "
              + ", ".join(rejected))  # fmt: skip
    print(f"    history   {shown(write_page(opts.data_dir))} (every run so far: newscrawl report --html)")
    items = sum(r.items for r in results)
    passed = sum(1 for r in results if r.monitors_passed)
    print(
        f"\nverdict: {items} items from {len(results)} spiders;"
        f" monitors passed for {passed} of {len(results)};"
        f" {total_failures} failures, {total_gaps} snapshot gaps (on purpose)"
        + (f"; {total_unexpected} 404s the snapshot does not explain" if total_unexpected else "")
    )
    if broken:
        why = "crashed, exported nothing, failed a monitor or could not render"
        print(f"FAILED: {', '.join(broken)} ({why})", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
