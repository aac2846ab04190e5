"""`make bench`: parse cost, crawl throughput, memory, incremental cost and rendering.

    python scripts/bench.py [--corpus ../shared/corpus/wild] [--articles 2400] [--out data/bench]
                            [--repeat 15] [--render-pages 24] [--skip-render] [--strict]

Everything runs on this machine in one go, each measurement next to its baseline:

1. Parse cost: ``parser_for(url).parse(response)`` vs ``trafilatura.bare_extraction``
   (``with_metadata=True``) on the same HTML: the golden fixtures' article pages and the
   wild corpus (optional). Median ms per page, by source and by the layer the body came from.
2. Crawl throughput: ``scrapy bench`` (run in an empty directory, so with Scrapy's own
   defaults), then ``scrapy crawl arab_news`` on a generated replay snapshot of
   ``--articles`` articles (RSS, sitemap index + news sitemap + urlsets, paged section
   listings, article pages varied from the Arab News fixtures), through the whole
   pipeline: validation, dedupe, linking, seen-store, durable export, monitors.
3. Memory: peak RSS of that crawl and RSS after 1,000 and 2,000 exported items, sampled
   inside the crawl by ``RssProbe`` (an extension this script adds to ``EXTENSIONS``).
4. Incremental cost: the same crawl again, seen-store kept: requests and wall time.
5. Rendering: Daily8's client-rendered fixture page at ``--render-pages`` URLs through
   Chromium (pages/min, browser start included), and the share of Daily8 article pages
   that needed the browser in the demo crawl of the bundled snapshot.

Writes ``<out>/latest.json`` and ``<out>/<UTC timestamp>.json``; prints a table.
docs/bench.md explains the figures and the targets. Exit status 0 unless a measurement
failed (or, with ``--strict``, a target was missed).
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from functools import partial
from html import escape as html_escape
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape as xml_escape

ROOT = Path(__file__).resolve().parent.parent
SCRIPTS = ROOT / "scripts"
TEMPLATES = ROOT / "tests" / "fixtures" / "arab_news"
FROZEN = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
DATE_HEADER = "Fri, 20 Nov 2026 09:00:00 GMT"
SITE = "https://www.arabnews.com"
SECTIONS = ("saudiarabia", "middleeast", "world")  # the spider's listings
FIRST_NODE = 3_000_000
PER_SITEMAP = 500
PER_LISTING_PAGE = 20
LISTING_PAGES = 3  # the spider follows default_max_pages (3) pages per listing
TARGETS = {
    "parse_speedup": (">=", 8.0),
    "wild_parse_speedup": (">=", 1.5),
    "crawl_ratio": (">=", 0.5),
    "peak_rss_mb": ("<", 200.0),
    "rss_growth_1000_to_2000": ("<", 0.10),
}


# --- the snapshot -----------------------------------------------------------
Entry = tuple[str, str, datetime, datetime]  # url, title, published, lastmod


def _templates() -> list[tuple[str, str, str, str, datetime, datetime]]:
    """(url, html, title, first body words, published, lastmod) of each Arab News
    article fixture; the dates are the page's own, so feeds and pages agree."""
    meta = json.loads((TEMPLATES / "meta.json").read_text("utf-8"))["pages"]
    out = []
    for slug, info in sorted(meta.items()):
        expected = TEMPLATES / f"{slug}.json"
        if info.get("kind") != "article" or not expected.exists():
            continue
        article = json.loads(expected.read_text("utf-8"))
        html = (TEMPLATES / f"{slug}.html").read_text("utf-8")
        first = article["body"].split("\n\n")[0][:30]
        published = datetime.fromisoformat(article["published_at"])
        lastmod = datetime.fromisoformat(article["modified_at"] or article["published_at"])
        out.append((info["url"], html, article["title"], first if first in html else "", published, lastmod))
    return out


def _line(url: str, body: str, content_type: str = "text/html; charset=utf-8") -> str:
    headers = {"Content-Type": content_type, "Date": DATE_HEADER}
    return json.dumps({"url": url, "status": 200, "headers": headers, "body": body})


def _rss(items: list[Entry]) -> str:
    entries = "".join(
        f"<item><title>{xml_escape(title)}</title><link>{url}</link>"
        f"<pubDate>{published.strftime('%a, %d %b %Y %H:%M:%S %z')}</pubDate></item>\n"
        for url, title, published, _ in items
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"><channel><title>Arab News</title>'
        f"<link>{SITE}/</link>\n{entries}</channel></rss>\n"
    )


def _urlset(items: list[Entry], news: bool) -> str:
    rows = []
    for url, title, published, lastmod in items:
        extra = (
            f"<news:news><news:publication><news:name>Arab News</news:name><news:language>en"
            f"</news:language></news:publication><news:publication_date>{published.isoformat()}"
            f"</news:publication_date><news:title>{xml_escape(title)}</news:title></news:news>"
            if news
            else ""
        )
        rows.append(f"<url><loc>{url}</loc><lastmod>{lastmod.isoformat()}</lastmod>{extra}</url>\n")
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"'
        ' xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">\n' + "".join(rows) + "</urlset>\n"
    )


