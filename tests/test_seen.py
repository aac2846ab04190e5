"""SeenStore contract, run against both backends (SQLite file, real redis-server)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from newscrawl.pipelines import linking
from newscrawl.storage.seen import (
    Export,
    RedisSeenStore,
    SeenRecord,
    SeenStore,
    SqliteSeenStore,
    content_fingerprint,
    default_path,
    newer,
    newest,
    open_store,
    record_fingerprint,
    same_content,
)
from tests.redis_server import redis_url  # noqa: F401  (fixture)

URL = "https://www.arabnews.com/node/2621866/saudi-arabia"
RECORD = SeenRecord("arab_news:2621866", "f" * 64, "2026-11-18T16:32:00+03:00", "2026-11-20T09:00:00+00:00")


@pytest.fixture(params=["sqlite", "redis"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "redis":
        return str(request.getfixturevalue("redis_url"))
    return str(tmp_path / "state" / "seen.sqlite3")


@pytest.fixture
def store(store_url: str, tmp_path: Path) -> Iterator[SeenStore]:
    opened = open_store(store_url, tmp_path)
    assert opened is not None
    yield opened
    opened.close()


def test_unknown_keys_are_not_known(store: SeenStore) -> None:
    assert store.get("arab_news:1") is None
    assert store.get(URL) is None


def test_record_is_found_by_id_and_by_every_url_form(store: SeenStore) -> None:
    store.mark_exported(RECORD, [URL, "https://www.arabnews.com/node/2621866"])
    assert store.get("arab_news:2621866") == RECORD
    assert store.get(URL) == RECORD
    assert store.get("https://www.arabnews.com/node/2621866") == RECORD
    # canonicalised on both sides: host case, tracking parameters, fragment
    assert store.get("https://WWW.arabnews.com/node/2621866/saudi-arabia?utm_source=x#top") == RECORD
    assert store.get("https://www.arabnews.com/node/2621867/saudi-arabia") is None


def test_update_replaces_the_record_and_keeps_old_urls(store: SeenStore) -> None:
    store.mark_exported(RECORD, [URL])
    update = SeenRecord(RECORD.id, "0" * 64, "2026-11-21T10:00:00+03:00", "2026-11-21T08:00:00+00:00")
    store.mark_exported(update, ["https://www.arabnews.com/node/2621866"])
    assert store.get(URL) == update
    assert store.get("https://www.arabnews.com/node/2621866") == update


def test_a_record_without_lastmod_round_trips(store: SeenStore) -> None:
    record = SeenRecord("arab_news:7", "a" * 64, None, "2026-11-20T09:00:00+00:00")
    store.mark_exported(record)
    assert store.get("arab_news:7") == record


def test_records_survive_reopening(store_url: str, tmp_path: Path) -> None:
    first = open_store(store_url, tmp_path)
    assert first is not None
    first.mark_exported(RECORD, [URL])
    first.close()
    second = open_store(store_url, tmp_path)
    assert second is not None
    assert second.get(URL) == RECORD
    second.close()


def test_originals_are_found_within_max_distance(store: SeenStore) -> None:
    original = 0x0123_4567_89AB_CDEF
    store.remember_original("arab_news:2622140", original)
    store.remember_original("asharq_al_awsat:5091234", 0xFEDC_BA98_7654_3210)
    near = original ^ 0b101 ^ (1 << 40)  # 3 bits apart, in two bands
    assert store.find_original(near) == "arab_news:2622140"
    assert store.find_original(original) == "arab_news:2622140"
    far = original ^ 0b1111 ^ (1 << 20) ^ (1 << 36) ^ (1 << 52)  # 7 bits, every band touched
    assert store.find_original(far) is None
    assert store.find_original(0) is None


def test_originals_match_linking_fingerprints(store: SeenStore) -> None:
    body = " ".join(f"word{i} of the column about normal countries" for i in range(20))
    fp = linking.fingerprint("Beirut and the challenge", body)
    assert fp is not None
    store.remember_original("arab_news:2622140", fp)
    republished = linking.fingerprint("Beirut and the challenge", body.replace("word3 ", "word3, "))
    assert republished is not None and store.find_original(republished) == "arab_news:2622140"


def test_a_batch_is_one_commit_that_remembers_originals_and_releases_claims(store: SeenStore) -> None:
    other = SeenRecord("arab_news:2621867", "e" * 64, None, "2026-11-20T09:00:00+00:00")
    assert store.claim(RECORD.id, RECORD.fingerprint, "me") == "ok"
    store.commit([Export(RECORD, (URL,), 0x0123_4567_89AB_CDEF), Export(other)], owner="me")
    assert store.get(URL) == RECORD and store.get(other.id) == other
    assert store.find_original(0x0123_4567_89AB_CDEF) == RECORD.id
    assert store.claim(RECORD.id, "0" * 64, "you") == "ok"  # released by the commit


def test_a_claim_lets_one_owner_export_an_article(store: SeenStore) -> None:
    assert store.claim(RECORD.id, RECORD.fingerprint, "worker-1") == "ok"
    assert store.claim(RECORD.id, RECORD.fingerprint, "worker-2") == "claimed"
    assert store.claim(RECORD.id, RECORD.fingerprint, "worker-2", force=True) == "claimed"
    assert store.claim(RECORD.id, RECORD.fingerprint, "worker-1") == "ok"  # its own claim
    store.release("worker-1", [RECORD.id])
    assert store.claim(RECORD.id, RECORD.fingerprint, "worker-2") == "ok"
    store.commit([Export(RECORD)], owner="worker-2")
    # this version is exported: nobody claims it again, unless it is asked for explicitly
    assert store.claim(RECORD.id, RECORD.fingerprint, "worker-3") == "exported"
    assert store.claim(RECORD.id, RECORD.fingerprint, "worker-3", force=True) == "ok"
    assert store.claim(RECORD.id, "0" * 64, "worker-1") == "claimed"  # an update waits for it too


def test_an_expired_claim_is_taken_over(tmp_path: Path) -> None:
    store = SqliteSeenStore(tmp_path / "s.sqlite3")
    assert store.claim(RECORD.id, "x", "dead-worker") == "ok"
    assert store.claim(RECORD.id, "x", "live-worker") == "claimed"
    store.claims.execute("UPDATE claims SET expires = 0")  # CLAIM_TTL later
    assert store.claim(RECORD.id, "x", "live-worker") == "ok"
    store.close()


def test_record_fingerprint_covers_every_field_but_the_volatile_ones() -> None:
    item = {"id": "arab_news:1", "url": "https://www.arabnews.com/node/1/world",
            "title": "Red Sea states agree", "body": "Officials agreed.", "authors": ["Staff Reporter"],
            "crawled_at": "2026-11-20T09:00:00+00:00", "published_at": "2026-11-20T08:00:00+00:00",
            "extraction": {"body": "selectors"}}  # fmt: skip
    fp = record_fingerprint(item)
    assert fp.startswith("v2:")
    same = {**item, "url": item["url"] + "/alias", "crawled_at": "2026-11-21T00:00:00+00:00",
            "extraction": {"body": "generic"}, "modified_at": "2026-11-21T00:00:00+00:00",
            "title": " Red  Sea states\u200f agree"}  # fmt: skip
    assert record_fingerprint(same) == fp
    for field, value in (("authors", ["Desk Editor"]), ("published_at", "2026-11-20T07:00:00+00:00"),
                         ("tags", ["Gulf"]), ("word_count", 3)):  # fmt: skip
        assert record_fingerprint({**item, field: value}) != fp, field
    # a record of an older store (title+body fingerprint) is compared the old way
    assert same_content(content_fingerprint(item["title"], item["body"]), {**item, "authors": []})
    assert same_content(fp, same) and not same_content(fp, {**item, "authors": []})


def test_originals_of_an_older_sqlite_store_are_migrated(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite3"
    old = sqlite3.connect(path)
    old.execute("CREATE TABLE originals (id TEXT PRIMARY KEY, simhash TEXT NOT NULL,"
                " b0 INTEGER, b1 INTEGER, b2 INTEGER, b3 INTEGER)")  # fmt: skip
    fp = 0xFEDC_BA98_7654_3210
    old.execute(
        "INSERT INTO originals VALUES (?, ?, ?, ?, ?, ?)", ("arab_news:1", f"{fp:016x}", *linking.bands(fp))
    )
    old.commit()
    old.close()
    store = SqliteSeenStore(path)
    assert store.find_original(fp ^ 0b111) == "arab_news:1"
    store.close()


def test_near_duplicates_share_a_key_and_strangers_rarely_do() -> None:
    import random

    rnd = random.Random(7)
    for _ in range(2000):
        fp = rnd.getrandbits(64)
        near = fp
        for bit in rnd.sample(range(64), 3):
            near ^= 1 << bit
        assert set(linking.keys(fp)) & set(linking.keys(near))
    shared = sum(bool(set(linking.keys(rnd.getrandbits(64))) & set(linking.keys(rnd.getrandbits(64))))
                 for _ in range(2000))  # fmt: skip
    assert shared == 0


def test_sqlite_store_is_wal_and_durable(tmp_path: Path) -> None:
    store = SqliteSeenStore(tmp_path / "s.sqlite3")
    assert store.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert store.db.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    store.mark_exported(RECORD, [URL])
    # another connection (another process, in production) sees the committed record at once
    other = sqlite3.connect(tmp_path / "s.sqlite3")
    assert other.execute("SELECT id FROM articles").fetchall() == [(RECORD.id,)]
    other.close()
    store.close()


def test_redis_keys_are_namespaced(redis_url: str) -> None:  # noqa: F811
    import redis

    store = RedisSeenStore(redis_url)
    store.mark_exported(RECORD, [URL])
    store.remember_original(RECORD.id, 12345)
    keys = redis.Redis.from_url(redis_url, decode_responses=True).keys("*")
    assert keys and all(k.startswith("newscrawl:seen:") for k in keys)
    assert f"newscrawl:seen:article:{RECORD.id}" in keys
    assert f"newscrawl:seen:url:{URL}" in keys
    store.close()


def test_open_store_selects_the_backend(tmp_path: Path) -> None:
    default = open_store(None, tmp_path)
    assert isinstance(default, SqliteSeenStore) and default.path == default_path(tmp_path)
    assert default.path == tmp_path / "state" / "seen.sqlite3" and default.path.exists()
    default.close()
    explicit = open_store(f"sqlite:///{tmp_path}/x.sqlite3", tmp_path)
    assert isinstance(explicit, SqliteSeenStore) and explicit.path == tmp_path / "x.sqlite3"
    explicit.close()
    assert open_store("off", tmp_path) is None
    lazy = open_store("redis://127.0.0.1:1/0", tmp_path)  # no connection until first use
    assert isinstance(lazy, RedisSeenStore)


def test_content_fingerprint_ignores_form_not_words() -> None:
    body = "RIYADH: Officials agreed.\n\nSecond paragraph."
    base = content_fingerprint("Red Sea states agree", body)
    assert base == content_fingerprint(" Red  Sea states\u200f agree", body.lower().replace("\n\n", " "))
    assert base != content_fingerprint("Red Sea states agree", body.replace("agreed", "disagreed"))
    assert base != content_fingerprint("Red Sea states agree!", body)


def test_date_comparisons() -> None:
    a, b = "2026-11-17T00:00:00+00:00", "2026-11-18T00:00:00+03:00"
    assert newer("2026-11-18T15:00:00+03:00", "2026-11-18T11:59:00+00:00")
    assert not newer("2026-11-18T15:00:00+03:00", "2026-11-18T12:00:00+00:00")  # same instant
    assert newer(a, None)
    assert not newer(None, a)
    assert not newer("yesterday", a)
    assert newest(None, a, b) == b
