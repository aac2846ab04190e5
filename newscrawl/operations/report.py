"""Run reports: what one crawl produced, lost and skipped, and whether its monitors passed.

Every crawl (spidermon action ``newscrawl.operations.monitors.WriteReport``, at spider close)
writes ``<NEWSCRAWL_DATA_DIR>/reports/<spider>/<UTC start, %Y-%m-%dT%H-%M-%S>.json``
and a ``.md`` twin. Keys of the JSON report:

    spider, job (Scrapyd ``_job`` argument or null), replay (bool), started_at,
    finished_at, elapsed_seconds, finish_reason, items, items_by_language,
    requests, responses, retries, failed {reason: n}, skipped {kind: n},
    drops {reason: n}, coverage {field: share of items with a non-empty value},
    layers {field: {layer: n}}, monitors {passed: bool, failed: [name],
    results: [{monitor, check, status, reason}]}, failed_urls [{url, reason}]
    (the first ``newscrawl.stats.FAILED_URLS_MAX``), failed_feeds [{uri, items}] (feeds
    that could not be written or stored, uploads at the end of the run included; URIs
    redacted), distributed (null, or {worker, opened_round} in distributed mode:
    ``newscrawl.operations.history`` sums a round)

The report is written once Scrapy stored the feeds (``newscrawl.operations.monitors.Spidermon``),
so a store failing then is in it (the "Feed export" monitor fails).

Schedulers read the verdict with ``latest(spider)`` (newest report by name) or
``for_job(spider, job)``; from a shell, ``python -m newscrawl.operations.report --check
SPIDER...`` exits 1 when a latest report's monitors failed and 2 when a spider
has no report (see docs/monitoring.md).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from newscrawl.items import Article
from newscrawl.stats import FAILED_URLS

Report = dict[str, Any]
STAMP = "%Y-%m-%dT%H-%M-%S"
FAILED_FEEDS = "newscrawl/export/failed_feeds"  # stats key, set by operations.extensions.AfterFeeds


def failure_line(feed: Mapping[str, Any]) -> str:
    """``export to <uri> failed: N items not written`` for one entry of ``failed_feeds``."""
    items = feed.get("items")
    return f"export to {feed['uri']} failed" + (f": {items} items not written" if items is not None else "")


def data_dir(explicit: str | Path | None = None) -> Path:
    """The data directory: the argument, else ``$NEWSCRAWL_DATA_DIR``, else ``data``."""
    return Path(explicit or os.environ.get("NEWSCRAWL_DATA_DIR") or "data")


def _prefixed(stats: Mapping[str, Any], prefix: str) -> dict[str, int]:
    return {k[len(prefix) :]: int(v) for k, v in sorted(stats.items()) if k.startswith(prefix)}


def _iso(value: Any) -> str | None:
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=UTC)).isoformat(timespec="seconds")
    return str(value) if value else None


def coverage(stats: Mapping[str, Any], fields: Sequence[str]) -> dict[str, float]:
    """Share of scraped items with a non-empty value per field (spidermon's field counters)."""
    items = int(stats.get("spidermon_item_scraped_count", 0))
    out: dict[str, float] = {}
    for field in fields:
        found = sum(
            int(v)
            for k, v in stats.items()
            if k.startswith("spidermon_item_scraped_count/") and k.count("/") == 2 and k.endswith("/" + field)
        )
        out[field] = round(found / items, 4) if items else 0.0
    return out


def layers(stats: Mapping[str, Any]) -> dict[str, dict[str, int]]:
    out: dict[str, dict[str, int]] = {}
    for key, count in _prefixed(stats, "newscrawl/layer/").items():
        field, _, layer = key.partition("/")
        out.setdefault(field, {})[layer] = count
    return out


def build(
    stats: Mapping[str, Any],
    results: Sequence[Mapping[str, Any]],
    *,
    spider: str,
    job: str | None = None,
    replay: bool = False,
) -> Report:
    """The report of one finished crawl from its stats and monitor results."""
    failed = list(dict.fromkeys(str(r["monitor"]) for r in results if r["status"] in ("FAIL", "ERROR")))
    drops = {
        **{f"invalid/{k}": v for k, v in _prefixed(stats, "newscrawl/invalid/").items()},
        **{f"duplicate/{k}": v for k, v in _prefixed(stats, "newscrawl/duplicate/").items()},
        **_prefixed(stats, "newscrawl/dropped/"),
    }
    if stats.get("newscrawl/parse_error"):
        drops["parse_error"] = int(stats["newscrawl/parse_error"])
    return {
        "spider": spider,
        "job": job,
        "replay": replay,
        "started_at": _iso(stats.get("start_time")),
        "finished_at": _iso(stats.get("finish_time")),
        "elapsed_seconds": stats.get("elapsed_time_seconds"),
        "finish_reason": stats.get("finish_reason"),
        "items": int(stats.get("item_scraped_count", 0)),
        "items_by_language": _prefixed(stats, "newscrawl/items/"),
        "requests": int(stats.get("downloader/request_count", 0)),
        "responses": int(stats.get("downloader/response_count", 0)),
        "retries": int(stats.get("retry/count", 0)),
        "failed": _prefixed(stats, "newscrawl/failed/"),
        "skipped": _prefixed(stats, "newscrawl/skipped/"),
        "drops": drops,
        "coverage": coverage(stats, list(Article.model_fields)),
        "layers": layers(stats),
        "monitors": {"passed": not failed, "failed": failed, "results": [dict(r) for r in results]},
        "failed_urls": list(stats.get(FAILED_URLS) or []),
        "failed_feeds": [dict(f) for f in stats.get(FAILED_FEEDS) or []],
        "distributed": (
            {
                "worker": stats["newscrawl/distributed/worker"],
                "opened_round": bool(stats.get("newscrawl/distributed/opened_round")),
            }
            if stats.get("newscrawl/distributed/worker")
            else None
        ),
    }


def _table(rows: Mapping[str, Any], head: tuple[str, str]) -> list[str]:
    if not rows:
        return ["(none)", ""]
    lines = [f"| {head[0]} | {head[1]} |", "| --- | ---: |"]
    lines += [f"| {k} | {v} |" for k, v in rows.items()]
    return [*lines, ""]


def markdown(report: Report) -> str:
    """A short human-readable rendering of ``report``."""
    monitors = report["monitors"]
    verdict = "PASSED" if monitors["passed"] else "FAILED: " + ", ".join(monitors["failed"])
    lines = [
        f"# {report['spider']} - {report['started_at']}",
        "",
        f"Monitors **{verdict}**. Finish reason `{report['finish_reason']}`, {report['items']} items,"
        f" {report['requests']} requests, {report['retries']} retries"
        + (" (replay)." if report["replay"] else "."),
        "",
        "## Monitors",
        "",
        "| monitor | check | status | reason |",
        "| --- | --- | --- | --- |",
        *(
            f"| {r['monitor']} | {r['check']} | {r['status']} | {(r.get('reason') or '').replace('|', '/')} |"
            for r in monitors["results"]
        ),
        "",
        *(
            [
                "## Feeds not stored",
                "",
                *(f"- {failure_line(f)}" for f in report.get("failed_feeds") or []),
                "",
            ]
            if report.get("failed_feeds")
            else []
        ),
        "## Coverage",
        "",
        *_table({k: f"{v:.0%}" for k, v in report["coverage"].items()}, ("field", "items")),
        "## Extraction layers",
        "",
        *_table(
            {f: ", ".join(f"{layer} {n}" for layer, n in c.items()) for f, c in report["layers"].items()},
            ("field", "layers"),
        ),
        "## Drops",
        "",
        *_table(report["drops"], ("reason", "count")),
        "## Failed requests",
        "",
        *_table(report["failed"], ("reason", "count")),
        "## Skipped",
        "",
        *_table(report["skipped"], ("kind", "count")),
    ]
    return "\n".join(lines)


def write(report: Report, root: str | Path | None = None) -> Path:
    """Write ``report`` as JSON and Markdown; returns the JSON path."""
    folder = data_dir(root) / "reports" / str(report["spider"])
    folder.mkdir(parents=True, exist_ok=True)
    started = report.get("started_at")
    when = datetime.fromisoformat(started).astimezone(UTC) if started else datetime.now(UTC)
    stem = when.strftime(STAMP)
    path = folder / f"{stem}.json"
    n = 1
    while path.exists():  # two runs of one spider in the same second
        n += 1
        path = folder / f"{stem}.{n}.json"
    path.write_text(json.dumps(report, ensure_ascii=False, indent=1, default=str) + "\n", "utf-8")
    path.with_suffix(".md").write_text(markdown(report) + "\n", "utf-8")
    return path


def reports(spider: str, root: str | Path | None = None) -> list[Path]:
    """JSON report paths of ``spider``, oldest first."""
    folder = data_dir(root) / "reports" / spider
    found: list[Path] = sorted(
        folder.glob("*.json"), key=lambda p: (p.name.split(".")[0], len(p.name), p.name)
    )
    return found


def latest(spider: str, root: str | Path | None = None) -> Report:
    """The newest report of ``spider``; ``FileNotFoundError`` when it has none."""
    found = reports(spider, root)
    if not found:
        raise FileNotFoundError(f"no report for {spider} under {data_dir(root) / 'reports'}")
    report: Report = json.loads(found[-1].read_text("utf-8"))
    report["path"] = str(found[-1])
    return report


def for_job(spider: str, job: str, root: str | Path | None = None) -> Report:
    """The report written by Scrapyd job ``job``; ``FileNotFoundError`` when there is none."""
    for path in reversed(reports(spider, root)):
        report: Report = json.loads(path.read_text("utf-8"))
        if report.get("job") == job:
            report["path"] = str(path)
            return report
    raise FileNotFoundError(f"no report of job {job} for {spider}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m newscrawl.operations.report", description=__doc__.split("\n")[0]
    )
    parser.add_argument("spiders", nargs="+", help="spider names")
    parser.add_argument("--data-dir", help="default: $NEWSCRAWL_DATA_DIR or ./data")
    parser.add_argument("--check", action="store_true", help="exit 1 if monitors failed, 2 if no report")
    args = parser.parse_args(argv)
    status = 0
    for spider in args.spiders:
        try:
            report = latest(spider, args.data_dir)
        except FileNotFoundError as exc:
            print(f"{spider}: MISSING ({exc})")
            status = max(status, 2)
            continue
        monitors = report["monitors"]
        verdict = "passed" if monitors["passed"] else "FAILED " + ", ".join(monitors["failed"])
        print(f"{spider}: {verdict} - {report['items']} items, {report['path']}")
        if not monitors["passed"]:
            status = max(status, 1)
    return status if args.check else 0


if __name__ == "__main__":
    sys.exit(main())
