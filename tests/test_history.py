"""`newscrawl report --html`: the run-history page, its rounds and drift marks, in real Chromium."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from newscrawl import cli
from newscrawl.operations import history, report
from tests.conftest import CHROMIUM, require_component, run_crawl

T0 = datetime(2026, 11, 1, 6, 0, tzinfo=UTC)
FIELDS = ("id", "title", "body", "published_at", "authors", "image_url", "summary", "tags")
MONITORS = ("Finish reason", "Item count", "Field coverage", "Validation", "Layout drift", "Errors")


def stats(
    start: datetime, items: int, *, generic: int = 0, failed: dict[str, int] | None = None,
    invalid: int = 0, worker: str | None = None, opened: bool = False, urls: list[str] | None = None,
) -> dict[str, Any]:  # fmt: skip
    """The stats of one crawl: ``items`` articles, ``generic`` of them with a generic-layer body."""
    out: dict[str, Any] = {
        "start_time": start,
        "finish_time": start + timedelta(seconds=40),
        "finish_reason": "finished",
        "item_scraped_count": items,
        "spidermon_item_scraped_count": items,
        "downloader/request_count": items + 3,
        "newscrawl/items/en": items - items // 3,
        "newscrawl/items/ar": items // 3,
        "newscrawl/layer/title/jsonld": items,
        "newscrawl/layer/published_at/meta": items,
        "newscrawl/layer/body/selectors": items - generic,
        "newscrawl/layer/body/generic": generic,
        "newscrawl/duplicate/canonical_url": 1,
    }
    for field in FIELDS:
        out[f"spidermon_item_scraped_count/dict/{field}"] = items if field != "authors" else items // 2
    for reason, n in (failed or {}).items():
        out[f"newscrawl/failed/{reason}"] = n
    if invalid:
        out["newscrawl/invalid/body"] = invalid
    if urls is not None:
        out["newscrawl/failed_urls"] = [{"url": u, "reason": "http_404"} for u in urls]
    if worker:
        out["newscrawl/distributed/worker"] = worker
        out["newscrawl/distributed/opened_round"] = opened
    return {k: v for k, v in out.items() if v or k.startswith("item")}


def results(failing: dict[str, str] | None = None, skipped: tuple[str, ...] = ()) -> list[dict[str, Any]]:
    failing = failing or {}
    return [
        {"monitor": m, "check": "test_" + m.lower().replace(" ", "_"),
         "status": "FAIL" if m in failing else "SKIPPED" if m in skipped else "OK", "reason": failing.get(m)}
        for m in MONITORS
    ]  # fmt: skip


def write(
    root: Path, spider: str, run_stats: dict[str, Any], failing: dict[str, str] | None = None,
    skipped: tuple[str, ...] = (),
) -> Path:  # fmt: skip
    built = report.build(run_stats, results(failing, skipped), spider=spider, replay=True)
    return report.write(built, root)


@pytest.fixture
def history_dir(tmp_path: Path) -> Path:
    """Five daily runs of arab_news (404s in the last), a two-worker round and a lone run of al_arabiya."""
    root = tmp_path / "data"
    for day in range(5):
        urls = [f"https://www.arabnews.com/node/{day}{i}" for i in range(day)]
        write(
            root, "arab_news", stats(T0 + timedelta(days=day), 20 + day, failed={"http_404": day}, urls=urls)
        )
    (root / "arab_news").mkdir(parents=True)
    latest = T0 + timedelta(days=4)
    (root / "arab_news" / latest.strftime("%Y-%m-%dT%H-%M-%S+00-00.jsonl")).write_text("{}\n")
    write(root, "al_arabiya", stats(T0, 30))
    # one distributed round, two nodes' data directories side by side; the late worker found no work
    start = T0 + timedelta(days=1)
    write(root / "node1", "al_arabiya", stats(start, 176, worker="node1:11:aa", opened=True))
    idle = stats(start + timedelta(seconds=2), 0, worker="node2:12:bb")
    no_items = {"Item count": "0 items, expected at least 1"}
    write(root / "node2", "al_arabiya", idle, no_items, skipped=("Layout drift", "Field coverage"))
    return root


def test_a_distributed_round_is_one_run_summed_over_its_workers(history_dir: Path) -> None:
    found, problems = history.find_reports(history_dir)
    assert not problems
    runs = history.group(found)
    assert [r.items for r in runs["arab_news"]] == [20, 21, 22, 23, 24]
    lone, round_ = runs["al_arabiya"]
    assert lone.items == 30 and len(lone.workers) == 1 and not lone.distributed
    assert len(round_.workers) == 2 and round_.distributed and round_.complete
    assert round_.items == 176
    assert round_.items_by_language == {"ar": 58, "en": 118}
    assert round_.drops == {"duplicate/canonical_url": 2}
    assert round_.coverage["title"] == 1.0 and round_.coverage["authors"] == 88 / 176
    assert round_.layers["body"] == {"selectors": 176}
    # the idle worker's Item count failure is judged on the round's sum
    assert round_.monitors["Item count"] == "OK" and round_.passed
    # a check the idle worker skipped (no items) yields to the other worker's verdict
    assert round_.monitors["Layout drift"] == "OK"
    assert "Item count" not in round_.reasons


def test_rounds_are_told_apart_and_a_missing_opener_is_flagged(tmp_path: Path) -> None:
    root = tmp_path / "data"
    write(root / "a", "daily8", stats(T0, 5, worker="a:1:x", opened=True))
    write(root / "b", "daily8", stats(T0 + timedelta(seconds=1), 6, worker="b:1:y"))
    write(root / "a", "daily8", stats(T0 + timedelta(hours=1), 7, worker="a:2:z", opened=True))
    write(
        root / "b", "daily8", stats(T0 + timedelta(hours=2), 8, worker="b:2:w")
    )  # its opener's report is missing
    runs = history.group(history.find_reports(root)[0])["daily8"]
    assert [(r.items, len(r.workers), r.complete) for r in runs] == [
        (11, 2, True),
        (7, 1, True),
        (8, 1, False),
    ]


def test_unreadable_reports_are_listed_not_fatal(history_dir: Path) -> None:
    bad = history_dir / "reports" / "arab_news" / "2026-11-30T00-00-00.json"
    bad.write_text('{"spider": "arab_news", "items": ')
    (history_dir / "reports" / "arab_news" / "2026-11-30T00-00-01.json").write_text('{"items": 3}')
    found, problems = history.find_reports(history_dir)
    assert len(found) == 8 and len(problems) == 2
    page = history.render(history_dir)
    assert "Skipped files" in page and str(bad) in page


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """One Chromium for the module's pages (each test opens its own page)."""
    from playwright.sync_api import sync_playwright

    chromium = require_component("Chromium", CHROMIUM)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox", "--disable-gpu"])
        try:
            yield browser
        finally:
            browser.close()


