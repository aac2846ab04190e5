"""SeenStore: what earlier runs exported, behind one small interface.

``open_store(NEWSCRAWL_STATE, data_dir)`` picks the backend:

- unset: SQLite at ``<NEWSCRAWL_DATA_DIR>/state/seen.sqlite3`` (the embedded default);
- a path, ``sqlite:///relative/path`` or ``sqlite:////absolute/path``: SQLite there (WAL,
  ``synchronous=FULL``: a returned ``mark_exported`` survives a crash of the process and
  of the machine);
- ``redis://``/``rediss://``/``unix://``: Redis, shared by several machines (``redis`` is
  imported lazily). Keys: ``newscrawl:seen:article:<id>`` (hash: fingerprint, lastmod,
  exported_at), ``newscrawl:seen:url:<canonical url>`` -> id,
  ``newscrawl:seen:band:<i>:<16-bit band>`` (set of ``<id> <simhash hex>``). Durability is
  the server's: run it with ``appendonly yes`` if a Redis crash must not forget exports;
- ``off``: no store (every run fetches and exports everything).

A record is keyed by the article ``id``; every canonical URL the article was
requested or published under points at it, so ``get`` takes an id or a URL.
``lastmod`` is the newest date known for the article when it was last seen
(feed/sitemap ``lastmod``/publication date, page ``modified_at``/``published_at``);
a feed date newer than it means "changed, fetch again".

Cross-spider linking (Daily8 republications, see ``newscrawl.linking``):
``remember_original(id, simhash)`` when a publisher's article is durably exported,
``find_original(simhash)`` -> the id of the nearest remembered original within
``linking.MAX_DISTANCE`` bits. Originals are indexed by ``linking.bands`` (four 16-bit
keys; near-duplicates share one), so a lookup compares only a few candidates. A link
by ``original_url`` needs no extra index: ``get(url)`` answers it.
"""

from __future__ import annotations

import hashlib
import sqlite3
import unicodedata
from abc import ABC, abstractmethod
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from newscrawl.linking import MAX_DISTANCE, bands, distance
from newscrawl.text import canonical_url, clean_text

REDIS_SCHEMES = ("redis://", "rediss://", "unix://")
PREFIX = "newscrawl:seen:"


@dataclass(frozen=True)
class SeenRecord:
    """An exported article: its content fingerprint, newest known date, export time."""

    id: str
    fingerprint: str
    lastmod: str | None
    exported_at: str


def content_fingerprint(title: str | None, body: str | None) -> str:
    """sha256 of the normalised title and body: whitespace, bidi marks, Unicode forms
    and case do not count; any change of words does."""
    parts = [clean_text(unicodedata.normalize("NFKC", p or "")).casefold() for p in (title, body)]
    return hashlib.sha256("\n".join(parts).encode("utf-8")).hexdigest()


def newer(candidate: str | None, than: str | None) -> bool:
    """True when ISO date ``candidate`` is later than ``than`` (``None``: unknown, never newer)."""
    if not candidate:
        return False
    if not than:
        return True
    try:
        return datetime.fromisoformat(candidate) > datetime.fromisoformat(than)
    except (TypeError, ValueError):
        return False


def newest(*dates: str | None) -> str | None:
    """The latest of some ISO dates (unparsable and missing ones ignored)."""
    best: str | None = None
    for date in dates:
        if newer(date, best):
            best = date
    return best


def _url_key(key: str) -> str | None:
    return canonical_url(key) if key.startswith(("http://", "https://")) else None


class SeenStore(ABC):
    """The store interface. ``key`` is an article id (``arab_news:2621866``) or a URL
    (canonicalised here with ``newscrawl.text.canonical_url``)."""

    url: str = ""

    @abstractmethod
    def get(self, key: str) -> SeenRecord | None:
        """The record of an exported article, by id or by any of its URLs."""

    def is_known(self, key: str) -> bool:
        return self.get(key) is not None

    @abstractmethod
    def mark_exported(self, record: SeenRecord, urls: Iterable[str] = ()) -> None:
        """Record (or replace) an export; ``urls`` all point at ``record.id`` afterwards.
        Returns only once the write is durable (SQLite) or acknowledged (Redis)."""

    @abstractmethod
    def remember_original(self, article_id: str, simhash: int) -> None:
        """Remember that ``article_id`` (an original, not a republication) has this SimHash."""

    @abstractmethod
    def _candidates(self, simhash: int) -> Iterable[tuple[str, int]]:
        """(id, simhash) of remembered originals sharing a band with ``simhash``."""

    def find_original(self, simhash: int, max_distance: int = MAX_DISTANCE) -> str | None:
        """The id of the nearest remembered original within ``max_distance`` bits, if any."""
        near = sorted((distance(simhash, fp), id_) for id_, fp in self._candidates(simhash))
        return near[0][1] if near and near[0][0] <= max_distance else None

    @abstractmethod
    def close(self) -> None: ...


