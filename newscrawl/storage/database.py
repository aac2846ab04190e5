"""Articles into a database: ``NEWSCRAWL_DB_URL`` adds an upsert-by-``id`` export.

``DatabasePipeline`` (in ``ITEM_PIPELINES``, off while ``NEWSCRAWL_DB_URL`` is unset)
writes every exported article to the table ``articles``, one row per ``id``: a new
article is inserted, an article seen again with changes (the seen-store lets updates
through, docs/incremental.md) replaces its row, every column. Rows are written in
batches of ``NEWSCRAWL_DB_BATCH`` (and at the end of the crawl), each batch one
transaction.

``NEWSCRAWL_DB_URL``:

- ``postgresql://user:password@host:5432/dbname`` (or ``postgres://``; libpq parameters
  such as ``?sslmode=require`` pass through): PostgreSQL through psycopg 3, imported
  only then. Columns: text; ``boolean``; ``jsonb`` for lists and objects (``authors``,
  ``tags``, ``extraction``, ``related``); ``timestamptz`` for ``published_at``,
  ``modified_at``, ``crawled_at`` (the instant: the offset the page gave stays in the
  JSON-lines output); ``stored_at`` is when the row was last written.
- ``sqlite:///relative/path.sqlite3``, ``sqlite:////absolute/path.sqlite3`` or a plain
  path: the embedded database (standard library ``sqlite3``, no server). Same table
  and columns; JSON as text, timestamps as UTC ISO 8601 text, booleans 0/1.

The columns follow ``newscrawl.items.Article``: a field added there becomes a column
(``ALTER TABLE ... ADD COLUMN`` when the table already exists).

The database is opened when the crawl is built: a URL it cannot use (unreachable
server, wrong password, unknown scheme, unwritable SQLite file) stops the crawl
before any request with one line, ``Cannot start: NEWSCRAWL_DB_URL ...`` (password
masked), and ``scrapy crawl`` exits 1 (``newscrawl.operations.startup.StartupError``). A batch that
fails later (the server went away) is logged with its size, counted in
``newscrawl/db/failed`` and dropped from the database only: the articles are still in
the JSON-lines output, and the next batch reconnects. ``newscrawl/db/written`` counts
rows written. The writes run in the crawl's thread; a batch of 100 takes a few
milliseconds on a local server.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import types
import typing
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol, Self

from itemadapter import ItemAdapter
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured

from newscrawl.items import Article
from newscrawl.operations.redact import redact
from newscrawl.operations.startup import StartupError
from newscrawl.stats import inc

logger = logging.getLogger(__name__)

TABLE = "articles"
POSTGRES_SCHEMES = ("postgresql://", "postgres://")
SQLITE_SCHEME = "sqlite:///"


def _kind(name: str, annotation: Any) -> str:
    """``text``, ``boolean``, ``integer``, ``json`` or ``timestamp`` for one Article field."""
    args = [a for a in typing.get_args(annotation) if a is not type(None)]
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType) and len(args) == 1:
        annotation, origin = args[0], typing.get_origin(args[0])
    if annotation is bool:
        return "boolean"
    if annotation is int:
        return "integer"
    if origin in (list, dict, tuple) or annotation in (list, dict, tuple):
        return "json"
    if name.endswith("_at"):
        return "timestamp"
    return "text"


def columns() -> list[tuple[str, str, bool]]:
    """``(name, kind, required)`` per Article field, in the contract's order."""
    out = []
    for name, info in Article.model_fields.items():
        optional = type(None) in typing.get_args(info.annotation)
        out.append((name, _kind(name, info.annotation), not optional))
    return out


PG_TYPES = {
    "text": "text",
    "boolean": "boolean",
    "integer": "integer",
    "json": "jsonb",
    "timestamp": "timestamptz",
}
SQLITE_TYPES = {
    "text": "TEXT",
    "boolean": "INTEGER",
    "integer": "INTEGER",
    "json": "TEXT",
    "timestamp": "TEXT",
}


def create_table_sql(types_: dict[str, str], now: str) -> str:
    cols = [
        f"{name} {types_[kind]}" + (" PRIMARY KEY" if name == "id" else " NOT NULL" if required else "")
        for name, kind, required in columns()
    ]
    cols.append(f"stored_at {types_['timestamp']} NOT NULL DEFAULT {now}")
    return f"CREATE TABLE IF NOT EXISTS {TABLE} (\n  " + ",\n  ".join(cols) + "\n)"


def upsert_sql(placeholder: str, now: str) -> str:
    names = [name for name, _, _ in columns()]
    updates = ", ".join(f"{n} = excluded.{n}" for n in names if n != "id")
    values = ", ".join(placeholder for _ in names)
    return (
        f"INSERT INTO {TABLE} ({', '.join(names)}, stored_at) VALUES ({values}, {now})"
        f" ON CONFLICT (id) DO UPDATE SET {updates}, stored_at = excluded.stored_at"
    )


def _line(exc: BaseException) -> str:
    """The driver's message on one line (libpq's span several)."""
    return " ".join(str(exc).split()) or type(exc).__name__


def _timestamp(value: Any) -> datetime | None:
    if value in (None, ""):
        return None
    parsed = datetime.fromisoformat(str(value))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


class Backend(Protocol):
    where: str

    def write(self, rows: Sequence[dict[str, Any]]) -> None: ...

    def close(self) -> None: ...


