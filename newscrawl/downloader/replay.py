"""Replay: serve a recorded snapshot instead of the network.

``NEWSCRAWL_REPLAY=<dir>`` (setting or environment variable) makes
``ReplayDownloadHandler`` answer every http(s) request from
``<dir>/manifest.jsonl``. One JSON object per line; only ``url`` is required::

    {"url": "https://www.arabnews.com/node/1/x", "status": 200,
     "headers": {"Content-Type": "text/html; charset=utf-8"},
     "body": "relative/file.html", "delay_ms": 0,
     "fail_first": 0, "fail_status": 503, "fault": null}

- ``body``: path relative to the manifest that lists it (absent: empty body);
  a path that leaves the snapshot directory is refused.
- ``browser_body``: what a browser (scrapy-playwright request) gets instead of
  ``body``; lets a snapshot model pages that differ once JavaScript runs.
- ``delay_ms``: the answer is delayed by that many milliseconds.
- ``fail_first: N``: the first N requests for that URL get ``fail_status``
  (with ``fail_headers``, e.g. ``{"Retry-After": "1"}``; default none).
- ``fault``: ``"timeout"`` or ``"connection_lost"`` raise the exceptions Scrapy's
  own HTTP handler raises (``DownloadTimeoutError``, ``DownloadFailedError``).
- ``{"include": "sub/manifest.jsonl"}``: read another manifest (bodies relative
  to it); lets each source keep its own snapshot.

A body larger than ``DOWNLOAD_MAXSIZE`` (or ``meta["download_maxsize"]``) is
refused with ``DownloadCancelledError`` after a warning, as Scrapy's own HTTP
handler does; ``DOWNLOAD_WARNSIZE`` warns likewise.

URLs match exactly, else after ``w3lib.url.canonicalize_url`` on both sides. An
unlisted URL gets a 404 with an empty body. Nothing here touches the network.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scrapy.core.downloader.handlers.base import BaseDownloadHandler
from scrapy.exceptions import (
    DownloadCancelledError,
    DownloadFailedError,
    DownloadTimeoutError,
    NotConfigured,
)
from scrapy.http import Headers
from scrapy.responsetypes import responsetypes
from w3lib.url import canonicalize_url

if TYPE_CHECKING:
    from scrapy import Request
    from scrapy.crawler import Crawler
    from scrapy.http import Response

logger = logging.getLogger(__name__)

FAULTS = ("timeout", "connection_lost")


class ReplayError(ValueError):
    """The snapshot is malformed: the message names the file and line."""


@dataclass(frozen=True)
class Entry:
    """One recorded answer."""

    url: str
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: Path | None = None
    browser_body: Path | None = None
    delay_ms: int = 0
    fail_first: int = 0
    fail_status: int = 503
    fail_headers: dict[str, str] = field(default_factory=dict)
    fault: str | None = None

    def read(self, *, browser: bool = False) -> bytes:
        path = self.browser_body if browser and self.browser_body else self.body
        return path.read_bytes() if path else b""


class Snapshot:
    """The parsed manifest(s) of a snapshot directory, indexed by URL."""

    def __init__(self, root: Path | str) -> None:
        self.root = Path(root).resolve()
        manifest = self.root / "manifest.jsonl"
        if not manifest.is_file():
            raise ReplayError(f"replay snapshot has no manifest: {manifest}")
        self.entries: dict[str, Entry] = {}
        self._canonical: dict[str, Entry] = {}
        self._load(manifest, seen=set())

    def _inside(self, path: Path, where: str) -> Path:
        resolved = path.resolve()
        if not resolved.is_relative_to(self.root):
            raise ReplayError(f"{where}: path leaves the snapshot directory: {path}")
        return resolved

    def _load(self, manifest: Path, seen: set[Path]) -> None:
        if manifest in seen:
            raise ReplayError(f"{manifest}: include cycle")
        seen.add(manifest)
        for number, line in enumerate(manifest.read_text("utf-8").splitlines(), 1):
            where = f"{manifest}:{number}"
            if not line.strip():
                continue
            try:
                raw = json.loads(line)
            except json.JSONDecodeError as exc:
                raise ReplayError(f"{where}: invalid JSON: {exc}") from exc
            if not isinstance(raw, dict):
                raise ReplayError(f"{where}: expected a JSON object")
            if "include" in raw:
                self._load(self._inside(manifest.parent / raw["include"], where), seen)
                continue
            self._add(self._entry(raw, manifest.parent, where))

    def _entry(self, raw: dict[str, Any], base: Path, where: str) -> Entry:
        if not isinstance(raw.get("url"), str):
            raise ReplayError(f"{where}: `url` is required")
        if raw.get("fault") not in (None, *FAULTS):
            raise ReplayError(f"{where}: unknown fault {raw['fault']!r}; use one of {FAULTS}")
        paths = {}
        for key in ("body", "browser_body"):
            if raw.get(key):
                paths[key] = self._inside(base / raw[key], where)
                if not paths[key].is_file():
                    raise ReplayError(f"{where}: {key} file not found: {raw[key]}")
        return Entry(
            url=raw["url"],
            status=int(raw.get("status", 200)),
            headers={str(k): str(v) for k, v in (raw.get("headers") or {}).items()},
            delay_ms=int(raw.get("delay_ms", 0)),
            fail_first=int(raw.get("fail_first", 0)),
            fail_status=int(raw.get("fail_status", 503)),
            fail_headers={str(k): str(v) for k, v in (raw.get("fail_headers") or {}).items()},
            fault=raw.get("fault"),
            **paths,
        )

    def _add(self, entry: Entry) -> None:
        self.entries[entry.url] = entry
        self._canonical[canonicalize_url(entry.url)] = entry

    def lookup(self, url: str) -> Entry | None:
        return self.entries.get(url) or self._canonical.get(canonicalize_url(url))


class ReplayDownloadHandler(BaseDownloadHandler):
    """Download handler answering from a ``Snapshot``; see the module docstring."""

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        root = crawler.settings.get("NEWSCRAWL_REPLAY")
        if not root:
            raise NotConfigured("NEWSCRAWL_REPLAY is not set")
        self.snapshot = Snapshot(root)
        self.hits: Counter[str] = Counter()
        logger.info("Replay: serving %d recorded URLs from %s", len(self.snapshot.entries), root)

    def answer(self, url: str, *, browser: bool = False) -> tuple[int, dict[str, str], bytes]:
        """Status, headers and body for ``url``; raises for faults. Counts the hit."""
        stats = self.crawler.stats
        entry = self.snapshot.lookup(url)
        if entry is None:
            if stats:
                stats.inc_value("newscrawl/replay/unlisted")
            return 404, {}, b""
        self.hits[entry.url] += 1
        if entry.fault == "timeout":
            raise DownloadTimeoutError(f"Getting {url} took longer than the timeout (replayed)")
        if entry.fault == "connection_lost":
            raise DownloadFailedError(f"Connection to {url} was lost (replayed)")
        if self.hits[entry.url] <= entry.fail_first:
            return entry.fail_status, entry.fail_headers, b""
        return entry.status, entry.headers, entry.read(browser=browser)

    async def download_request(self, request: Request) -> Response:
        entry = self.snapshot.lookup(request.url)
        if entry and entry.delay_ms:
            await asyncio.sleep(entry.delay_ms / 1000)
        status, headers, body = self.answer(request.url)
        self._check_size(request, len(body))
        respcls = responsetypes.from_args(headers=Headers(headers), url=request.url, body=body)
        return respcls(
            url=request.url,
            status=status,
            headers=Headers(headers),
            body=body,
            request=request,
        )

    def _check_size(self, request: Request, size: int) -> None:
        """Honour DOWNLOAD_MAXSIZE/DOWNLOAD_WARNSIZE like Scrapy's HTTP handlers."""
        settings = self.crawler.settings
        maxsize = int(request.meta.get("download_maxsize", settings.getint("DOWNLOAD_MAXSIZE")))
        warnsize = int(request.meta.get("download_warnsize", settings.getint("DOWNLOAD_WARNSIZE")))
        if maxsize and size > maxsize:
            message = (
                f"Received {size} bytes which is larger than download max size ({maxsize})"
                f" in request {request}."
            )
            logger.warning(message)
            raise DownloadCancelledError(message)
        if warnsize and size > warnsize:
            logger.warning(
                "Received %d bytes which is larger than download warn size (%d) in request %s.",
                size, warnsize, request,
            )  # fmt: skip
