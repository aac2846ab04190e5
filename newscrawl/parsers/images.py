"""The article's pictures: ``Article.images``, ``[{url, caption, credit}]``, the lead first.

Candidates, in this order after the lead (``image_url``):

1. ``<figure>`` elements with an ``<img>`` inside the article (the body's container and the
   ``<article>`` around it when the site selectors read the body; else the ``<article>``
   holding the body's first paragraph; else the page), caption from ``<figcaption>``,
   and (not page-wide) an image block whose caption sits in an element named
   ``*caption*`` beside a single ``<img>``; a credit from an element named
   credit/copyright/photographer/source inside it. Figures in navigation, headers,
   footers, asides, links (story cards) and related/promo/share blocks are not the article's.
2. JSON-LD ``image`` and ``associatedMedia`` of the article node, any shape (a URL, an
   ``ImageObject`` with ``caption``, ``creditText``, ``copyrightHolder``, ``author``, a list);
   videos and audio are left out.
3. ``og:image`` and ``twitter:image``.

URLs are made absolute against the page; ``data:`` URIs, SVG/ICO files, logos, icons,
sprites, avatars, tracking pixels and images declared under 100 px are left out. One
picture is listed once: renditions whose URLs differ only by a size or image-style segment
(``styles/1200x600/…``, ``…_16x9_1200x676.jpg``) or the query are one picture, the first URL
kept, a caption or credit found on another rendition added to it.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any
from urllib.parse import urljoin, urlsplit

from lxml import etree

from newscrawl.parsers.structured import as_text, elements, inside, meta_all, names, root_of, types
from newscrawl.text import clean_text

Image = dict[str, Any]  # {"url", "caption", "credit"}

_SPACE = re.compile(r"\s")
MIN_SIDE = 100  # px: a declared width or height below this is an icon, a thumbnail or a pixel
MAX_IMAGES = 50
_CAPTIONED = etree.XPath(
    ".//*[contains(@class, 'caption')][not(self::figcaption or self::img or self::figure)]"
)
_IN_FIGURE = frozenset(("figure",))
_STRING = etree.XPath("string()")
_IMGS = etree.XPath(".//img")
_CREDIT = re.compile(r"credit|copyright|photographer|\bsource\b|image-source|photo-source", re.I)
_NOT_CONTENT = re.compile(
    r"related|promo|teaser|\bcard|widget|sidebar|recommend|most-?read|latest|newsletter|advert"
    r"|social|share|trending|popular|outbrain|taboola|\bmenu|logo|avatar|author|comment",
    re.I,
)
_FURNITURE = frozenset(("nav", "footer", "aside", "form", "a", "button", "noscript", "template"))
_NOT_PICTURE = re.compile(
    r"(?<![a-z])(logos?|icons?|favicon|sprites?|pixel|spacer|blank|placeholder|transparent"
    r"|avatars?|badges?|emoji|1x1)(?![a-z])",
    re.I,
)
_TRACKERS = re.compile(
    r"doubleclick|google-analytics|scorecardresearch|facebook\.com/tr|/pixel|gravatar\.com|blavatar"
    r"|(?<![a-z])(clear|trans|dot|spacer|1px)\.(gif|png)",
    re.I,
)
# a path segment that only sizes or crops the picture: 1200x600, w_640,c_limit (image CDNs'
# transformations), 167,1120,630 (crop boxes)
_SIZE_SEGMENT = re.compile(
    r"\d+x\d+|\d+xauto|autox\d+|[wh]_?\d+|\d+(?:w|px)|\d+x|\d+(?:,\d+)+"
    r"|[whcgqf]_[\w.]+(?:(?:,|%2c)[a-z]{1,3}_[\w.]+)*",
    re.I,
)
_SIZE_TOKEN = re.compile(r"[_-]\d+x\d+|[_-]\d+xauto|[_-]\d+w(?=\.|$)|-scaled(?=\.|$)", re.I)
_MEDIA_NOT_IMAGE = {"VideoObject", "AudioObject", "MusicRecording", "Clip", "Movie"}
_NOT_IMAGE_FILE = re.compile(r"\.(mp4|m3u8|webm|mov|mp3|m4a|ogg|wav|svg|ico)$", re.I)


@lru_cache(maxsize=4096)
def picture_key(url: str) -> str:
    """What two renditions of one picture share: host and path without size or
    image-style segments, size tokens in the file name, extensions and the query."""
    parts = urlsplit(url)
    kept: list[str] = []
    segments = [s for s in parts.path.lower().split("/") if s]
    skip = False
    for segment in segments:
        if skip:
            skip = False
        elif segment == "styles":  # Drupal image styles: /styles/<style>/public/...
            skip = True
        elif not _SIZE_SEGMENT.fullmatch(segment):
            kept.append(segment)
    if kept:
        kept[-1] = _SIZE_TOKEN.sub("", kept[-1]).split(".")[0]
    return f"{(parts.hostname or '').removeprefix('www.')}/{'/'.join(kept)}"


def usable(url: str | None, base: str) -> str | None:
    """``url`` made absolute against ``base`` when it names a picture, else None."""
    if not url or not (url := url.strip()) or url.startswith("data:"):
        return None
    return _usable(url, base)


@lru_cache(maxsize=4096)
def _usable(url: str, base: str) -> str | None:
    absolute = urljoin(base, url)
    parts = urlsplit(absolute)
    if parts.scheme not in ("http", "https") or not parts.hostname or _SPACE.search(absolute):
        return None
    if parts.fragment:  # a JSON-LD node reference ("…/#primaryimage"), not a picture's address
        return None
    if _NOT_PICTURE.search(parts.path) or _TRACKERS.search(absolute) or _NOT_IMAGE_FILE.search(parts.path):
        return None
    return absolute


def collect(candidates: list[Image], base: str) -> list[Image]:
    """Usable candidates, each picture once (first URL kept, caption/credit merged)."""
    out: list[Image] = []
    by_key: dict[str, Image] = {}
    for candidate in candidates:
        url = usable(candidate.get("url"), base)
        if url is None:
            continue
        key = picture_key(url)
        if (found := by_key.get(key)) is not None:
            for name in ("caption", "credit"):
                found[name] = found[name] or candidate.get(name) or None
            continue
        caption, credit = candidate.get("caption") or None, candidate.get("credit") or None
        image = {"url": url, "caption": caption, "credit": credit}
        by_key[key] = image
        out.append(image)
        if len(out) >= MAX_IMAGES:
            break
    return out


def with_lead(lead: str | None, found: list[Image]) -> list[Image]:
    """``found`` with the lead image first: a rendition of it among ``found`` gives it
    its caption and credit and is not listed again."""
    if not lead:
        return found
    key = picture_key(lead)
    same = [i for i in found if i["url"] == lead or picture_key(i["url"]) == key]
    first = {
        "url": lead,
        "caption": next((i["caption"] for i in same if i["caption"]), None),
        "credit": next((i["credit"] for i in same if i["credit"]), None),
    }
    return [first, *(i for i in found if i not in same)]


def jsonld_images(ld: dict[str, Any], nodes: list[dict[str, Any]] | None = None) -> list[Image]:
    """Images of a JSON-LD article node: ``image`` then ``associatedMedia``, any shape; a
    bare ``{"@id": ...}`` reference is replaced by the node of ``nodes`` it names (Yoast's
    ``"image": {"@id": "…#primaryimage"}``)."""
    by_id = {n["@id"]: n for n in nodes or () if isinstance(n.get("@id"), str) and len(n) > 2}
    out: list[Image] = []
    stack: list[Any] = [ld.get("image"), ld.get("associatedMedia")]
    while stack and len(out) < MAX_IMAGES:
        item = stack.pop(0)
        if isinstance(item, list):
            stack[:0] = item[:MAX_IMAGES]
        elif isinstance(item, dict):
            if set(item) == {"@id"} and isinstance(item["@id"], str) and item["@id"] in by_id:
                item = by_id.pop(item["@id"])  # popped: a reference cycle ends
            if types(item) & _MEDIA_NOT_IMAGE:
                continue
            url = item.get("url") or item.get("contentUrl") or item.get("@id")
            if isinstance(url, (list, dict)):
                stack.insert(0, url)
                continue
            credit = (
                as_text(item.get("creditText"))
                or ", ".join(names(item.get("copyrightHolder")))
                or ", ".join(names(item.get("author")) or names(item.get("creator")))
            )
            out.append({"url": as_text(url), "caption": as_text(item.get("caption")), "credit": credit})
        elif isinstance(item, str) and item.strip():
            out.append({"url": item.strip()})
    return out


def meta_images(sel: Any) -> list[Image]:
    return [{"url": u} for name in ("og:image", "og:image:url", "twitter:image") for u in meta_all(sel, name)]


def _text(node: Any) -> str:
    return clean_text("".join(str(t) for t in node.itertext()))


def _is_content(node: Any, scope: Any) -> bool:
    """``node`` (a figure) belongs to the article: no navigation, footer, aside, form, link
    (a story card) or related/promo/share block between it and ``scope`` (a page header
    counts, an ``<article>``'s own header does not). Class names are read below
    ``<main>``/``<body>`` only (a body class "has-sidebar" says nothing of a figure)."""
    current = node
    in_article = any(a.tag == "article" for a in node.iterancestors())
    while current is not None and current.tag not in ("body", "html", "main"):
        if current.tag in _FURNITURE or (current.tag == "header" and not in_article):
            return False
        if _NOT_CONTENT.search(f"{current.get('class') or ''} {current.get('id') or ''}"):
            return False
        if current is scope:
            return True
        current = current.getparent()
    return True


def _declared_small(img: Any) -> bool:
    for name in ("width", "height"):
        value = str(img.get(name) or "").strip().removesuffix("px")
        if value.isdigit() and int(value) < MIN_SIDE:
            return True
    return False


def _src(img: Any) -> str | None:
    """The picture an ``<img>`` shows: ``src``, else a lazy-loading attribute, else the
    first ``srcset`` candidate (``data:`` placeholders skipped)."""
    for name in ("src", "data-src", "data-lazy-src", "data-original", "data-url"):
        value = str(img.get(name) or "").strip()
        if value and not value.startswith("data:"):
            return value
    for name in ("srcset", "data-srcset"):
        if first := str(img.get(name) or "").strip().split(",")[0].split():
            return first[0]
    return None


def _credit_of(node: Any) -> str:
    for child in node.iter():
        if child is node or not isinstance(child.tag, str):
            continue
        if _CREDIT.search(f"{child.get('class') or ''} {child.get('itemprop') or ''}"):
            return _text(child)
    return ""


def _caption(caption: Any) -> tuple[str, str]:
    """(caption, credit) of a caption element: a credit element inside it is taken apart."""
    text, credit = _text(caption), _credit_of(caption)
    if credit and credit in text:
        text = clean_text(text.replace(credit, " ")).strip(" -–—|/")
    return text, credit


def figures(scope: Any, nodes: list[Any] | None = None) -> list[Image]:
    """``<figure>`` images under ``scope`` (an lxml element; ``nodes``: its figures, when
    already found), in document order, then, when ``scope`` is not the whole page,
    image blocks whose caption sits in an element named ``*caption*`` beside their one
    ``<img>`` (Al Arabiya's hero image; not searched page-wide: a page walk per field is
    the parser's main cost)."""
    if scope is None:
        return []
    found: list[Image] = []
    for figure in nodes if nodes is not None else scope.iter("figure"):
        if not _is_content(figure, scope):
            continue
        captions = list(figure.iter("figcaption"))
        caption, credit = _caption(captions[0]) if captions else ("", "")
        credit = credit or _credit_of(figure)
        img = next((i for i in figure.iter("img") if not _declared_small(i) and _src(i)), None)
        if img is not None and (src := _src(img)):
            found.append({"url": src, "caption": caption, "credit": credit})
    if scope.getparent() is None:
        return found
    for node in elements(_CAPTIONED, scope):
        parent = node.getparent()
        if parent is None or parent.tag == "figure" or inside(node, _IN_FIGURE):
            continue
        imgs = elements(_IMGS, parent)
        if len(imgs) != 1 or _declared_small(imgs[0]) or not _is_content(parent, scope):
            continue
        if src := _src(imgs[0]):
            caption, credit = _caption(node)
            found.append({"url": src, "caption": caption, "credit": credit})
    return found


def page_figures(sel: Any, first_paragraph: str) -> list[Image]:
    """Figures of the ``<article>`` holding the body's first paragraph, else of the page
    (the generic and JSON-LD layers read the body from the whole page); one walk of the
    page finds both the articles and the figures."""
    root = root_of(sel)
    if root is None:
        return []
    nodes = list(root.iter("article", "figure"))
    figures_ = [n for n in nodes if n.tag == "figure"]
    articles = [n for n in nodes if n.tag == "article"]
    if not figures_ and not any(next(a.iter("img"), None) is not None for a in articles):
        return []  # no picture to find (captioned blocks are looked for inside an article only)
    words = first_paragraph.split()[:6]  # the body's opening words: the article holding them all
    scope = next((a for a in articles if _holds(a, words)), None)
    if scope is None:
        return figures(root, figures_)
    return figures(scope, [f for f in figures_ if any(a is scope for a in f.iterancestors("article"))])


def _holds(node: Any, words: list[str]) -> bool:
    text = str(_STRING(node))
    return bool(words) and all(word in text for word in words)
