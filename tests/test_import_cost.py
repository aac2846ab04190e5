"""Start-up cost: a crawl that does not render never imports scrapy-playwright or Playwright.

Scrapy's SpiderLoader imports every spider module (daily8 imports the rendering helpers) and
``NewscrawlAddon`` enables ``ChallengeMiddleware`` on every crawl, so
``newscrawl.downloader.rendering`` is imported by every ``scrapy`` command; the browser side
(``newscrawl.downloader.browser``, about 0.2 s of imports) only when a crawl renders.

What a process imported is its ``sys.modules`` at exit, in a fresh interpreter (plain
``subprocess``: the tests' fork server has imported Playwright before forking). Not
``-X importtime``: it does not report modules imported with ``importlib.import_module``, which
is how Scrapy loads spider modules and settings paths.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from scrapy.utils.misc import load_object
from scrapy_playwright.provider import PlaywrightBrowserProvider

from newscrawl import settings as project
from newscrawl.addons import CHALLENGE_MIDDLEWARE, RENDER_HANDLER, REPLAY_RENDER_HANDLER
from tests.conftest import FIXTURES, ROOT

# python -c RECORD OUT [-m MODULE | -c CODE] ARGS: runs like `python -m MODULE ARGS` (runpy, as
# __main__) or `python -c CODE`, then writes the names in sys.modules to OUT at exit
RECORD = """import atexit, json, runpy, sys
out = sys.argv.pop(1)
atexit.register(lambda: open(out, "w").write(json.dumps(sorted(sys.modules))))
mode, target = sys.argv.pop(1), sys.argv.pop(1)
if mode == "-m":
    runpy.run_module(target, run_name="__main__", alter_sys=True)
else:
    exec(compile(target, "<string>", "exec"), {"__name__": "__main__"})
"""
BROWSER_PACKAGES = ("playwright", "scrapy_playwright")


def fresh(
    tmp_path: Path, mode: str, target: str, *args: str, timeout: float = 120
) -> tuple[subprocess.CompletedProcess[str], set[str]]:
    """``python -m MODULE ARGS`` or ``python -c CODE`` in a fresh interpreter in the project
    (without NEWSCRAWL_* from the environment), and the modules it had imported at exit."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSCRAWL_")}
    record = tmp_path / "modules.json"
    run = subprocess.run(
        [sys.executable, "-c", RECORD, str(record), mode, target, *args],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout,
    )  # fmt: skip
    assert record.exists(), run.stderr[-2000:]
    return run, set(json.loads(record.read_text("utf-8")))


def browser_modules(modules: set[str]) -> list[str]:
    return sorted(m for m in modules if m.split(".")[0] in BROWSER_PACKAGES)


def test_scrapy_list_loads_every_spider_without_the_browser(tmp_path: Path) -> None:
    run, modules = fresh(tmp_path, "-m", "scrapy", "list")
    assert run.returncode == 0, run.stderr[-2000:]
    assert "daily8" in run.stdout.split()
    assert {"newscrawl.spiders.daily8", "newscrawl.downloader.rendering"} <= modules
    assert browser_modules(modules) == []
    assert "newscrawl.downloader.browser" not in modules


def test_a_crawl_without_rendering_never_imports_the_browser(tmp_path: Path) -> None:
    out = tmp_path / "arab_news.jsonl"
    run, modules = fresh(
        tmp_path, "-m", "scrapy", "crawl", "arab_news", "-O", str(out),
        "-s", f"NEWSCRAWL_REPLAY={FIXTURES}", "-s", f"NEWSCRAWL_DATA_DIR={tmp_path / 'data'}",
        timeout=240,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr[-3000:]
    assert out.read_text("utf-8").count("\n") > 0  # a real crawl: articles exported
    assert CHALLENGE_MIDDLEWARE[0] in run.stderr  # enabled ("Enabled downloader middlewares")
    assert "newscrawl.downloader.rendering" in modules
    assert browser_modules(modules) == []


def test_the_settings_paths_load_the_browser_side() -> None:
    """``PLAYWRIGHT_BROWSER_PROVIDER`` and the addon's handler paths still load (in-process)."""
    provider = load_object(project.PLAYWRIGHT_BROWSER_PROVIDER)
    assert issubclass(provider, PlaywrightBrowserProvider)
    for path in (RENDER_HANDLER, REPLAY_RENDER_HANDLER, project.PLAYWRIGHT_BROWSER_PROVIDER):
        assert load_object(path).__module__ == "newscrawl.downloader.browser", path
    with pytest.raises(NameError, match="NoSuchHandler"):  # a typo still fails as it did
        load_object("newscrawl.downloader.rendering.NoSuchHandler")


def test_loading_the_browser_side_does_import_playwright(tmp_path: Path) -> None:
    """The checks above can fail: loading a browser-side settings path shows Playwright's imports."""
    code = f"from scrapy.utils.misc import load_object; load_object({RENDER_HANDLER!r})"
    run, modules = fresh(tmp_path, "-c", code)
    assert run.returncode == 0, run.stderr[-2000:]
    assert {"playwright.async_api", "scrapy_playwright.handler"} <= set(browser_modules(modules))
