"""``newscrawl reparse ARCHIVE [-o out.jsonl]``: today's parsers over an archive, offline.

``ARCHIVE`` is a ``NEWSCRAWL_ARCHIVE`` directory (searched recursively) or one WARC
file. Per spider and URL the last archived 2xx response is used (a Daily8 page
fetched plain and then in Chromium: the rendered one); URLs archived only with an
error status are left out and counted, as their pages never reached a parser.
Those responses become a replay snapshot in a temporary directory and each spider
runs over its own URLs (``-a urls=...``) with ``NEWSCRAWL_REPLAY`` pointing at it: the
same spider callbacks, parsers and item pipelines (validation with
``data/rejected/``, in-run dedupe, linking, layer stats) and monitors, so the output
is the same contract as a crawl's. Nothing touches the network; rendering is off
(archived pages are served as they were kept); the seen-store is off (every archived
article is exported) and nothing is archived again.

Output: ``-o FILE`` gets every spider's items (JSON lines); without it each spider
writes its usual ``<NEWSCRAWL_DATA_DIR>/<spider>/<timestamp>.jsonl``. A line per
spider goes to stderr. Exit status 1 if a page no longer yields a valid article
(invalid or parser error) or a spider did not finish; 2 if the archive holds nothing.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from collections.abc import Collection, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from newscrawl.sources import SOURCES

if TYPE_CHECKING:
    from newscrawl.storage.archive import ArchivedResponse

EMPTY = 2


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "reparse",
        help="re-run today's parsers over a WARC archive (NEWSCRAWL_ARCHIVE), offline",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("archive", type=Path, help="NEWSCRAWL_ARCHIVE directory, or one .warc/.warc.gz file")
    parser.add_argument(
        "-o", "--output", type=Path, help="write every spider's items to this JSON-lines file"
    )
    parser.add_argument(
        "--spider", action="append", choices=sorted(SOURCES), help="only these spiders' pages (repeatable)"
    )
    parser.add_argument(
        "--log-level", default="ERROR", help="Scrapy log level (default ERROR: a summary follows)"
    )
    parser.set_defaults(func=main)


def build_snapshot(
    responses: Iterable[ArchivedResponse], root: Path, spiders: Collection[str] | None = None
) -> tuple[dict[str, list[str]], int]:
    """Write a replay snapshot (``manifest.jsonl`` + bodies) of the last 2xx response per
    spider and URL, one body on disk at a time (an archive may be larger than memory).

    Returns ``{spider: [url, ...]}`` in archive order, and how many archived URLs never
    had a 2xx answer (error pages: the parsers never saw them either).
    """
    from newscrawl.parsers import parser_for

    (root / "bodies").mkdir(parents=True)
    entries: dict[tuple[str, str], dict[str, Any]] = {}
    errors: set[str] = set()
    for number, response in enumerate(responses):
        if not 200 <= response.status < 300:
            errors.add(response.url)
            continue
        parser = parser_for(response.url)
        spider = response.spider or (parser.source if parser else None)
        if spider is None or (spiders and spider not in spiders):
            continue
        body = f"bodies/{number}.bin"
        (root / body).write_bytes(response.body)
        if old := entries.pop((spider, response.url), None):  # a later answer replaces it
            (root / old["body"]).unlink()
        headers: dict[str, str] = {}
        for name, value in response.headers:
            if name.lower() != "set-cookie":
                headers[name] = f"{headers[name]}, {value}" if name in headers else value
        entries[spider, response.url] = {
            "url": response.url,
            "status": response.status,
            "headers": headers,
            "body": body,
        }
    with (root / "manifest.jsonl").open("w", encoding="utf-8") as manifest:
        for entry in entries.values():
            manifest.write(json.dumps(entry, ensure_ascii=False) + "\n")
    pages: dict[str, list[str]] = {}
    for spider, url in entries:
        pages.setdefault(spider, []).append(url)
    return pages, len(errors - {url for _, url in entries})


def main(args: argparse.Namespace) -> int:
    from newscrawl.cli import runner
    from newscrawl.storage.archive import archive_files, read_archive

    if not args.archive.exists():
        print(f"newscrawl reparse: no such archive: {args.archive}", file=sys.stderr)
        return EMPTY
    with tempfile.TemporaryDirectory(prefix="newscrawl-reparse-") as tmp:
        snapshot = Path(tmp) / "snapshot"
        pages, not_ok = build_snapshot(read_archive(args.archive), snapshot, args.spider)
        if not pages:
            files = len(archive_files(args.archive))
            print(f"newscrawl reparse: no archived article responses in {args.archive} ({files} WARC files)",
                  file=sys.stderr)  # fmt: skip
            return EMPTY
        overrides: dict[str, Any] = {
            "NEWSCRAWL_REPLAY": str(snapshot),
            "NEWSCRAWL_RENDER": False,
            "NEWSCRAWL_STATE": "off",
            "NEWSCRAWL_ARCHIVE": None,
            "LOG_LEVEL": args.log_level,
        }
        if args.output:
            feed = {"format": "jsonlines", "encoding": "utf-8", "overwrite": True}
            overrides["FEEDS"] = {str(Path(tmp) / "out" / "%(name)s.jsonl"): feed}
        jobs = [(name, {"urls": urls}) for name, urls in sorted(pages.items())]
        settings = runner.project_settings(**overrides)
        data_dir = Path(settings.get("NEWSCRAWL_DATA_DIR") or "data")
        outcomes = runner.run(settings, jobs)
        if args.output:
            args.output.parent.mkdir(parents=True, exist_ok=True)
            with args.output.open("wb") as out:
                for name, _ in jobs:
                    part = Path(tmp) / "out" / f"{name}.jsonl"
                    if part.exists():
                        with part.open("rb") as src:
                            shutil.copyfileobj(src, out)
    status = 0
    for outcome in outcomes:
        archived = len(pages[outcome.spider])
        invalid = sum(outcome.counts("invalid/").values())
        errors = outcome.stat("newscrawl/parse_error")
        skipped = outcome.counts("skipped/")
        failed = outcome.counts("failed/")
        finished = outcome.stats.get("finish_reason") == "finished"
        line = f"{outcome.spider}: {archived} archived pages -> {len(outcome.items)} articles"
        details = [f"invalid {k}={v}" for k, v in outcome.counts("invalid/").items()]
        details += [f"{errors} parser errors" if errors else ""]
        details += [f"skipped {k}={v}" for k, v in skipped.items()]
        details += [f"failed {k}={v}" for k, v in failed.items()]
        if not finished:
            details.append(f"finish reason {outcome.stats.get('finish_reason')}")
        if detail := ", ".join(d for d in details if d):
            line += f" ({detail})"
        if invalid:
            line += f"; rejected items with their errors: {data_dir / 'rejected' / outcome.spider}/"
        print(line, file=sys.stderr)
        if invalid or errors or not finished:
            status = 1
    if not_ok:
        print(f"not re-parsed: {not_ok} archived URLs never answered 2xx (errors the parsers never saw)",
              file=sys.stderr)  # fmt: skip
    if args.output:
        print(f"items: {args.output}", file=sys.stderr)
    return status
