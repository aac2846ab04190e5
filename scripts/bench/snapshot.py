"""The generated replay snapshot the crawl benchmark (2-4) runs on: ``generate_snapshot``.

``--articles`` Arab News articles varied from the golden fixtures, with the spider's own
discovery around them (RSS, sitemap index, news sitemap, urlsets, paged section listings).
No timings here; ``tests/test_bench.py`` checks that the spider can crawl it.
"""

from __future__ import annotations

import json
import re
import shutil
from datetime import datetime
from html import escape as html_escape
from pathlib import Path
from xml.sax.saxutils import escape as xml_escape

from .common import ROOT, SITE, replay_line

TEMPLATES = ROOT / "tests" / "fixtures" / "arab_news"
SECTIONS = ("saudiarabia", "middleeast", "world")  # the spider's listings
FIRST_NODE = 3_000_000
PER_SITEMAP = 500
PER_LISTING_PAGE = 20
LISTING_PAGES = 3  # the spider follows default_max_pages (3) pages per listing

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
    lines = [replay_line(f"{SITE}/robots.txt", "robots.txt", "text/plain; charset=utf-8")]
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
        lines.append(replay_line(new_url, f"pages/{node}.html"))
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
        lines.append(replay_line(f"{SITE}/{name}", name, "application/xml; charset=utf-8"))
    per_section = PER_LISTING_PAGE * LISTING_PAGES
    for s, section in enumerate(SECTIONS):
        start = s * per_section
        for page in range(LISTING_PAGES):
            chunk = items[start + page * PER_LISTING_PAGE : start + (page + 1) * PER_LISTING_PAGE]
            name = f"listing-{section}-{page}.html"
            (root / name).write_text(_listing(section, chunk, page), "utf-8")
            url = f"{SITE}/{section}" + (f"?page={page}" if page else "")
            lines.append(replay_line(url, name))
    (root / "manifest.jsonl").write_text("\n".join(lines) + "\n", "utf-8")
    return {
        "articles": articles,
        "sitemaps": len(children) + 1,
        "listing_pages": len(SECTIONS) * LISTING_PAGES,
        "urls": len(lines),
    }
