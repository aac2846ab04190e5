"""NEWSCRAWL_DB_URL: articles upserted by id into a real PostgreSQL server and into SQLite."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from scrapy.utils.test import get_crawler

from newscrawl.items import Article
from newscrawl.operations.startup import StartupError
from newscrawl.storage.database import TABLE, DatabasePipeline, columns
from tests.conftest import ROOT, article_pages, run_crawl
from tests.pg_server import Postgres, free_port, start_postgres, stop_postgres

CRAWLED = "2026-11-20T09:00:00+00:00"


def articles(n: int) -> list[dict[str, Any]]:
    """``n`` valid articles as ValidationPipeline passes them on (JSON types), distinct ids."""
    out = []
    for page in article_pages():
        assert page.expected is not None
        data = json.loads(page.expected.read_text("utf-8"))
        article = Article(**{**data, "crawled_at": CRAWLED}).model_dump(mode="json")
        if article["id"] not in {a["id"] for a in out}:
            out.append(article)
        if len(out) == n:
            return out
    raise AssertionError(f"fewer than {n} fixture articles")


@pytest.fixture(scope="module")
def postgres() -> Iterator[Postgres]:
    server = start_postgres()
    try:
        yield server
    finally:
        stop_postgres(server)


@pytest.fixture
def pg_url(postgres: Postgres, request: pytest.FixtureRequest) -> str:
    """A fresh database per test on the module's server."""
    import psycopg

    name = "t_" + request.node.name.lower().replace("[", "_").replace("]", "").replace("-", "_")[:50]
    with psycopg.connect(postgres.url(), autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name}")
        conn.execute(f"CREATE DATABASE {name}")
    return postgres.url(name)


def pipeline(url: str, batch: int = 100) -> tuple[DatabasePipeline, Any]:
    crawler = get_crawler(settings_dict={"NEWSCRAWL_DB_URL": url, "NEWSCRAWL_DB_BATCH": batch})
    crawler.stats.open_spider()
    return DatabasePipeline.from_crawler(crawler), crawler


def pg_rows(url: str) -> dict[str, dict[str, Any]]:
    import psycopg
    from psycopg.rows import dict_row

    with psycopg.connect(url, row_factory=dict_row) as conn:
        return {r["id"]: r for r in conn.execute(f"SELECT * FROM {TABLE}")}


def test_postgres_upserts_in_batches_with_jsonb_and_timestamptz(pg_url: str) -> None:
    import psycopg

    first = articles(3)
    pipe, crawler = pipeline(pg_url, batch=2)
    pipe.process_item(first[0])
    assert pg_rows(pg_url) == {}, "nothing is written before a batch is full"
    pipe.process_item(first[1])
    assert set(pg_rows(pg_url)) == {first[0]["id"], first[1]["id"]}, "a full batch is written at once"
    pipe.process_item(first[2])
    pipe.close_spider()
    rows = pg_rows(pg_url)
    assert set(rows) == {a["id"] for a in first}, "the last, partial batch is written at close"
    assert crawler.stats.get_value("newscrawl/db/written") == 3

    with psycopg.connect(pg_url) as conn:
        types = dict(conn.execute(
            "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = %s", (TABLE,)
        ).fetchall())  # fmt: skip
        key = conn.execute(
            "SELECT a.attname FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid"
            " AND a.attnum = ANY(i.indkey) WHERE i.indrelid = %s::regclass AND i.indisprimary", (TABLE,)
        ).fetchall()  # fmt: skip
    assert key == [("id",)]
    assert set(types) == {name for name, _, _ in columns()} | {"stored_at"}
    for name in ("authors", "tags", "extraction", "related"):
        assert types[name] == "jsonb", name
    for name in ("published_at", "modified_at", "crawled_at", "stored_at"):
        assert types[name] == "timestamp with time zone", name
    assert types["timezone_assumed"] == "boolean"
    assert types["title"] == types["body"] == "text"

    for article in first:
        row = rows[article["id"]]
        assert row["published_at"] == datetime.fromisoformat(article["published_at"])  # the same instant
        assert row["published_at"].tzinfo is not None
        assert row["authors"] == article["authors"] and row["tags"] == article["tags"]
        assert row["extraction"] == article["extraction"] and row["related"] == article["related"]
        assert row["body"] == article["body"] and row["title"] == article["title"]
        assert row["timezone_assumed"] is article["timezone_assumed"]


