"""Arab News (www.arabnews.com): Drupal; ids are node numbers.

Quirks (docs/sources.md §3): a "Short Url" block (arab.news/xxxxx), "Updated <date>"
lines, summary bullets above the body, upper-case datelines (``RIYADH:``) that
belong to the body, and image captions that do not.
"""

from __future__ import annotations

import re

from newscrawl.parsers.base import ArticleParser
from newscrawl.sources import SOURCES_INFO

SOURCE = SOURCES_INFO["arab_news"]

NODE = re.compile(r"^https?://(?:www\.)?arabnews\.com/node/(\d+)(?:/|$)")


class ArabNewsParser(ArticleParser):
    source = SOURCE.name
    publisher = SOURCE.publisher
    language = "en"
    default_offset = SOURCE.offset
    title_css = "h1"
    body_css = (".field--name-body", ".field-name-body", ".article-body", ".field-items")
    date_css = ".entry-date time, .entry-date"
    author_css = ".entry-byline .author, .entry-author a, .author-name"
    section_css = ".breadcrumb li:last-child a"
    tags_css = ".tags a"
    drop_css = (
        ".short-url, .article-summary, .updated, .entry-date, .embed, .twitter-tweet, .pull-quote, .read-also"
    )
    boilerplate = (r"^arab\.news/\w+$", r"^https?://arab\.news/\w+$")

    def native_id(self, url: str) -> str | None:
        match = NODE.match(url)
        return match[1] if match else super().native_id(url)
