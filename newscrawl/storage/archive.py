"""Raw-page archive: every fetched article response, kept in WARC files (warcio).

``NEWSCRAWL_ARCHIVE=<dir>`` (setting or environment variable) turns on
``WarcArchive``: each crawl writes ``<dir>/<spider>-<UTC time>-<host>-<pid>.warc.gz``
(WARC/1.1, one gzip member per record, flushed after each: a killed crawl leaves a
readable file). The file opens with a ``warcinfo`` record (software, spider); then,
per article response (``meta["newscrawl"]["kind"] == "article"``: not feeds,
sitemaps, listings or robots.txt), a ``response`` record and its ``request`` record.

The response record holds the status line, the headers and the body as the spider
got them, i.e. after Scrapy's downloader middlewares: the body is already decoded
(gzip/br), so ``Content-Encoding`` is gone and ``Content-Length`` is the stored
length; a page rendered in Chromium is the rendered DOM. ``WARC-JSON-Metadata``
says ``{"spider": ..., "rendered": ...}``. Redirects are followed before the
response is kept (the record's URL is the final one); any status is kept.

Stats: ``newscrawl/archive/records``, ``newscrawl/archive/bytes`` (bodies). A
record that cannot be written is logged and counted (``newscrawl/archive/errors``),
never a crash. ``read_archive(path)`` yields what ``newscrawl reparse`` re-parses.
"""

from __future__ import annotations

import json
import logging
import os
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from http import HTTPStatus
from io import BytesIO
from pathlib import Path
from typing import IO, Any, Self
from urllib.parse import urlsplit

from scrapy import Request, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.http import Headers, Response
from warcio.archiveiterator import ArchiveIterator
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from newscrawl import __version__
from newscrawl.stats import inc

logger = logging.getLogger(__name__)

METADATA = "WARC-JSON-Metadata"  # the field Browsertrix uses for per-record JSON
DROPPED_HEADERS = {"content-length", "transfer-encoding"}  # restated from the stored body


@dataclass(frozen=True)
class ArchivedResponse:
    url: str
    status: int
    headers: list[tuple[str, str]]
    body: bytes
    date: str
    spider: str | None
    rendered: bool
    file: Path


def _pairs(headers: Headers) -> list[tuple[str, str]]:
    return [
        (key.decode("latin-1"), value.decode("latin-1"))
        for key, values in headers.items()
        for value in values
        if key.decode("latin-1").lower() not in DROPPED_HEADERS
    ]


def _status_line(status: int) -> str:
    try:
        return f"{status} {HTTPStatus(status).phrase}"
    except ValueError:
        return f"{status} Unknown"


