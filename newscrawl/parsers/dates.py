"""Publication and modification dates: every layer a page may state them in, strongest first.

``published(...)`` returns the date with the layer's name (recorded in
``extraction.published_at``).

The page's own statements vote (see ``published``):

1. ``jsonld``    ``datePublished``/``dateCreated`` of the article node, else of any node
2. ``meta``      ``article:published_time`` and the other common ``<meta>`` conventions
3. ``selectors`` the source's own ``date_css`` (``@datetime`` or visible text)
4. ``html``      microdata/RDFa ``datePublished``/``dc:created``, then ``<time datetime>``:
                 a ``pubdate``/``itemprop`` one first, else the one nearest the headline
5. ``text``      a visible date in a date-like element (class/id naming a date, time,
                 byline...) nearest the headline, or one opening the text right before
                 or after it: every form ``text.parse_visible_date`` reads, and relative
                 forms ("3 hours ago", "منذ 3 ساعات") against the response's ``Date``

Both page layers read the article's dates, not the page's others (``_Layout``): dates
in related lists, comments, tickers, navigation, embeds and the site's header/footer
are not read; those in teasers, widgets and sidebars count as farther from the headline;
an edit's date (``<time class="updated">`` beside a ``published`` one, ``itemprop=
"dateModified"``, a date labelled "Updated"/"Zuletzt geändert"/"آخر تحديث") is never the
publication, and a machine date the text labels as an edit loses its vote. Among the
layers stating the winning day, the strongest gives the moment unless it has no time of
day (the strongest timed one's then) or assumes the offset another states for the same
wall-clock time.

then, when the page states none of these, in order:

6. ``generic``   htmldate's extensive search over the same lxml tree
7. ``url``       a date in the URL path (day precision)
8. ``feed``      the date of the feed/sitemap entry that led to the page (request meta)
9. ``http``      the response's ``Last-Modified`` header, last

Precision is truthful: a date-only value is ``day`` (time 00:00 of the assumed
offset, never an invented time of day); an offset the page does not state is the
source's default and recorded as assumed.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timezone
from typing import Any, cast

from lxml import etree
from parsel import Selector
from scrapy.http import TextResponse

from newscrawl.parsers.structured import (
    ARTICLE_TYPES,
    as_text,
    elements,
    inside,
    jsonld_nodes,
    meta,
    root_of,
    select,
    short_text,
    strings,
    types,
)
from newscrawl.text import (
    ParsedDate,
    clean_text,
    date_in_url,
    find_published_date,
    labels_edit,
    parse_iso,
    parse_relative_date,
    parse_rfc822,
    parse_visible_date,
)

logger = logging.getLogger(__name__)

PUBLISHED_META = (
    "article:published_time", "og:article:published_time", "og:published_time", "datePublished",
    "article.published", "pubdate", "publishdate", "publish-date", "publish_date", "published_date",
    "published-date", "publication_date", "date.published", "dc.date.issued", "dcterms.issued",
    "dc.date.created", "dcterms.created", "dc.date", "dcterms.date", "citation_publication_date",
    "citation_date", "parsely-pub-date", "sailthru.date", "article:published", "date", "created",
    "original-publish-date", "cxenseparse:recs:publishtime", "rnews:datepublished", "datecreated",
    "release_date", "timestamp",
)  # fmt: skip
MODIFIED_META = (
    "article:modified_time", "og:updated_time", "og:article:modified_time", "dateModified",
    "article.updated", "dcterms.modified", "dc.date.modified", "last-modified", "lastmod",
)  # fmt: skip

# Elements whose class, id or itemprop names a date: where pages show it.
_DATEISH = (
    "date", "time", "publish", "posted", "byline", "dateline", "meta", "datum", "fecha", "data-",
    "topline", "info", "stamp", "تاريخ",
)  # fmt: skip
_DATEISH_RE = re.compile("|".join(_DATEISH), re.I)
# The same words, case-sensitive, for a lower-cased ASCII label: several times faster than
# ``re.I`` (which defeats the literal prefilter) and exact there; a label with any other
# character (``İ`` and ``ſ`` match ``i`` and ``s`` under ``re.I``) takes ``_DATEISH_RE``.
_DATEISH_LOWER = re.compile("|".join(_DATEISH))


def _dateish(label: str) -> bool:
    """``label`` (class and id) names a date: ``_DATEISH_RE.search(label)``, faster."""
    if label.isascii():
        return _DATEISH_LOWER.search(label.lower()) is not None
    return _DATEISH_RE.search(label) is not None


# The page-wide queries below walk ``/descendant::`` (one axis, not ``//``'s two steps) and
# test attributes from the attribute (``//@itemprop[. = ...]/parent::*``: only elements
# that have one are compared): the same nodes in the same order, several times faster.
_LABELLED = etree.XPath(
    "/descendant::*[@class or @id][not(self::script or self::style or self::meta or self::link)]"
)
_MICRODATA = etree.XPath(
    "//@itemprop[. = 'datePublished' or . = 'dateCreated']/parent::*[not(self::meta)]/@content"
    " | //@property[. = 'datePublished']/parent::*[not(self::meta)]/@content"
    " | //@itemprop[. = 'datePublished' or . = 'dateCreated']/parent::*/@datetime"
)
# RDFa's Dublin Core on elements (Drupal: <span property="dc:date dc:created" content=...>)
_RDFA_CREATED = etree.XPath(
    "//@property[contains(., 'dc:created') or contains(., 'dcterms:created')"
    " or contains(., 'dcterms:issued')]/parent::*[not(self::meta)]/@content"
)
_TIMES = etree.XPath("/descendant::time[@datetime]")
_DATETIME = etree.XPath("./@datetime | .//@datetime")
ASIDE_PENALTY = 2000  # characters: a date in furniture beats the article's only when that much nearer
MAX_TEXT_CANDIDATES = 60  # date-like elements read at most (a page of 100,000 stays linear and cheap)


def _jsonld_values(sel: Selector, *keys: str) -> Iterator[str]:
    """The ``keys`` of the article node first, then of any node that has them."""
    nodes = jsonld_nodes(sel)
    ordered = [n for n in nodes if types(n) & ARTICLE_TYPES] + [
        n for n in nodes if not types(n) & ARTICLE_TYPES
    ]
    for node in ordered:
        for key in keys:
            if text := as_text(node.get(key)):
                yield text


_FURNITURE = frozenset(("nav", "footer", "aside", "header", "form", "blockquote"))


def _class_words(*words: str) -> re.Pattern[str]:
    """Any of ``words`` as a word of a class or id: ``news-related-news-date``,
    ``commentDate``, ``mh_ticker``; not inside a longer word (``commentary``)."""
    return re.compile(rf"(?:(?<![A-Za-z])|(?<=[a-z])(?=[A-Z]))(?i:{'|'.join(words)})(?![a-z])")


# Class/id words of other articles' dates and of the site's own (related lists, comments,
# tickers, the navigation's "today": ``news-related-news-date``, ``comment-meta``,
# ``mh-ticker-item-date``, ``vhb-c-nav-top--date``) ...
_OTHERS_RE = _class_words(
    "related",
    "comments?",
    "commentlist",
    "repl(?:y|ies)",
    "ticker",
    "recommend\\w*",
    "popular",
    "trending",
    "most-?read",
    "carousel",
    "more-?stories",
    "nav",
    "navbar",
    "navigation",
    "menu",
    "masthead",
)
# ... and of containers that hold them as often as the article's own (teasers, widgets,
# sidebars: ``teaser__subline-pubdate``; but page builders wrap the article in widgets too).
_ASIDE_RE = _class_words(
    "teasers?", "widgets?", "sidebar", "breadcrumbs?", "promo", "newsletter", "share", "slider"
)
# A <time> or date element named for an edit, not the publication: ``itemprop="dateModified"``,
# ``class="date-modified"``; hAtom's ``class="updated"`` only beside a ``class="published"``
# (themes mark their one date ``entry-date updated``; ``published updated`` is the publication)
_MODIFIED_CLASS = _class_words("modified", "date-?modified", "last-?modified", "edited", "last-?updated")
_UPDATED_CLASS = _class_words("updated")
_PUBLISHED_CLASS = _class_words("published", "publish\\w*", "pubdate", "date-?published", "created")
# Elements readers do not see (screen-reader copies, rich-snippet duplicates): not a
# visible date line. Bootstrap's "hidden-xs" hides on small screens only; Drupal's
# "field--label-hidden" hides the field's label, not the field.
_HIDDEN_CLASS = _class_words(
    "(?<!label-)(?<!label--)hidden(?!-(?:xs|sm|md|lg|xl|mobile|tablet|desktop|print))",
    "sr-only",
    "visually-hidden",
    "screen-reader-text",
    "d-none",
)


def _hidden(node: Any) -> bool:
    style = (node.get("style") or "").replace(" ", "").lower()
    return (
        node.get("hidden") is not None
        or "display:none" in style
        or bool(_HIDDEN_CLASS.search(node.get("class") or ""))
    )


_PUBLISHED_NAMED = etree.XPath("boolean(//@class[contains(., 'published')])")


def _names_edit(node: Any, paired: bool) -> bool:
    """``node`` is named for an edit; ``paired``: the page names a publication date too."""
    names = f"{node.get('class') or ''} {node.get('itemprop') or ''}"
    if _PUBLISHED_CLASS.search(names):
        return False
    return bool(_MODIFIED_CLASS.search(names) or (paired and _UPDATED_CLASS.search(names)))


_HEADLINES = etree.XPath("/descendant::h1")
_VISIBLE_TEXT = "[normalize-space()][not(ancestor::script or ancestor::style or ancestor::noscript)]"
_BEFORE = etree.XPath(f"preceding::text(){_VISIBLE_TEXT}[position() <= 8]")
_AFTER = etree.XPath(f"following::text(){_VISIBLE_TEXT}[position() <= 30]")
# The same from the nearest 128/256 text nodes only: a leading position() lets libxml2 stop
# walking there (the queries above test every text node of the page first). When these hold
# 8/30 pieces they are the same ones; otherwise the full queries answer.
_BEFORE_NEAR = etree.XPath(f"preceding::text()[position() <= 128]{_VISIBLE_TEXT}")
_AFTER_NEAR = etree.XPath(f"following::text()[position() <= 256]{_VISIBLE_TEXT}")


def _pieces_before(anchor: Any) -> Any:
    """``_BEFORE(anchor)``: the 8 visible text pieces nearest before ``anchor``, in document order."""
    near = _BEFORE_NEAR(anchor)
    return near[-8:] if isinstance(near, list) and len(near) >= 8 else _BEFORE(anchor)


def _pieces_after(anchor: Any) -> Any:
    """``_AFTER(anchor)``: the first 30 visible text pieces after ``anchor``."""
    near = _AFTER_NEAR(anchor)
    return near[:30] if isinstance(near, list) and len(near) >= 30 else _AFTER(anchor)


LEAD = 40  # characters of a date element's parent read before it, for a label
AROUND_BEFORE, AROUND_AFTER = 150, 500  # characters of text read before and after the headline
DATE_LEADS = 3  # characters before a date that opens its piece of text ("Le 19 février 2020")
UNLABELLED_PENALTY = 50  # a date-named element as near as an unnamed date wins
_NOT_COUNTED = frozenset(("script", "style", "noscript", "template"))


class _Layout:
    """Where a page's date candidates stand relative to its headline.

    The headline (the ``<h1>`` that shares most words with the ``<title>``/``og:title``,
    else the first ``<h1>``) anchors the article: its date line is the nearest date
    (in characters of text) before or after it, not the masthead's "today", a related
    list's or a comment's. Furniture (``nav``, ``footer``, ``aside``, ``form``, embeds,
    the site's ``header``) and related/comment/ticker/navigation containers hold other
    dates (``excluded``); teasers, widgets and sidebars count as farther (``aside``).
    A container of the headline is never either (an ``<article class="... has-sidebar">``,
    a ``<header>`` holding ``<h1>`` and date), nor a ``<header>``/``<footer>`` inside
    ``<article>``/``<main>``.
    """

    def __init__(self, sel: Selector, root: Any) -> None:
        self.sel, self.root = sel, root
        self._anchor: list[Any] | None = None  # [headline or None], found on first use
        self._line: set[int] = set()
        self._positions: dict[int, int] | None = None
        self._pinned: list[Any] = []  # elements whose ids are keys: kept alive
        self._paired: bool | None = None
        self._memo: dict[tuple[str, bool], dict[int, bool]] = {}  # _above's answers by node id
        self.edits: list[ParsedDate] = []  # dates the page's text labels as edits

    @property
    def paired(self) -> bool:
        """The page names an element for the publication (hAtom ``published``)."""
        if self._paired is None:
            self._paired = self.root is not None and bool(_PUBLISHED_NAMED(self.root))
        return self._paired

    @property
    def anchor(self) -> Any:
        if self._anchor is None:
            found = _anchor(self.sel, self.root) if self.root is not None else None
            self._anchor = [found]
            if found is not None:
                self._pinned.extend(found.iterancestors())
                self._line = {id(a) for a in self._pinned}
        return self._anchor[0]

    def excluded(self, element: Any) -> bool:
        """``element`` is in furniture or another article's container (not the headline's)."""
        return self._context(element, strong=True)

    def others(self, element: Any) -> bool:
        """``element`` is in another article's container by its class words (related, comments),
        whatever the tags around it (a byline in an ``<aside>`` is the article's)."""
        return self._context(element, strong=True, tags=False)

    def aside(self, element: Any) -> bool:
        """``element`` is in a teaser, widget or sidebar container (not the headline's)."""
        return self._context(element, strong=False)

    def _context(self, element: Any, *, strong: bool, tags: bool = True) -> bool:
        self.anchor  # noqa: B018 - finds the headline's containers
        if id(element) in self._line:
            return False  # the headline's own containers, and all above them
        words = _OTHERS_RE if strong else _ASIDE_RE
        if words.search(f"{element.get('class') or ''} {element.get('id') or ''}"):
            return True
        return self._above(element.getparent(), words, strong and tags)

    def _above(self, node: Any, words: re.Pattern[str], furniture: bool) -> bool:
        """``_context`` of an ancestor (its own tag counts): the answer for each ancestor
        is kept, as the page's date candidates share most of theirs."""
        memo = self._memo.setdefault((words.pattern, furniture), {})
        path: list[Any] = []
        answer = False
        while node is not None:
            if (known := memo.get(id(node))) is not None:
                answer = known
                break
            path.append(node)
            if id(node) in self._line:
                break  # the headline's own containers, and all above them
            if furniture and node.tag in _FURNITURE and not _sectioned(node):
                answer = True
                break
            if words.search(f"{node.get('class') or ''} {node.get('id') or ''}"):
                answer = True
                break
            node = node.getparent()
        self._pinned.extend(path)  # alive, so ids stay theirs
        for seen in path:
            memo[id(seen)] = answer
        return answer

    def holds_headline(self, element: Any) -> bool:
        return self.anchor is not None and id(element) in self._line

    def nearest(
        self, found: list[tuple[Any, ParsedDate]], near: list[tuple[int, ParsedDate]] | None = None
    ) -> ParsedDate | None:
        """The candidate nearest the headline, one in a teaser, widget or sidebar counting
        ``ASIDE_PENALTY`` characters farther; ``near`` are dates already placed (distance
        in characters). In document order (those outside asides first) without a headline."""
        near = near or []
        if not found and not near:
            return None
        if self.anchor is None or (len(found) == 1 and not near):
            aside = [self.aside(element) for element, _ in found]
            return found[min(range(len(found)), key=lambda i: (aside[i], i))][1]
        scored = [(distance, len(found) + i, parsed) for i, (distance, parsed) in enumerate(near)]
        if found:
            positions = self._positions_of([element for element, _ in found])
            here = positions.get(id(self.anchor), 0)
            size = len(clean_text(short_text(self.anchor, 400)))
            for index, (element, parsed) in enumerate(found):
                at = positions.get(id(element), 0)
                away = here - at if at < here else max(0, at - here - size)
                scored.append((away + ASIDE_PENALTY * self.aside(element), index, parsed))
        return min(scored, key=lambda row: row[:2])[2]

    def around(self, default_offset: timezone) -> list[tuple[int, ParsedDate]]:
        """Dates that open a piece of text right before or after the headline, in no
        date-named element (``<p class="subline">21. Jan 2022 // Author</p><h1>``, a date
        opening the lead: ``29.11.2022 – ...``), each with its distance in characters
        plus ``UNLABELLED_PENALTY``. A date inside a sentence (``am 13. März 2022``) is an
        event's, not the page's."""
        anchor = self.anchor
        if anchor is None:
            return []
        out: list[tuple[int, ParsedDate]] = []
        for pieces, window, backwards in (
            (_pieces_before(anchor), AROUND_BEFORE, True),
            (_pieces_after(anchor), AROUND_AFTER, False),
        ):
            if not isinstance(pieces, list):
                continue
            walked = 0
            for raw in reversed(pieces) if backwards else pieces:
                owner = cast(Any, raw).getparent()
                if owner is not None and cast(Any, raw).is_tail:
                    owner = owner.getparent()
                if owner is not None and (
                    _names_edit(owner, self.paired) or _hidden(owner) or self.others(owner)
                ):
                    continue  # <time itemprop="dateModified">, a hidden copy, another article's
                piece = clean_text(str(raw))
                found = find_published_date(piece, default_offset)
                if found and found[1] <= DATE_LEADS:
                    away = walked + (len(piece) - found[1] if backwards else found[1])
                    out.append((away + UNLABELLED_PENALTY, found[0]))
                    break
                walked += len(piece) + 1
                if walked > window:
                    break
        return out

    def _positions_of(self, elements_: list[Any]) -> dict[int, int]:
        """Character offset of the anchor and of ``elements_`` in the page's text (one pass)."""
        self._pinned.extend(elements_)  # alive, so ids stay theirs while we look them up
        wanted = {id(e) for e in (*elements_, self.anchor)}
        if self._positions is not None and wanted <= self._positions.keys():
            return self._positions
        out: dict[int, int] = {}
        count = 0
        for node in self.root.iter():
            if id(node) in wanted:
                out[id(node)] = count
                if len(out) == len(wanted):
                    break  # the rest of the page is not needed
            if isinstance(node.tag, str) and node.tag not in _NOT_COUNTED:
                count += len(node.text or "")
            count += len(node.tail or "")
        self._positions = out
        return out


def _sectioned(node: Any) -> bool:
    """A ``<header>``/``<footer>`` inside an ``<article>`` or ``<main>`` is the article's own
    (its byline and date), not the site's."""
    return node.tag in ("header", "footer") and inside(node, _SECTIONS)


_SECTIONS = frozenset(("article", "main"))


def _anchor(sel: Selector, root: Any) -> Any:
    headlines = [h for h in elements(_HEADLINES, root) if clean_text(short_text(h, 400))][:8]
    if not headlines:
        return None
    title = " ".join(filter(None, (meta(sel, "og:title"), sel.xpath("//title/text()").get())))
    words = set(re.findall(r"\w+", title.lower()))

    def overlap(h: Any) -> tuple[int, float]:
        """Words shared with the title (a logo ``<h1>`` shares the site name only), then their share."""
        mine = set(re.findall(r"\w+", clean_text(short_text(h, 400)).lower()))
        return len(mine & words), len(mine & words) / len(mine) if mine else 0.0

    best = max(headlines, key=overlap)
    return best if overlap(best)[0] > 0 else headlines[0]


def _node_text(node: Any, limit: int, paired: bool = False) -> str:
    """The first ``limit``-odd characters of ``node``'s text, its pieces spaced (the day
    and year of ``<span>Feb 18</span><span>2009</span>`` stay apart), without the text
    of elements named for an edit (``<span class="updated">`` in a date line)."""
    if not isinstance(node.tag, str):
        return ""  # a comment or processing instruction
    parts: list[str] = []
    size = 0
    skip: Any = None
    for event, element in etree.iterwalk(node, events=("start", "end")):
        if skip is not None:
            if event == "end" and element is skip:
                skip = None
                if element is not node and element.tail:
                    parts.append(element.tail)
            continue
        if event == "start":
            if element is not node and (_names_edit(element, paired) or _hidden(element)):
                skip = element
            elif isinstance(element.tag, str) and element.tag not in _NOT_COUNTED and element.text:
                parts.append(element.text)
        elif element is not node and element.tail:
            parts.append(element.tail)
        size = sum(map(len, parts))
        if size > limit:
            break
    return " ".join(parts)


def _lead(node: Any) -> str:
    """The text just before ``node`` in its parent, where a label may stand:
    ``last edited: <span class="odate">17 Jun 2018</span>``."""
    parent = node.getparent()
    if parent is None:
        return ""
    pieces: list[str] = []
    for sibling in node.itersiblings(preceding=True):
        pieces += [sibling.tail or "", _node_text(sibling, LEAD)]
        if sum(map(len, pieces)) > LEAD:
            break
    pieces.append(parent.text or "")
    return clean_text(" ".join(reversed(pieces)))[-LEAD:]


def _html_dates(sel: Selector, layout: _Layout, default_offset: timezone) -> ParsedDate | None:
    root = layout.root
    if root is None:
        return None
    for value in strings(_MICRODATA, root) + strings(_RDFA_CREATED, root):
        if parsed := parse_iso(str(value), default_offset) or parse_visible_date(str(value), default_offset):
            return parsed
    times = [
        t
        for t in elements(_TIMES, root)[:200]
        if not _names_edit(t, layout.paired) and not labels_edit(_lead(t)) and not layout.excluded(t)
    ]
    found: list[tuple[Any, ParsedDate]] = []
    for node in times:
        value = str(node.get("datetime") or "")
        if parsed := parse_iso(value, default_offset) or parse_visible_date(value, default_offset):
            found.append((node, parsed))
        if len(found) >= MAX_TEXT_CANDIDATES:
            break
    # <time pubdate> and itemprop'd times first, then the time nearest the headline
    marked = [(t, p) for t, p in found if t.get("pubdate") is not None or t.get("itemprop")]
    return layout.nearest(marked or found)


def _base_time(response: TextResponse, crawled_at: datetime) -> datetime:
    date = parse_rfc822((response.headers.get(b"Date") or b"").decode("latin-1"))
    return date.value if date else crawled_at


def _text_dates(
    layout: _Layout, response: TextResponse, default_offset: timezone, crawled_at: datetime
) -> ParsedDate | None:
    """The visible date of a date-like element nearest the headline (an edit's date,
    "Updated ...", and the current time a template shows are not read)."""
    root = layout.root
    if root is None:
        return None
    base: datetime | None = None
    seen = 0
    found: list[tuple[Any, ParsedDate]] = []
    for node in elements(_LABELLED, root):
        if len(node) > 12 or not _dateish(f"{node.get('class') or ''} {node.get('id') or ''}"):
            continue  # a container of many blocks is not a date line
        if layout.holds_headline(node) or _names_edit(node, layout.paired) or _hidden(node):
            continue  # the article's container, an edit's date, a hidden copy
        if layout.excluded(node):
            continue  # another article's
        text = clean_text(_node_text(node, 300, layout.paired))
        if not text or len(text) > 200:
            continue
        seen += 1
        if located := find_published_date(f"{_lead(node)} | {text}", default_offset, layout.edits):
            found.append((node, located[0]))
        else:
            base = base or _base_time(response, crawled_at)
            if parsed := parse_relative_date(text, base.astimezone(default_offset)):
                found.append((node, parsed))
        if seen >= MAX_TEXT_CANDIDATES:
            break
    return layout.nearest(found, layout.around(default_offset))


def _generic(tree: Any, default_offset: timezone) -> ParsedDate | None:
    from htmldate import find_date  # lazy: most pages state their date earlier

    try:
        found = find_date(tree, original_date=True, extensive_search=True, outputformat="%Y-%m-%d")
    except Exception as exc:  # noqa: BLE001 - a third-party heuristic must not cost the article
        logger.debug("htmldate failed: %r", exc)
        return None
    return parse_iso(str(found), default_offset) if found else None


def _request_meta(response: TextResponse) -> dict[str, Any]:
    try:
        info = response.meta.get("newscrawl")
    except AttributeError:  # a response built without a request (tests, the parse CLI)
        return {}
    return info if isinstance(info, dict) else {}


def published(
    sel: Selector,
    response: TextResponse,
    *,
    default_offset: timezone,
    date_css: str | None = None,
    generic: bool = True,
    crawled_at: datetime | None = None,
) -> tuple[ParsedDate, str] | None:
    """The publication date and the layer that stated it, or None when the page has none.

    The page's own layers (JSON-LD, meta, selectors, ``<time>``/microdata, visible
    text) are read and vote by day: the day most of them state wins (ties go to the
    stronger layer), and the strongest layer stating that day supplies the moment.
    One stale ``datePublished`` or a sidebar's date is outvoted that way. Without any
    of them: htmldate, the URL, the feed entry, ``Last-Modified``, in that order.
    """
    now = crawled_at or datetime.now(UTC)
    layout = _Layout(sel, root_of(sel))
    layers: list[tuple[str, Callable[[], ParsedDate | None]]] = [
        ("jsonld", lambda: _jsonld_date(sel, default_offset)),
        ("meta", lambda: _meta_date(sel, PUBLISHED_META, default_offset)),
        ("selectors", lambda: selector_date(sel, date_css, default_offset) if date_css else None),
        ("html", lambda: _html_dates(sel, layout, default_offset)),
        ("text", lambda: _text_dates(layout, response, default_offset, now)),
    ]
    if winner := _vote(layers, layout.edits):
        return winner
    if generic and (root := root_of(sel)) is not None and (parsed := _generic(root, default_offset)):
        return parsed, "generic"
    if day := date_in_url(response.url):
        return ParsedDate(datetime(*day, tzinfo=default_offset), "day", True), "url"
    info = _request_meta(response)
    for key in ("published", "lastmod"):
        if parsed := parse_iso(info.get(key), default_offset):
            return parsed, "feed"
    header = (response.headers.get(b"Last-Modified") or b"").decode("latin-1")
    if parsed := parse_rfc822(header):
        return parsed, "http"
    return None


def _vote(
    layers: list[tuple[str, Callable[[], ParsedDate | None]]], edits: list[ParsedDate] | None = None
) -> tuple[ParsedDate, str] | None:
    """The candidate of the strongest layer stating the day most layers state. Layers
    are read in order and no further once two agree and none disagrees, or the leading
    day cannot be outvoted by those left: the page's text is scanned only when the
    structured layers are missing or at odds. A day the page's text labels as an edit
    ("Zuletzt geändert am: 15.10.2021", read into ``edits`` by the text layer) does not
    count when another day is stated: a ``<meta name="date">`` carrying it is the edit's."""
    found: list[tuple[str, ParsedDate]] = []
    for index, (layer, read) in enumerate(layers):
        if (parsed := read()) is not None:
            found.append((layer, parsed))
        left = len(layers) - index - 1
        days = [p.value.date() for _, p in found]
        counts = sorted((days.count(d) for d in set(days)), reverse=True)
        unanimous = len(counts) == 1 and counts[0] >= 2
        if counts and (unanimous or counts[0] > (counts[1] if len(counts) > 1 else 0) + left):
            break
    edited = {e.value.date() for e in edits or ()}
    if edited and (kept := [(layer, p) for layer, p in found if p.value.date() not in edited]):
        found = kept
    if not found:
        return None
    days = [parsed.value.date() for _, parsed in found]
    # most votes first; among equals, the day of the strongest (earliest) layer
    best = max(range(len(found)), key=lambda i: (days.count(days[i]), -i))
    return _moment([found[i] for i in range(len(found)) if days[i] == days[best]])


_PRECISION = {"day": 0, "hour": 1, "minute": 2, "second": 3}


def _moment(agreeing: list[tuple[str, ParsedDate]]) -> tuple[ParsedDate, str]:
    """The moment among the candidates stating the winning day (strongest first): the
    strongest's, unless it has no time of day (then the strongest timed one's) or assumes
    its offset where another states one for the same time of day (``2023-11-08T22:19:12``
    in JSON-LD, ``2023-11-08T22:19:12+00:00`` in ``<meta>``). A time of another moment
    that day (an update's) never replaces the strongest's."""
    layer, parsed = agreeing[0]
    if parsed.precision == "day":
        timed = [(name, p) for name, p in agreeing if p.precision != "day"]
        if not timed:
            return parsed, layer
        layer, parsed = max(timed, key=lambda c: (not c[1].assumed_offset, _PRECISION.get(c[1].precision, 0)))
    if parsed.assumed_offset:
        wall = parsed.value.replace(tzinfo=None, second=0)
        for other_layer, other in agreeing:
            if not other.assumed_offset and other.value.replace(tzinfo=None, second=0) == wall:
                return other, other_layer
    return parsed, layer


def _jsonld_date(sel: Selector, default_offset: timezone) -> ParsedDate | None:
    for value in _jsonld_values(sel, "datePublished", "dateCreated", "uploadDate"):
        if parsed := parse_iso(value, default_offset) or parse_visible_date(value, default_offset):
            return parsed
    return None


def modified(
    sel: Selector, *, default_offset: timezone, modified_css: str | None = None
) -> ParsedDate | None:
    for value in _jsonld_values(sel, "dateModified"):
        if parsed := parse_iso(value, default_offset):
            return parsed
    if parsed := _meta_date(sel, MODIFIED_META, default_offset):
        return parsed
    if modified_css:
        return selector_date(sel, modified_css, default_offset)
    return None


def _meta_date(sel: Selector, names: tuple[str, ...], default_offset: timezone) -> ParsedDate | None:
    for name in names:
        value = meta(sel, name)
        if value and (
            parsed := parse_iso(value, default_offset) or parse_visible_date(value, default_offset)
        ):
            return parsed
    return None


def selector_date(sel: Selector, css: str, default_offset: timezone) -> ParsedDate | None:
    """The date of the first element ``css`` selects: its ``@datetime``, else its text."""
    nodes = select(sel, css)
    machine = next((str(v) for n in nodes for v in strings(_DATETIME, n)), None)
    visible = clean_text(" ".join(str(t) for n in nodes for t in n.itertext()))
    return parse_iso(machine, default_offset) or parse_visible_date(visible, default_offset)
