"""Al Arabiya (english.alarabiya.net, www.alarabiya.net): Magnolia templates, two editions.

Quirks (docs/sources.md §2): ``article:published_time`` is ``2026-11-18T00:55:00.000+0400``
(GST; the base parser reads the colon-less offset); ids come from ``meta name=uuid``,
else the short hash of the canonical URL (never the path: URLs are long percent-encoded
Arabic slugs); JSON-LD is not known to exist, so meta and selectors carry most fields.
``#body-text`` holds ``p.body-1.paragraph`` and h2/h3 sub-heads (``sections``), but also
``.latest`` related blocks, ``<video-js>`` players with their titles, inline image cards
and, on some pages, the tag list: all removed before reading. The first ``ul.tags li``
is a label ("Tags:"), not a tag. Visible dates (read only when the page has no machine
date) are English with "GST" or Arabic with Arabic-Indic digits and month names; "GST"
states the offset, anything else has it assumed.
The page's language wins; the edition (host) is the fallback.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from newscrawl.parsers.base import ArticleParser
from newscrawl.parsers.fields import Page, field
from newscrawl.sources import SOURCES_INFO
from newscrawl.text import clean_text

SOURCE = SOURCES_INFO["al_arabiya"]

UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.I)
# Zone names shown beside visible times that fix the offset at +04:00.
GST = re.compile(r"\bGST\b|بتوقيت (?:الإمارات|دبي|أبوظبي)")


class AlArabiyaParser(ArticleParser):
    source = SOURCE.name
    publisher = SOURCE.publisher
    default_offset = SOURCE.offset  # Gulf Standard Time, no DST
    title_css = "h1.headingInfo_title"
    body_css = ("#body-text", ".body-text")
    date_css = "div.timeDate span.timeDate_element:nth-of-type(1)"
    modified_css = "div.timeDate span.timeDate_element:nth-of-type(2)"
    author_css = "h4.avatar_name"
    tags_css = "ul.tags li:not(:first-child)"
    drop_css = ".latest, .latest_element, div:not(#body-text):has(> video-js), .feed-card, .aa_video"
    boilerplate = (
        r"^disclaimer:",  # EN opinion footer
        r"^اقرأ أيضا",  # "read also" link lines
        r"^\(?تم تحديث",  # "(this story was updated ...)"
        r"^(watch|شاهد):",  # video titles when a player sits outside a wrapper
    )

    @field("id")
    def _id(self, page: Page) -> str | None:
        """The page's ``meta name=uuid``; without one, the base id (a numeric id in the
        URL, else the short hash of the canonical URL): Al Arabiya URLs are slugs."""
        uuid = clean_text(page.sel.xpath('//meta[@name="uuid"]/@content').get())
        return f"{self.source}:{uuid.lower()}" if UUID.match(uuid) else super()._id(page)

    @field("language")
    def _language(self, page: Page) -> str | None:
        return super()._language(page) or SOURCE.language_of(urlsplit(page.url).hostname or "")

    @field("timezone_assumed")
    def _assumed(self, page: Page) -> bool:
        """A visible time is assumed Gulf time unless it says "GST" (then it is stated)."""
        assumed = super()._assumed(page)
        if assumed and page.layers.get("published_at") == "selectors":
            shown = " ".join(page.sel.css(self.date_css).css("::text").getall())
            return not GST.search(shown)
        return assumed
