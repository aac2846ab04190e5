"""``newscrawl.parse`` (the Python API) and ``newscrawl parse URL|FILE`` (the CLI).

The CLI runs as ``python -m newscrawl.cli`` in a fresh process (the console script
``newscrawl`` calls the same ``main``); URL mode fetches through replay snapshots
built in ``tmp_path``, so nothing touches the network.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import newscrawl
from newscrawl.api import InvalidArticle, NotAnArticle, UnsupportedSite
from newscrawl.items import Article
from tests import forkserver
from tests.conftest import FIXTURES, FROZEN, ROOT, Page, article_pages

ARTICLE = FIXTURES / "arab_news" / "arabic-byline.html"
ARTICLE_URL = "https://www.arabnews.com/node/2621540/art-culture"
VIDEO = FIXTURES / "arab_news" / "video-nobody.html"
VIDEO_URL = "https://www.arabnews.com/node/2622187/media"
HTML = {"Content-Type": "text/html; charset=utf-8", "Date": "Fri, 20 Nov 2026 09:00:00 GMT"}
EMPTY_PAGE = "<html><head><title>x</title></head><body><p>too short</p></body></html>"


def cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("NEWSCRAWL_")}
    return forkserver.run(
        [sys.executable, "-m", "newscrawl.cli", *args],
        cwd=ROOT,
        env={**clean, **(env or {})},
        capture_output=True,
        text=True,
        timeout=120,
    )


def without_clock(record: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in record.items() if k != "crawled_at"}


def expected_record(page: Page) -> dict[str, Any]:
    assert page.expected is not None
    expected = json.loads(page.expected.read_text("utf-8"))
    expected["crawled_at"] = FROZEN.isoformat()
    return Article(**expected).model_dump(mode="json")


# --- Python API -------------------------------------------------------------------------------
@pytest.mark.parametrize("page", article_pages()[::6], ids=lambda p: p.id)
def test_api_parses_a_page_into_the_validated_record(page: Page) -> None:
    article = newscrawl.parse(page.html.read_bytes(), page.url, headers=page.headers, crawled_at=FROZEN)
    assert isinstance(article, Article)
    assert without_clock(article.model_dump(mode="json")) == without_clock(expected_record(page))


def test_api_takes_str_and_a_forced_source() -> None:
    html = ARTICLE.read_text("utf-8")
    article = newscrawl.parse(html, ARTICLE_URL)
    assert article.id == "arab_news:2621540" and article.authors == ["نورة القحطاني"]
    # the same page saved under another host is parsed by the parser --source names
    with pytest.raises(UnsupportedSite, match=r"no parser for https://mirror\.example/"):
        newscrawl.parse(html, "https://mirror.example/node/2621540/art-culture")
    assert newscrawl.parse(html, ARTICLE_URL, source="arab_news").id == article.id


def test_api_errors_say_what_is_wrong() -> None:
    with pytest.raises(NotAnArticle, match="video page, not an article"):
        newscrawl.parse(VIDEO.read_bytes(), VIDEO_URL)
    with pytest.raises(InvalidArticle) as caught:
        newscrawl.parse(EMPTY_PAGE, "https://www.arabnews.com/node/1/x")
    fields = {e["field"] for e in caught.value.errors}
    assert {"body", "published_at"} <= fields
    assert isinstance(caught.value, ValueError) and "body" in str(caught.value)
    with pytest.raises(UnsupportedSite, match="unknown source 'nope'"):
        newscrawl.parse(EMPTY_PAGE, ARTICLE_URL, source="nope")


def test_import_newscrawl_stays_cheap() -> None:
    heavy = "('scrapy', 'newscrawl.parsers', 'lxml')"
    code = f"import sys, newscrawl; print(sorted(m for m in {heavy} if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


# --- CLI: FILE ------------------------------------------------------------------------------
def test_parse_file_prints_the_article_json() -> None:
    page = next(p for p in article_pages() if p.html == ARTICLE)
    run = cli("parse", str(ARTICLE))  # URL from the page's own rel=canonical
    assert run.returncode == 0, run.stderr
    assert without_clock(json.loads(run.stdout)) == without_clock(expected_record(page))
    assert "نورة القحطاني" in run.stdout  # readable UTF-8, not \\u escapes
    one_line = cli("parse", str(ARTICLE), "--url", ARTICLE_URL, "--jsonl")
    assert one_line.returncode == 0 and len(one_line.stdout.splitlines()) == 1
    assert json.loads(one_line.stdout)["id"] == "arab_news:2621540"


def test_parse_file_breaking_the_contract_exits_non_zero_with_the_errors(tmp_path: Path) -> None:
    broken = tmp_path / "broken.html"
    broken.write_text(EMPTY_PAGE, "utf-8")
    run = cli("parse", str(broken), "--url", "https://www.arabnews.com/node/1/x")
    assert run.returncode == 1
    assert run.stdout == ""
    assert "breaks the Article contract" in run.stderr
    assert "  body: " in run.stderr and "  published_at: " in run.stderr


def test_parse_usage_errors(tmp_path: Path) -> None:
    nameless = tmp_path / "page.html"
    nameless.write_text(EMPTY_PAGE, "utf-8")
    run = cli("parse", str(nameless))
    assert run.returncode == 2 and "give --url" in run.stderr
    run = cli("parse", str(tmp_path / "missing.html"))
    assert run.returncode == 2 and "no such file" in run.stderr
    run = cli("parse", str(nameless), "--url", "https://example.com/story")
    assert run.returncode == 2 and "no parser for https://example.com/story" in run.stderr
    video = cli("parse", str(VIDEO), "--url", VIDEO_URL)
    assert video.returncode == 1 and "video page, not an article" in video.stderr


# --- CLI: URL -------------------------------------------------------------------------------
def snapshot(root: Path, robots: str = "", **article: Any) -> Path:
    """A replay snapshot with the Arab News robots.txt and the article (``article``: manifest keys)."""
    root.mkdir(parents=True)
    (root / "robots.txt").write_text(robots, "utf-8")
    (root / "page.html").write_bytes(ARTICLE.read_bytes())
    lines = [
        {
            "url": "https://www.arabnews.com/robots.txt",
            "headers": {"Content-Type": "text/plain"},
            "body": "robots.txt",
        },
        {"url": ARTICLE_URL, "headers": HTML, "body": "page.html", **article},
    ]
    (root / "manifest.jsonl").write_text("".join(json.dumps(e) + "\n" for e in lines), "utf-8")
    return root


def test_parse_url_fetches_through_the_spider(tmp_path: Path) -> None:
    run = cli("parse", ARTICLE_URL, env={"NEWSCRAWL_REPLAY": str(snapshot(tmp_path / "snap"))})
    assert run.returncode == 0, run.stderr
    record = json.loads(run.stdout)
    assert record["id"] == "arab_news:2621540" and record["url"] == ARTICLE_URL
    assert record["authors"] == ["نورة القحطاني"]


def test_parse_url_respects_robots_txt(tmp_path: Path) -> None:
    snap = snapshot(tmp_path / "snap", robots="User-agent: *\nDisallow: /node/\n")
    run = cli("parse", ARTICLE_URL, env={"NEWSCRAWL_REPLAY": str(snap)})
    assert run.returncode == 1 and run.stdout == ""
    assert "skipped: robots_txt" in run.stderr


def test_parse_url_fetches_once(tmp_path: Path) -> None:
    # one 503 first: a crawl retries it, `parse` fetches once and says why it has nothing
    run = cli("parse", ARTICLE_URL, env={"NEWSCRAWL_REPLAY": str(snapshot(tmp_path / "snap", fail_first=1))})
    assert run.returncode == 1 and "fetch failed: http_503" in run.stderr


def test_parse_url_without_a_parser_says_so() -> None:
    run = cli("parse", "https://example.com/2026/11/20/story")
    assert run.returncode == 2
    assert "no parser for https://example.com/2026/11/20/story: newscrawl parses" in run.stderr
    assert "arabnews.com" in run.stderr
