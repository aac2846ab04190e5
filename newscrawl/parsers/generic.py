"""The generic layer: used only when structured data and selectors found nothing.

trafilatura extracts the main text (it leads the published extraction benchmarks
and is already a dependency); htmldate, which trafilatura uses itself, finds a
publication date in pages without machine-readable dates. Both are imported
lazily: most pages never need them.
"""

from __future__ import annotations

import logging

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
            favor_precision=True,
            deduplicate=True,
        )
    except Exception as exc:  # noqa: BLE001 - a third-party extractor must not kill the crawl
        logger.warning("generic body extraction failed for %s: %r", url, exc)
        return None
    return text or None


def find_date(html: str) -> str | None:
    """Publication date (``YYYY-MM-DD``) found by htmldate, or None."""
    from htmldate import find_date as htmldate_find

    try:
        found = htmldate_find(html, original_date=True, extensive_search=False)
    except Exception as exc:  # noqa: BLE001 - same as above
        logger.debug("htmldate failed: %r", exc)
        return None
    return str(found) if found else None
