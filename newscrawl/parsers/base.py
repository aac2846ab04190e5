"""ArticleParser: one response in, Article fields out, layer by layer.

Each field is taken from the first layer that has it:

1. ``jsonld``    JSON-LD ``NewsArticle``/``Article`` (``@graph`` included)
2. ``meta``      OpenGraph, ``article:*`` and other ``<meta>`` tags, ``<html lang>``
3. ``selectors`` the source's own CSS selectors (class attributes below: the fragile part)
4. ``generic``   a generic extractor (trafilatura) for the body, ``<title>``/htmldate else

The layer that supplied ``title``, ``body`` and ``published_at`` is recorded in
the item's ``extraction`` field, so a redesign shows as a shift to ``generic``.

Subclass hooks (class attributes unless noted):
    source, publisher, language, default_offset   identity and the offset used when
                                                   a page gives none (recorded as assumed)
    title_css, body_css, paragraph_css             selectors; ``body_css`` may list
    date_css, modified_css, author_css,            several containers, the first with
    section_css, tags_css, summary_css             text wins
    drop_css        furniture removed inside the body container before reading it
    boilerplate     regexes: a paragraph matching one is not article text
    min_body_chars  a selector body shorter than this falls through to ``generic``
    generic_fallback  False: never use the generic layer (pages where it only finds
                    widgets, e.g. an aggregator's cards); saves its cost too
    native_id(url)  method: the id part after ``<source>:`` (None: invalid item)
    fix_fields(fields, sel)  method: last-chance source quirks
    non_article_paths  {kind: URL regex} for video/gallery/live/author pages;
                    ``page_kind(response)`` names such a page (``parsers.pagekind``)
Parsers never make requests and never raise on bad markup: missing fields stay
``None`` and the validation pipeline counts and logs the drop.
"""

from __future__ import annotations

import copy
import re
from datetime import UTC, datetime, timezone
from typing import Any, ClassVar
from urllib.parse import urljoin

import lxml.html
from lxml import etree
from parsel import Selector
from parsel.csstranslator import css2xpath
from scrapy.http import TextResponse

from newscrawl.parsers import generic
from newscrawl.parsers.pagekind import NON_ARTICLE_PATHS, page_kind
from newscrawl.parsers.structured import first_url, jsonld_article, meta, meta_all, names, text_list
from newscrawl.text import (
    ParsedDate,
    canonical_url,
    clean_text,
    join_paragraphs,
    parse_iso,
    parse_visible_date,
    registered_site,
)

Fields = dict[str, Any]

BOILERPLATE = (
    r"^short url\b", r"^updated\b.{0,40}\d", r"^(read|see) (also|more)\b", r"^related\b",
    r"^follow (us|the latest)\b", r"^(share|click) (this|here)\b", r"^https?://\S+$",
    r"^mailto:", r"^advertisement$", r"^sign up\b", r"^subscribe\b", r"^(photo|image|file photo):",
    r"^get (the|our) .{0,60}\b(newsletter|daily edition|by email)\b", r"\bnever miss (our|the) top stories\b",
    r"^our standards:",
)  # fmt: skip
BOILERPLATE_SCAN = 300  # characters of a paragraph tested against the boilerplate patterns
DROP_CSS = (
    "script, style, noscript, template, iframe, figure, figcaption, aside, nav, form, button,"
    " video, video-js, audio, svg, [class*=share], [class*=related], [class*=social],"
    " [class*=newsletter], [class*=advert], [class*=promo], [class*=caption], .tags"
)