def _listing(section: str, items: list[Entry], page: int) -> str:
    cards = "".join(
        f'<div class="article-item"><div class="article-item-img"><a href="{url.removeprefix(SITE)}">'
        f'<img src="/img/{n}.jpg" alt=""></a></div><div class="article-item-title"><h4>'
        f'<a href="{url.removeprefix(SITE)}">{html_escape(title)}</a></h4></div></div>\n'
        for n, (url, title, _, _) in enumerate(items)
    )
    pager = (
        f'<ul class="pager__items"><li class="pager__item pager__item--next"><a href="?page={page + 1}"'
        ' rel="next">Next</a></li></ul>'
        if page + 1 < LISTING_PAGES
        else ""
    )
    return (
        f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{section} | Arab News'
        f'</title><link rel="canonical" href="{SITE}/{section}"></head><body><main><h1>{section}</h1>'
        f'<div class="view-content">\n{cards}</div><nav class="pager">{pager}</nav></main></body></html>\n'
    )


def generate_snapshot(root: Path, articles: int = 2400) -> dict[str, int]:
    """Write a replay snapshot of ``articles`` Arab News articles under ``root``.

    Article pages are the golden fixtures with a new node id (so a new URL, canonical
    and item id), a numbered title and a numbered first paragraph: every page is a
    distinct, valid article; feed and sitemap dates are the page's own. The RSS feed
    lists the first 50, the news sitemap the first 200, plain urlsets (behind the
    sitemap index) all of them, and each section listing pages through 60 (so most
    articles are listed twice or three times, as on the site). Returns the counts.
    """
    templates = _templates()
    if not templates:
        raise RuntimeError(f"no article fixtures with expected JSON under {TEMPLATES}")
    (root / "pages").mkdir(parents=True, exist_ok=True)
    lines = [_line(f"{SITE}/robots.txt", "robots.txt", "text/plain; charset=utf-8")]
    shutil.copyfile(TEMPLATES / "robots.txt", root / "robots.txt")
    items: list[Entry] = []
    for n in range(articles):
        url, html, title, first, published, lastmod = templates[n % len(templates)]
        node = FIRST_NODE + n
        old_node = re.search(r"/node/(\d+)", url)
        assert old_node is not None
        new_url = url.replace(f"/node/{old_node[1]}", f"/node/{node}")
        new_title = f"{title} ({n})"
        page = html.replace(f"/node/{old_node[1]}", f"/node/{node}")
        for form in dict.fromkeys((title, html_escape(title), title.replace("'", "&#039;"))):
            page = page.replace(form, f"{form} ({n})")
        if first:
            page = page.replace(first, f"Item {n}. {first}")
        (root / "pages" / f"{node}.html").write_text(page, "utf-8")
        lines.append(_line(new_url, f"pages/{node}.html"))
        items.append((new_url, new_title, published, lastmod))
    feeds = {"rss.xml": _rss(items[:50]), "sitemap-news.xml": _urlset(items[:200], news=True)}
    chunks = [items[i : i + PER_SITEMAP] for i in range(0, len(items), PER_SITEMAP)]
    for k, chunk in enumerate(chunks, 1):
        feeds[f"sitemap-articles-{k}.xml"] = _urlset(chunk, news=False)
    children = ["sitemap-news.xml"] + [f"sitemap-articles-{k}.xml" for k in range(1, len(chunks) + 1)]
    feeds["sitemap.xml"] = (
        '<?xml version="1.0" encoding="UTF-8"?>\n<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
        + "".join(f"<sitemap><loc>{SITE}/{c}</loc></sitemap>\n" for c in children)
        + "</sitemapindex>\n"
    )
    for name, text in feeds.items():
        (root / name).write_text(text, "utf-8")
        lines.append(_line(f"{SITE}/{name}", name, "application/xml; charset=utf-8"))
    per_section = PER_LISTING_PAGE * LISTING_PAGES
    for s, section in enumerate(SECTIONS):
        start = s * per_section
        for page in range(LISTING_PAGES):
            chunk = items[start + page * PER_LISTING_PAGE : start + (page + 1) * PER_LISTING_PAGE]
            name = f"listing-{section}-{page}.html"
            (root / name).write_text(_listing(section, chunk, page), "utf-8")
            url = f"{SITE}/{section}" + (f"?page={page}" if page else "")
            lines.append(_line(url, name))
    (root / "manifest.jsonl").write_text("\n".join(lines) + "\n", "utf-8")
    return {
        "articles": articles,
        "sitemaps": len(children) + 1,
        "listing_pages": len(SECTIONS) * LISTING_PAGES,
        "urls": len(lines),
    }


