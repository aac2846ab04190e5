"""Shared test helpers: golden fixtures, fake responses, replay crawls in a subprocess.

Child Pythons (crawls, the CLI) start through ``tests.forkserver`` (its own process each,
without the interpreter's start-up): see that module."""

from __future__ import annotations

import json
import os
import shutil
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from scrapy.http import HtmlResponse, Request

from tests import forkserver

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures"
FROZEN = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
CHROMIUM = os.environ.get("NEWSCRAWL_CHROMIUM", "/usr/bin/chromium")


# Under pytest-xdist (``make test``: ``--dist loadfile --no-loadscope-reorder``) the workers take
# whole files in collection order: the slowest files (``--durations``) go first, so that no
# worker is left running a long file alone at the end. Any order is valid: only the wall time changes.
SLOWEST_FIRST = (
    "test_incremental.py", "test_rendering.py", "test_scrapyd.py", "test_faults.py", "test_history.py",
    "test_distributed.py", "test_monitoring.py", "test_demo.py", "test_al_arabiya.py", "test_daily8.py",
    "test_cli.py", "test_asharq_al_awsat.py", "test_real_pages.py", "test_hostile.py",
)  # fmt: skip


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    if os.environ.get("PYTEST_XDIST_WORKER"):
        rank = {name: i for i, name in enumerate(SLOWEST_FIRST)}
        items.sort(key=lambda item: rank.get(item.path.name, len(rank)))  # stable: the rest keep their order


@pytest.fixture(scope="session", autouse=True)
def _fork_server() -> Iterator[None]:
    """The session's fork server (started on first use) is stopped, by PID, at the end."""
    yield
    forkserver.stop()


def require_component(name: str, binary: str) -> str:
    """Path of a system component the tests run (Chromium, redis-server, PostgreSQL).

    Missing, the test fails with the fix, never skips: ``make install`` installs them
    (scripts/install-system.sh), so a gap is a broken set-up, not an optional feature.
    """
    path = binary if Path(binary).exists() else shutil.which(binary)
    if not path:
        pytest.fail(
            f"{name} is not installed ({binary}): run `make install` (scripts/install-system.sh installs it)",
            pytrace=False,
        )
    return path


@pytest.fixture
def chromium() -> str:
    """The Chromium binary (``NEWSCRAWL_CHROMIUM``); use via ``pytest.mark.usefixtures("chromium")``."""
    return require_component("Chromium", CHROMIUM)


@dataclass(frozen=True)
class Page:
    source: str
    slug: str
    url: str
    html: Path
    expected: Path | None
    headers: dict[str, str]

    @property
    def id(self) -> str:
        return f"{self.source}/{self.slug}"


def _manifest_headers(source_dir: Path) -> dict[str, dict[str, str]]:
    out: dict[str, dict[str, str]] = {}
    manifest = source_dir / "manifest.jsonl"
    if manifest.exists():
        for line in manifest.read_text("utf-8").splitlines():
            if line.strip():
                entry = json.loads(line)
                if entry.get("body"):
                    out[entry["body"]] = entry.get("headers") or {}
    return out


def fixture_pages() -> list[Page]:
    """Every page listed in a tests/fixtures/<source>/meta.json."""
    pages = []
    for meta_path in sorted(FIXTURES.glob("*/meta.json")):
        source_dir = meta_path.parent
        headers = _manifest_headers(source_dir)
        for slug, info in json.loads(meta_path.read_text("utf-8"))["pages"].items():
            html = next((p for p in source_dir.glob(f"{slug}.*") if p.suffix != ".json"), None)
            if html is None:
                continue
            expected = source_dir / f"{slug}.json"
            pages.append(Page(
                source_dir.name, slug, info["url"], html,
                expected if expected.exists() else None,
                headers.get(html.name, {}),
            ))  # fmt: skip
    return pages


def article_pages() -> list[Page]:
    return [p for p in fixture_pages() if p.expected is not None]


def fake_response(page: Page) -> HtmlResponse:
    return HtmlResponse(
        url=page.url,
        body=page.html.read_bytes(),
        headers=page.headers,
        encoding="utf-8",
        request=Request(page.url),
    )


@dataclass
class CrawlResult:
    items: list[dict[str, Any]]
    stats: dict[str, Any]
    log: str
    returncode: int
    output: Path | None = None  # the ``-O`` file, for tests of its bytes


def run_crawl(
    spider: str,
    tmp_path: Path,
    *,
    snapshot: Path = FIXTURES,
    args: dict[str, str] | None = None,
    settings: dict[str, str] | None = None,
    timeout: float = 240,
) -> CrawlResult:
    """Run ``scrapy crawl`` against a replay snapshot in its own process (``tests.forkserver``)."""
    out = tmp_path / f"{spider}.jsonl"
    stats = tmp_path / f"{spider}.stats.json"
    cmd = [sys.executable, "-m", "scrapy", "crawl", spider, "-O", str(out)]
    all_settings = {
        "NEWSCRAWL_REPLAY": str(snapshot),
        "NEWSCRAWL_DATA_DIR": str(tmp_path / "data"),
        "NEWSCRAWL_STATS_FILE": str(stats),
        "LOG_LEVEL": "INFO",
        **(settings or {}),
    }
    for key, value in all_settings.items():
        cmd += ["-s", f"{key}={value}"]
    for key, value in (args or {}).items():
        cmd += ["-a", f"{key}={value}"]
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSCRAWL_")}
    proc = forkserver.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout)
    items = []
    if out.exists():
        items = [json.loads(line) for line in out.read_text("utf-8").splitlines() if line.strip()]
    return CrawlResult(
        items=items,
        stats=json.loads(stats.read_text("utf-8")) if stats.exists() else {},
        log=proc.stderr,
        returncode=proc.returncode,
        output=out,
    )


def by_id(result: CrawlResult) -> dict[str, dict[str, Any]]:
    """Items keyed by id; fails on a duplicate id."""
    items = {i["id"]: i for i in result.items}
    assert len(items) == len(result.items), "duplicate ids"
    return items


@pytest.fixture
def crawl(tmp_path: Path) -> Any:
    def _crawl(spider: str, **kwargs: Any) -> CrawlResult:
        return run_crawl(spider, tmp_path, **kwargs)

    return _crawl