def open_page(browser: Any, path: Path) -> tuple[Any, list[str]]:
    """The page in Chromium with every non-file request refused and recorded."""
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    outside: list[str] = []

    def route(r: Any) -> None:
        if r.request.url.startswith(("file:", "data:", "blob:")):
            r.continue_()
        else:
            outside.append(r.request.url)
            r.abort()

    page.route("**/*", route)
    page.goto(path.as_uri())
    page.wait_for_function(
        "() => { const c = document.querySelectorAll('.chart');"
        " return c.length > 0 && [...c].every(d => d.querySelector('.js-plotly-plot .main-svg')); }",
        timeout=30_000,
    )
    return page, outside


CHART_STATE = """() => [...document.querySelectorAll('.chart')].map(c => {
  const plot = c.querySelector('.js-plotly-plot');
  return {spider: c.dataset.spider, chart: c.dataset.chart, traces: plot.data.length,
          values: plot.data.reduce((n, t) => n + (t.y ? t.y.length : 0), 0),
          points: c.querySelectorAll('.point').length};
})"""


def test_page_draws_every_chart_offline_in_chromium(history_dir: Path, browser: Any, tmp_path: Path) -> None:
    out = tmp_path / "page" / "report.html"
    assert cli.main(["report", "--html", "--data-dir", str(history_dir), "-o", str(out)]) == 0
    page, outside = open_page(browser, out)
    charts = page.evaluate(CHART_STATE)
    assert outside == [], "the page fetches nothing: plotly.js and the data are inline"
    names = {"items", "drops", "coverage", "layers", "monitors"}
    assert {(c["spider"], c["chart"]) for c in charts} == {
        (s, n) for s in ("al_arabiya", "arab_news") for n in names
    }
    for chart in charts:
        assert chart["traces"] > 0 and chart["values"] > 0, chart
        assert chart["points"] > 0, f"{chart['spider']} {chart['chart']}: no bar or marker drawn"
    by_name = {(c["spider"], c["chart"]): c for c in charts}
    assert by_name[("arab_news", "items")]["values"] >= 5 * 2  # five runs, by language and total
    assert by_name[("arab_news", "monitors")]["points"] == 5 * len(MONITORS)
    assert by_name[("al_arabiya", "monitors")]["points"] == 2 * len(MONITORS), "the round is one run"
    # the latest run: its failed URLs and its files
    section = page.locator("section#arab_news")
    for i in range(4):
        assert section.get_by_text(f"https://www.arabnews.com/node/4{i}").count() == 1
    assert section.get_by_text("2026-11-05T06-00-00+00-00.jsonl").count() == 1
    rounds = page.locator("section#al_arabiya")
    assert "a distributed round of 2 workers, 176 items" in rounds.inner_text()
    assert page.locator(".drift").count() == 0, "no drift in these runs"
    page.screenshot(path=str(tmp_path / "report.png"), full_page=True)
    assert (tmp_path / "report.png").stat().st_size > 50_000


