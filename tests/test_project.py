"""Consistency the machines check: names, registry, fixtures, provenance, packaging."""

from __future__ import annotations

import importlib
import json
import re
import sys
import typing

import pytest
from scrapy.spiderloader import SpiderLoader
from scrapy.utils.project import get_project_settings

from newscrawl.parsers import parser_for
from newscrawl.sources import SOURCES, SOURCES_INFO, Source
from newscrawl.spiders.base import NewsSpider
from tests import forkserver
from tests.conftest import FIXTURES, ROOT

SPIDERS = sorted(SpiderLoader.from_settings(get_project_settings()).list())


def camel(name: str) -> str:
    return "".join(part.title() for part in name.split("_"))


def test_every_source_has_a_spider() -> None:
    assert sorted(SOURCES) == SPIDERS
    assert set(typing.get_args(Source)) == set(SOURCES)  # the Literal mypy sees, and the table


@pytest.mark.parametrize("name", SPIDERS)
def test_spider_and_parser_are_the_ones_the_source_table_names(name: str) -> None:
    """newscrawl.sources is the one description: spiders and parsers agree with it."""
    info = SOURCES_INFO[name]
    spider_module, spider_class = info.spider.split(":")
    spider = getattr(importlib.import_module(f"newscrawl.spiders.{spider_module}"), spider_class)
    assert spider.name == name and set(spider.allowed_domains) == set(info.hosts)
    assert set(spider.editions) <= set(info.editions)
    parser_module, parser_class = info.parser.split(":")
    parser = getattr(importlib.import_module(f"newscrawl.parsers.{parser_module}"), parser_class)
    assert parser.source == name
    assert parser.publisher == ("" if info.aggregator else info.publisher)  # aggregators credit outlets
    assert parser.default_offset == info.offset
    for host in info.editions.values():
        assert type(parser_for(f"https://{host}/")) is parser, host


@pytest.mark.parametrize("name", SPIDERS)
def test_module_class_and_name_agree(name: str) -> None:
    module = importlib.import_module(f"newscrawl.spiders.{name}")
    spider = getattr(module, f"{camel(name)}Spider")
    assert issubclass(spider, NewsSpider) and spider.name == name
    parser_module = importlib.import_module(f"newscrawl.parsers.{name}")
    assert hasattr(parser_module, f"{camel(name)}Parser")


@pytest.mark.parametrize("name", SPIDERS)
def test_spider_domains_have_its_parser(name: str) -> None:
    spider = importlib.import_module(f"newscrawl.spiders.{name}").__dict__[f"{camel(name)}Spider"]
    for domain in spider.allowed_domains:
        parser = parser_for(f"https://{domain}/")
        assert parser is not None and parser.source == name, domain


@pytest.mark.parametrize("name", SPIDERS)
def test_fixtures_have_provenance_and_are_in_the_demo_snapshot(name: str) -> None:
    meta = json.loads((FIXTURES / name / "meta.json").read_text("utf-8"))
    for slug, info in meta["pages"].items():
        assert re.match(r"^https?://", info["url"]), slug
        assert info.get("modelled") is True or info.get("captured"), f"{slug}: provenance missing"
        if info.get("modelled"):
            assert info.get("facts"), f"{slug}: modelled fixtures must name the facts used"
    includes = [json.loads(line) for line in (FIXTURES / "manifest.jsonl").read_text("utf-8").splitlines()]
    assert {"include": f"{name}/manifest.jsonl"} in includes


def test_no_test_or_package_reads_shared() -> None:
    offenders = [
        str(path.relative_to(ROOT))
        for folder in ("newscrawl", "tests")
        for path in (ROOT / folder).rglob("*.py")
        if "../shared" in path.read_text("utf-8") and path.name != "test_project.py"
    ]
    assert not offenders


def test_package_code_does_not_use_file_paths() -> None:
    offenders = [p.name for p in (ROOT / "newscrawl").rglob("*.py") if "__file__" in p.read_text("utf-8")]
    assert not offenders, "read package data with importlib.resources"


def test_readme_documents_every_project_setting() -> None:
    import newscrawl.settings as settings

    readme = (ROOT / "README.md").read_text("utf-8")
    names = [n for n in vars(settings) if n.startswith("NEWSCRAWL_")]
    assert names
    assert not [n for n in names if f"`{n}`" not in readme]


def test_old_flat_module_paths_still_load_the_moved_modules() -> None:
    """Settings written for the flat layout keep working (CHANGELOG.md lists every move)."""
    from scrapy.utils.misc import load_object

    from newscrawl.compat import MOVED

    for old, new in MOVED.items():
        assert importlib.import_module(old) is importlib.import_module(new), old
    from newscrawl.downloader.faults import RetryAfterMiddleware

    assert load_object("newscrawl.faults.RetryAfterMiddleware") is RetryAfterMiddleware
    changelog = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    assert all(f"`{old}`" in changelog and f"`{new}`" in changelog for old, new in MOVED.items())


def test_old_module_path_runs_with_python_dash_m() -> None:
    """Crontabs calling ``python -m newscrawl.report`` keep running."""
    run = forkserver.run(
        [sys.executable, "-m", "newscrawl.report", "--help"], cwd=ROOT, capture_output=True, text=True
    )
    assert run.returncode == 0, run.stderr
    assert "--check" in run.stdout
