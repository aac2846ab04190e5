"""Start-up checks: a crawl that cannot write or read what it needs fails before it starts.

``StartupCheck`` (extension, built before every other one) checks, before any request:

- every local ``FEEDS`` target (``-o``/``-O``, the automatic ``<data dir>/<spider>/...``):
  its directory can be created and written, and the target is not a directory;
  a file or directory without any write bit (``chmod a-w``) counts as unwritable even
  for root, whom the OS would let write there;
- ``NEWSCRAWL_DATA_DIR`` can be created and written (rejects, reports, state);
- the seen-store (``NEWSCRAWL_STATE``, unless ``off``) opens, reads and takes a write
  lock (SQLite: not a directory, not corrupt, not read-only) or answers ``PING`` (Redis:
  a malformed URL, an unreachable server, a wrong password);
- ``REDIS_URL`` (distributed mode) is a valid URL of a server that answers;
- ``NEWSCRAWL_REPLAY`` names a snapshot whose manifest parses (``newscrawl.downloader.replay.Snapshot``).

A failure raises ``StartupError``, which ends as one ERROR line saying what and where
(credentials redacted), and Scrapy's bootstrap failure makes ``scrapy crawl`` exit 1. Spider
argument errors (``newscrawl.spiders.base.SpiderArgs``) are ``StartupError`` too.
Scrapy lets the exception reach asyncio, which logs it with a traceback ("Task
exception was never retrieved"); the ``asyncio`` logger filter installed on import
turns that record, for a ``StartupError`` only, into the line
``[newscrawl.operations.startup] ERROR: Cannot start: <why>``.
"""

from __future__ import annotations

import logging
import re
import sqlite3
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any, Self
from urllib.parse import unquote, urlsplit

from newscrawl.operations.redact import install, redact

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)

_PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")


class StartupError(ValueError):
    """The crawl cannot start; the message is the one line that says why."""

    def __init__(self, message: str) -> None:
        super().__init__(redact(message))


class _StartupErrorLine(logging.Filter):
    """asyncio's "Task exception was never retrieved" + traceback for a StartupError
    becomes the one line ``[newscrawl.operations.startup] ERROR: Cannot start: <why>``."""

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        if isinstance(error, StartupError):
            record.name, record.msg, record.args = __name__, "Cannot start: %s", (str(error),)
            record.exc_info, record.exc_text, record.stack_info = None, None, None
        return True


logging.getLogger("asyncio").addFilter(_StartupErrorLine())
install()  # every spider imports this module: logs are redacted before Scrapy's first line


def read_only(path: Path) -> bool:
    """No write bit at all in ``path``'s mode (``chmod a-w``). The OS lets root write there
    anyway; the crawler does not, so a read-only output fails the same for every user."""
    try:
        return not path.stat().st_mode & 0o222
    except OSError:
        return False


def _writable_dir(directory: Path, what: str) -> None:
    """Create ``directory`` (and parents) and write a temporary file in it, or StartupError."""
    existing = next((p for p in (directory, *directory.parents) if p.exists()), None)
    if existing is not None and not existing.is_dir():
        raise StartupError(f"{what}: cannot write to {directory}: {existing} is not a directory")
    if existing is not None and read_only(existing):
        raise StartupError(f"{what}: cannot write to {directory}: {existing} is read-only")
    try:
        directory.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=directory):
            pass
    except OSError as exc:
        raise StartupError(f"{what}: cannot write to {directory}: {exc.strerror or exc}") from None


def feed_path(uri: str, spider: str) -> Path | None:
    """The local file a FEEDS URI writes (placeholders filled in), or None (stdout, remote)."""
    parts = urlsplit(uri)
    if uri in ("-", "stdout:") or parts.scheme == "stdout":
        return None
    if parts.scheme == "file":
        uri = unquote(parts.path)
    elif parts.scheme and len(parts.scheme) > 1:  # s3://, ftp://, ... (c:\\ is a path)
        return None
    return Path(_PLACEHOLDER.sub(lambda m: spider if m[1] == "name" else "startup-check", uri))