class ArticleParser:
    source: ClassVar[str] = ""
    publisher: ClassVar[str] = ""
    language: ClassVar[str | None] = None
    default_offset: ClassVar[timezone] = UTC
    title_css: ClassVar[str] = "h1"
    body_css: ClassVar[tuple[str, ...]] = ()
    paragraph_css: ClassVar[str] = "p, h2, h3, h4, blockquote, li"
    date_css: ClassVar[str | None] = None
    modified_css: ClassVar[str | None] = None
    author_css: ClassVar[str | None] = None
    section_css: ClassVar[str | None] = None
    tags_css: ClassVar[str | None] = None
    summary_css: ClassVar[str | None] = None
    drop_css: ClassVar[str] = ""
    boilerplate: ClassVar[tuple[str, ...]] = ()
    min_body_chars: ClassVar[int] = 120
    generic_fallback: ClassVar[bool] = True
    non_article_paths: ClassVar[dict[str, str]] = NON_ARTICLE_PATHS

    def __init__(self) -> None:
        patterns = BOILERPLATE + self.boilerplate
        # one alternation: a paragraph is tested once, not once per pattern
        self._boilerplate = re.compile("|".join(f"(?:{p})" for p in patterns), re.I)

    # --- hooks ------------------------------------------------------------
    def page_kind(self, response: TextResponse) -> str | None:
        """``video``/``gallery``/``live``/``author`` for a page to skip, None for an article."""
        return page_kind(response.selector, response.url, self.non_article_paths)

    def native_id(self, url: str) -> str | None:
        return None

    def fix_fields(self, fields: Fields, sel: Selector) -> Fields:
        return fields

    # --- driver -----------------------------------------------------------
    def parse(self, response: TextResponse, *, crawled_at: datetime | None = None) -> Fields:
        sel = response.selector
        ld = jsonld_article(sel)
        layers: dict[str, str] = {}
        now = crawled_at or datetime.now(UTC)
        title = self._title(sel, ld, layers)
        published = self._date(sel, ld, layers)
        modified = self._pick_date(
            [("jsonld", ld.get("dateModified")),
             ("meta", meta(sel, "article:modified_time", "og:updated_time", "dateModified"))],
            self.modified_css, sel, {},
        )  # fmt: skip
        summary = ld.get("description") or meta(sel, "og:description", "description", "twitter:description")
        image = first_url(ld.get("image")) or meta(sel, "og:image", "twitter:image")
        canonical = self._canonical(sel, response.url)
        fields: Fields = {
            "id": self._id(canonical, response.url),
            "url": response.url,
            "canonical_url": canonical,
            "source": self.source,
            "publisher": self.publisher,
            "language": self._language(sel),
            "title": title,
            "summary": clean_text(summary) or self._css_text(sel, self.summary_css) or None,
            "body": self._body(response, ld, layers),
            "authors": self._authors(sel, ld),
            "published_at": published.iso() if published else None,
            "modified_at": modified.iso() if modified else None,
            "section": self._section(sel, ld),
            "tags": self._tags(sel, ld),
            "image_url": response.urljoin(image) if image else None,
            "crawled_at": now.isoformat(timespec="seconds"),
            "published_precision": published.precision if published else "second",
            "timezone_assumed": bool(published and published.assumed_offset),
            "extraction": layers,
        }
        return self.fix_fields(fields, sel)

    # --- layers -----------------------------------------------------------
    def _title(self, sel: Selector, ld: Fields, layers: dict[str, str]) -> str | None:
        """JSON-LD headline first, unless it is truncated ("…") or the visible headline
        and og:title agree on another wording (SEO headlines in JSON-LD are common)."""
        structured = clean_text(ld.get("headline") or ld.get("name") or "")
        if structured and not structured.endswith(("...", "…")):  # the common case, kept cheap
            og = self._strip_site(meta(sel, "og:title", "twitter:title"), sel)
            if og and og != structured and og == self._visible_title(sel):
                layers["title"] = "meta"
                return og
            layers["title"] = "jsonld"
            return structured
        candidates = [
            ("meta", self._strip_site(meta(sel, "og:title", "twitter:title"), sel)),
            ("selectors", self._css_text(sel, self.title_css)),
            ("generic", self._strip_site(sel.css("title::text").get(), sel)),
        ]
        if structured:  # truncated: prefer a candidate that completes it
            stem = structured.rstrip(".… ")
            longer = [(k, v) for k, v in candidates if v and v.startswith(stem) and len(v) > len(stem)]
            candidates = longer + candidates
        return self._first(layers, "title", candidates)

    def _visible_title(self, sel: Selector) -> str:
        return self._css_text(sel, self.title_css) or self._css_text(sel, "h1")

    @staticmethod
    def _first(layers: dict[str, str], name: str, candidates: list[tuple[str, str | None]]) -> str | None:
        for layer, value in candidates:
            if value:
                layers[name] = layer
                return value
        return None

    def _pick_date(
        self,
        structured: list[tuple[str, Any]],
        css: str | None,
        sel: Selector,
        layers: dict[str, str],
        name: str = "published_at",
    ) -> ParsedDate | None:
        for layer, value in structured:
            if parsed := parse_iso(str(value) if value else None, self.default_offset):
                layers[name] = layer
                return parsed
        if css:
            node = sel.css(css)
            machine = node.xpath("./@datetime | .//@datetime").get()
            visible = clean_text(" ".join(node.css("::text").getall()))
            parsed = parse_iso(machine, self.default_offset) or parse_visible_date(
                visible, self.default_offset
            )
            if parsed:
                layers[name] = "selectors"
                return parsed
        return None

    def _date(self, sel: Selector, ld: Fields, layers: dict[str, str]) -> ParsedDate | None:
        found = self._pick_date(
            [("jsonld", ld.get("datePublished") or ld.get("dateCreated")),
             ("meta", meta(sel, "article:published_time", "datePublished", "pubdate", "publishdate",
                           "date", "dc.date", "DC.date.issued", "parsely-pub-date", "sailthru.date",
                           "og:published_time", "publish-date"))],
            self.date_css, sel, layers,
        )  # fmt: skip
        if found is None and self.generic_fallback and (generic_date := generic.find_date(sel.get())):
            layers["published_at"] = "generic"
            return parse_iso(generic_date, self.default_offset)
        return found

    def _body(self, response: TextResponse, ld: Fields, layers: dict[str, str]) -> str | None:
        for css in self.body_css:
            containers = response.css(css)
            if not containers:
                continue
            container = _detached(containers[0])
            for node in container.css(", ".join(c for c in (DROP_CSS, self.drop_css) if c)):
                node.drop()
            text = join_paragraphs([p for p in self._paragraphs(container) if not self._is_boilerplate(p)])
            if len(text) >= self.min_body_chars:
                layers["body"] = "selectors"
                return text
        article_body = clean_text(ld.get("articleBody"))
        if guided := generic.paragraphs_in(response.selector, article_body):
            layers["body"] = "jsonld"
            return join_paragraphs([p for p in guided if not self._is_boilerplate(p)])
        extracted = generic.body(response.text, response.url) if self.generic_fallback else None
        if generic.covers(extracted, article_body) < generic.MIN_COVERAGE / 2:
            # the generic extractor missed most of the declared text (script-built pages)
            extracted = None
        if extracted:
            layers["body"] = "generic"
            return join_paragraphs([p for p in extracted.split("\n") if not self._is_boilerplate(p)])
        if article_body:
            layers["body"] = "jsonld"
            return article_body
        return None

    def _paragraphs(self, container: Selector) -> list[str]:
        """Text of each block, as a browser shows it; blocks nested in another matched
        block (li > p, blockquote > p) are skipped."""
        nodes = _elements(container, self.paragraph_css)
        if nodes is None:
            nodes = [n.root for n in container.css(self.paragraph_css) if isinstance(n.root, etree._Element)]
        return [_block_text(n) for n in nodes if not _nested_element(n)]

    def _is_boilerplate(self, paragraph: str) -> bool:
        # Furniture is short lines; a long paragraph is judged by its opening only.
        text = clean_text(paragraph[:BOILERPLATE_SCAN])
        return self._boilerplate.search(text) is not None

    # --- small fields -----------------------------------------------------
    def _authors(self, sel: Selector, ld: Fields) -> list[str]:
        found = names(ld.get("author"))
        if not found:
            found = [
                a
                for a in meta_all(sel, "author") + meta_all(sel, "article:author")
                if not a.startswith("http")
            ]
        if not found and self.author_css:
            found = [clean_text(a) for a in sel.css(self.author_css).css("::text").getall()]
        return [re.sub(r"^by\s+", "", a, flags=re.I) for a in found if a]

    def _section(self, sel: Selector, ld: Fields) -> str | None:
        section = ld.get("articleSection")
        if isinstance(section, list):
            section = section[0] if section else None
        value = section or meta(sel, "article:section")
        if not value and self.section_css:
            value = " ".join(sel.css(self.section_css).css("::text").getall())
        return clean_text(str(value)) if value else None

    def _language(self, sel: Selector) -> str | None:
        if self.language:
            return self.language
        lang = sel.xpath("/html/@lang").get() or meta(sel, "og:locale") or ""
        return lang[:2].lower() or None

    def _strip_site(self, title: str | None, sel: Selector) -> str | None:
        """Drop a " | Site name" style suffix from og:title/<title>."""
        text = clean_text(title)
        site = clean_text(meta(sel, "og:site_name")).lower().replace(" ", "")
        parts = re.split(r"\s+[|–—-]\s+", text)
        suffix = parts[-1].lower().replace(" ", "")
        if len(parts) > 1 and site and (site in suffix or suffix in site):
            text = " - ".join(parts[:-1])
        return text or None

    def _canonical(self, sel: Selector, url: str) -> str:
        link = sel.xpath('//link[@rel="canonical"]/@href').get()
        if link:
            absolute = canonical_url(urljoin(url, link.strip()))
            if registered_site(absolute) == registered_site(url):
                return absolute
        return canonical_url(url)

    def _id(self, canonical: str, url: str) -> str | None:
        native = self.native_id(canonical) or self.native_id(url)
        return f"{self.source}:{native}" if native else None

    @staticmethod
    def _css_text(sel: Selector, css: str | None) -> str:
        return clean_text(" ".join(sel.css(css).css("::text").getall())) if css else ""

    @staticmethod
    def _css_texts(sel: Selector, css: str | None) -> list[str]:
        texts = (clean_text(t) for t in sel.css(css).css("::text").getall()) if css else ()
        return [t for t in texts if t]

    def _tags(self, sel: Selector, ld: Fields) -> list[str]:
        return (
            text_list(ld.get("keywords"))
            or meta_all(sel, "article:tag")
            or text_list(meta(sel, "keywords", "news_keywords"))
            or self._css_texts(sel, self.tags_css)
        )