# --- the RSS probe (runs inside the crawl process) --------------------------
def _status_kb(field: str) -> int | None:
    """``VmRSS``/``VmHWM`` of this process from /proc (Linux), in kB."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return None


def _peak_kb() -> int:
    import resource

    return _status_kb("VmHWM") or resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # kB on Linux


class RssProbe:
    """Scrapy extension: RSS every ``BENCH_PROBE_EVERY`` exported items, peak at close,
    written as JSON to ``BENCH_PROBE_FILE``. Loaded by this script only."""

    def __init__(self, path: Path, every: int) -> None:
        self.path = path
        self.every = every
        self.items = 0
        self.samples: list[tuple[int, float]] = []

    @classmethod
    def from_crawler(cls, crawler: Any) -> RssProbe:
        from scrapy import signals
        from scrapy.exceptions import NotConfigured

        path = crawler.settings.get("BENCH_PROBE_FILE")
        if not path:
            raise NotConfigured("BENCH_PROBE_FILE is not set")
        probe = cls(Path(path), crawler.settings.getint("BENCH_PROBE_EVERY", 100))
        crawler.signals.connect(probe.scraped, signal=signals.item_scraped)
        crawler.signals.connect(probe.closed, signal=signals.spider_closed)
        return probe

    def scraped(self) -> None:
        self.items += 1
        if self.items % self.every == 0 and (rss := _status_kb("VmRSS")) is not None:
            self.samples.append((self.items, rss / 1024))

    def closed(self) -> None:
        data = {"items": self.items, "samples": self.samples, "peak_rss_mb": _peak_kb() / 1024}
        self.path.write_text(json.dumps(data), "utf-8")


# --- 1. parse cost ----------------------------------------------------------
def _forget_duplicates() -> None:
    """Empty trafilatura's duplicate filter: it remembers text segments across calls, so
    extracting the same page again and again would drop its paragraphs as duplicates
    (the generic layer uses ``deduplicate=True``). Its pure memo caches stay warm, as
    they are in a long crawl (and repeating one page favours them, if anything)."""
    try:
        from trafilatura.deduplication import LRU_TEST
    except ImportError:
        return
    LRU_TEST.clear()


def _time_pair(ours: Callable[[], Any], theirs: Callable[[], Any], repeat: int) -> tuple[float, float]:
    """Median CPU ms of each (``process_time``: other processes on the machine do not
    count), measured interleaved so that cache and frequency effects hit both alike."""
    ours()
    theirs()
    a: list[float] = []
    b: list[float] = []
    for _ in range(repeat):
        for fn, out in ((ours, a), (theirs, b)):
            _forget_duplicates()
            start = time.process_time()
            fn()
            out.append((time.process_time() - start) * 1000)
    return statistics.median(a), statistics.median(b)


def _parse_next(parser: Any, responses: Iterator[Any]) -> dict[str, Any]:
    fields: dict[str, Any] = parser.parse(next(responses), crawled_at=FROZEN)
    return fields


def _parse_rows(pages: list[tuple[str, str, bytes, dict[str, str]]], repeat: int) -> list[dict[str, Any]]:
    """One row per page: (group, url, body, headers) -> ms of both and the body layer."""
    import trafilatura
    from scrapy.http import HtmlResponse, Request

    from newscrawl.parsers import parser_for

    rows = []
    for group, url, body, headers in pages:
        parser = parser_for(url)
        if parser is None:
            continue
        # a fresh response per call (the parsed tree is cached on the response), built
        # outside the timing; the HTML is decoded once for trafilatura likewise
        responses = iter(
            [
                HtmlResponse(url=url, body=body, headers=headers, encoding="utf-8", request=Request(url))
                for _ in range(repeat + 2)
            ]
        )
        ours = partial(_parse_next, parser, responses)
        theirs = partial(
            trafilatura.bare_extraction, body.decode("utf-8", errors="replace"), url=url, with_metadata=True
        )
        gc.collect()
        ms_ours, ms_theirs = _time_pair(ours, theirs, repeat)
        _forget_duplicates()
        layer = (ours().get("extraction") or {}).get("body", "no body")
        rows.append({"group": group, "url": url, "ours": ms_ours, "theirs": ms_theirs, "layer": layer})
    return rows


def _summary(rows: list[dict[str, Any]]) -> dict[str, Any]:
    ours = statistics.median(r["ours"] for r in rows)
    theirs = statistics.median(r["theirs"] for r in rows)
    return {"pages": len(rows), "ms_project": ours, "ms_trafilatura": theirs, "speedup": theirs / ours}


def bench_parse(corpus: Path | None, repeat: int) -> dict[str, Any]:
    sys.path.insert(0, str(ROOT))
    from tests.conftest import article_pages

    fixtures = [(p.source, p.url, p.html.read_bytes(), p.headers) for p in article_pages()]
    rows = _parse_rows(fixtures, repeat)
    out: dict[str, Any] = {"fixtures": _summary(rows), "by_source": {}, "by_layer": {}}
    for key, field in (("by_source", "group"), ("by_layer", "layer")):
        groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for row in rows:
            groups[row[field]].append(row)
        out[key] = {name: _summary(group) for name, group in sorted(groups.items())}
    if corpus and (corpus / "truth.json").exists():
        truth = json.loads((corpus / "truth.json").read_text("utf-8"))
        # served at an Arab News article URL, as scripts/eval_wild.py does
        wild = [
            ("wild", f"{SITE}/node/{9_000_000 + n}/world", (corpus / name).read_bytes(), {})
            for n, name in enumerate(sorted(truth))
        ]
        wild_rows = _parse_rows(wild, max(3, repeat // 3))
        out["wild"] = {**_summary(wild_rows), "layers": dict(Counter(r["layer"] for r in wild_rows))}
    return out


def bench_largest_page(paragraphs: int = 100_000) -> dict[str, Any]:
    """Parse time of one page near ``DOWNLOAD_MAXSIZE`` (10 MiB): every parse step must
    be linear, so a hostile or huge page costs seconds, not minutes, of the reactor."""
    from scrapy.http import HtmlResponse, Request

    from newscrawl.parsers import parser_for

    line = "<p>Paragraph {n}: the committee met again on the matter and agreed to publish its findings.</p>\n"
    head = "<title>Large page</title><meta property='article:published_time' content='2026-11-18'>"
    html = f"<html><head>{head}</head><body><article><h1>Large page</h1>"
    body = (html + "".join(line.format(n=n) for n in range(paragraphs)) + "</article></body></html>").encode()
    url = f"{SITE}/node/9999999/world"
    response = HtmlResponse(
        url=url, body=body, headers={"Content-Type": "text/html; charset=utf-8"}, request=Request(url)
    )
    start = time.perf_counter()
    fields = parser_for(url).parse(response, crawled_at=FROZEN)  # type: ignore[union-attr]
    seconds = time.perf_counter() - start
    return {
        "mb": len(body) / 1e6,
        "paragraphs": paragraphs,
        "seconds": seconds,
        "body_chars": len(fields["body"] or ""),
    }


def top_functions(stats: Any, per: int, limit: int = 12) -> list[dict[str, Any]]:
    """The ``limit`` functions with the most own time (cProfile), in ms per ``per`` unit."""
    total = sum(row[2] for row in stats.stats.values()) or 1.0
    rows = sorted(stats.stats.items(), key=lambda kv: kv[1][2], reverse=True)[:limit]
    return [
        {
            "function": f"{Path(file).name}:{line}({name})",
            "own_ms": own * 1000 / per,
            "cum_ms": cum * 1000 / per,
            "share": own / total,
        }
        for (file, line, name), (_, _, own, cum, _) in rows
    ]


def _module(file: str, name: str) -> str:
    """A readable owner for a profile row: package, project module or builtin kind."""
    if file == "~":  # C builtins: "<method 'search' of 're.Pattern' objects>" -> "builtin re.Pattern"
        kind = re.search(r"of '([\w.]+)' objects|built-in method ([\w.]+)", name)
        return "builtin " + (next(g for g in kind.groups() if g) if kind else name)
    path = Path(file)
    if "site-packages" in path.parts:
        return path.parts[path.parts.index("site-packages") + 1].removesuffix(".py")
    if "newscrawl" in path.parts:
        return "/".join(path.parts[path.parts.index("newscrawl") :])
    return "stdlib " + path.stem


def by_module(stats: Any, per: int, limit: int = 12) -> list[dict[str, Any]]:
    """Own time summed by ``_module``: where the time goes, in ms per ``per`` unit."""
    owners: Counter[str] = Counter()
    for (file, _, name), (_, _, own, _, _) in stats.stats.items():
        owners[_module(file, name)] += own
    total = sum(owners.values()) or 1.0
    return [
        {"module": owner, "own_ms": own * 1000 / per, "share": own / total}
        for owner, own in owners.most_common(limit)
    ]


def profile_parse(out: Path) -> dict[str, list[dict[str, Any]]]:
    """cProfile of the project's parsers over the fixture pages (20 rounds, after a warm-up
    round: first-use costs such as dateparser's locale regexes are left out)."""
    import cProfile
    import pstats

    from scrapy.http import HtmlResponse, Request

    from newscrawl.parsers import parser_for
    from tests.conftest import article_pages

    pages = [(p.url, p.html.read_bytes(), p.headers, parser_for(p.url)) for p in article_pages()]
    pages = [page for page in pages if page[3] is not None]
    rounds = 20
    responses = [
        [HtmlResponse(url=u, body=b, headers=h, encoding="utf-8", request=Request(u)) for u, b, h, _ in pages]
        for _ in range(rounds + 1)
    ]
    for response, (_, _, _, parser) in zip(responses.pop(), pages, strict=True):
        parser.parse(response, crawled_at=FROZEN)  # type: ignore[union-attr]
    profiler = cProfile.Profile()
    profiler.enable()
    for batch in responses:
        for response, (_, _, _, parser) in zip(batch, pages, strict=True):
            parser.parse(response, crawled_at=FROZEN)  # type: ignore[union-attr]
    profiler.disable()
    profiler.dump_stats(out / "parse.prof")
    stats = pstats.Stats(profiler)
    per = rounds * len(pages)
    return {"by_module": by_module(stats, per), "by_function": top_functions(stats, per)}


