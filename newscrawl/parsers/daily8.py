"""Daily8 (www.daily8.com): an aggregator republishing ~25 outlets, English and Arabic.

Two layouts, two parsers (docs/sources.md §4; the markup itself is a gap):

- ``Daily8NextParser``: the page embeds Next.js ``__NEXT_DATA__`` with
  ``props.pageProps.article`` (+ ``related``): every field it states is read from it
  (layer ``embedded``);
- ``Daily8Parser``: the server or browser-rendered HTML, layout A (source and time line)
  or B (no such line), layer ``selectors``. It is the registered parser and hands a page
  with embedded data to ``Daily8NextParser`` (``layout``). A page with neither:
  ``needs_render(response)`` is true and the spider asks for a browser.

Both override the base hooks they know better, and only those (``parsers.fields``): the
date comes from the page's display string alone (no base date layer runs), the body from
the article container or the embedded HTML alone (the generic layer is never used: on
these pages it returns card and widget text).

Fields: ``publisher`` is the outlet Daily8 credits, ``via`` the host the text was read
on, ``original_url`` an explicit link to the original, ``related`` the cards (never in
``body``). Dates are display strings only (``28-05-2025``, ``15 minutes ago``,
``منذ 4 أيام``): relative ones are resolved against the response's ``Date`` header
(else the crawl time), absolute ones are midnight in the UAE (+04:00, assumed).
Mirror hosts (staging, Amplify branch) canonicalise to www.daily8.com.
Copied source furniture is dropped: short links, ``mailto:`` share text, percent-encoded
HTML, the title repeated as a paragraph, pull-quotes (a sentence repeated from the body)
and a bare author name after such furniture (kept as ``authors``).
A kicker Daily8 fused to the headline without a space (``بمشاركة 40 دولةالرياض تستضيف``)
is split off, as the base parser drops a kicker element: ``split_kicker``.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any
from urllib.parse import urljoin, urlsplit, urlunsplit

import lxml.html
from parsel import Selector
from scrapy.http import TextResponse

from newscrawl.parsers.base import DROP_CSS, ArticleParser, _detached
from newscrawl.parsers.fields import Heading, Page, Text, field
from newscrawl.parsers.structured import next_data, select
from newscrawl.sources import SOURCES_INFO
from newscrawl.text import (
    ParsedDate,
    canonical_url,
    clean_text,
    parse_relative_date,
    parse_rfc822,
    parse_visible_date,
    split_glued_time,
)

WWW = "www.daily8.com"
MIRRORS = re.compile(r"^(?:daily8\.com|[\w-]+\.daily8\.com|[\w-]+\.d358xbzettaslu\.amplifyapp\.com)$")
ARTICLE = re.compile(r"^/(?:en/)?article/([0-9a-f]{32})/?$")
NAME = re.compile(r"[A-Z][\w'’.-]+(?: [A-Z][\w'’.-]+){1,3}")


def canonical_article_url(url: str) -> str:
    """``canonical_url`` with any Daily8 mirror host replaced by www.daily8.com."""
    parts = urlsplit(canonical_url(url))
    if MIRRORS.match(parts.hostname or "") and parts.hostname != WWW:
        parts = parts._replace(netloc=WWW, scheme="https")
    return urlunsplit(parts)


def _key(text: str) -> str:
    """Letters and digits only: quote styles and punctuation do not matter."""
    return "".join(ch for ch in text.casefold() if ch.isalnum())


class Daily8Parser(ArticleParser):
    """The server-rendered (or browser-rendered) HTML layout."""

    source = SOURCES_INFO["daily8"].name
    default_offset = SOURCES_INFO["daily8"].offset  # UAE; dates on the page carry no zone
    title_css = "[class*=article_title__]"
    body_css = ("[class*=article_content__]",)
    date_css = "[class*=article_time__]"
    tags_css = "[class*=article_tag__], [class*=article_hashtag__]"
    min_body_chars = 1  # layout B bodies can be a one-sentence lede
    generic_fallback = False  # on these pages it returns card and widget text
    boilerplate = (
        r"%3C/?\w+%3E", r"^copy the story link$", r"^try our ai features$", r"^explore what daily8 ai",
        r"^comments$", r"^no comments yet", r"^related articles$", r"^hashtags$", r"^orange background$",
        r"^جرب ميزات الذكاء الاصطناعي", r"^اكتشف ما يمكن أن يفعله", r"^التعليقات$", r"^لا يوجد تعليقات",
        r"^أخبار ذات صلة$", r"^هاشتاغز$",
    )  # fmt: skip
    layer = "selectors"  # the layer this layout's title, body and date are credited to

    def layout(self, response: TextResponse) -> ArticleParser:
        """``Daily8NextParser`` for a page that embeds its article, else this parser."""
        return NEXT if next_article(response.selector) is not None else self

    def native_id(self, url: str) -> str | None:
        match = ARTICLE.match(urlsplit(url).path)
        return match[1] if match else super().native_id(url)

    def needs_render(self, response: TextResponse) -> bool:
        """True when the server HTML carries no article (client-rendered page)."""
        return next_article(response.selector) is None and not response.css(
            f"{self.title_css}, {self.body_css[0]} p"
        )

    # --- what both layouts share --------------------------------------------
    @field("canonical_url", empty=lambda page: canonical_article_url(page.url))
    def _canonical(self, page: Page) -> str:
        return canonical_article_url(super()._canonical(page))

    @field("via")
    def _via(self, page: Page) -> str | None:
        return urlsplit(page.url).hostname

    @field("title")
    def _title(self, page: Page) -> str | None:
        """The headline, a fused kicker split off (``split_kicker``, read against the
        article's own words)."""
        raw = self._headline(page)
        page.once("raw_title", lambda: raw)
        if not raw:
            return raw
        vocabulary = _vocabulary([*self._raw_paragraphs(page), page.get("summary") or ""], raw)
        return split_kicker(raw, vocabulary)

    def _headline(self, page: Page) -> str | None:
        return super()._title(page)

    @field("published_at")
    def _date(self, page: Page) -> ParsedDate | None:
        """The page's display date alone (no base date layer: they find card dates here)."""
        stamp = parse_rfc822((page.response.headers.get("Date") or b"").decode("latin-1"))
        date = self._resolve(self._when(page), stamp.value if stamp else page.now)
        if date is not None:
            page.layers["published_at"] = self.layer
        return date

    @field("body")
    def _body(self, page: Page) -> Text | None:
        """The article's paragraphs without copied furniture (``_clean_body``)."""
        text, _ = self._cleaned(page)
        if text is not None:
            page.layers["body"] = self.layer
        return text

    @field("authors", empty=[])
    def _authors(self, page: Page) -> list[str]:
        """Bylines of the page, else names found among copied furniture in the body."""
        return super()._authors(page) or self._cleaned(page)[1]

    @field("tags", empty=[])
    def _tags(self, page: Page) -> list[str]:
        return [t.lstrip("#") for t in super()._tags(page)]

    def _cleaned(self, page: Page) -> tuple[Text | None, list[str]]:
        def clean() -> tuple[Text | None, list[str]]:
            title = page.get("title")
            titles = {str(page.once("raw_title", lambda: title) or ""), str(title or "")}
            return self._clean_body(self._raw_paragraphs(page), titles)

        result: tuple[Text | None, list[str]] = page.once("cleaned", clean)
        return result

    def _raw_paragraphs(self, page: Page) -> list[str]:
        paragraphs: list[str] = page.once("raw_paragraphs", lambda: self._paragraphs_of(page))
        return paragraphs

    # --- this layout: the HTML --------------------------------------------
    def _paragraphs_of(self, page: Page) -> list[str]:
        """Raw paragraphs of the server/rendered HTML body (the base filters too early)."""
        containers = select(page.sel, self.body_css[0])
        if not containers:
            return []
        container = _detached(Selector(root=containers[0], type="html"))
        for node in select(container, DROP_CSS):
            if isinstance(node, lxml.html.HtmlElement):
                node.drop_tree()
        return self._paragraphs(container)

    def _source_line(self, page: Page) -> tuple[str, str]:
        """(outlet, display date) of the line under the headline (layout A)."""

        def read() -> tuple[str, str]:
            when = self._css_text(page.sel, self.date_css)
            source = self._css_text(page.sel, "[class*=article_source__]")
            if not when and (glued := split_glued_time(self._css_text(page.sel, "[class*=article_meta__]"))):
                source, when = glued
            return source, when

        line: tuple[str, str] = page.once("source_line", read)
        return line

    def _when(self, page: Page) -> str:
        return self._source_line(page)[1]

    @field("publisher")
    def _publisher(self, page: Page) -> str | None:
        return self._source_line(page)[0] or None

    @field("original_url")
    def _original_url(self, page: Page) -> str | None:
        href: str | None = page.sel.css("[class*=article_original__] a::attr(href)").get()
        return href

    @field("related", empty=[])
    def _related(self, page: Page) -> list[dict[str, Any]]:
        cards = (
            _card(
                c.css("h3 ::text").get() or c.css("img::attr(alt)").get(),
                c.attrib.get("href", ""),
                self._css_text(c, "[class*=_source__]"),
            )
            for c in page.sel.css("[class*=related_box__] a[href]")
        )
        return [c for c in cards if c]

    # --- helpers ------------------------------------------------------------
    def _resolve(self, when: str, base: datetime) -> ParsedDate | None:
        relative = parse_relative_date(when, base)
        if relative is not None:
            return ParsedDate(relative.value.astimezone(self.default_offset), relative.precision)
        return parse_visible_date(when, self.default_offset)

    def _clean_body(self, raw: list[str], titles: set[str]) -> tuple[Text | None, list[str]]:
        """Article paragraphs without copied furniture, and bylines found among it.
        A paragraph repeating the headline (as shown, kicker included, or without it) goes."""
        cleaned = (Heading(t) if isinstance(x, Heading) else t for x in raw if (t := clean_text(x)))
        paragraphs = list(dict.fromkeys(cleaned))
        keys = [_key(p) for p in paragraphs]
        title_keys = {_key(t) for t in titles} - {""}
        kept: list[str] = []
        authors: list[str] = []
        after_furniture = False
        for text, key in zip(paragraphs, keys, strict=True):
            pull_quote = len(key) >= 30 and any(key != other and key in other for other in keys)
            if self._is_boilerplate(text) or key in title_keys or pull_quote:
                after_furniture = True
            elif after_furniture and NAME.fullmatch(text):
                authors += [text] if text not in authors else []
            else:
                kept.append(text)
                after_furniture = False
        return Text.of(kept), authors


class Daily8NextParser(Daily8Parser):
    """The Next.js layout: the article and its related cards from ``__NEXT_DATA__``."""

    layer = "embedded"

    def layout(self, response: TextResponse) -> ArticleParser:
        return self

    @staticmethod
    def _data(page: Page) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        found = next_article(page.sel)
        return found if found is not None else ({}, [])

    def _headline(self, page: Page) -> str | None:
        if title := clean_text(str(self._data(page)[0].get("title") or "")):
            page.layers["title"] = "embedded"
            return title
        return super()._headline(page)

    def _paragraphs_of(self, page: Page) -> list[str]:
        content = self._data(page)[0].get("content") or ""
        return self._paragraphs(Selector(text=f"<div>{content}</div>"))

    def _when(self, page: Page) -> str:
        return clean_text(str(self._data(page)[0].get("date") or ""))

    @field("publisher")
    def _publisher(self, page: Page) -> str | None:
        return _name(self._data(page)[0].get("source")) or None

    @field("section")
    def _section(self, page: Page) -> str | None:
        return clean_text(str(self._data(page)[0].get("category") or "")) or None

    @field("tags", empty=[])
    def _tags(self, page: Page) -> list[str]:
        hashtags = self._data(page)[0].get("hashtags") or []
        return [clean_text(str(t)).lstrip("#") for t in hashtags if t]

    @field("summary")
    def _summary(self, page: Page) -> str | None:
        return clean_text(str(self._data(page)[0].get("summary") or "")) or super()._summary(page)

    @field("image_url")
    def _image(self, page: Page) -> str | None:
        image = self._data(page)[0].get("image")
        return urljoin(page.url, image) if isinstance(image, str) and image else super()._image(page)

    @field("original_url")
    def _original_url(self, page: Page) -> str | None:
        original = self._data(page)[0].get("sourceUrl")
        return original if isinstance(original, str) and original else None

    @field("related", empty=[])
    def _related(self, page: Page) -> list[dict[str, Any]]:
        prefix = "https://www.daily8.com" + ("/en" if page.get("language") == "en" else "")
        cards = (
            _card(c.get("title"), f"{prefix}/article/{c.get('id')}", _name(c.get("source")))
            for c in self._data(page)[1]
        )
        return [c for c in cards if c]


NEXT = Daily8NextParser()


def next_article(sel: Selector) -> tuple[dict[str, Any], list[dict[str, Any]]] | None:
    """(article, related cards) from ``__NEXT_DATA__`` (``structured.next_data``: parsed
    once per page), or None when it holds no article."""
    data = next_data(sel)
    props = data.get("props", {}).get("pageProps", {}) if isinstance(data, dict) else {}
    article = props.get("article") if isinstance(props, dict) else None
    if not isinstance(article, dict) or not article.get("title"):
        return None
    related = [c for c in props.get("related") or [] if isinstance(c, dict)]
    return article, related


# Arabic letters written only at the end of a word (taa marbuta, alif maqsura): a letter
# right after one inside a token is the start of another word fused on
_FINAL_ONLY = frozenset("ةى")
_ARABIC_LETTER = re.compile(r"[\u0621-\u063a\u0641-\u064a\u0671-\u06d3]")
_ARABIC_MARKS = re.compile(r"[\u0640\u064b-\u065f\u0670]")  # tatweel and diacritics
_WORD = re.compile(r"\w+")
MIN_HALF = 3  # letters on each side of a cut made on vocabulary evidence alone


def _norm(word: str) -> str:
    return _ARABIC_MARKS.sub("", word).casefold()


def _vocabulary(texts: list[str], title: str) -> set[str]:
    """Words of the article's own text (paragraphs repeating the title left out)."""
    title_key = _key(title)
    return {_norm(w) for t in texts if _key(t) != title_key for w in _WORD.findall(_ARABIC_MARKS.sub("", t))}


def split_kicker(title: str, vocabulary: set[str]) -> str:
    """The headline of a title whose kicker Daily8 fused to it without a space
    (``رغم دخول (23) ألف طن مساعدات خلال أسبوعغزّة على شفا المجاعة``: kicker, then
    ``غزّة على شفا المجاعة``); ``title`` unchanged when no fusion shows.

    A token is cut where (1) an Arabic letter follows a letter written only at the end
    of a word (``ة``, ``ى``), or (2) between two Arabic letters, when both halves (3+
    letters each) are words of the article's text and the token is not. The first such
    cut ends the kicker; the headline keeps the rest, and needs two words or more.
    Latin-script titles are left alone: a fused case change is as often a brand
    (``YouTube``, ``BlackRock``) and none was seen on Daily8's pages."""
    tokens = title.split()
    for index, token in enumerate(tokens):
        whole = _norm(token)
        for cut in range(2, len(token) - 1):
            left, right = token[:cut], token[cut:]
            orthographic = left[-1] in _FINAL_ONLY and _ARABIC_LETTER.match(right[0]) is not None
            if not orthographic:
                if whole in vocabulary or len(_norm(left)) < MIN_HALF or len(_norm(right)) < MIN_HALF:
                    continue
                arabic = _ARABIC_LETTER.match(left[-1]) and _ARABIC_LETTER.match(right[0])
                if not arabic or _norm(left) not in vocabulary or _norm(right) not in vocabulary:
                    continue
            headline = [right, *tokens[index + 1 :]]
            if len(headline) >= 2:
                return " ".join(headline)
            return title
    return title


def _name(source: Any) -> str:
    return clean_text(str((source.get("name") if isinstance(source, dict) else source) or ""))


def _card(title: Any, href: str, publisher: str) -> dict[str, Any] | None:
    title = clean_text(str(title or ""))
    if not title or not href:
        return None
    url = canonical_article_url(urljoin("https://www.daily8.com/", href))
    return {"title": title, "url": url, "publisher": publisher or None}
