"""`make demo` (scripts/demo.py): every spider's items, the rendered Daily8 page, a plain summary,
and every spider's crawl passing its monitors (the demo is the one run of each spider on the
whole bundled snapshot; these tests read its output rather than crawl again)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from newscrawl.operations import report
from tests import forkserver
from tests.conftest import CHROMIUM, ROOT, require_component
from tests.test_monitoring import SPIDERS, check

JS_ARTICLE = "daily8:07fd0e6d9632f14c1527c439ec82fbbe"  # client-rendered: only Chromium sees its text
Demo = tuple[subprocess.CompletedProcess[str], Path]  # its output, its data dir


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Demo:
    require_component("Chromium", CHROMIUM)
    data = tmp_path_factory.mktemp("demo") / "data"
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSCRAWL_")}
    run = forkserver.run(
        [sys.executable, "scripts/demo.py", "--data-dir", str(data)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    return run, data


def test_demo_writes_every_spider_and_says_what_happened(demo: Demo) -> None:
    run, data = demo
    assert run.returncode == 0, run.stdout + run.stderr
    out = run.stdout
    spiders = ["al_arabiya", "arab_news", "asharq_al_awsat", "daily8"]
    for spider in spiders:
        (items,) = (data / spider).glob("*.jsonl")
        ids = [json.loads(line)["id"] for line in items.read_text("utf-8").splitlines()]
        assert ids, spider
        assert f"items  -> {items}" in out
        assert any(line.startswith(spider) and "monitors passed" in line for line in out.splitlines())
        if spider == "daily8":
            assert JS_ARTICLE in ids  # rendering is on for daily8: the JS-only page is exported
    assert "rendered in Chromium: 1 page(s)" in out
    # 404s the snapshot leaves out on purpose are told apart from failures, each with its note
    gaps = out.split("snapshot gaps, left out on purpose (404): ")[1]
    assert gaps.startswith("5\n") and "https://www.arabnews.com/node/2621999/sport  (feed item" in gaps
    failed = out.split("arab_news")[1].split("snapshot gaps")[0]
    assert "http_500  https://www.arabnews.com/node/2622230/middle-east" in failed
    assert "http_404" not in failed
    assert "seen/" not in out  # the throw-away seen-store is not news
    assert "verdict: " in out and "monitors passed for 4 of 4" in out
    assert "404s the snapshot does not explain" not in out


@pytest.mark.parametrize("spider", SPIDERS)
def test_demo_crawl_passes_its_monitors(demo: Demo, spider: str) -> None:
    run, data = demo
    latest = report.latest(spider, data)
    assert f"report -> {Path(latest['path']).with_suffix('.md')}" in run.stdout  # this run's report
    assert latest["monitors"]["passed"], latest["monitors"]
    (items,) = (data / spider).glob("*.jsonl")
    assert latest["items"] == len(items.read_text("utf-8").splitlines()) > 0
    assert latest["coverage"]["title"] == latest["coverage"]["body"] == 1.0
    assert sum(latest["layers"]["body"].values()) == latest["items"]
    markdown = Path(latest["path"]).with_suffix(".md").read_text("utf-8")
    assert "Monitors **PASSED**" in markdown and "| Layout drift | test_generic_body_share | OK |" in markdown
    assert check(spider, data).returncode == 0  # what a scheduler runs after the job
