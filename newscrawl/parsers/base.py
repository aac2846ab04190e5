"""ArticleParser: one response in, Article fields out, layer by layer.

Each field is taken from the first layer that has it:

1. ``jsonld``    JSON-LD ``NewsArticle``/``Article`` (``@graph`` included)
2. ``meta``      OpenGraph, ``article:*`` and other ``<meta>`` tags, ``<html lang>``
3. ``selectors`` the source's own CSS selectors (class attributes below: the fragile part)
4. ``generic``   a generic extractor (trafilatura) for the body, ``<title>``/htmldate else

The layer that supplied ``title``, ``body`` and ``published_at`` is recorded in
the item's ``extraction`` field, so a redesign shows as a shift to ``generic``.

Every ``Article`` field has a hook, a method marked ``@field("<name>")``
(``parsers.fields``): ``parse`` asks each field once per page, and a subclass overrides
a field by defining a hook for the same name (Daily8's dates and body, Al Arabiya's
uuid id). Hooks ask the page for the fields they build on (``page.get("body")``).

Class attributes a source sets:
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
    non_article_paths  {kind: URL regex} for video/gallery/live/author pages;
                    ``page_kind(response)`` names such a page (``parsers.pagekind``)
Methods: ``native_id(url)`` the id the URL carries (None: ``id`` is the short hash of
the canonical URL, never a path); ``layout(response)`` another parser for a layout the
source also serves. Parsers never make requests and never raise on bad markup: missing
fields stay ``None`` and the validation pipeline counts and logs the drop.
"""

from __future__ import annotations

import copy
import hashlib
import itertools
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timezone
from functools import lru_cache
from typing import Any, ClassVar
from urllib.parse import urljoin, urlsplit

import lxml.html
from lxml import etree
from parsel import Selector
from scrapy.http import TextResponse

from newscrawl.items import Article, word_count
from newscrawl.parsers import dates, generic, images
from newscrawl.parsers.fields import FieldErrorHook, Heading, Page, Text, exported, field, hooks, is_heading
from newscrawl.parsers.pagekind import NON_ARTICLE_PATHS, page_kind, prose_chars
from newscrawl.parsers.structured import (
    as_text,
    elements,
    jsonld_nodes,
    meta,
    meta_all,
    names,
    root_of,
    select,
    strings,
    text_list,
)
from newscrawl.text import (
    ARABIC_SCRIPT_LANGUAGES,
    ParsedDate,
    alnum_key,
    canonical_url,
    clean_text,
    language_code,
    registered_site,
    text_script,
)

Fields = dict[str, Any]
__all__ = ["ArticleParser", "FieldErrorHook", "Fields", "Page", "Text", "field"]

