"""The generic body layer: for pages whose site selectors found nothing.

``choose_body`` decides on evidence between three readings of the same lxml tree
(the response's, parsed once; trafilatura copies it before cleaning):

- ``jsonld``  the page's own blocks that make up JSON-LD ``articleBody`` (the
  publisher's declaration of the text, with the page's paragraph breaks), or
  ``articleBody`` itself when the page's blocks do not carry it;
- ``generic`` trafilatura's main text (default settings, then ``favor_recall`` when
  the default run discards everything), accepted when it reads as prose in any
  script (CJK and Thai included) and covers the declared ``articleBody``;
- ``generic`` the page's densest block of paragraphs, the last resort.

``articleBody`` wins unless it is only a teaser: when the generic text contains it
and is much longer, the generic text is the body.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from lxml import etree
from parsel import Selector

from newscrawl.parsers.structured import elements
from newscrawl.text import clean_text

logger = logging.getLogger(__name__)

BLOCKS = etree.XPath("//p | //h2 | //h3 | //h4 | //li | //blockquote")
_PARAGRAPHS = etree.XPath("//p | //div[not(*)] | //pre")
MIN_ARTICLE_BODY = 400
MIN_COVERAGE = 0.8
TEASER_RATIO = 1.6  # generic text this many times longer than articleBody, containing it: a teaser
MIN_DENSE_CHARS = 200
_FURNITURE = frozenset(("nav", "footer", "aside", "header", "form", "menu", "figcaption"))
_NOT_TEXT = frozenset(("script", "style", "noscript", "template", "svg"))


def choose_body(
    sel: Selector, article_body: str, url: str, *, use_extractor: bool = True
) -> tuple[list[str], str] | None:
    """(paragraphs, layer) of the body, or None when the page has no text at all."""
    guided = paragraphs_in(sel, article_body)
    extracted = extract(sel, url) if use_extractor else None
    if extracted and covers("\n".join(extracted), article_body) < MIN_COVERAGE / 2:
        extracted = None  # the extractor missed most of the declared text (script-built pages)
    declared = guided or ([article_body] if len(_key(article_body)) >= 20 else [])
    if declared and extracted:
        ours, theirs = _key(" ".join(declared)), _key(" ".join(extracted))
        if len(theirs) > TEASER_RATIO * len(ours) and covers("\n".join(extracted), " ".join(declared)) >= 0.8:
            return extracted, "generic"
    if guided:
        return guided, "jsonld"
    if extracted:
        return extracted, "generic"
    if declared:
        return declared, "jsonld"
    if use_extractor and (dense := densest_block(sel)):
        return dense, "generic"
    return None


def extract(sel: Selector, url: str) -> list[str] | None:
    """trafilatura's main text as paragraphs, or None when it is no prose."""
    import trafilatura

    tree = sel.root if isinstance(sel.root, etree._Element) else None
    if tree is None:
        return None
    for recall in (False, True):
        try:
            text = trafilatura.extract(
                tree,
                url=url,
                include_comments=False,
                include_tables=True,
                include_images=False,
                deduplicate=False,  # its memory spans pages: republished text would vanish
                favor_recall=recall,
            )
        except Exception as exc:  # noqa: BLE001 - a third-party extractor must not kill the crawl
            logger.warning("generic body extraction failed for %s: %r", url, exc)
            return None
        if text and looks_like_prose(text):
            return [p for p in text.split("\n") if p.strip()]
    return None


_SENTENCE_END = re.compile(r"[.!?؟。！？।॥۔](?:[\"'”’»)」』]*)(?:\s|$)")
_UNSPACED = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af\u0e00-\u0e7f\u1000-\u109f\u0f00-\u0fff]")