def test_postgres_update_replaces_the_row(pg_url: str) -> None:
    original, other = articles(2)
    pipe, _ = pipeline(pg_url)
    pipe.process_item(original)
    pipe.process_item(other)
    pipe.close_spider()
    before = pg_rows(pg_url)[original["id"]]

    changed = {
        **original,
        "title": original["title"] + " (updated)",
        "body": "A corrected body.\n\nSecond paragraph.",
        "authors": ["New Author"],
        "summary": None,
        "modified_at": "2026-11-21T10:00:00+03:00",
    }
    pipe, crawler = pipeline(pg_url)  # the next run: the seen-store let the update through
    pipe.process_item(changed)
    pipe.close_spider()
    rows = pg_rows(pg_url)
    assert len(rows) == 2, "upsert by id: no second row"
    row = rows[original["id"]]
    assert row["title"] == changed["title"] and row["body"] == changed["body"]
    assert row["authors"] == ["New Author"]
    assert row["summary"] is None, "every column is replaced, a value that went away too"
    assert row["modified_at"] == datetime(2026, 11, 21, 7, 0, tzinfo=UTC)
    assert row["stored_at"] >= before["stored_at"]
    assert rows[other["id"]]["title"] == other["title"], "other rows untouched"
    assert crawler.stats.get_value("newscrawl/db/written") == 1


def test_postgres_wrong_password_is_a_startup_error_without_the_password(postgres: Postgres) -> None:
    with pytest.raises(StartupError) as caught:
        pipeline(postgres.url(password="wrong-pw"))
    message = str(caught.value)
    assert "NEWSCRAWL_DB_URL" in message and "password authentication failed" in message
    assert "wrong-pw" not in message and "***" in message
    assert "\n" not in message


def test_sqlite_same_upsert_semantics(tmp_path: Path) -> None:
    path = tmp_path / "db" / "articles.sqlite3"
    first = articles(3)
    pipe, crawler = pipeline(f"sqlite:///{path}", batch=2)
    for article in first:
        pipe.process_item(article)
    conn = sqlite3.connect(path)
    assert conn.execute(f"SELECT count(*) FROM {TABLE}").fetchone() == (2,), "first batch written"
    pipe.close_spider()
    assert conn.execute(f"SELECT count(*) FROM {TABLE}").fetchone() == (3,)

    pipe, _ = pipeline(str(path))  # a plain path is SQLite too
    pipe.process_item({**first[0], "title": "Replaced", "tags": ["x", "y"]})
    pipe.close_spider()
    conn.row_factory = sqlite3.Row
    rows = {r["id"]: dict(r) for r in conn.execute(f"SELECT * FROM {TABLE}")}
    assert len(rows) == 3
    row = rows[first[0]["id"]]
    assert row["title"] == "Replaced" and json.loads(row["tags"]) == ["x", "y"]
    assert json.loads(row["authors"]) == first[0]["authors"]
    published = datetime.fromisoformat(row["published_at"])
    assert (
        published == datetime.fromisoformat(first[0]["published_at"])
        and published.utcoffset().total_seconds() == 0
    )
    assert crawler.stats.get_value("newscrawl/db/written") == 3


def test_unusable_sqlite_path_is_a_startup_error(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    with pytest.raises(StartupError, match="NEWSCRAWL_DB_URL"):
        pipeline(f"sqlite:///{tmp_path / 'file' / 'db.sqlite3'}")
    with pytest.raises(StartupError, match="unsupported scheme"):
        pipeline("mysql://u:p@localhost/db")


def test_off_without_a_url_and_the_driver_is_imported_lazily() -> None:
    from scrapy.exceptions import NotConfigured

    with pytest.raises(NotConfigured):
        DatabasePipeline.from_crawler(get_crawler(settings_dict={"NEWSCRAWL_DB_URL": None}))
    code = (
        "import sys, newscrawl.storage.database as d, tempfile, os;"
        "d.open_backend(os.path.join(tempfile.mkdtemp(), 'a.sqlite3')).close();"
        "print('psycopg' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_crawl_exports_into_postgres(pg_url: str, tmp_path: Path) -> None:
    result = run_crawl(
        "arab_news", tmp_path, settings={"NEWSCRAWL_DB_URL": pg_url, "NEWSCRAWL_DB_BATCH": "3"}
    )
    assert result.stats.get("finish_reason") == "finished", result.log[-3000:]
    assert result.items
    rows = pg_rows(pg_url)
    assert set(rows) == {i["id"] for i in result.items}
    assert result.stats["newscrawl/db/written"] == len(result.items)
    for item in result.items:
        assert rows[item["id"]]["canonical_url"] == item["canonical_url"]
    assert "s3cret" not in result.log, "the password never reaches the log"


def test_unreachable_database_fails_the_crawl_at_start_in_one_line(tmp_path: Path) -> None:
    url = f"postgresql://newscrawl:s3cret@127.0.0.1:{free_port()}/news"  # nothing listens there
    result = run_crawl("arab_news", tmp_path, settings={"NEWSCRAWL_DB_URL": url, "LOG_LEVEL": "INFO"})
    assert result.returncode != 0
    errors = [line for line in result.log.splitlines() if " ERROR: " in line]
    assert len(errors) == 1, result.log[-3000:]
    assert "Cannot start: NEWSCRAWL_DB_URL postgresql://newscrawl:***@127.0.0.1" in errors[0]
    assert "Connection refused" in errors[0]
    assert "Traceback" not in result.log and "s3cret" not in result.log
    assert "Spider opened" not in result.log, "it fails before the crawl starts"
    assert not result.items