# --- 2-4. crawls ------------------------------------------------------------
def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NEWSCRAWL_", "SCRAPY_"))}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(SCRIPTS), str(ROOT), env.get("PYTHONPATH")]))
    return env


def scrapy_bench(tmp: Path, seconds: int) -> dict[str, Any]:
    """``scrapy bench`` outside the project (Scrapy's defaults), its rate from the stats dump."""
    where = tmp / "scrapy-bench"
    where.mkdir()
    cmd = [sys.executable, "-m", "scrapy", "bench", "-s", f"CLOSESPIDER_TIMEOUT={seconds}"]
    proc = subprocess.run(cmd, cwd=where, env=_env(), capture_output=True, text=True, check=False)
    log = proc.stderr
    count = re.search(r"'response_received_count': (\d+)", log)
    elapsed = re.search(r"'elapsed_time_seconds': ([\d.]+)", log)
    if count and elapsed:
        rate = int(count[1]) / float(elapsed[1]) * 60
    else:  # LogStats lines: "Crawled N pages (at M pages/min)"
        rates = [int(m) for m in re.findall(r"Crawled \d+ pages \(at (\d+) pages/min\)", log)]
        rate = statistics.mean(rates[1:]) if len(rates) > 1 else 0.0
    if not rate:
        raise RuntimeError(f"scrapy bench gave no rate:\n{log[-2000:]}")
    return {"pages_per_min": rate, "pages": int(count[1]) if count else None}