def looks_like_prose(text: str) -> bool:
    """At least one paragraph that reads as a sentence: 15+ words with a sentence end,
    or, in scripts written without spaces (CJK, Thai, Burmese, Tibetan), 60+ such
    characters with one. Not a menu or a share bar: video and gallery pages give
    generic extractors only furniture."""
    for paragraph in text.split("\n"):
        if not _SENTENCE_END.search(paragraph + " "):
            continue
        if len(paragraph.split()) >= 15 or len(_UNSPACED.findall(paragraph)) >= 60:
            return True
    return False


def _key(text: str) -> str:
    return "".join(ch for ch in text.lower() if ch.isalnum())


def _in_furniture(element: Any) -> bool:
    return any(getattr(a, "tag", None) in _FURNITURE for a in element.iterancestors())


def _text(element: Any) -> str:
    parts: list[str] = []
    for node in element.iter():
        tag = node.tag if isinstance(node.tag, str) else ""
        if tag in _NOT_TEXT or not tag:
            if node is not element and node.tail:
                parts.append(node.tail)
            continue
        if tag == "br":
            parts.append(" ")
        if node.text and not any(getattr(a, "tag", None) in _NOT_TEXT for a in _until(node, element)):
            parts.append(node.text)
        if node is not element and node.tail:
            parts.append(node.tail)
    return clean_text("".join(parts))


def _until(node: Any, top: Any) -> list[Any]:
    """Ancestors of ``node`` up to (excluding) ``top``."""
    out = []
    for ancestor in node.iterancestors():
        if ancestor is top:
            break
        out.append(ancestor)
    return out


def paragraphs_in(sel: Selector, article_body: str) -> list[str]:
    """The page's own paragraphs that make up JSON-LD ``articleBody``, in page order.

    ``articleBody`` is the publisher's declaration of the text but carries no
    paragraph breaks; the page's blocks carry the breaks but also furniture.
    A block is kept when its text occurs in ``articleBody``; the result is used
    only when the kept blocks cover most of ``articleBody`` (else ``[]``).
    """
    target = _key(article_body)
    if len(target) < MIN_ARTICLE_BODY or not isinstance(sel.root, etree._Element):
        return []
    kept: list[str] = []
    seen: set[str] = set()
    covered = 0
    for node in elements(BLOCKS, sel.root):
        if any(getattr(a, "tag", None) in ("p", "li", "blockquote") for a in node.iterancestors()):
            continue
        text = clean_text("".join(str(t) for t in node.itertext()))
        key = _key(text)
        if len(key) >= 20 and key not in seen and key in target:
            kept.append(text)
            seen.add(key)
            covered += len(key)
    return kept if covered >= MIN_COVERAGE * len(target) else []


def covers(text: str | None, article_body: str) -> float:
    """Share of ``articleBody``'s sentences found in ``text`` (1.0 when unknown)."""
    target = _key(article_body)
    if len(target) < MIN_ARTICLE_BODY:
        return 1.0
    got = _key(text or "")
    sentences = [_key(s) for s in re.split(r"[.!?؟。]\s", article_body) if len(_key(s)) >= 20]
    if not sentences:
        return 1.0
    return sum(s in got for s in sentences) / len(sentences)


def densest_block(sel: Selector) -> list[str] | None:
    """Paragraphs of the element holding the most paragraph text (outside navigation,
    headers, footers and asides): the body of a page no extractor could read."""
    root = sel.root if isinstance(sel.root, etree._Element) else None
    if root is None:
        return None
    scores: dict[Any, int] = {}
    texts: dict[Any, list[str]] = {}
    for node in elements(_PARAGRAPHS, root):
        if _in_furniture(node):
            continue
        text = _text(node)
        if len(text) < 20:
            continue
        parent = node.getparent()
        if parent is None:
            continue
        scores[parent] = scores.get(parent, 0) + len(text)
        texts.setdefault(parent, []).append(text)
    if not scores:
        return None
    best = max(scores, key=lambda k: scores[k])
    return texts[best] if scores[best] >= MIN_DENSE_CHARS else None
