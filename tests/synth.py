"""Generated Arab News replay snapshots for the Scrapyd and Redis tests.

``arab_news_snapshot(dir, n)`` writes a self-contained snapshot (robots.txt, an
RSS feed listing ``n`` articles, an empty sitemap, empty section listings, and
the ``n`` article pages) so these tests depend on no hand-made fixture. Each
article has a distinct node id, title and body; ``delay_ms`` slows every article
answer so that several workers overlap, ``feed_delay_ms`` the feed.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from email.utils import format_datetime
from pathlib import Path

SITE = "https://www.arabnews.com"
DATE = "Fri, 20 Nov 2026 09:00:00 GMT"
LISTINGS = ("saudiarabia", "middleeast", "world")
RIYADH = timezone(timedelta(hours=3))

ARTICLE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>{title} | Arab News</title>
<link rel="canonical" href="{url}">
<meta property="og:title" content="{title} | Arab News">
<meta property="og:image" content="{site}/sites/default/files/{node}.jpg">
<meta property="article:section" content="World">
<script type="application/ld+json">{jsonld}</script>
</head><body>
<h1>{title}</h1>
<div class="entry-byline"><span class="author">Synth Reporter</span></div>
<div class="field--name-body">
<p>RIYADH: Article {node} opens with a dateline and a first sentence about event {node}.</p>
<p>The second paragraph of article {node} adds detail that only this article carries.</p>
<p>A closing paragraph for {node}, so every body is distinct and long enough.</p>
</div></body></html>
"""


def _line(url: str, body: str | None, content_type: str, delay_ms: int = 0) -> str:
    entry: dict[str, object] = {
        "url": url,
        "status": 200,
        "headers": {"Content-Type": content_type, "Date": DATE},
    }
    if body:
        entry["body"] = body
    if delay_ms:
        entry["delay_ms"] = delay_ms
    return json.dumps(entry)


def article_url(node: int) -> str:
    return f"{SITE}/node/{node}/world"


def arab_news_snapshot(
    root: Path, n: int, *, delay_ms: int = 0, feed_delay_ms: int = 0, first_id: int = 3_100_000
) -> list[str]:
    """Write the snapshot under ``root``; returns the article URLs in feed order."""
    (root / "pages").mkdir(parents=True, exist_ok=True)
    published = datetime(2026, 11, 19, 12, 0, tzinfo=UTC)
    lines = [
        _line(f"{SITE}/robots.txt", "robots.txt", "text/plain; charset=utf-8"),
        _line(f"{SITE}/rss.xml", "rss.xml", "application/rss+xml; charset=utf-8", feed_delay_ms),
        _line(f"{SITE}/sitemap.xml", "sitemap.xml", "application/xml; charset=utf-8"),
    ]
    (root / "robots.txt").write_text("User-agent: *\nDisallow: /admin/\n", "utf-8")
    (root / "sitemap.xml").write_text(
        '<?xml version="1.0" encoding="utf-8"?>\n'
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"></urlset>\n',
        "utf-8",
    )
    (root / "listing.html").write_text("<html><body><p>No stories.</p></body></html>", "utf-8")
    for name in LISTINGS:
        lines.append(_line(f"{SITE}/{name}", "listing.html", "text/html; charset=utf-8"))
    urls, items = [], []
    for i in range(n):
        node = first_id + i
        url = article_url(node)
        when = published + timedelta(minutes=i)
        title = f"Synthetic story number {node} about the Gulf"
        jsonld = {
            "@context": "https://schema.org",
            "@type": "NewsArticle",
            "headline": title,
            "description": f"Summary of story {node}.",
            "datePublished": when.astimezone(RIYADH).isoformat(),
            "author": {"@type": "Person", "name": "Synth Reporter"},
            "image": f"{SITE}/sites/default/files/{node}.jpg",
            "articleSection": "World",
        }
        html = ARTICLE.format(title=title, url=url, site=SITE, node=node, jsonld=json.dumps(jsonld))
        (root / "pages" / f"{node}.html").write_text(html, "utf-8")
        lines.append(_line(url, f"pages/{node}.html", "text/html; charset=utf-8", delay_ms))
        items.append(
            f"<item><title>{title}</title><link>{url}</link><pubDate>{format_datetime(when)}</pubDate></item>"
        )
        urls.append(url)
    (root / "rss.xml").write_text(
        '<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"><channel>'
        f"<title>Arab News</title><link>{SITE}/</link>{''.join(items)}</channel></rss>\n",
        "utf-8",
    )
    (root / "manifest.jsonl").write_text("\n".join(lines) + "\n", "utf-8")
    return urls