BOILERPLATE = (
    r"^short url\b", r"^updated\b.{0,40}\d", r"^(read|see) (also|more)\b", r"^related\b",
    r"^follow (us|the latest)\b", r"^(share|click) (this|here)\b", r"^https?://\S+$",
    r"^mailto:", r"^advertisement$", r"^sign up\b", r"^subscribe\b", r"^(photo|image|file photo):",
    r"^get (the|our) .{0,60}\b(newsletter|daily edition|by email)\b", r"\bnever miss (our|the) top stories\b",
    r"^our standards:",
    # the same furniture in the other languages the sources and the wild web carry
    # (whole short lines: a sentence that merely starts so is not matched)
    r"^(teilen|share|partager|compartir|condividi|شارك)( (mit|this|on|sur|en|en:))?\W{0,3}$",
    r"^(teilen sie dies mit|share this( article)?|partager cet article|compartir en)\b.{0,40}$",
    r"^(folgen sie uns|follow us|suivez-nous|s[ií]guenos|seguici|تابعونا)\b.{0,80}$",
    r"^(lesen sie auch|auch interessant|mehr zum thema|mehr themen|à lire aussi|lire aussi"
    r"|le puede interesar|te puede interesar|lee también|puedes ver|ver también|leggi anche"
    r"|اقرأ أيضا|اقرأ أيضاً)\b",
    r"^(anzeige|werbung|publicidad|publicité|pubblicità|إعلان)\b.{0,60}$",
    r"^(foto|photo|bild|image|credit|crédit|quelle|source|fuente|fonte|©)\s*[:：]?.{0,60}$(?<![.!?])",
    r"^(getty images|reuters|afp|dpa|ap|twitter|facebook|instagram|whatsapp|telegram|linkedin"
    r"|kategorien|kategorie:.*|categories|category:.*|tags|schlagworte|schlagwörter)\W{0,3}$",
    r"(?-i:^[A-Z]{2,5}( ?/ ?[A-ZÄÖÜÉ][\w .'-]{1,40})+$)",  # agency / photographer credit lines
    r"^(wird geladen|loading|cargando|chargement|جار التحميل)\W*$",
    r"^(zum newsletter|newsletter abonnieren|newsletter:|inscrivez-vous|suscríbete|suscribete)\b",
    r"^(escucha esta nota|listen to (this|the) article|artikel anhören|écouter cet article)\b",
    r"^image illustrative\b",
)  # fmt: skip
TITLE_AGREEMENT = 0.5  # token F1 at which two wordings are one headline
MIN_UNCONFIRMED_HEADLINE = 4  # words: a shorter first headline nothing agrees with may be a logo
HEADLINE_CSS = (
    "[itemprop=headline], h2.entry-title, h2.post-title, h2[class*=headline], h2[class*=article-title],"
    " h2[class*=post-title], h3.entry-title"
)
SELECTOR_SHARE = 0.4  # a selector body under this share of the page's prose is checked against generic
BOILERPLATE_SCAN = 300  # characters of a paragraph tested against the boilerplate patterns
DROP_CSS = (
    "script, style, noscript, template, iframe, figure, figcaption, aside, nav, form, button,"
    " video, video-js, audio, svg, [class*=share], [class*=related], [class*=social],"
    " [class*=newsletter], [class*=advert], [class*=promo], [class*=caption], .tags"
)


# compiled once (the parsel one-liners they replace built a Selector per call)
_CANONICAL = etree.XPath('//link[@rel="canonical"]/@href')
_TITLE = etree.XPath("//title")
_HTML_LANG = etree.XPath("/html/@lang | /html/@xml:lang")
_HTTP_EQUIV_LANGUAGE = etree.XPath(
    '//meta[translate(@http-equiv, "CONTENTLAGU", "contentlagu")="content-language"]/@content'
)


def _first_string(query: etree.XPath, sel: Selector) -> str | None:
    """``sel.xpath(query).get()``: the first string result, or None."""
    root = root_of(sel)
    found = strings(query, root) if root is not None else []
    return found[0] if found else None


