"""Daily8 (www.daily8.com): an aggregator republishing ~25 outlets, English and Arabic.

Layers, first that has the article wins (SITES.md §4; the markup itself is a gap):

1. ``embedded``  Next.js ``__NEXT_DATA__``: ``props.pageProps.article`` (+ ``related``)
2. ``selectors`` the server HTML, layout A (source and time line) or B (no such line)
3. neither: ``needs_render(response)`` is true and the spider asks for a browser

Fields: ``publisher`` is the outlet Daily8 credits, ``via`` the host the text was read
on, ``original_url`` an explicit link to the original, ``related`` the cards (never in
``body``). Dates are display strings only (``28-05-2025``, ``15 minutes ago``,
``منذ 4 أيام``): relative ones are resolved against the response's ``Date`` header
(else the crawl time), absolute ones are midnight in the UAE (+04:00, assumed).
Mirror hosts (staging, Amplify branch) canonicalise to www.daily8.com.
Copied source furniture is dropped: short links, ``mailto:`` share text, percent-encoded
HTML, the title repeated as a paragraph, pull-quotes (a sentence repeated from the body)
and a bare author name after such furniture (kept as ``authors``).
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urljoin, urlsplit, urlunsplit

from parsel import Selector
from scrapy.http import TextResponse

from newscrawl.parsers.base import DROP_CSS, ArticleParser, FieldErrorHook, Fields
from newscrawl.text import (
    ParsedDate,
    canonical_url,
    clean_text,
    offset,
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
    source = "daily8"
    default_offset = offset(4)  # UAE (the company's home); dates on the page carry no zone
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

    def native_id(self, url: str) -> str | None:
        match = ARTICLE.match(urlsplit(url).path)
        return match[1] if match else None

    def needs_render(self, response: TextResponse) -> bool:
        """True when the server HTML carries no article (client-rendered page)."""
        return _embedded(response) is None and not response.css(f"{self.title_css}, {self.body_css[0]} p")

    def parse(
        self,
        response: TextResponse,
        *,
        crawled_at: datetime | None = None,
        report: FieldErrorHook | None = None,
    ) -> Fields:
        fields = super().parse(response, crawled_at=crawled_at, report=report)
        layers = fields["extraction"]
        sel = response.selector
        stamp = parse_rfc822((response.headers.get("Date") or b"").decode("latin-1"))
        base = stamp.value if stamp else (crawled_at or datetime.now(UTC))
        data = _embedded(response)
        if data:
            article, cards = data
            paragraphs = self._from_embedded(fields, article, response.url)
            when = clean_text(str(article.get("date") or ""))
            fields["related"] = [
                _card(c.get("title"), f"{self._prefix(fields)}/article/{c.get('id')}", _name(c.get("source")))
                for c in cards
            ]
        else:
            paragraphs = self._html_paragraphs(sel)
            when = self._css_text(sel, self.date_css)
            source = self._css_text(sel, "[class*=article_source__]")
            if not when and (glued := split_glued_time(self._css_text(sel, "[class*=article_meta__]"))):
                source, when = glued
            fields["publisher"] = source or None
            fields["original_url"] = sel.css("[class*=article_original__] a::attr(href)").get()
            fields["related"] = [
                _card(
                    c.css("h3 ::text").get() or c.css("img::attr(alt)").get(),
                    c.attrib.get("href", ""),
                    self._css_text(c, "[class*=_source__]"),
                )
                for c in sel.css("[class*=related_box__] a[href]")
            ]
        date = self._resolve(when, base)
        if date is not None:
            layers["published_at"] = "embedded" if data else "selectors"
        elif layers.get("published_at") == "generic":
            layers.pop("published_at")  # a date guessed from card text is not the article's
        fields["published_at"] = date.iso() if date else None
        fields["published_precision"] = date.precision if date else "second"
        fields["timezone_assumed"] = bool(date and date.assumed_offset)
        fields["related"] = [c for c in fields["related"] if c]
        # the generic layer is never used: on these pages it returns card and widget text
        body, authors = self._clean_body(paragraphs, str(fields["title"] or ""))
        fields["body"] = body or None
        if body:
            layers["body"] = "embedded" if data else "selectors"
        else:
            layers.pop("body", None)
        fields["authors"] = fields["authors"] or authors
        fields["tags"] = [t.lstrip("#") for t in fields["tags"]]
        fields["canonical_url"] = canonical_article_url(fields["canonical_url"])
        fields["id"] = self._id(fields["canonical_url"], response.url)
        fields["via"] = urlsplit(response.url).hostname
        return fields

    def _from_embedded(self, fields: Fields, article: dict[str, Any], url: str) -> list[str]:
        """Fill fields from the embedded article; returns its raw paragraphs."""
        layers = fields["extraction"]
        if title := clean_text(str(article.get("title") or "")):
            fields["title"], layers["title"] = title, "embedded"
        fields["publisher"] = _name(article.get("source")) or None
        fields["section"] = clean_text(str(article.get("category") or "")) or None
        fields["tags"] = [clean_text(str(t)) for t in article.get("hashtags") or [] if t]
        fields["summary"] = clean_text(str(article.get("summary") or "")) or fields["summary"]
        image = article.get("image")
        fields["image_url"] = urljoin(url, image) if isinstance(image, str) and image else fields["image_url"]
        original = article.get("sourceUrl")
        fields["original_url"] = original if isinstance(original, str) and original else None
        return self._paragraphs(Selector(text=f"<div>{article.get('content') or ''}</div>"))

    def _html_paragraphs(self, sel: Selector) -> list[str]:
        """Raw paragraphs of the server/rendered HTML body (the base filters too early)."""
        containers = sel.css(self.body_css[0])
        if not containers:
            return []
        container = Selector(text=containers[0].get())
        for node in container.css(DROP_CSS):
            node.drop()
        return self._paragraphs(container)

    def _resolve(self, when: str, base: datetime) -> ParsedDate | None:
        relative = parse_relative_date(when, base)
        if relative is not None:
            return ParsedDate(relative.value.astimezone(self.default_offset), relative.precision)
        return parse_visible_date(when, self.default_offset)

    def _clean_body(self, raw: list[str], title: str) -> tuple[str, list[str]]:
        """Article paragraphs without copied furniture, and bylines found among it."""
        paragraphs = list(dict.fromkeys(p for p in (clean_text(x) for x in raw) if p))
        keys = [_key(p) for p in paragraphs]
        kept: list[str] = []
        authors: list[str] = []
        after_furniture = False
        for text, key in zip(paragraphs, keys, strict=True):
            pull_quote = len(key) >= 30 and any(key != other and key in other for other in keys)
            if self._is_boilerplate(text) or key == _key(title) or pull_quote:
                after_furniture = True
            elif after_furniture and NAME.fullmatch(text):
                authors += [text] if text not in authors else []
            else:
                kept.append(text)
                after_furniture = False
        return "\n\n".join(kept), authors

    @staticmethod
    def _prefix(fields: Fields) -> str:
        return "https://www.daily8.com" + ("/en" if fields.get("language") == "en" else "")


def _embedded(response: TextResponse) -> tuple[dict[str, Any], list[dict[str, Any]]] | None:
    """(article, related cards) from ``__NEXT_DATA__``, or None when it holds no article."""
    raw = response.xpath('//script[@id="__NEXT_DATA__"]/text()').get()
    try:
        data = json.loads(raw) if raw else {}
    except ValueError:
        return None
    props = data.get("props", {}).get("pageProps", {}) if isinstance(data, dict) else {}
    article = props.get("article") if isinstance(props, dict) else None
    if not isinstance(article, dict) or not article.get("title"):
        return None
    related = [c for c in props.get("related") or [] if isinstance(c, dict)]
    return article, related


def _name(source: Any) -> str:
    return clean_text(str((source.get("name") if isinstance(source, dict) else source) or ""))


def _card(title: Any, href: str, publisher: str) -> dict[str, Any] | None:
    title = clean_text(str(title or ""))
    if not title or not href:
        return None
    url = canonical_article_url(urljoin("https://www.daily8.com/", href))
    return {"title": title, "url": url, "publisher": publisher or None}
