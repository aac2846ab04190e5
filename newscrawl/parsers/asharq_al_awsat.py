"""Asharq Al-Awsat (english.aawsat.com, aawsat.com): Drupal; ids are node numbers.

Quirks (docs/sources.md §1): the reading region repeats the headline and the image caption
under a ``TT`` font-size toggle before the body, and captions of inline images recur
as plain paragraphs; all of that is furniture, removed by selector where the markup
names it and by content (equal to the title or to an ``img[alt]``/``figcaption``)
where it does not, since the current markup is modelled, not captured. Bylines read
``Name (City)`` (EN) or ``City: Name`` (AR): the place is not part of the name.
Pages without machine dates show ``نشر: 14:05-18 نوفمبر 2026 م ـ 7 جمادى الآخرة 1448 هـ``
(Arabic-Indic digits possible; the Hijri date is ignored) or ``Thursday, 19 November,
2026 - 10:15``; both editions are Saudi time (+03:00, assumed when not stated).
The page's language wins; the edition (host) is the fallback; a page in another
language than its edition is logged.
"""

from __future__ import annotations

import logging
import re
from urllib.parse import urlsplit

from newscrawl.parsers.base import ArticleParser
from newscrawl.parsers.fields import Page, Text, field
from newscrawl.sources import SOURCES_INFO
from newscrawl.text import clean_text

logger = logging.getLogger(__name__)

# /node/<id> and /<section>/<id>-<slug> (section and slug may be percent-encoded Arabic)
NODE = re.compile(
    r"^https?://(?:english\.|www\.)?aawsat\.com/(?:node/(\d+)|[^/?#]+/(\d+)-[^/?#]*)/?(?:[?#]|$)"
)
SOURCE = SOURCES_INFO["asharq_al_awsat"]
# "Hussein Kamal (Beirut)" -> "Hussein Kamal"; "الرياض: ريم الشمري" -> "ريم الشمري"
_PLACE = re.compile(r"^[^:()]{1,40}:\s*|\s*\([^()]{1,40}\)$")


class AsharqAlAwsatParser(ArticleParser):
    source = SOURCE.name
    publisher = SOURCE.publisher
    default_offset = SOURCE.offset  # Saudi Arabia, no DST
    title_css = "h1"
    # the reading region first (it holds the whole text), then the body field alone
    body_css = (".node--type-article .article-body", ".node--type-article .field--name-body")
    date_css = ".node__date .date-published"
    modified_css = ".node__date .date-updated"
    author_css = ".node__byline .byline__name"
    section_css = ".breadcrumb li:last-child a"
    tags_css = ".field--name-field-tags .field__item a"
    summary_css = ".node__subtitle"
    drop_css = ".font-size-control, .media--type-remote-video, .media--type-video"
    boilerplate = (
        r"^TT$",  # the font-size toggle, when it is not in .font-size-control
        r"^(watch|شاهد|فيديو)\s*:",  # titles of embedded players
        r"^اقرأ أيضا",  # "read also" link lines
        r"^(آخر )?تحديث\s*:",  # "updated:" lines
        r"^نُ?شر\s*:",  # "published:" lines
    )

    def native_id(self, url: str) -> str | None:
        match = NODE.match(url)
        return (match[1] or match[2]) if match else super().native_id(url)

    @field("language")
    def _language(self, page: Page) -> str | None:
        """The page's language; the edition's when the page states none."""
        page_language = super()._language(page)
        edition = SOURCE.language_of(urlsplit(page.url).hostname or "")
        if edition and page_language and page_language != edition:
            logger.info("%s: a %s page on the %s edition", page.url, page_language, edition)
        return page_language or edition

    @field("authors", empty=[])
    def _authors(self, page: Page) -> list[str]:
        authors = (_PLACE.sub("", a).strip() for a in super()._authors(page))
        return [a for a in authors if a]

    @field("body")
    def _body(self, page: Page) -> Text | None:
        """The base body without paragraphs that repeat the headline or an image caption."""
        text = super()._body(page)
        if text is None:
            return None
        sel = page.sel
        repeated = {clean_text(page.get("title")), clean_text(" ".join(sel.css("h1 ::text").getall()))}
        repeated.update(clean_text(t) for t in sel.css("img::attr(alt)").getall())
        repeated.update(clean_text(" ".join(f.css("::text").getall())) for f in sel.css("figcaption"))
        return text.keep(lambda p: p not in repeated)