class Headlines:
    """A page's visible headline candidates in order, read one selector at a time and only
    as far as they are iterated: a page whose ``<h1>`` is worded as its JSON-LD headline
    never runs the later, page-wide queries."""

    def __init__(self, sel: Selector, queries: tuple[str | None, ...]) -> None:
        self._sel = sel
        self._queries = iter(queries)
        self._found: list[str] = []

    def _more(self) -> bool:
        """Read the next query that adds a candidate; False when none is left."""
        for css in self._queries:
            size = len(self._found)
            for node in select(self._sel, css)[:5] if css else ():
                text = _text_of([node])
                if text and text not in self._found and len(text) <= 400:
                    self._found.append(text)
            if len(self._found) > size:
                return True
        return False

    def __iter__(self) -> Iterator[str]:
        index = 0
        while index < len(self._found) or self._more():
            yield self._found[index]
            index += 1


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
        # two alternations, tested once per paragraph: the patterns anchored at the start
        # (most) are tried at position 0 only; the others anywhere
        anchored = [p[1:] for p in patterns if p.startswith("^")]
        anchored += [p.replace("(?-i:^", "(?-i:", 1) for p in patterns if p.startswith("(?-i:^")]
        floating = [p for p in patterns if not p.startswith(("^", "(?-i:^"))]
        self._boilerplate_start = re.compile("|".join(f"(?:{p})" for p in anchored), re.I)
        self._boilerplate = re.compile("|".join(f"(?:{p})" for p in floating) or "(?!)", re.I)

    # --- hooks ------------------------------------------------------------
    def page_kind(self, response: TextResponse) -> str | None:
        """``video``/``gallery``/``live``/``author`` for a page to skip, None for an article."""
        return page_kind(response.selector, response.url, self.non_article_paths)

    def layout(self, response: TextResponse) -> ArticleParser:
        """The parser for this page's layout: ``self``, or a parser of a layout the
        source serves besides (Daily8's Next.js pages); ``parse`` hands the page to it."""
        return self

    def native_id(self, url: str) -> str | None:
        """The id ``url`` itself carries (the part after ``<source>:``), or None: a
        numeric id in the path (5+ digits, not a date) unless the source says better."""
        return numeric_id(url)

    def url_id(self, url: str) -> str:
        """The id part for ``url`` without its page: ``native_id``, else the short hash of
        the canonical URL (what ``id`` is for a page that states no id of its own)."""
        return self.native_id(canonical_url(url)) or short_id(canonical_url(url))

    # --- driver -----------------------------------------------------------
    def parse(
        self,
        response: TextResponse,
        *,
        crawled_at: datetime | None = None,
        report: FieldErrorHook | None = None,
    ) -> Fields:
        """Article fields of ``response``: each field asked of its hook once
        (``parsers.fields``). A field whose hook raises is left empty (``None``, or
        ``[]`` for lists) and passed to ``report(field, url, exc)``
        (``parsers.errors.FieldErrors`` counts and logs it; without ``report`` the
        exception propagates); the other fields still come out, so bad structured data
        never costs the article."""
        parser = self.layout(response)
        if parser is not self:
            return parser.parse(response, crawled_at=crawled_at, report=report)
        page = Page(self, response, crawled_at or datetime.now(UTC), report)
        return {name: exported(page.get(name)) for name in OUTPUT_FIELDS}

    # --- identity and fixed fields ------------------------------------------
    @field("url")
    def _url(self, page: Page) -> str:
        return page.url

    @field("source")
    def _source(self, page: Page) -> str:
        return self.source

    @field("publisher")
    def _publisher(self, page: Page) -> str | None:
        return self.publisher

    @field("crawled_at")
    def _crawled_at(self, page: Page) -> str:
        return page.now.isoformat(timespec="seconds")

    @field("extraction", empty=lambda page: page.layers)
    def _extraction(self, page: Page) -> dict[str, str]:
        """The layers the other hooks recorded (the same dict: complete once every field is read)."""
        return page.layers

    @field("original_url")
    def _original_url(self, page: Page) -> str | None:
        return None

    @field("via")
    def _via(self, page: Page) -> str | None:
        return None

    @field("related", empty=[])
    def _related(self, page: Page) -> list[dict[str, Any]]:
        return []

    @field("duplicate_of")
    def _duplicate_of(self, page: Page) -> str | None:
        return None  # set by the linking pipeline

    @field("canonical_url", empty=lambda page: canonical_url(page.url))
    def _canonical(self, page: Page) -> str:
        link = _first_string(_CANONICAL, page.sel)
        if link:
            absolute = canonical_url(urljoin(page.url, link.strip()))
            if _site(absolute) == _site(page.url):
                return absolute
        return canonical_url(page.url)

    @field("id")
    def _id(self, page: Page) -> str | None:
        """``<source>:<id>``: the id the canonical URL or the URL carries, else the
        short hash of the canonical URL. Never a path."""
        canonical = page.get("canonical_url")
        native = self.native_id(canonical) or self.native_id(page.url) or short_id(canonical)
        return f"{self.source}:{native}"

    # --- layers -----------------------------------------------------------
    @field("title")
    def _title(self, page: Page) -> str | None:
        """The visible headline when a structured candidate (JSON-LD ``headline``,
        ``og:title``, ``<title>``, site names stripped, or one part of a ``<title>``
        made of parts) agrees with it loosely; a structured candidate that the headline
        merely extends (a kicker fused in front, a label after) is taken alone; a
        headline worded exactly as a candidate wins over looser matches. No agreement:
        the first headline when it has ``MIN_UNCONFIRMED_HEADLINE`` words, else JSON-LD
        unless truncated ("…"), then og:title, then ``<title>``, then the first headline."""
        sel, ld, layers = page.sel, page.ld, page.layers
        jsonld = as_text(ld.get("headline")) or as_text(ld.get("name"))
        og_raw = clean_text(meta(sel, "og:title", "twitter:title"))
        root = root_of(sel)
        title_raw = _text_of(elements(_TITLE, root)[:1] if root is not None else [])
        og, doc_title = self._strip_site(og_raw, sel), self._strip_site(title_raw, sel)
        structured = [("jsonld", jsonld), ("meta", og), ("generic", doc_title)]
        parts = [("meta", p) for p in _title_parts(og_raw)]
        parts += [("generic", p) for p in _title_parts(title_raw)]
        headlines = self._headlines(sel)
        # a headline worded exactly as a structured candidate (or one part of a <title>
        # made of parts) first: a looser match with another headline (one with a byline
        # fused in) must not win over it
        longest = max((len(_words(p)) for _, p in parts), default=0)
        exact_parts = [(k, p) for k, p in parts if len(_words(p)) == longest]  # not a site name
        for layer, candidate in structured + exact_parts:
            if candidate and len(_words(candidate)) >= 2:
                same = next((h for h in headlines if _squash(h) == _squash(candidate)), None)
                if same is not None:
                    layers["title"] = layer if layer != "generic" else "selectors"
                    return same
        for layer, candidate in structured + parts:
            if not candidate or len(_words(candidate)) < 2:
                continue
            for headline in headlines:
                if candidate != headline and _extends(headline, candidate):
                    layers["title"] = layer
                    return candidate
                if title_agrees(headline, candidate):
                    # the same wording is credited to the structured layer that states it
                    # (JSON-LD, meta); agreeing with <title> only, to the visible headline
                    exact = _squash(candidate) == _squash(headline) and layer != "generic"
                    layers["title"] = layer if exact else "selectors"
                    return headline
        visible = [("selectors", h) for h in itertools.islice(headlines, 1)]
        if jsonld.endswith(("...", "…")):  # truncated: prefer a candidate that completes it
            stem = jsonld.rstrip(".… ")
            longer = [
                (k, v) for k, v in structured[1:] + visible if v and v.startswith(stem) and len(v) > len(stem)
            ]
            structured = [*longer, *structured[1:], ("jsonld", jsonld)]
        if visible and len(_words(visible[0][1])) >= MIN_UNCONFIRMED_HEADLINE:
            # no structured candidate agrees: the page's own visible headline over the SEO
            # wordings of JSON-LD/og:title/<title> (real pages: "Kaufratgeber: ..." in the
            # <h1>, "Das beste ... 2022 - Vergleich" in every structured field)
            return self._first(layers, "title", [*visible, *structured])
        return self._first(layers, "title", [*structured, *visible])

    def _headlines(self, sel: Selector) -> Headlines:
        """Visible headline candidates: the source's ``title_css``, the page's ``<h1>``s,
        then headline-named elements and ``<h2>``s (a site whose ``<h1>`` is its logo
        titles the post in an ``<h2>``); script/style text never included. Only the
        first is ever taken without a structured candidate agreeing with it."""
        return Headlines(sel, (self.title_css, "h1", HEADLINE_CSS, "h2"))

    @staticmethod
    def _first(layers: dict[str, str], name: str, candidates: list[tuple[str, str | None]]) -> str | None:
        for layer, value in candidates:
            if value:
                layers[name] = layer
                return value
        return None

    @field("published_at")
    def _date(self, page: Page) -> ParsedDate | None:
        """The publication date (``parsers.dates``); exported as ISO 8601, and read by
        ``published_precision`` and ``timezone_assumed``."""
        found = dates.published(
            page.sel,
            page.response,
            default_offset=self.default_offset,
            date_css=self.date_css,
            generic=self.generic_fallback,
            crawled_at=page.now,
        )
        if found is None:
            return None
        page.layers["published_at"] = found[1]
        return found[0]

    @field("published_precision")
    def _precision(self, page: Page) -> str:
        published = page.get("published_at")
        return published.precision if isinstance(published, ParsedDate) else "second"

    @field("timezone_assumed")
    def _assumed(self, page: Page) -> bool:
        published = page.get("published_at")
        return bool(isinstance(published, ParsedDate) and published.assumed_offset)

    @field("modified_at")
    def _modified(self, page: Page) -> ParsedDate | None:
        return dates.modified(page.sel, default_offset=self.default_offset, modified_css=self.modified_css)

    @field("body")
    def _body(self, page: Page) -> Text | None:
        """The first site selector with enough text; else chosen on evidence between the
        page's own paragraphs that make up JSON-LD ``articleBody``, the generic extractor
        and the page's densest paragraph block (``generic.choose_body``). Subheadings
        are kept as ``Heading`` paragraphs (``sections``)."""
        sel, layers = page.sel, page.layers
        for css in self.body_css:
            containers = select(sel, css)
            if not containers:
                continue
            container = _detached(Selector(root=containers[0], type="html"))
            for node in select(container, self._drop_css):
                if isinstance(node, lxml.html.HtmlElement):
                    node.drop_tree()  # as parsel's drop(): the tail text stays
            text = Text.of(p for p in self._paragraphs(container) if not self._is_boilerplate(p))
            if text is not None and len(text.body) >= self.min_body_chars:
                if self.generic_fallback and (wider := self._wider_body(page, text.body)):
                    layers["body"] = "generic"
                    return wider
                layers["body"] = "selectors"
                page.container = containers[0]
                return text
        chosen = generic.choose_body(
            sel,
            as_text(page.ld.get("articleBody")),
            page.url,
            use_extractor=self.generic_fallback,
        )
        if chosen is None:
            return None
        paragraphs, layers["body"] = chosen
        paragraphs = generic.lead_paragraphs(sel, paragraphs) + paragraphs
        return Text.of(p for p in paragraphs if not self._is_boilerplate(p))

    @field("sections", empty=lambda page: _one_section(page.get("body")))
    def _sections(self, page: Page) -> list[dict[str, Any]]:
        """The body by subheading (``Text.sections``): the same paragraphs as ``body``."""
        text = page.get("body")
        return text.sections() if isinstance(text, Text) else []

    @field("word_count", empty=lambda page: _words_of(page.get("body")))
    def _word_count(self, page: Page) -> int:
        return _words_of(page.get("body"))

    @property
    def _drop_css(self) -> str:
        return ", ".join(c for c in (DROP_CSS, self.drop_css) if c)

    def _wider_body(self, page: Page, text: str) -> Text | None:
        """A selector that matched only part of the text (a guessed class name on markup
        nobody here has seen): when the page's prose is far longer than what the
        selector read, the generic reading replaces it if it contains that text and is
        much longer. Costs nothing on pages where the selector holds the prose."""
        if len(text) >= SELECTOR_SHARE * prose_chars(page.sel, int(len(text) / SELECTOR_SHARE) + 1):
            return None
        extracted = generic.extract(page.sel, page.url)
        if not extracted:
            return None
        wider = Text.of(p for p in extracted if not self._is_boilerplate(p))
        if wider is None:
            return None
        if len(wider.body) > generic.TEASER_RATIO * len(text) and generic.covers(wider.body, text) >= 0.8:
            return wider
        return None

    def _paragraphs(self, container: Selector) -> list[str]:
        """Text of each block, as a browser shows it (a subheading as a ``Heading``);
        blocks nested in another matched block (li > p, blockquote > p) are skipped."""
        nodes = _elements(container, self.paragraph_css)
        if nodes is None:
            nodes = [n.root for n in container.css(self.paragraph_css) if isinstance(n.root, etree._Element)]
        return [_block(n) for n in nodes if not _nested_element(n)]

    def _is_boilerplate(self, paragraph: str) -> bool:
        # Furniture is short lines; a long paragraph is judged by its opening only.
        text = clean_text(paragraph[:BOILERPLATE_SCAN])
        return self._boilerplate_start.match(text) is not None or self._boilerplate.search(text) is not None

    # --- small fields -----------------------------------------------------
    @field("authors", empty=[])
    def _authors(self, page: Page) -> list[str]:
        sel = page.sel
        found = names(page.ld.get("author"))
        if not found:
            found = [
                a
                for a in meta_all(sel, "author") + meta_all(sel, "article:author")
                if not a.startswith("http")
            ]
        if not found and self.author_css:
            found = [clean_text(a) for a in _all_text(select(sel, self.author_css))]
        return [re.sub(r"^by\s+", "", a, flags=re.I) for a in found if a]

    @field("section")
    def _section(self, page: Page) -> str | None:
        value = as_text(page.ld.get("articleSection")) or meta(page.sel, "article:section")
        if not value and self.section_css:
            value = " ".join(_all_text(select(page.sel, self.section_css)))
        return clean_text(value) or None

    @field("summary")
    def _summary(self, page: Page) -> str | None:
        summary = as_text(page.ld.get("description")) or meta(
            page.sel, "og:description", "description", "twitter:description"
        )
        return clean_text(summary) or self._css_text(page.sel, self.summary_css) or None

    @field("image_url")
    def _image(self, page: Page) -> str | None:
        """The lead image: the first JSON-LD ``image`` URL (any shape, an ``@id``
        reference resolved in the page's JSON-LD), else og/twitter image, that resolves
        to an absolute http(s) URL of a picture (not a logo, icon or pixel:
        ``images.usable``)."""
        declared = images.jsonld_images({"image": page.ld.get("image")}, jsonld_nodes(page.sel))
        candidates = [str(i["url"]) for i in declared] + [
            m for m in (meta(page.sel, "og:image"), meta(page.sel, "twitter:image")) if m
        ]
        for candidate in candidates:
            if absolute := images.usable(candidate, page.base_url):
                return absolute
        return None

    @field("images", empty=lambda page: images.with_lead(page.get("image_url"), []))
    def _images(self, page: Page) -> list[dict[str, Any]]:
        """Every picture of the article, the lead (``image_url``) first (``parsers.images``)."""
        if page.container is not None:
            scope = next((a for a in page.container.iterancestors("article")), page.container)
            figures = images.figures(scope)
        else:
            text = page.get("body")
            figures = images.page_figures(page.sel, text.paragraphs[0] if isinstance(text, Text) else "")
        candidates = (
            figures + images.jsonld_images(page.ld, jsonld_nodes(page.sel)) + images.meta_images(page.sel)
        )
        return images.with_lead(page.get("image_url"), images.collect(candidates, page.base_url))

    @field("language")
    def _language(self, page: Page) -> str | None:
        """The page's language: ``<html lang>``, ``og:locale`` or ``Content-Language`` when
        the text's script does not contradict it, else the text's script (Arabic script
        is ``ar``), else the source's ``language`` (None: a source hook decides)."""
        sel = page.sel
        title, text = page.get("title"), page.get("body")
        body = text.body if isinstance(text, Text) else ""
        declared = (
            _first_string(_HTML_LANG, sel)
            or meta(sel, "og:locale", "content-language", "language", "dc.language")
            or _first_string(_HTTP_EQUIV_LANGUAGE, sel)
            or ""
        )
        code = language_code(declared)
        script = text_script(f"{title or ''} {body[:2000]}")
        if script == "arabic" and code not in ARABIC_SCRIPT_LANGUAGES:
            return "ar"  # undeclared, or a template's lang="en" over Arabic text
        if script == "other" and code in ARABIC_SCRIPT_LANGUAGES:
            return self.language  # an Arabic-script declaration over Latin text: not the page's
        return code or self.language

    def _strip_site(self, title: str | None, sel: Selector) -> str | None:
        """Drop a " | Site name" style suffix (or prefix) from og:title/<title>: the site
        named by ``og:site_name``/``application-name``, or a short last part behind a
        bar, bullet or guillemet ("Headline | Site", "Headline » Blog name")."""
        text = clean_text(title)
        parts = _SITE_SEPARATOR.split(text)
        if len(parts) < 2:
            return text or None
        names = {_squash(meta(sel, name) or "") for name in ("og:site_name", "application-name")} - {""}
        for end in (-1, 0):
            part = _squash(parts[end])
            if part and any(n in part or part in n for n in names):
                kept = parts[:-1] if end == -1 else parts[1:]
                return " - ".join(kept) or None
        bar = _BAR_SEPARATOR.split(text)
        if len(bar) > 1 and len(_words(bar[-1])) <= 4 and len(_words(" ".join(bar[:-1]))) >= 3:
            return " | ".join(bar[:-1])
        return text or None

    @staticmethod
    def _css_text(sel: Selector, css: str | None) -> str:
        return clean_text(" ".join(_all_text(select(sel, css)))) if css else ""

    @staticmethod
    def _css_texts(sel: Selector, css: str | None) -> list[str]:
        texts = (clean_text(t) for t in _all_text(select(sel, css))) if css else ()
        return [t for t in texts if t]

    @field("tags", empty=[])
    def _tags(self, page: Page) -> list[str]:
        sel, ld = page.sel, page.ld
        return (
            text_list(ld.get("keywords"))
            or meta_all(sel, "article:tag")
            or text_list(meta(sel, "keywords", "news_keywords"))
            or self._css_texts(sel, self.tags_css)
        )