class WarcArchive:
    """Extension: write every article response to this crawl's WARC file."""

    def __init__(self, crawler: Crawler, directory: Path) -> None:
        self.crawler = crawler
        self.directory = directory
        self.path: Path | None = None
        self._file: IO[bytes] | None = None
        self._writer: WARCWriter | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        directory = crawler.settings.get("NEWSCRAWL_ARCHIVE")
        if not directory:
            raise NotConfigured  # no message: Scrapy would log a warning on every crawl
        archive = cls(crawler, Path(directory))
        crawler.signals.connect(archive.response_received, signal=signals.response_received)
        crawler.signals.connect(archive.spider_closed, signal=signals.spider_closed)
        return archive

    @property
    def spider_name(self) -> str:
        return self.crawler.spider.name if self.crawler.spider else "unknown"

    def _open(self) -> WARCWriter:
        if self._writer is None:
            stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
            self.directory.mkdir(parents=True, exist_ok=True)
            name = f"{self.spider_name}-{stamp}-{socket.gethostname()}-{os.getpid()}.warc.gz"
            self.path = self.directory / name
            self._file = self.path.open("ab")
            self._writer = WARCWriter(self._file, gzip=True, warc_version="1.1")
            info = {
                "software": f"newscrawl/{__version__} (Scrapy; warcio)",
                "format": "WARC File Format 1.1",
                "spider": self.spider_name,
                "description": "article responses as the spider got them (bodies decoded)",
            }
            self._writer.write_record(self._writer.create_warcinfo_record(name, info))
            logger.info("Archiving article responses to %s", self.path)
        return self._writer

    def response_received(self, response: Response, request: Request) -> None:
        if (request.meta.get("newscrawl") or {}).get("kind") != "article":
            return
        try:
            self._write(response, request)
        except OSError as exc:  # a full disk must not stop the crawl: counted and logged
            inc(self.crawler, "archive/errors")
            logger.error("Could not archive %s: %r", response.url, exc)

    def _write(self, response: Response, request: Request) -> None:
        writer = self._open()
        body = response.body
        rendered = "playwright" in response.flags
        http = StatusAndHeaders(
            _status_line(response.status),
            [*_pairs(response.headers), ("Content-Length", str(len(body)))],
            protocol="HTTP/1.1",
        )
        metadata = json.dumps({"spider": self.spider_name, "rendered": rendered})
        record = writer.create_warc_record(
            response.url,
            "response",
            payload=BytesIO(body),
            length=len(body),
            http_headers=http,
            warc_headers_dict={METADATA: metadata},
        )
        split = urlsplit(request.url)
        target = (split.path or "/") + (f"?{split.query}" if split.query else "")
        sent = StatusAndHeaders(
            f"{request.method} {target} HTTP/1.1",
            [("Host", split.netloc), *_pairs(request.headers)],
            protocol="HTTP/1.1",
            is_http_request=True,
        )
        req = writer.create_warc_record(
            response.url,
            "request",
            payload=BytesIO(request.body),
            length=len(request.body),
            http_headers=sent,
        )
        writer.write_request_response_pair(req, record)
        assert self._file is not None
        self._file.flush()
        inc(self.crawler, "archive/records")
        inc(self.crawler, "archive/bytes", len(body))

    def spider_closed(self) -> None:
        if self._file is not None:
            self._file.close()
            stats = self.crawler.stats
            records = stats.get_value("newscrawl/archive/records", 0) if stats else "?"
            logger.info("Archived %s article responses in %s", records, self.path)


def archive_files(path: Path) -> list[Path]:
    """The WARC files at ``path`` (a file, or a directory searched recursively), oldest name first."""
    if path.is_file():
        return [path]
    return sorted(p for p in path.rglob("*") if p.is_file() and p.name.endswith((".warc", ".warc.gz")))


def read_archive(path: Path | str) -> Iterator[ArchivedResponse]:
    """Every ``response`` record under ``path``, in file then record order."""
    for file in archive_files(Path(path)):
        spider: str | None = None
        with file.open("rb") as stream:
            for record in ArchiveIterator(stream):
                if record.rec_type == "warcinfo":
                    info = _warcinfo(record.content_stream().read())
                    spider = info.get("spider") or spider
                    continue
                if record.rec_type != "response" or record.http_headers is None:
                    continue
                metadata: dict[str, Any] = {}
                if raw := record.rec_headers.get_header(METADATA):
                    try:
                        metadata = json.loads(raw)
                    except json.JSONDecodeError:
                        logger.warning("%s: unreadable %s on %s", file, METADATA, raw[:80])
                yield ArchivedResponse(
                    url=record.rec_headers.get_header("WARC-Target-URI"),
                    status=int(record.http_headers.get_statuscode() or 0),
                    headers=list(record.http_headers.headers),
                    body=record.content_stream().read(),
                    date=record.rec_headers.get_header("WARC-Date") or "",
                    spider=metadata.get("spider") or spider,
                    rendered=bool(metadata.get("rendered")),
                    file=file,
                )


def _warcinfo(block: bytes) -> dict[str, str]:
    fields = {}
    for line in block.decode("utf-8", "replace").splitlines():
        name, sep, value = line.partition(":")
        if sep:
            fields[name.strip()] = value.strip()
    return fields