# --- hot-path helpers (same results as the parsel one-liners they replace, without
# a Selector object per text node or a reparse; see docs/bench.md) -----------
NESTING_BLOCKS = frozenset(("p", "li", "blockquote"))


def _block_text(element: etree._Element) -> str:
    """Text nodes joined as rendered: inline markup adds no space (``<em>x</em>,`` is
    ``x,``, ``<span>LONDON</span>: Oil`` is ``LONDON: Oil``); ``<br>`` is a space."""
    found = element.xpath("descendant::text() | descendant::br")
    parts = found if isinstance(found, list) else []
    return "".join(str(p) if isinstance(p, str) else " " for p in parts)


def _nested_element(element: etree._Element) -> bool:
    """``element.xpath("ancestor::*[self::p or self::li or self::blockquote]")``."""
    return any(a.tag in NESTING_BLOCKS for a in element.iterancestors())


def _elements(sel: Selector, css: str) -> list[etree._Element] | None:
    """``sel.css(css)`` as lxml elements; None unless ``sel`` is an HTML element and
    ``css`` selects only elements (pseudo-elements such as ``::text`` do not)."""
    if sel.type != "html" or not isinstance(sel.root, etree._Element):
        return None
    found = sel.root.xpath(css2xpath(css))
    if not isinstance(found, list):
        return None
    elements = [n for n in found if isinstance(n, etree._Element)]
    return elements if len(elements) == len(found) else None


def _detached(node: Selector) -> Selector:
    """``Selector(text=node.get())``: a copy in a document of its own (``<html><body>``
    around it, as parsing the markup gives), so dropping furniture from it leaves the
    response's tree intact. Copying the subtree is cheaper than serialising and
    re-parsing it."""
    if not isinstance(node.root, lxml.html.HtmlElement):
        return Selector(text=node.get())
    clone = copy.deepcopy(node.root)
    clone.tail = None
    html = lxml.html.Element("html")
    etree.SubElement(html, "body").append(clone)
    return Selector(root=html, type="html")