OUTPUT_FIELDS = tuple(Article.model_fields)  # every exported field, in the contract's order
_missing = [name for name in OUTPUT_FIELDS if name not in hooks(ArticleParser)]
assert not _missing, f"Article fields without a parser hook: {_missing}"


def _one_section(text: Any) -> list[dict[str, Any]]:
    return [{"heading": None, "paragraphs": list(text.paragraphs)}] if isinstance(text, Text) else []


def _words_of(text: Any) -> int:
    return word_count(text.body) if isinstance(text, Text) else 0


# yyyymm, yyyymmdd, yyyymmddhh[mm[ss]]: a date in a path, not an id
_DATE_LIKE = re.compile(
    r"^(?:19|20)\d\d(?:0[1-9]|1[0-2])(?:(?:0[1-9]|[12]\d|3[01])(?:(?:[01]\d|2[0-3])(?:[0-5]\d){0,2})?)?$"
)
_NUMERIC = re.compile(r"(?<![0-9A-Za-z])(\d{5,20})(?![0-9A-Za-z])")


@lru_cache(maxsize=4096)
def _site_of_host(host: str) -> str:
    return registered_site(f"https://{host}/")


def _site(url: str) -> str:
    """``text.registered_site`` (a public-suffix lookup, the costliest step of the
    canonical URL), remembered per host: a crawl meets few hosts."""
    return _site_of_host((urlsplit(url).hostname or "").lower())