def crawl(
    spider: str,
    snapshot: Path,
    work: Path,
    name: str,
    *,
    state: str,
    extra: dict[str, str] | None = None,
    args: dict[str, str] | None = None,
    profile: Path | None = None,
) -> dict[str, Any]:
    """``scrapy crawl`` in a fresh process; returns its stats, probe data and wall time."""
    from newscrawl import settings as project

    stats_file = work / f"{name}.stats.json"
    probe_file = work / f"{name}.probe.json"
    extensions = {**project.EXTENSIONS, "bench.RssProbe": 900}
    settings = {
        "NEWSCRAWL_REPLAY": str(snapshot),
        "NEWSCRAWL_DATA_DIR": str(work / "data"),
        "NEWSCRAWL_STATE": state,
        "NEWSCRAWL_STATS_FILE": str(stats_file),
        "EXTENSIONS": json.dumps(extensions),
        "BENCH_PROBE_FILE": str(probe_file),
        "LOG_LEVEL": "INFO",
        **(extra or {}),
    }
    cmd = [sys.executable, "-m", "scrapy", "crawl", spider]
    for key, value in settings.items():
        cmd += ["-s", f"{key}={value}"]
    for key, value in (args or {}).items():
        cmd += ["-a", f"{key}={value}"]
    if profile:
        cmd += ["--profile", str(profile)]
    log = work / f"{name}.log"
    started = time.monotonic()
    with log.open("w") as err:
        proc = subprocess.run(cmd, cwd=ROOT, env=_env(), stdout=err, stderr=err, check=False)
    wall = time.monotonic() - started
    stats = json.loads(stats_file.read_text("utf-8")) if stats_file.exists() else {}
    if proc.returncode or not stats:
        tail = "\n".join(log.read_text("utf-8", errors="replace").splitlines()[-8:])
        raise RuntimeError(f"crawl {name} failed (exit {proc.returncode}); log ends:\n{tail}")
    probe = json.loads(probe_file.read_text("utf-8")) if probe_file.exists() else {}
    return {"stats": stats, "probe": probe, "wall_s": wall, "log": str(log)}


def _rate(stats: dict[str, Any]) -> float:
    """Responses per minute over the crawl's own elapsed time (as ``scrapy bench`` reports)."""
    elapsed = float(stats.get("elapsed_time_seconds") or 0)
    return int(stats.get("response_received_count", 0)) / elapsed * 60 if elapsed else 0.0


def _rss_at(samples: list[list[float]], items: int) -> float | None:
    for count, rss in samples:
        if count >= items:
            return float(rss)
    return None


# --- 5. rendering -----------------------------------------------------------
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
    lines += [_line(url, "js-rendered.html") for url in urls]
    (root / "manifest.jsonl").write_text("\n".join(lines) + "\n", "utf-8")
    return urls


