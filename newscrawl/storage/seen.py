"""SeenStore: what earlier runs exported, behind one small interface.

``open_store(NEWSCRAWL_STATE, data_dir)`` picks the backend:

- unset: SQLite at ``<NEWSCRAWL_DATA_DIR>/state/seen.sqlite3`` (the embedded default);
- a path, ``sqlite:///relative/path`` or ``sqlite:////absolute/path``: SQLite there (WAL,
  ``synchronous=FULL``: a returned ``mark_exported`` survives a crash of the process and
  of the machine);
- ``redis://``/``rediss://``/``unix://``: Redis, shared by several machines (``redis`` is
  imported lazily). Keys: ``newscrawl:seen:article:<id>`` (hash: fingerprint, lastmod,
  exported_at), ``newscrawl:seen:url:<canonical url>`` -> id,
  ``newscrawl:seen:band:<i>:<16-bit band>`` (set of ``<id> <simhash hex>``),
  ``newscrawl:seen:claim:<id>`` -> owner (expires). Durability is the server's: run it
  with ``appendonly yes`` if a Redis crash must not forget exports;
- ``off``: no store (every run fetches and exports everything).

Exactly once across workers: ``claim(id, fingerprint, owner)`` atomically takes an
article for one crawl before it is exported (Redis: a script doing ``SET`` only when no
other owner holds the key and the stored fingerprint differs; SQLite: one ``BEGIN
IMMEDIATE`` transaction). ``commit(exports, owner)`` records a batch of durable exports
in one transaction and releases their claims; a crawl that dies leaves claims that
expire after ``CLAIM_TTL`` seconds (its journal's replay releases them sooner).

A record is keyed by the article ``id``; every canonical URL the article was
requested or published under points at it, so ``get`` takes an id or a URL.
``lastmod`` is the newest date known for the article when it was last seen
(feed/sitemap ``lastmod``/publication date, page ``modified_at``/``published_at``);
a feed date newer than it means "changed, fetch again".

Cross-spider linking (Daily8 republications, see ``newscrawl.pipelines.linking``):
``remember_original(id, simhash)`` when a publisher's article is durably exported,
``find_original(simhash)`` -> the id of the nearest remembered original within
``linking.MAX_DISTANCE`` bits. SQLite indexes originals by ``linking.keys`` (ten 30-bit
keys, a table with one row per key): a lookup reads ~10 index entries whatever the store
size. Redis indexes them by ``linking.bands`` (four 16-bit band sets, few keys). A link by
``original_url`` needs no extra index: ``get(url)`` answers it.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import time
import unicodedata
from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from newscrawl.pipelines.linking import MAX_DISTANCE, bands, distance, keys
from newscrawl.text import canonical_url, clean_text

REDIS_SCHEMES = ("redis://", "rediss://", "unix://")
PREFIX = "newscrawl:seen:"
CLAIM_TTL = 3600.0  # seconds a claim of a crawl that died blocks the article for others
Claim = Literal["ok", "claimed", "exported"]


@dataclass(frozen=True)
class SeenRecord:
    """An exported article: its content fingerprint, newest known date, export time."""

    id: str
    fingerprint: str
    lastmod: str | None
    exported_at: str


@dataclass(frozen=True)
class Export:
    """One durable export to record: the record, every URL it was fetched or published
    under, and its SimHash when it is an original (a publisher's article)."""

    record: SeenRecord
    urls: tuple[str, ...] = ()
    simhash: int | None = None


def _norm(text: str | None) -> str:
    return clean_text(unicodedata.normalize("NFKC", text or "")).casefold()


def content_fingerprint(title: str | None, body: str | None) -> str:
    """sha256 of the normalised title and body: whitespace, bidi marks, Unicode forms
    and case do not count; any change of words does. The fingerprint of stores written
    before ``record_fingerprint`` (unprefixed hex)."""
    parts = [_norm(p) for p in (title, body)]
    return hashlib.sha256("\n".join(parts).encode("utf-8")).hexdigest()


# Not the record's content: when and where it was fetched, which layer extracted what,
# and what the crawl itself sets (``modified_at`` of an update, ``duplicate_of``).
VOLATILE_FIELDS = frozenset({"url", "crawled_at", "modified_at", "duplicate_of", "extraction"})
FINGERPRINT_VERSION = "v2:"


def _normalised(value: Any) -> Any:
    if isinstance(value, str):
        return _norm(value)
    if isinstance(value, Mapping):
        return {str(k): _normalised(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_normalised(v) for v in value]
    return value


def record_fingerprint(item: Mapping[str, Any]) -> str:
    """``v2:`` + sha256 of every field of the record except ``VOLATILE_FIELDS``, strings
    normalised as in ``content_fingerprint``: a parser fix to authors, dates, tags or any
    new field is a change; re-fetching the same text under another URL is not."""
    content = {
        k: _normalised(v) for k, v in item.items() if k not in VOLATILE_FIELDS and v not in (None, [], {})
    }
    data = json.dumps(content, ensure_ascii=False, sort_keys=True, default=str)
    return FINGERPRINT_VERSION + hashlib.sha256(data.encode("utf-8")).hexdigest()


def same_content(stored: str, item: Mapping[str, Any], fingerprint: str | None = None) -> bool:
    """Is ``item`` what a record with fingerprint ``stored`` was made from? A record of an
    older store (title+body fingerprint) is compared the old way."""
    if stored.startswith(FINGERPRINT_VERSION):
        return stored == (fingerprint or record_fingerprint(item))
    return stored == content_fingerprint(item.get("title"), item.get("body"))


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

    def mark_exported(self, record: SeenRecord, urls: Iterable[str] = ()) -> None:
        """Record (or replace) an export; ``urls`` all point at ``record.id`` afterwards.
        Returns only once the write is durable (SQLite) or acknowledged (Redis)."""
        self.commit([Export(record, tuple(urls))])

    @abstractmethod
    def commit(self, exports: Sequence[Export], owner: str | None = None) -> None:
        """Record a batch of exports in one durable transaction (and remember the
        originals among them); then release ``owner``'s claims on them."""

    @abstractmethod
    def claim(self, article_id: str, fingerprint: str, owner: str, *, force: bool = False) -> Claim:
        """Atomically take ``article_id`` for ``owner`` before exporting it: ``claimed`` if
        another live owner holds it, ``exported`` if the stored fingerprint is this one
        (unless ``force``: an explicit re-export), else ``ok`` (held for ``CLAIM_TTL``)."""

    @abstractmethod
    def release(self, owner: str, ids: Iterable[str] = ()) -> None:
        """Drop ``owner``'s claims (on ``ids``; SQLite: on all when ``ids`` is empty)."""

    @abstractmethod
    def remember_original(self, article_id: str, simhash: int) -> None:
        """Remember that ``article_id`` (an original, not a republication) has this SimHash."""

    @abstractmethod
    def candidates(self, simhash: int) -> Iterable[tuple[str, int]]:
        """(id, simhash) of remembered originals sharing an index key with ``simhash``."""

    def find_original(self, simhash: int, max_distance: int = MAX_DISTANCE) -> str | None:
        """The id of the nearest remembered original within ``max_distance`` bits, if any."""
        near = sorted((distance(simhash, fp), id_) for id_, fp in self.candidates(simhash))
        return near[0][1] if near and near[0][0] <= max_distance else None

    @abstractmethod
    def close(self) -> None: ...


def _signed(fp: int) -> int:
    """A 64-bit SimHash as SQLite's signed INTEGER."""
    return fp - (1 << 64) if fp >= 1 << 63 else fp


class SqliteSeenStore(SeenStore):
    """SQLite backend: one file, WAL journal, durable commits, safe for several processes.

    Marks are committed with ``synchronous=FULL``; claims go through a second connection
    with ``synchronous=NORMAL`` (no fsync: a claim only has to survive the process, and
    a machine crash kills the claimant too)."""

    SCHEMA = (
        "CREATE TABLE IF NOT EXISTS articles (id TEXT PRIMARY KEY, fingerprint TEXT NOT NULL,"
        " lastmod TEXT, exported_at TEXT NOT NULL)",
        "CREATE TABLE IF NOT EXISTS urls (url TEXT PRIMARY KEY, id TEXT NOT NULL)",
        "CREATE TABLE IF NOT EXISTS claims (id TEXT PRIMARY KEY, owner TEXT NOT NULL, expires REAL NOT NULL)",
        "CREATE TABLE IF NOT EXISTS original_prints (oid INTEGER PRIMARY KEY, id TEXT UNIQUE NOT NULL,"
        " simhash INTEGER NOT NULL)",
        "CREATE TABLE IF NOT EXISTS original_keys (key INTEGER NOT NULL, oid INTEGER NOT NULL,"
        " PRIMARY KEY (key, oid)) WITHOUT ROWID",
    )

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self.url = str(self.path.absolute())
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=FULL")
        with self.db:
            self.db.execute("BEGIN IMMEDIATE")
            for statement in self.SCHEMA:
                self.db.execute(statement)
            self._migrate_originals()
        self.claims = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        self.claims.execute("PRAGMA synchronous=NORMAL")

    def _migrate_originals(self) -> None:
        """Stores written before the key index kept ``originals(id, simhash hex, b0..b3)``."""
        old = self.db.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'originals'")
        if old.fetchone() is None:
            return
        for id_, fp in self.db.execute("SELECT id, simhash FROM originals").fetchall():
            self._remember(str(id_), int(fp, 16))
        self.db.execute("DROP TABLE originals")

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

    def commit(self, exports: Sequence[Export], owner: str | None = None) -> None:
        if not exports:
            return
        with self.db:  # BEGIN ... COMMIT (rolled back on error): one fsync for the batch
            self.db.execute("BEGIN IMMEDIATE")
            self.db.executemany(
                "INSERT OR REPLACE INTO articles VALUES (?, ?, ?, ?)",
                [
                    (e.record.id, e.record.fingerprint, e.record.lastmod, e.record.exported_at)
                    for e in exports
                ],
            )
            self.db.executemany(
                "INSERT OR REPLACE INTO urls VALUES (?, ?)",
                list({(canonical_url(u), e.record.id) for e in exports for u in e.urls}),
            )
            for e in exports:
                if e.simhash is not None:
                    self._remember(e.record.id, e.simhash)
            if owner is not None:
                self.db.executemany(
                    "DELETE FROM claims WHERE id = ? AND owner = ?", [(e.record.id, owner) for e in exports]
                )

    def claim(self, article_id: str, fingerprint: str, owner: str, *, force: bool = False) -> Claim:
        now = time.time()
        with self.claims:
            self.claims.execute("BEGIN IMMEDIATE")  # the lookup and the claim in one transaction
            self.claims.execute("DELETE FROM claims WHERE id = ? AND expires < ?", (article_id, now))
            self.claims.execute(
                "INSERT OR IGNORE INTO claims VALUES (?, ?, ?)", (article_id, owner, now + CLAIM_TTL)
            )
            (holder,) = self.claims.execute("SELECT owner FROM claims WHERE id = ?", (article_id,)).fetchone()
            if holder != owner:
                return "claimed"
            if not force:
                row = self.claims.execute(
                    "SELECT fingerprint FROM articles WHERE id = ?", (article_id,)
                ).fetchone()
                if row is not None and row[0] == fingerprint:
                    self.claims.execute("DELETE FROM claims WHERE id = ? AND owner = ?", (article_id, owner))
                    return "exported"
            return "ok"

    def release(self, owner: str, ids: Iterable[str] = ()) -> None:
        wanted = list(ids)
        with self.claims:
            if wanted:
                self.claims.executemany(
                    "DELETE FROM claims WHERE id = ? AND owner = ?", [(i, owner) for i in wanted]
                )
            else:
                self.claims.execute("DELETE FROM claims WHERE owner = ?", (owner,))

    def _remember(self, article_id: str, simhash: int) -> None:
        self.db.execute("DELETE FROM original_keys WHERE oid IN"
                        " (SELECT oid FROM original_prints WHERE id = ?)", (article_id,))  # fmt: skip
        self.db.execute("DELETE FROM original_prints WHERE id = ?", (article_id,))
        cursor = self.db.execute(
            "INSERT INTO original_prints (id, simhash) VALUES (?, ?)", (article_id, _signed(simhash))
        )
        oid = cursor.lastrowid
        self.db.executemany(
            "INSERT OR IGNORE INTO original_keys VALUES (?, ?)", [(k, oid) for k in keys(simhash)]
        )

    def remember_original(self, article_id: str, simhash: int) -> None:
        with self.db:
            self.db.execute("BEGIN IMMEDIATE")
            self._remember(article_id, simhash)

    def candidates(self, simhash: int) -> Iterable[tuple[str, int]]:
        rows = self.db.execute(
            "SELECT DISTINCT p.id, p.simhash FROM original_keys k JOIN original_prints p ON p.oid = k.oid"
            f" WHERE k.key IN ({','.join('?' * 10)})",
            keys(simhash),
        )
        return [(str(id_), int(fp) & (1 << 64) - 1) for id_, fp in rows]

    def close(self) -> None:
        self.claims.close()
        self.db.close()


# KEYS: claim, article. ARGV: owner, fingerprint, ttl ms, force ("1"/"0").
CLAIM_SCRIPT = """
local holder = redis.call('GET', KEYS[1])
if holder and holder ~= ARGV[1] then return 'claimed' end
if ARGV[4] ~= '1' and redis.call('HGET', KEYS[2], 'fingerprint') == ARGV[2] then
  if holder then redis.call('DEL', KEYS[1]) end
  return 'exported'
end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[3])
return 'ok'
"""
# KEYS: claims. ARGV: owner. Deletes each claim still held by owner.
RELEASE_SCRIPT = """
for _, key in ipairs(KEYS) do
  if redis.call('GET', key) == ARGV[1] then redis.call('DEL', key) end
end
return 0
"""


class RedisSeenStore(SeenStore):
    """Redis backend: the shared store of a distributed deployment (see module docstring)."""

    def __init__(self, url: str, *, prefix: str = PREFIX, client: Any = None) -> None:
        import redis  # lazy: only deployments that use Redis need it

        self.url = url
        self.prefix = prefix
        self.redis: Any = client or redis.Redis.from_url(url, decode_responses=True)
        self._claim = self.redis.register_script(CLAIM_SCRIPT)
        self._release = self.redis.register_script(RELEASE_SCRIPT)

    def _article(self, article_id: str) -> str:
        return f"{self.prefix}article:{article_id}"

    def _claim_key(self, article_id: str) -> str:
        return f"{self.prefix}claim:{article_id}"

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

    def commit(self, exports: Sequence[Export], owner: str | None = None) -> None:
        if not exports:
            return
        pipe = self.redis.pipeline(transaction=True)  # MULTI/EXEC: all keys or none
        for e in exports:
            mapping = {
                "fingerprint": e.record.fingerprint,
                "lastmod": e.record.lastmod or "",
                "exported_at": e.record.exported_at,
            }
            pipe.hset(self._article(e.record.id), mapping=mapping)
            for url in set(e.urls):
                pipe.set(f"{self.prefix}url:{canonical_url(url)}", e.record.id)
            if e.simhash is not None:
                for key in self._bands(e.simhash):
                    pipe.sadd(key, f"{e.record.id} {e.simhash:016x}")
        pipe.execute()
        if owner is not None:
            self.release(owner, [e.record.id for e in exports])

    def claim(self, article_id: str, fingerprint: str, owner: str, *, force: bool = False) -> Claim:
        args: list[str | int] = [owner, fingerprint, int(CLAIM_TTL * 1000), "1" if force else "0"]
        result = str(self._claim(keys=[self._claim_key(article_id), self._article(article_id)], args=args))
        assert result in ("ok", "claimed", "exported"), result
        return result  # type: ignore[return-value]

    def release(self, owner: str, ids: Iterable[str] = ()) -> None:
        claim_keys = [self._claim_key(i) for i in ids]
        if claim_keys:
            self._release(keys=claim_keys, args=[owner])

    def _bands(self, simhash: int) -> list[str]:
        return [f"{self.prefix}band:{i}:{band}" for i, band in enumerate(bands(simhash))]

    def remember_original(self, article_id: str, simhash: int) -> None:
        pipe = self.redis.pipeline(transaction=True)
        for key in self._bands(simhash):
            pipe.sadd(key, f"{article_id} {simhash:016x}")
        pipe.execute()

    def candidates(self, simhash: int) -> Iterable[tuple[str, int]]:
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
