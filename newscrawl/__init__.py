"""newscrawl: crawl Middle East news sources into validated JSON-lines articles.

Python API (README, "Python API")::

    import newscrawl
    article = newscrawl.parse(html, url)   # -> newscrawl.items.Article, validated

``import newscrawl`` stays cheap: the parsers load on the first ``parse`` call.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING

from newscrawl import compat

if TYPE_CHECKING:
    from newscrawl.items import Article

__version__ = "0.1.0"
__all__ = ["parse"]

compat.install()  # old flat module paths (newscrawl.faults, ...) still import


def parse(
    html: str | bytes,
    url: str,
    *,
    source: str | None = None,
    headers: Mapping[str, str] | None = None,
    crawled_at: datetime | None = None,
) -> Article:
    """Parse one article page offline into a validated ``Article`` (see ``newscrawl.api.parse``).

    The parser is chosen by the URL's domain, or ``source`` (a spider name). Raises
    ``newscrawl.api.UnsupportedSite``, ``NotAnArticle`` or ``InvalidArticle`` (all
    ``ValueError``; ``InvalidArticle.errors`` lists each broken field and why).
    """
    from newscrawl.api import parse as _parse

    return _parse(html, url, source=source, headers=headers, crawled_at=crawled_at)