def test_page_marks_a_layout_drift(tmp_path: Path, browser: Any) -> None:
    root = tmp_path / "data"
    for day in range(6):
        drifted = day >= 3  # the site's markup changed on day 3: bodies from the generic fallback
        failing = {"Layout drift": "16/20 bodies (80%) from the generic layer"} if drifted else None
        write(
            root,
            "asharq_al_awsat",
            stats(T0 + timedelta(days=day), 20, generic=16 if drifted else 0),
            failing,
        )
        write(root, "arab_news", stats(T0 + timedelta(days=day), 20, generic=1))  # 5%: under the threshold
    out = history.write_page(root)
    assert out == root / "reports" / "index.html"
    page, outside = open_page(browser, out)
    assert outside == []
    drifting = page.locator("section#asharq_al_awsat")
    note = drifting.locator("p.drift")
    assert note.count() == 1 and note.is_visible()
    assert note.get_attribute("data-drift-run") == "2026-11-04 06:00:00"
    text = note.inner_text()
    assert "generic 80%, selectors 20%" in text and "generic 0%, selectors 100%" in text
    assert "still drifting in the latest run" in text
    assert drifting.locator("tr.drift").count() == 3, "each drifting run is marked in the runs table"
    for chart in ("layers", "coverage"):
        annotation = drifting.locator(f'.chart[data-chart="{chart}"] .annotation-text')
        assert any("layout drift" in t for t in annotation.all_text_contents()), chart
        assert drifting.locator(f'.chart[data-chart="{chart}"] .shapelayer path').count() >= 1
    body_generic = page.evaluate(
        "() => document.getElementById('asharq_al_awsat-layers').data"
        ".find(t => t.name === 'generic' && t.yaxis === 'y2').y"
    )
    assert body_generic == [0, 0, 0, 0.8, 0.8, 0.8]
    overview = page.locator("table").first
    assert overview.locator(".badge.drift").count() == 1, "the overview flags the drifting spider"
    calm = page.locator("section#arab_news")
    assert calm.locator(".drift").count() == 0
    assert not any("drift" in t for t in calm.locator(".annotation-text").all_text_contents())
    page.screenshot(path=str(tmp_path / "drift.png"), full_page=True)


def test_crawl_report_records_failed_urls_and_the_page_lists_them(tmp_path: Path) -> None:
    result = run_crawl("arab_news", tmp_path, settings={"NEWSCRAWL_STATE": "off"})
    assert result.stats.get("finish_reason") == "finished", result.log[-3000:]
    built = json.loads(Path(result.stats["newscrawl/report"]).read_text("utf-8"))
    failed = sum(v for k, v in result.stats.items() if k.startswith("newscrawl/failed/"))
    assert failed and len(built["failed_urls"]) == failed
    assert built["distributed"] is None
    page = history.render(tmp_path / "data")
    for entry in built["failed_urls"]:
        assert entry["url"] in page and entry["reason"] in page


def test_command_without_reports_says_so(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["report", "--html", "--data-dir", str(tmp_path)]) == 1
    assert "no run reports under" in capsys.readouterr().err
    assert not (tmp_path / "reports" / "index.html").exists()


def test_command_without_html_prints_latest_verdicts(
    history_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write(history_dir, "arab_news", stats(T0 + timedelta(days=9), 0), {"Item count": "0 items"})
    assert cli.main(["report", "--data-dir", str(history_dir), "--check"]) == 1
    out = capsys.readouterr().out
    assert "arab_news: FAILED Item count" in out and "al_arabiya: passed" in out
