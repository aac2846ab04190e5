"""The generic layer: used only when structured data and selectors found nothing.

trafilatura extracts the main text (it leads the published extraction benchmarks
and is already a dependency); htmldate, which trafilatura uses itself, finds a
publication date in pages without machine-readable dates. Both are imported
lazily: most pages never need them.
"""

from __future__ import annotations

import logging
import re

from parsel import Selector

from newscrawl.text import clean_text

logger = logging.getLogger(__name__)


def body(html: str, url: str) -> str | None:
    """Main text, one paragraph per line, or None."""
    import trafilatura

    try:
        text = trafilatura.extract(
            html,
            url=url,
            include_comments=False,
            include_tables=False,
            include_images=False,
            deduplicate=True,
        )
    except Exception as exc:  # noqa: BLE001 - a third-party extractor must not kill the crawl
        logger.warning("generic body extraction failed for %s: %r", url, exc)
        return None
    return text if text and looks_like_prose(text) else None


_SENTENCE_END = re.compile(r"[.!?؟。](?:[\"'”’»)]*)(?:\s|$)")


def looks_like_prose(text: str) -> bool:
    """At least one paragraph of 15+ words with a sentence end: not a menu or a
    share bar (video and gallery pages give generic extractors only furniture)."""
    return any(len(p.split()) >= 15 and _SENTENCE_END.search(p) for p in text.split("\n"))


def find_date(html: str) -> str | None:
    """Publication date (``YYYY-MM-DD``) found by htmldate, or None."""
    from htmldate import find_date as htmldate_find

    try:
        found = htmldate_find(html, original_date=True, extensive_search=False)
    except Exception as exc:  # noqa: BLE001 - same as above
        logger.debug("htmldate failed: %r", exc)
        return None
    return str(found) if found else None


BLOCKS = "//p | //h2 | //h3 | //h4 | //li | //blockquote"
MIN_ARTICLE_BODY = 400
MIN_COVERAGE = 0.8


def _key(text: str) -> str:
    return "".join(ch for ch in text.lower() if ch.isalnum())


def paragraphs_in(sel: Selector, article_body: str) -> list[str]:
    """The page's own paragraphs that make up JSON-LD ``articleBody``, in page order.

    ``articleBody`` is the publisher's declaration of the text but carries no
    paragraph breaks; the page's blocks carry the breaks but also furniture.
    A block is kept when its text occurs in ``articleBody``; the result is used
    only when the kept blocks cover most of ``articleBody`` (else ``[]``).
    """
    target = _key(article_body)
    if len(target) < MIN_ARTICLE_BODY:
        return []
    kept: list[str] = []
    covered = 0
    for node in sel.xpath(BLOCKS):
        if node.xpath("ancestor::p | ancestor::li | ancestor::blockquote"):
            continue
        text = clean_text(" ".join(node.css("::text").getall()))
        key = _key(text)
        if len(key) >= 20 and key in target and text not in kept:
            kept.append(text)
            covered += len(key)
    return kept if covered >= MIN_COVERAGE * len(target) else []


def covers(text: str | None, article_body: str) -> float:
    """Share of ``articleBody``'s paragraphs-free text found in ``text`` (1.0 when unknown)."""
    target = _key(article_body)
    if len(target) < MIN_ARTICLE_BODY:
        return 1.0
    got = _key(text or "")
    sentences = [_key(s) for s in article_body.split(". ") if len(_key(s)) >= 20]
    if not sentences:
        return 1.0
    return sum(s in got for s in sentences) / len(sentences)
