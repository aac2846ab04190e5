"""5. Rendering: Daily8's client-rendered page through Chromium, and the demo's render share.

``--render-pages`` copies of ``tests/fixtures/daily8/js-rendered.html`` at article URLs,
crawled by the daily8 spider (each page is fetched, found empty, fetched again through
Chromium): rendered pages per minute, browser start included. Then ``make demo``'s daily8
crawl of the bundled snapshot: the share of article pages that needed the browser.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from .common import ROOT, replay_line
from .crawl import crawl


def render_snapshot(root: Path, pages: int) -> list[str]:
    """Daily8's client-rendered page at ``pages`` article URLs (plus its robots.txt)."""
    d8 = ROOT / "tests" / "fixtures" / "daily8"
    root.mkdir(parents=True)
    shutil.copyfile(d8 / "js-rendered.html", root / "js-rendered.html")
    lines = []
    for entry in map(json.loads, (d8 / "manifest.jsonl").read_text("utf-8").splitlines()):
        if entry.get("url", "").endswith("/robots.txt") and entry.get("body"):
            shutil.copyfile(d8 / entry["body"], root / "robots.txt")
            lines.append(json.dumps({**entry, "body": "robots.txt"}))
    urls = [f"https://www.daily8.com/en/article/{n:032x}" for n in range(1, pages + 1)]
    lines += [replay_line(url, "js-rendered.html") for url in urls]
    (root / "manifest.jsonl").write_text("\n".join(lines) + "\n", "utf-8")
    return urls


def bench_render(tmp: Path, pages: int) -> dict[str, Any]:
    """The JSON's ``render``: the Chromium crawl (or why not) and the demo crawl's share."""
    out: dict[str, Any] = {}
    try:
        import newscrawl.downloader.browser  # noqa: F401
        from newscrawl.parsers.daily8 import Daily8Parser  # noqa: F401
    except ImportError as exc:
        return {"available": False, "reason": f"rendering code missing: {exc}"}
    from newscrawl import settings as project

    if pages and not Path(project.NEWSCRAWL_CHROMIUM).exists():
        out.update(
            available=False, reason=f"no Chromium at {project.NEWSCRAWL_CHROMIUM} (NEWSCRAWL_CHROMIUM)"
        )
    elif pages:
        work = tmp / "render"
        urls = render_snapshot(work / "snapshot", pages)
        try:
            # copies of one page without an image: the field-coverage monitor fails by
            # construction, so its exit status 3 (newscrawl.commands.crawl) is turned off here
            run = crawl(
                "daily8",
                work / "snapshot",
                work,
                "render",
                state="off",
                extra={"NEWSCRAWL_MONITOR_EXIT_CODE": "0"},
                args={"urls": ",".join(urls)},
            )
        except RuntimeError as exc:
            return {"available": False, "reason": str(exc).splitlines()[0]}
        stats = run["stats"]
        rendered = int(stats.get("newscrawl/rendered/daily8") or stats.get("newscrawl/rendered") or 0)
        elapsed = float(stats.get("elapsed_time_seconds") or 0)
        out.update(
            available=rendered > 0,
            render_pages=rendered,
            render_items=int(stats.get("item_scraped_count", 0)),
            render_elapsed_s=elapsed,
            render_seconds_max=stats.get("newscrawl/render/seconds_max"),
            render_pages_per_min=rendered / elapsed * 60 if rendered and elapsed else None,
        )
        if not rendered:
            out["reason"] = "no page was rendered: " + ", ".join(
                f"{k}={v}" for k, v in sorted(stats.items()) if k.startswith("newscrawl/render")
            )
    # the demo: `make demo`'s daily8 crawl of the bundled snapshot, throw-away seen-store
    demo_work = tmp / "demo"
    demo_work.mkdir()
    demo = crawl(
        "daily8", ROOT / "tests" / "fixtures", demo_work, "demo-daily8", state=str(demo_work / "seen.sqlite3")
    )
    requested = int(demo["stats"].get("newscrawl/render/requested", 0))
    not_needed = int(demo["stats"].get("newscrawl/render/not_needed", 0))
    out.update(
        demo_article_pages=requested + not_needed,
        demo_rendered_pages=requested,
        daily8_render_share=requested / (requested + not_needed) if requested + not_needed else None,
    )
    return out


def measure(tmp: Path, pages: int, skip: bool) -> dict[str, Any]:
    """The rendering figures under their top-level JSON keys (``skip``: ``--skip-render``)."""
    render = {"available": False, "reason": "--skip-render"} if skip else bench_render(tmp, pages)
    return {
        "render": render,
        "render_pages_per_min": render.get("render_pages_per_min"),
        "daily8_render_share": render.get("daily8_render_share"),
    }