def bench_render(tmp: Path, pages: int) -> dict[str, Any]:
    out: dict[str, Any] = {}
    try:
        import newscrawl.rendering  # noqa: F401
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
            run = crawl(
                "daily8", work / "snapshot", work, "render", state="off", args={"urls": ",".join(urls)}
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


# --- report -----------------------------------------------------------------
# --- linking lookup (helper C) ----------------------------------------------
LINK_SIZES = (1_000, 100_000, 1_000_000)


def bench_linking(tmp: Path, sizes: tuple[int, ...] = LINK_SIZES, queries: int = 2000) -> dict[str, Any]:
    """``store.find_original`` on SQLite stores of 1k/100k/1M originals (random SimHashes,
    bulk-loaded into the store's own tables), median ms per lookup; half the queries are
    near-duplicates (found), half strangers. Beside it, the linear scan the store's key
    index replaced (min distance over every fingerprint), timed on a few queries."""
    import random

    from newscrawl import linking
    from newscrawl.seen import SqliteSeenStore

    out: dict[str, Any] = {}
    for n in sizes:
        rnd = random.Random(n)
        prints = [rnd.getrandbits(64) for _ in range(n)]
        store = SqliteSeenStore(tmp / f"linking-{n}.sqlite3")
        with store.db:
            store.db.execute("BEGIN IMMEDIATE")
            store.db.executemany(
                "INSERT INTO original_prints (oid, id, simhash) VALUES (?, ?, ?)",
                (
                    (i + 1, f"arab_news:{i}", fp - (1 << 64) if fp >= 1 << 63 else fp)
                    for i, fp in enumerate(prints)
                ),
            )
            store.db.executemany(
                "INSERT OR IGNORE INTO original_keys VALUES (?, ?)",
                ((key, i + 1) for i, fp in enumerate(prints) for key in linking.keys(fp)),
            )
        asks = [prints[rnd.randrange(n)] ^ (1 << rnd.randrange(64)) if i % 2 else rnd.getrandbits(64)
                for i in range(queries)]  # fmt: skip
        times, found = [], 0
        for q in asks:
            started = time.perf_counter()
            found += store.find_original(q) is not None
            times.append(time.perf_counter() - started)
        store.close()
        scans = []
        for q in asks[:5]:
            started = time.perf_counter()
            min((linking.distance(q, fp), i) for i, fp in enumerate(prints))
            scans.append(time.perf_counter() - started)
        out[str(n)] = {
            "ms_store": statistics.median(times) * 1000,
            "ms_linear_scan": statistics.median(scans) * 1000,
            "found": found,
            "queries": queries,
        }
        (tmp / f"linking-{n}.sqlite3").unlink(missing_ok=True)
    return out


def _met(key: str, value: float | None) -> bool | None:
    if value is None:
        return None
    op, target = TARGETS[key]
    return value >= target if op == ">=" else value < target


def _fmt(value: Any, spec: str = ".1f") -> str:
    if value is None:
        return "n/a"
    return format(value, spec) if isinstance(value, (int, float)) else str(value)


def table(r: dict[str, Any]) -> str:
    """The figures as an aligned text table: measure, value, baseline/detail, target, met."""
    rows: list[tuple[str, ...]] = []

    def row(label: str, value: str, detail: str = "", key: str = "", ratio: str = "") -> None:
        target = met = ""
        if key:
            op, goal = TARGETS[key]
            target = f"{op} {goal:.0%}" if key == "rss_growth_1000_to_2000" else f"{op} {goal:g}"
            met = {True: "yes", False: "NO", None: "n/a"}[r["targets"][key]["met"]]
        rows.append((label, value, detail, ratio or target, met))

    def parse_row(label: str, s: dict[str, Any]) -> None:
        row(label, f"{s['ms_project']:.2f} ms", f"{s['ms_trafilatura']:.2f} ms", ratio=f"{s['speedup']:.1f}x")

    p = r["parse"]
    parse_row(f"parse, fixtures ({p['fixtures']['pages']} pages): project | trafilatura", p["fixtures"])
    row("parse speedup vs trafilatura, fixtures", f"{r['parse_speedup']:.1f}x", key="parse_speedup")
    for name, s in p["by_source"].items():
        parse_row(f"  source {name} ({s['pages']})", s)
    for name, s in p["by_layer"].items():
        parse_row(f"  body layer {name} ({s['pages']})", s)
    if "wild" in p:
        layers = ", ".join(f"{k} {v}" for k, v in sorted(p["wild"]["layers"].items()))
        parse_row(f"  wild corpus ({p['wild']['pages']}; body: {layers})", p["wild"])
        row(
            "parse speedup vs trafilatura, wild corpus",
            f"{r['wild_parse_speedup']:.1f}x",
            key="wild_parse_speedup",
        )
    if big := r.get("largest_page"):
        row(
            f"largest page ({big['mb']:.1f} MB, {big['paragraphs']:,} paragraphs): parse s",
            f"{big['seconds']:.1f}",
        )
    row(
        "crawl pages/min: project | scrapy bench",
        _fmt(r["crawl_pages_per_min"], ".0f"),
        _fmt(r["scrapy_bench_pages_per_min"], ".0f"),
    )
    row("crawl ratio to scrapy bench", _fmt(r["crawl_ratio"], ".2f"), key="crawl_ratio")
    row(
        "  articles exported | requests | wall s",
        f"{r['crawl_items']} | {r['crawl_requests']}",
        _fmt(r["crawl_wall_s"], ".1f"),
    )
    if r.get("crawl_nostate_pages_per_min"):
        row(
            "  same crawl, seen-store off: pages/min | ratio",
            _fmt(r["crawl_nostate_pages_per_min"], ".0f"),
            _fmt(r["crawl_nostate_ratio"], ".2f"),
        )
    row("peak RSS MB", _fmt(r["peak_rss_mb"]), key="peak_rss_mb")
    row("RSS MB at 1,000 | 2,000 articles", _fmt(r["rss_mb_at_1000"]), _fmt(r["rss_mb_at_2000"]))
    growth = r["rss_growth_1000_to_2000"]
    row(
        "RSS growth 1,000 -> 2,000 articles",
        _fmt(None if growth is None else f"{growth:+.1%}"),
        key="rss_growth_1000_to_2000",
    )
    row(
        "rerun (unchanged): requests | article requests",
        str(r["rerun_requests"]),
        str(r["rerun_article_requests"]),
    )
    row("rerun: items | wall s", str(r["rerun_items"]), _fmt(r["rerun_wall_s"], ".1f"))
    render = r["render"]
    row(
        "render pages/min through Chromium (daily8 JS page)",
        _fmt(r["render_pages_per_min"]),
        str(render.get("reason") or f"{render.get('render_pages', 0)} pages, browser start included"),
    )
    share = r["daily8_render_share"]
    row(
        "daily8 demo article pages that needed rendering",
        _fmt(None if share is None else f"{share:.0%}"),
        f"{render.get('demo_rendered_pages', '?')} of {render.get('demo_article_pages', '?')}",
    )
    for n, link in (r.get("linking") or {}).items():
        row(
            f"linking lookup, {int(n):,} originals: store (key index) | linear scan",
            f"{link['ms_store']:.3f} ms",
            f"{link['ms_linear_scan']:.2f} ms",
        )
    head = ("measure", "value", "baseline/detail", "target", "met")
    widths = [max(len(x[i]) for x in [head, *rows]) for i in range(5)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(x, widths, strict=True)).rstrip() for x in [head, *rows]]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--corpus", type=Path, default=ROOT.parent / "shared" / "corpus" / "wild")
    ap.add_argument("--articles", type=int, default=2400, help="articles in the generated snapshot (>= 2000)")
    ap.add_argument("--out", type=Path, default=ROOT / "data" / "bench")
    ap.add_argument("--repeat", type=int, default=15, help="timings per page in the parse benchmark")
    ap.add_argument("--bench-seconds", type=int, default=10, help="scrapy bench duration")
    ap.add_argument("--render-pages", type=int, default=24)
    ap.add_argument("--skip-render", action="store_true", help="no Chromium and no daily8 demo crawl")
    ap.add_argument("--no-state-baseline", action="store_true", help="skip the seen-store-off crawl")
    ap.add_argument("--keep", action="store_true", help="keep the temporary directory (snapshot, logs)")
    ap.add_argument(
        "--profile", action="store_true", help="also cProfile the parsers and the crawl (<out>/*.prof)"
    )
    ap.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    opts = ap.parse_args()
    started = time.monotonic()
    tmp = Path(tempfile.mkdtemp(prefix="newscrawl-bench-"))
    try:
        result = run(opts, tmp)
    finally:
        if opts.keep:
            print(f"kept {tmp}", file=sys.stderr)
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    result["bench_seconds"] = round(time.monotonic() - started, 1)
    opts.out.mkdir(parents=True, exist_ok=True)
    text = json.dumps(result, indent=1, sort_keys=True, default=str)
    stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H-%M-%SZ")
    (opts.out / f"{stamp}.json").write_text(text, "utf-8")
    (opts.out / "latest.json").write_text(text, "utf-8")
    print()
    print(table(result))
    machine = result["machine"]
    print(
        f"\n{machine['cpus']} CPUs, load average {machine['load_average_at_start']} at start,"
        f" {machine['load_average_at_crawl']} before the crawl (other processes make rates noisy;"
        " each ratio is measured side by side)"
    )
    print(f"written: {opts.out / 'latest.json'} and {stamp}.json ({result['bench_seconds']} s)")
    for name, views in result.get("profile", {}).items():
        print(f"\nwhere the time goes: {name}, own time under cProfile (profiler overhead included)")
        for mod, fun in zip(views["by_module"], views["by_function"], strict=False):
            left = f"{mod['own_ms']:7.3f} {mod['share']:6.1%}  {mod['module']}"
            right = f"{fun['own_ms']:7.3f} {fun['share']:6.1%}  {fun['function']}"
            print(f"  {left:<48} | {right}")
    missed = [k for k, t in result["targets"].items() if t["met"] is False]
    if missed:
        print("targets missed: " + ", ".join(missed) + " (docs/bench.md: where the time goes)")
    return 1 if opts.strict and missed else 0


