"""1. The largest page: one parse of 100,000 paragraphs (~10 MB, near ``DOWNLOAD_MAXSIZE``).

Every parse step must be linear, so a hostile or huge page costs seconds, not minutes, of
the reactor (``text.join_paragraphs`` was quadratic and took ~70 s).
"""

from __future__ import annotations

import time
from typing import Any

from .common import FROZEN, SITE


def bench_largest_page(paragraphs: int = 100_000) -> dict[str, Any]:
    """Wall seconds of one ``parse`` of a page of ``paragraphs`` paragraphs."""
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
