"""The live canary's code path, offline: ``python -m newscrawl.operations.canary --replay <snapshot>``."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests import forkserver
from tests.conftest import FIXTURES, ROOT
from tests.test_monitoring import redesigned_snapshot


def canary(tmp_path: Path, snapshot: Path, *spiders: str) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-m", "newscrawl.operations.canary", "--replay", str(snapshot), "--items", "2"]
    cmd += ["--data-dir", str(tmp_path / "canary")]
    for spider in spiders:
        cmd += ["--spider", spider]
    return forkserver.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=300)


def test_canary_prints_coverage_and_layers_per_spider(tmp_path: Path) -> None:
    proc = canary(tmp_path, FIXTURES, "arab_news", "al_arabiya")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    for spider in ("arab_news", "al_arabiya"):
        assert f"== {spider}: " in proc.stdout and "(closespider_itemcount), monitors passed" in proc.stdout
        reports = list((tmp_path / "canary" / "reports" / spider).glob("*.json"))
        assert len(reports) == 1
        got = json.loads(reports[0].read_text("utf-8"))
        assert got["finish_reason"] == "closespider_itemcount" and got["job"].startswith("canary-")
        assert got["items"] >= 2 and got["replay"]
        assert list((tmp_path / "canary" / spider).glob("*.jsonl"))  # output kept apart from production
    assert "coverage  title 100%  body 100%  published_at 100%  authors 100%" in proc.stdout  # arab_news
    assert "layers    title: jsonld" in proc.stdout and "body: selectors" in proc.stdout
    assert not list((tmp_path / "canary").rglob("*.sqlite3"))  # throw-away seen-store
    assert len(list((tmp_path / "canary" / "logs").glob("canary-*.log"))) == 2


def test_canary_fails_on_layout_drift(tmp_path: Path) -> None:
    proc = canary(tmp_path, redesigned_snapshot(tmp_path / "snap"), "arab_news")
    assert proc.returncode == 1
    assert "MONITORS FAILED: Layout drift" in proc.stdout
    assert "body: generic" in proc.stdout and "FAIL      Layout drift:" in proc.stdout