def check_feed(path: Path) -> None:
    if path.is_dir():
        raise StartupError(f"output {path} is a directory, not a file")
    _writable_dir(path.parent, f"output {path}")
    if path.exists():
        if read_only(path):
            raise StartupError(f"output {path}: cannot write: the file is read-only")
        try:
            with path.open("ab"):
                pass
        except OSError as exc:
            raise StartupError(f"output {path}: cannot write: {exc.strerror or exc}") from None


def check_store(state: str | None, data_dir: str) -> None:
    from newscrawl.storage.seen import (
        REDIS_SCHEMES,
        RedisSeenStore,
        SqliteSeenStore,
        default_path,
        open_store,
    )

    where = redact(state or f"{data_dir}/state/seen.sqlite3")
    value = (state or "").strip()
    if value and (value.lower() in ("off", "none", "false", "0") or value.startswith(REDIS_SCHEMES)):
        sqlite_path = None
    else:
        sqlite_path = Path(value.removeprefix("sqlite:///")) if value else default_path(data_dir)
    if sqlite_path is not None and not sqlite_path.is_dir():  # a directory: sqlite says so below
        # SQLite writes the file and, in WAL mode, -wal/-shm files beside it
        for target in (sqlite_path, sqlite_path.parent):
            if target.exists() and read_only(target):
                raise StartupError(f"seen-store {where} (NEWSCRAWL_STATE) unusable: {target} is read-only")
    try:
        store = open_store(state, data_dir)
        if store is None:
            return
        try:
            store.get("newscrawl:startup-check")
            if isinstance(store, SqliteSeenStore):
                store.db.execute("BEGIN IMMEDIATE")  # the write lock: read-only files fail here
                store.db.execute("ROLLBACK")
            elif isinstance(store, RedisSeenStore):
                store.redis.ping()
        finally:
            store.close()
    except (OSError, sqlite3.Error, ValueError) as exc:
        raise StartupError(f"seen-store {where} (NEWSCRAWL_STATE) unusable: {exc}") from None
    except Exception as exc:  # redis.exceptions.RedisError: redis is imported lazily
        if type(exc).__module__.startswith("redis"):
            raise StartupError(f"seen-store {where} (NEWSCRAWL_STATE) unusable: {exc}") from None
        raise


def check_redis(url: str) -> None:
    import redis

    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=10, socket_timeout=10)
        try:
            client.ping()
        finally:
            client.close()
    except (ValueError, redis.RedisError) as exc:
        raise StartupError(f"REDIS_URL {redact(url)} unusable: {exc}") from None


def check_replay(root: str) -> None:
    from newscrawl.downloader.replay import ReplayError, Snapshot

    try:
        Snapshot(root)
    except (ReplayError, OSError, ValueError) as exc:
        raise StartupError(f"NEWSCRAWL_REPLAY {root}: {exc}") from None


class StartupCheck:
    """Extension: run the checks above when the crawler is built (see module docstring)."""

    def __init__(self, crawler: Crawler) -> None:
        settings = crawler.settings
        spider = crawler.spider.name if crawler.spider else crawler.spidercls.name
        if root := settings.get("NEWSCRAWL_REPLAY"):
            check_replay(str(root))
        data_dir = str(settings.get("NEWSCRAWL_DATA_DIR") or "data")
        _writable_dir(Path(data_dir), f"NEWSCRAWL_DATA_DIR {data_dir}")
        feeds: dict[str, Any] = settings.getdict("FEEDS")
        for uri in feeds:
            if (path := feed_path(str(uri), spider)) is not None:
                check_feed(path)
        if url := settings.get("REDIS_URL"):
            check_redis(str(url))
        check_store(settings.get("NEWSCRAWL_STATE"), data_dir)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler)