class PostgresBackend:
    """PostgreSQL through psycopg 3 (imported here, only when a postgresql:// URL is used)."""

    def __init__(self, url: str, connect_timeout: int = 10) -> None:
        try:
            import psycopg
            from psycopg.types.json import Jsonb
        except ImportError as exc:
            raise StartupError(f"NEWSCRAWL_DB_URL {redact(url)}: psycopg is not installed ({exc})") from None
        self.url, self.where = url, redact(url)
        self.psycopg, self.jsonb = psycopg, Jsonb
        self.connect_timeout = connect_timeout
        self.conn: Any = None
        try:
            self.connect()
        except psycopg.Error as exc:
            raise StartupError(
                f"NEWSCRAWL_DB_URL {self.where}: cannot use the database: {_line(exc)}"
            ) from None

    def connect(self) -> None:
        self.conn = self.psycopg.connect(self.url, connect_timeout=self.connect_timeout, autocommit=True)
        with self.conn.transaction():
            self.conn.execute(create_table_sql(PG_TYPES, "now()"))
            for name, kind, _ in columns():
                self.conn.execute(f"ALTER TABLE {TABLE} ADD COLUMN IF NOT EXISTS {name} {PG_TYPES[kind]}")

    def _value(self, kind: str, value: Any) -> Any:
        if kind == "json":
            return self.jsonb(value if value is not None else [])
        if kind == "timestamp":
            return _timestamp(value)
        return value

    def write(self, rows: Sequence[dict[str, Any]]) -> None:
        if self.conn is None or self.conn.closed:
            self.connect()
        cols = columns()
        params = [[self._value(kind, row.get(name)) for name, kind, _ in cols] for row in rows]
        with self.conn.transaction(), self.conn.cursor() as cur:
            cur.executemany(upsert_sql("%s", "now()"), params)

    def close(self) -> None:
        if self.conn is not None and not self.conn.closed:
            self.conn.close()


class SqliteBackend:
    """The embedded database: one SQLite file (``sqlite3`` from the standard library)."""

    def __init__(self, path: Path) -> None:
        self.where = str(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        self.conn = sqlite3.connect(path, timeout=30, isolation_level=None)
        self.conn.execute(create_table_sql(SQLITE_TYPES, "CURRENT_TIMESTAMP"))
        have = {row[1] for row in self.conn.execute(f"PRAGMA table_info({TABLE})")}
        for name, kind, _ in columns():
            if name not in have:
                self.conn.execute(f"ALTER TABLE {TABLE} ADD COLUMN {name} {SQLITE_TYPES[kind]}")
        self.conn.execute("BEGIN IMMEDIATE")  # the write lock: a read-only file fails here, at start
        self.conn.execute("ROLLBACK")

    @staticmethod
    def _value(kind: str, value: Any) -> Any:
        if kind == "json":
            return json.dumps(value if value is not None else [], ensure_ascii=False)
        if kind == "timestamp":
            stamp = _timestamp(value)
            return stamp.astimezone(UTC).isoformat() if stamp else None
        if kind == "boolean":
            return None if value is None else int(bool(value))
        return value

    def write(self, rows: Sequence[dict[str, Any]]) -> None:
        cols = columns()
        params = [[self._value(kind, row.get(name)) for name, kind, _ in cols] for row in rows]
        now = datetime.now(UTC).isoformat(timespec="seconds")
        with self.conn:  # one transaction
            self.conn.execute("BEGIN")
            self.conn.executemany(upsert_sql("?", "?"), [[*p, now] for p in params])

    def close(self) -> None:
        self.conn.close()


def open_backend(url: str) -> Backend:
    """The backend ``url`` names; ``StartupError`` (one line) when it cannot be used."""
    value = url.strip()
    if value.startswith(POSTGRES_SCHEMES):
        return PostgresBackend(value)
    if "://" in value and not value.startswith(SQLITE_SCHEME):
        raise StartupError(
            f"NEWSCRAWL_DB_URL {redact(value)}: unsupported scheme (postgresql://, sqlite:/// or a path)"
        )
    try:
        return SqliteBackend(Path(value.removeprefix(SQLITE_SCHEME)))
    except (sqlite3.Error, OSError) as exc:
        raise StartupError(
            f"NEWSCRAWL_DB_URL {redact(value)}: cannot use the database: {_line(exc)}"
        ) from None


class DatabasePipeline:
    """Upsert each article by ``id`` into ``NEWSCRAWL_DB_URL`` (module docstring)."""

    def __init__(self, crawler: Crawler, backend: Backend, batch: int) -> None:
        self.crawler = crawler
        self.backend = backend
        self.batch = max(1, batch)
        self.pending: dict[str, dict[str, Any]] = {}

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        url = crawler.settings.get("NEWSCRAWL_DB_URL")
        if not url:
            raise NotConfigured("NEWSCRAWL_DB_URL is not set")
        backend = open_backend(str(url))
        logger.info("Articles are upserted into %s (table %s)", backend.where, TABLE)
        return cls(crawler, backend, crawler.settings.getint("NEWSCRAWL_DB_BATCH", 100))

    def process_item(self, item: Any) -> Any:
        row = ItemAdapter(item).asdict()
        self.pending[str(row.get("id"))] = row  # the same id twice in a batch: the later wins
        if len(self.pending) >= self.batch:
            self.flush()
        return item

    def flush(self) -> None:
        if not self.pending:
            return
        rows = list(self.pending.values())
        self.pending = {}
        try:
            self.backend.write(rows)
        except Exception as exc:  # noqa: BLE001 - the feed still has them; the next batch reconnects
            inc(self.crawler, "db/failed", len(rows))
            logger.error(
                "Database %s: a batch of %d articles was not written (%s); they are in the JSON-lines output",
                self.backend.where, len(rows), _line(exc),
            )  # fmt: skip
            if isinstance(self.backend, PostgresBackend) and self.backend.conn is not None:
                self.backend.close()
            return
        inc(self.crawler, "db/written", len(rows))

    def close_spider(self) -> None:
        try:
            self.flush()
        finally:
            self.backend.close()