def numeric_id(url: str) -> str | None:
    """The last run of 5-20 digits standing alone in the URL's path (``/node/2592171/x``,
    ``/world/5332611-slug``), not one that reads as a date (``20261119``), or None."""
    found = [n for n in _NUMERIC.findall(urlsplit(url).path) if not _DATE_LIKE.match(n)]
    return found[-1] if found else None


def short_id(canonical: str) -> str:
    """16 hex digits of the SHA-256 of the canonical URL: the id of a page that states
    none, the same on every run (64 bits: collisions are negligible below billions)."""
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:16]


def _block(element: etree._Element) -> str:
    """A body block's rendered text, a ``Heading`` when the block is a subheading."""
    text = _block_text(element)
    return Heading(text) if is_heading(element) else text


_SITE_SEPARATOR = re.compile(r"\s+[|–—•·»:-]\s+|\s+::\s+|\s+l\s+(?=[A-Z])")
_BAR_SEPARATOR = re.compile(r"\s+[|•·»]\s+|\s+::\s+|\s+l\s+(?=[A-Z])")


def _title_parts(title: str) -> list[str]:
    """The parts of a ``<title>``/og:title made of parts ("Site » Blog » Headline")."""
    parts = [p.strip() for p in _SITE_SEPARATOR.split(title)]
    return [p for p in parts if len(_words(p)) >= 2] if len(parts) > 1 else []


