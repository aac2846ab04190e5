"""`make demo` (scripts/demo.py): every spider's items, the rendered Daily8 page, a plain summary."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from tests import forkserver
from tests.conftest import ROOT

JS_ARTICLE = "daily8:07fd0e6d9632f14c1527c439ec82fbbe"  # client-rendered: only Chromium sees its text


def test_demo_writes_every_spider_and_says_what_happened(tmp_path: Path, chromium: str) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSCRAWL_")}
    run = forkserver.run(
        [sys.executable, "scripts/demo.py", "--data-dir", str(tmp_path / "data")],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    out = run.stdout
    spiders = ["al_arabiya", "arab_news", "asharq_al_awsat", "daily8"]
    for spider in spiders:
        (items,) = (tmp_path / "data" / spider).glob("*.jsonl")
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
