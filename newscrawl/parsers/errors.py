"""Field extraction failures: counted, logged once per field and run, never fatal.

``ArticleParser.parse(response, report=FieldErrors(crawler))``: a field whose
extraction raises (a JSON-LD value of an unexpected shape, a selector on odd
markup) is left empty by the parser and reported here: counted under
``newscrawl/parse_error/<field>``, logged at WARNING with its traceback the first
time that field fails in the run, at DEBUG afterwards.
"""

from __future__ import annotations

import logging

from scrapy.crawler import Crawler

from newscrawl.stats import inc

logger = logging.getLogger(__name__)


class FieldErrors:
    def __init__(self, crawler: Crawler | None) -> None:
        self.crawler = crawler
        self.logged: set[str] = set()

    def __call__(self, field: str, url: str, exc: BaseException) -> None:
        if self.crawler is not None:
            inc(self.crawler, f"parse_error/{field}")
        if field in self.logged:
            logger.debug("Field %s of %s could not be read: %r", field, url, exc)
            return
        self.logged.add(field)
        logger.warning(
            "Field %s of %s could not be read (left empty; further failures of this field"
            " are counted in newscrawl/parse_error/%s): %r",
            field, url, field, exc, exc_info=exc,
        )  # fmt: skip