def _load() -> float | None:
    """1-minute load average: other processes on the machine make absolute rates noisy."""
    try:
        return round(os.getloadavg()[0], 2)
    except OSError:
        return None


def _step(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def run(opts: argparse.Namespace, tmp: Path) -> dict[str, Any]:
    r: dict[str, Any] = {
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "cpus": os.cpu_count(),
            "python": sys.version.split()[0],
            "platform": sys.platform,
            "load_average_at_start": _load(),
        },
    }
    _step("1/5 parse cost: project parsers vs trafilatura")
    r["parse"] = bench_parse(opts.corpus, opts.repeat)
    fixtures = r["parse"]["fixtures"]
    r["parse_ms_project"] = fixtures["ms_project"]
    r["parse_ms_trafilatura"] = fixtures["ms_trafilatura"]
    r["parse_speedup"] = fixtures["speedup"]
    r["wild_parse_speedup"] = r["parse"]["wild"]["speedup"] if "wild" in r["parse"] else None
    _step("    largest page: 100,000 paragraphs near DOWNLOAD_MAXSIZE")
    r["largest_page"] = bench_largest_page()

    _step(f"2/5 scrapy bench ({opts.bench_seconds} s), then generating {opts.articles} articles")
    r["scrapy_bench"] = scrapy_bench(tmp, opts.bench_seconds)
    r["scrapy_bench_pages_per_min"] = r["scrapy_bench"]["pages_per_min"]
    snapshot = tmp / "snapshot"
    r["snapshot"] = generate_snapshot(snapshot, opts.articles)
    state = str(tmp / "state" / "seen.sqlite3")
    (tmp / "state").mkdir()

    r["machine"]["load_average_at_crawl"] = _load()
    _step("2-3/5 crawl of the snapshot, whole pipeline, seen-store on (SQLite)")
    first = crawl("arab_news", snapshot, tmp, "crawl", state=state)
    stats = first["stats"]
    r["crawl_pages_per_min"] = _rate(stats)
    r["crawl_items_per_min"] = (
        int(stats.get("item_scraped_count", 0)) / float(stats["elapsed_time_seconds"]) * 60
    )
    r["crawl_ratio"] = r["crawl_pages_per_min"] / r["scrapy_bench_pages_per_min"]
    r["crawl_items"] = int(stats.get("item_scraped_count", 0))
    r["crawl_requests"] = int(stats.get("downloader/request_count", 0))
    r["crawl_wall_s"] = first["wall_s"]
    r["crawl_elapsed_s"] = float(stats["elapsed_time_seconds"])
    r["seen_store"] = "on" if any(k.startswith("newscrawl/seen/") for k in stats) else "absent"
    samples = first["probe"].get("samples", [])
    r["peak_rss_mb"] = first["probe"].get("peak_rss_mb")
    r["rss_mb_at_1000"] = _rss_at(samples, 1000)
    r["rss_mb_at_2000"] = _rss_at(samples, 2000)
    r["rss_growth_1000_to_2000"] = (
        r["rss_mb_at_2000"] / r["rss_mb_at_1000"] - 1 if r["rss_mb_at_1000"] and r["rss_mb_at_2000"] else None
    )
    r["rss_samples"] = samples
    r["crawl_stats"] = {k: v for k, v in stats.items() if not k.startswith("spidermon")}

    _step("4/5 the same crawl again, seen-store kept")
    again = crawl("arab_news", snapshot, tmp, "rerun", state=state)
    stats2 = again["stats"]
    r["rerun_requests"] = int(stats2.get("downloader/request_count", 0))
    # robots.txt, feeds, sitemaps and listings are fetched on every run; the rest are articles
    r["rerun_article_requests"] = r["rerun_requests"] - (r["snapshot"]["urls"] - r["snapshot"]["articles"])
    r["rerun_items"] = int(stats2.get("item_scraped_count", 0))
    r["rerun_wall_s"] = again["wall_s"]
    r["rerun_elapsed_s"] = float(stats2.get("elapsed_time_seconds") or 0)
    r["rerun_seen_skipped"] = int(stats2.get("newscrawl/seen/skipped", 0))

    if not opts.no_state_baseline:
        _step("    diagnosis: the first crawl with the seen-store off")
        off = crawl("arab_news", snapshot, tmp, "nostate", state="off")
        r["crawl_nostate_pages_per_min"] = _rate(off["stats"])
        r["crawl_nostate_ratio"] = r["crawl_nostate_pages_per_min"] / r["scrapy_bench_pages_per_min"]
        r["crawl_nostate_peak_rss_mb"] = off["probe"].get("peak_rss_mb")

    if opts.profile:
        _step("    profiles: parsers over the fixtures, and the crawl (fresh seen-store) under cProfile")
        opts.out.mkdir(parents=True, exist_ok=True)
        import pstats

        prof = opts.out / "crawl.prof"
        profiled = crawl(
            "arab_news", snapshot, tmp, "profiled", state=str(tmp / "profiled.sqlite3"), profile=prof
        )
        pages = int(profiled["stats"].get("response_received_count") or 1)
        crawl_stats = pstats.Stats(str(prof))
        r["profile"] = {
            "parse (ms per fixture page)": profile_parse(opts.out),
            "crawl (ms per response)": {
                "by_module": by_module(crawl_stats, pages),
                "by_function": top_functions(crawl_stats, pages),
            },
        }

    if opts.skip_render:
        r["render"] = {"available": False, "reason": "--skip-render"}
    else:
        _step("5/5 rendering through Chromium, and the daily8 demo crawl")
        r["render"] = bench_render(tmp, opts.render_pages)
    _step("    linking: Daily8 original lookup in the seen-store at 1k/100k/1M originals")
    r["linking"] = bench_linking(tmp)
    r["render_pages_per_min"] = r["render"].get("render_pages_per_min")
    r["daily8_render_share"] = r["render"].get("daily8_render_share")
    from newscrawl import settings as project

    r["settings"] = {
        "spider": "arab_news, replay, whole pipeline (project settings; nothing tuned for the bench)",
        "CONCURRENT_REQUESTS": project.CONCURRENT_REQUESTS,
        "CONCURRENT_REQUESTS_PER_DOMAIN": project.CONCURRENT_REQUESTS_PER_DOMAIN,
        "DOWNLOAD_DELAY": "0 (replay turns politeness delays off)",
        "AUTOTHROTTLE_ENABLED": "False (replay)",
        "ROBOTSTXT_OBEY": project.ROBOTSTXT_OBEY,
        "NEWSCRAWL_STATE": "a fresh SQLite file, kept for the rerun",
        "LOG_LEVEL": "INFO",
        "scrapy bench": "Scrapy's defaults (run outside the project), CLOSESPIDER_TIMEOUT="
        + str(opts.bench_seconds),
    }
    r["targets"] = {
        key: {"target": f"{op} {goal:g}", "value": r.get(key), "met": _met(key, r.get(key))}
        for key, (op, goal) in TARGETS.items()
    }
    return r


if __name__ == "__main__":
    raise SystemExit(main())