def _squash(text: str) -> str:
    return alnum_key(text)


_NOT_TEXT = frozenset(("script", "style", "noscript", "template", "svg", "button"))


def _text_of(nodes: Any) -> str:
    """Visible text of the first node, as rendered: script/style/noscript content never
    counts; block children and ``<br>`` separate words (a kicker in its own ``<span>``
    or ``<div>`` is not fused to the headline)."""
    for node in nodes:
        root = node.root if isinstance(node, Selector) else node
        if not isinstance(root, etree._Element):
            return clean_text(str(root))
        parts: list[str] = []
        _collect(root, parts)
        return clean_text("".join(parts))
    return ""


_SPACED = frozenset(
    ("br", "div", "p", "span", "small", "strong", "em", "b", "i", "a", "h1", "h2", "li", "time")
)


_KICKER = re.compile(r"kicker|overline|topline|eyebrow|dachzeile|roofline|supertitle|flag", re.I)


def _collect(element: etree._Element, parts: list[str]) -> None:
    """Rendered text of ``element`` into ``parts``; a kicker child (``<span class="kicker">``)
    is left out: it labels the headline, it is not part of it."""
    if element.text:
        parts.append(element.text)
    for child in element:
        tag = child.tag if isinstance(child.tag, str) else ""
        if tag and tag not in _NOT_TEXT and not _KICKER.search(str(child.get("class") or "")):
            if tag in _SPACED and tag not in ("em", "b", "i", "a", "strong"):
                parts.append(" ")
            _collect(child, parts)
            if tag in _SPACED and tag not in ("em", "b", "i", "a", "strong"):
                parts.append(" ")
        if child.tail:
            parts.append(child.tail)