class SqliteSeenStore(SeenStore):
    """SQLite backend: one file, WAL journal, durable commits, safe for several processes."""

    SCHEMA = (
        "CREATE TABLE IF NOT EXISTS articles (id TEXT PRIMARY KEY, fingerprint TEXT NOT NULL,"
        " lastmod TEXT, exported_at TEXT NOT NULL)",
        "CREATE TABLE IF NOT EXISTS urls (url TEXT PRIMARY KEY, id TEXT NOT NULL)",
        "CREATE TABLE IF NOT EXISTS originals (id TEXT PRIMARY KEY, simhash TEXT NOT NULL,"
        " b0 INTEGER, b1 INTEGER, b2 INTEGER, b3 INTEGER)",
        *(f"CREATE INDEX IF NOT EXISTS originals_b{i} ON originals (b{i})" for i in range(4)),
    )

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self.url = str(self.path.absolute())
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=FULL")
        with self.db:
            for statement in self.SCHEMA:
                self.db.execute(statement)

    def get(self, key: str) -> SeenRecord | None:
        url = _url_key(key)
        if url is not None:
            row = self.db.execute("SELECT id FROM urls WHERE url = ?", (url,)).fetchone()
            if row is None:
                return None
            key = row[0]
        row = self.db.execute(
            "SELECT id, fingerprint, lastmod, exported_at FROM articles WHERE id = ?", (key,)
        ).fetchone()
        return SeenRecord(*row) if row else None

    def mark_exported(self, record: SeenRecord, urls: Iterable[str] = ()) -> None:
        with self.db:  # BEGIN ... COMMIT (rolled back on error)
            self.db.execute("BEGIN IMMEDIATE")
            self.db.execute(
                "INSERT OR REPLACE INTO articles VALUES (?, ?, ?, ?)",
                (record.id, record.fingerprint, record.lastmod, record.exported_at),
            )
            self.db.executemany(
                "INSERT OR REPLACE INTO urls VALUES (?, ?)",
                [(canonical_url(u), record.id) for u in set(urls)],
            )

    def remember_original(self, article_id: str, simhash: int) -> None:
        with self.db:
            self.db.execute("BEGIN IMMEDIATE")
            self.db.execute(
                "INSERT OR REPLACE INTO originals VALUES (?, ?, ?, ?, ?, ?)",
                (article_id, f"{simhash:016x}", *bands(simhash)),
            )

    def _candidates(self, simhash: int) -> Iterable[tuple[str, int]]:
        rows = self.db.execute(
            "SELECT id, simhash FROM originals WHERE b0 = ? OR b1 = ? OR b2 = ? OR b3 = ?", bands(simhash)
        )
        return [(str(id_), int(fp, 16)) for id_, fp in rows]

    def close(self) -> None:
        self.db.close()


class RedisSeenStore(SeenStore):
    """Redis backend: the shared store of a distributed deployment (see module docstring)."""

    def __init__(self, url: str, *, prefix: str = PREFIX, client: Any = None) -> None:
        import redis  # lazy: only deployments that use Redis need it

        self.url = url
        self.prefix = prefix
        self.redis: Any = client or redis.Redis.from_url(url, decode_responses=True)

    def _article(self, article_id: str) -> str:
        return f"{self.prefix}article:{article_id}"

    def get(self, key: str) -> SeenRecord | None:
        url = _url_key(key)
        if url is not None:
            found = self.redis.get(f"{self.prefix}url:{url}")
            if found is None:
                return None
            key = str(found)
        fields = self.redis.hgetall(self._article(key))
        if not fields:
            return None
        return SeenRecord(key, fields["fingerprint"], fields.get("lastmod") or None, fields["exported_at"])

    def mark_exported(self, record: SeenRecord, urls: Iterable[str] = ()) -> None:
        mapping = {
            "fingerprint": record.fingerprint,
            "lastmod": record.lastmod or "",
            "exported_at": record.exported_at,
        }
        pipe = self.redis.pipeline(transaction=True)  # MULTI/EXEC: all keys or none
        pipe.hset(self._article(record.id), mapping=mapping)
        for url in set(urls):
            pipe.set(f"{self.prefix}url:{canonical_url(url)}", record.id)
        pipe.execute()

    def _bands(self, simhash: int) -> list[str]:
        return [f"{self.prefix}band:{i}:{band}" for i, band in enumerate(bands(simhash))]

    def remember_original(self, article_id: str, simhash: int) -> None:
        pipe = self.redis.pipeline(transaction=True)
        for key in self._bands(simhash):
            pipe.sadd(key, f"{article_id} {simhash:016x}")
        pipe.execute()

    def _candidates(self, simhash: int) -> Iterable[tuple[str, int]]:
        out = []
        for member in self.redis.sunion(self._bands(simhash)):
            id_, _, fp = str(member).rpartition(" ")
            out.append((id_, int(fp, 16)))
        return out

    def close(self) -> None:
        self.redis.close()


def default_path(data_dir: str | Path) -> Path:
    return Path(data_dir) / "state" / "seen.sqlite3"


def open_store(state: str | None, data_dir: str | Path = "data") -> SeenStore | None:
    """The store ``NEWSCRAWL_STATE`` names (see module docstring); ``None`` when ``off``."""
    value = (state or "").strip()
    if value.lower() in ("off", "none", "false", "0"):
        return None
    if value.startswith(REDIS_SCHEMES):
        return RedisSeenStore(value)
    if value.startswith("sqlite:///"):
        return SqliteSeenStore(value.removeprefix("sqlite:///"))  # sqlite:////abs, sqlite:///rel
    return SqliteSeenStore(Path(value) if value else default_path(data_dir))