def _words(text: str) -> list[str]:
    return re.findall(r"\w+", text.lower())


def title_agrees(a: str, b: str) -> bool:
    """Two wordings of one headline: token F1 of at least 0.6, or one contains the other
    and has 3+ words and 40%+ of the other's (a logo "News" is not "News - Eawag")."""
    ta, tb = _words(a), _words(b)
    if not ta or not tb:
        return False
    short, long_ = sorted((ta, tb), key=len)
    contained = _squash(a) in _squash(b) or _squash(b) in _squash(a)
    if contained and len(short) >= 3 and len(short) * 5 >= len(long_) * 2:
        return True
    common = sum(min(ta.count(t), tb.count(t)) for t in set(ta))
    if not common:
        return False
    precision, recall = common / len(ta), common / len(tb)
    return 2 * precision * recall / (precision + recall) >= TITLE_AGREEMENT


def _extends(headline: str, candidate: str) -> bool:
    """The visible headline is ``candidate`` with a kicker or label fused before or after it."""
    h, c = clean_text(headline), clean_text(candidate)
    if len(_words(c)) < 3 or len(h) <= len(c):
        return False
    extra = h.replace(c, "", 1).strip(" :|-–—")
    return (h.startswith(c) or h.endswith(c)) and 0 < len(_words(extra)) <= 12


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


def _all_text(nodes: list[etree._Element]) -> list[str]:
    """``::text`` of each node (every descendant text node), in order."""
    return [str(t) for node in nodes for t in node.itertext()]


def _elements(sel: Selector, css: str) -> list[etree._Element] | None:
    """``sel.css(css)`` as lxml elements; None unless ``sel`` is an HTML element and
    ``css`` selects only elements (pseudo-elements such as ``::text`` do not)."""
    if sel.type != "html" or not isinstance(sel.root, etree._Element) or "::" in css:
        return None
    return select(sel, css)


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
