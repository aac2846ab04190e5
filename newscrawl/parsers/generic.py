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
import unicodedata
from typing import Any

import lxml.html
from lxml import etree
from parsel import Selector

from newscrawl.parsers.fields import Heading, is_heading
from newscrawl.parsers.pagekind import prose_chars
from newscrawl.parsers.structured import elements, inside, root_of, short_text
from newscrawl.text import alnum_key, clean_text

logger = logging.getLogger(__name__)

BLOCKS = etree.XPath("//p | //h2 | //h3 | //h4 | //li | //blockquote")
# the blocks not inside another paragraph, list item or quote (li > p, blockquote > p)
_OUTER_BLOCKS = etree.XPath(
    "(//p | //h2 | //h3 | //h4 | //li | //blockquote)"
    "[not(ancestor::p or ancestor::li or ancestor::blockquote)]"
)
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
    if guided and len(" ".join(guided)) * 2 >= prose_chars(sel):
        return guided, "jsonld"  # the declared text is most of the page's prose: no teaser
    # with the page's own paragraphs of articleBody in hand, the extractor only tests
    # them for a teaser: its fast reading, no fallback runs
    extracted = extract(sel, url, fallback=not guided) if use_extractor else None
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


def extract(sel: Selector, url: str, *, fallback: bool = True) -> list[str] | None:
    """trafilatura's main text as paragraphs, or None when it is no prose. Its subheadings
    (``<head>`` in the tree it extracted) come out as ``Heading`` paragraphs."""
    import trafilatura

    tree = root_of(sel)
    if tree is None:
        return None
    # trafilatura's own parser drops comments; its readability fallback fails on them.
    # No layer reads comments, so they go from the response's tree itself (once).
    etree.strip_tags(tree, etree.Comment)
    prose = prose_chars(sel) if fallback else 0
    # fast (trafilatura alone) first; its fallback extractors only when that reads
    # less than half the page's paragraph prose; favor_recall when all else discards
    attempts = ((True, False), (False, False), (False, True)) if fallback else ((True, False),)
    for fast, recall in attempts:
        try:
            # bare_extraction: the text ``extract`` returns (its ``.text``, NFC as
            # ``extract`` normalises it) and the XML tree it was rendered from (``.body``)
            document = trafilatura.bare_extraction(
                tree,
                url=url,
                include_comments=False,
                include_tables=True,
                include_images=False,
                deduplicate=False,  # its memory spans pages: republished text would vanish
                favor_recall=recall,
                fast=fast,
                with_metadata=False,
            )
        except Exception as exc:  # noqa: BLE001 - a third-party extractor must not kill the crawl
            logger.warning("generic body extraction failed for %s: %r", url, exc)
            return None
        raw = getattr(document, "text", None)
        text = unicodedata.normalize("NFC", raw) if isinstance(raw, str) else None
        if text and looks_like_prose(text):
            if fast and fallback and len(text) * 2 < prose:
                continue
            heads = _heads(getattr(document, "body", None))
            lines = [p for p in text.split("\n") if p.strip()]
            lines = _without_furniture(lines, tree)
            return [Heading(p) if heads and clean_text(p) in heads else p for p in lines]
    return None


_LINKED = etree.XPath("//a[@href][string-length(normalize-space(.)) >= 15]")
# captions by tag or by a class naming one (also German "Bildunterschrift", "imagedescription")
_CAPTIONS = etree.XPath(
    "//figcaption | //*[contains(@class, 'caption') or contains(@class, 'Caption')"
    " or contains(@class, 'credit') or contains(@class, 'imagedescription')"
    " or contains(@class, 'bildunterschrift')]"
)
# a caption line that names the picture's source: "(Foto: ...)", "© AFP / ...", "Credit: ..."
_CREDIT = re.compile(
    r"\b(?:foto|fotos|photo|photos|bild|credit|crédito|imagen|quelle|source|fotoğraf|фото)\s*[:：/]|©|\(c\)\s|"
    r"\b(?:getty images|afp|reuters|dpa|epa|ap photo|imago|shutterstock)\b|"
    r"(?:تصوير|الصورة|صورة|رويترز|أ ف ب)",  # Arabic: photographed by, the picture, Reuters, AFP
    re.I,
)
MAX_FURNITURE_LINE = 200  # alphanumeric characters: a longer line is prose, whatever it sits in
MAX_FURNITURE_SHARE = 0.3  # more of the text than this in links or captions: that is the content


def _without_furniture(lines: list[str], tree: Any) -> list[str]:
    """The extractor's lines less the page's furniture it kept: a line that is the whole
    text of one link (a related story, a menu entry, "click here"), or a line of a
    picture's caption that names its source. When such lines would be a large share of
    the text (a list of links *is* the page, a gallery told in captions), all stay."""
    keys = [_key(line) for line in lines]
    if not any(0 < len(k) <= MAX_FURNITURE_LINE for k in keys):
        return lines
    linked = {_key(a.text_content()) for a in elements(_LINKED, tree) if isinstance(a, lxml.html.HtmlElement)}
    captions: list[str] | None = None
    kept: list[str] = []
    dropped = 0
    for line, key in zip(lines, keys, strict=True):
        if 0 < len(key) <= MAX_FURNITURE_LINE:
            if key in linked:
                dropped += len(key)
                continue
            if _CREDIT.search(line):
                if captions is None:
                    captions = [k for c in elements(_CAPTIONS, tree) if len(k := _key(_text(c))) >= 8]
                if any(key in c or c in key for c in captions):
                    dropped += len(key)
                    continue
        kept.append(line)
    if not kept or dropped > MAX_FURNITURE_SHARE * sum(map(len, keys)):
        return lines
    return kept


def _heads(body: Any) -> set[str]:
    """The texts of the ``<head>`` elements of trafilatura's extracted tree."""
    if not isinstance(body, etree._Element):
        return set()
    texts = ("".join(str(t) for t in head.itertext()) for head in body.iter("head"))
    found = (clean_text(unicodedata.normalize("NFC", text)) for text in texts)
    return {h for h in found if h}


_SENTENCE_END = re.compile(r"[.!?؟。！？।॥۔](?:[\"'”’»)」』]*)(?:\s|$)")
_UNSPACED = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af\u0e00-\u0e7f\u1000-\u109f\u0f00-\u0fff]")


def looks_like_prose(text: str) -> bool:
    """Text that reads as sentences, not a menu or a share bar (video and gallery pages
    give generic extractors only furniture): a paragraph of 15+ words with a sentence
    end, or, in scripts written without spaces (CJK, Thai, Burmese, Tibetan), of 60+
    such characters; or three paragraphs of 8+ words (instructions, lists of steps)."""
    long_lines = 0
    for paragraph in text.split("\n"):
        words = len(paragraph.split())
        long_lines += words >= 8
        if not _SENTENCE_END.search(paragraph + " "):
            continue
        if words >= 15 or len(_UNSPACED.findall(paragraph)) >= 60:
            return True
    return long_lines >= 3


def _key(text: str) -> str:
    return alnum_key(text)


def _in_furniture(element: Any) -> bool:
    """Inside navigation, a form, a caption, an aside, or a site header/footer; the
    ``<header>`` of an ``<article>`` or ``<main>`` is the article's own (its standfirst)."""
    for ancestor in element.iterancestors():
        tag = ancestor.tag
        if tag in _FURNITURE and not (tag in _OWN_PARTS and inside(ancestor, _SECTIONS)):
            return True
    return False


_OWN_PARTS = frozenset(("header", "footer"))
_SECTIONS = frozenset(("article", "main"))


def _text(element: Any) -> str:
    """Text of ``element`` in document order, script/style/svg content left out, ``<br>``
    a space (inline markup adds none)."""
    parts: list[str] = []
    _gather(element, parts)
    return clean_text("".join(parts))


def _gather(element: Any, parts: list[str]) -> None:
    if element.text:
        parts.append(element.text)
    for child in element:
        tag = child.tag if isinstance(child.tag, str) else ""
        if tag == "br":
            parts.append(" ")
        elif tag and tag not in _NOT_TEXT:
            _gather(child, parts)
        if child.tail:
            parts.append(child.tail)


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
    for node in elements(_OUTER_BLOCKS, sel.root):
        raw = (
            node.text_content()
            if isinstance(node, lxml.html.HtmlElement)
            else "".join(str(t) for t in node.itertext())
        )
        key = _key(raw)  # the same as the cleaned text's: clean_text drops no letter or digit
        if len(key) >= 20 and key not in seen and key in target:
            text = clean_text(raw)
            kept.append(Heading(text) if is_heading(node) else text)
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
    root = root_of(sel)
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
        texts.setdefault(parent, []).append(Heading(text) if is_heading(node) else text)
    if not scores:
        return None
    best = max(scores, key=lambda k: scores[k])
    return texts[best] if scores[best] >= MIN_DENSE_CHARS else None


_LEAD_WORDS = r"intro|lead|standfirst|summary|excerpt|chapo|deck|sapo|entradilla|bajada|abstract"
_NOT_LEAD_WORDS = r"caption|credit|copyright|author|bio|image|photo|media|meta|share|related|date"
_LEAD_CLASS = re.compile(_LEAD_WORDS, re.I)
_NOT_LEAD = re.compile(_NOT_LEAD_WORDS, re.I)
# the same, case-sensitive, for lower-cased ASCII labels (re.I defeats re's literal prefilter)
_LEAD_LOWER, _NOT_LEAD_LOWER = re.compile(_LEAD_WORDS), re.compile(_NOT_LEAD_WORDS)
_TEASER_LOWER = re.compile("teaser")
_AFTER_HEADLINE = etree.XPath("(//h1)[1]/following::*[position() <= 300]")
MAX_LEADS = 2
_LINKS = etree.XPath(".//a")


def lead_paragraphs(sel: Selector, body: list[str]) -> list[str]:
    """The standfirst shown between the headline and the body (an element named as an
    intro, lead, standfirst, summary, excerpt, chapo..., or the page's one element
    named "teaser" that is no card: ``_unique_teaser``) whose text the body lacks:
    generic extractors often drop it with the header it sits in. Read up to the first
    body paragraph only, so related-story teasers further down never count."""
    root = root_of(sel)
    if root is None or not body:
        return []
    nodes = elements(_AFTER_HEADLINE, root)
    # the label tests first: most pages name no element so, and nothing else is read
    labels = [f"{n.get('class') or ''} {n.get('id') or ''}" for n in nodes]
    named = [i for i, label in enumerate(labels) if _may_lead(label)]
    if not named:
        return []
    in_body = _key(" ".join(body))
    first = _key(body[0])[:60]
    found: list[str] = []
    for node, label in zip(nodes[: named[-1] + 1], labels, strict=False):
        if node.tag in _NOT_TEXT:
            continue
        if node.tag in ("p", "li", "blockquote") and first and first in _key(short_text(node, 400)):
            if not _in_furniture(node):
                break  # the body starts here
        if _NOT_LEAD.search(label):
            continue
        if not _LEAD_CLASS.search(label) and not (_TEASER.search(label) and _unique_teaser(node, root)):
            continue
        if _in_furniture(node) or any(found_in(node, f) for f in found):
            continue
        if any(a.tag == "figure" or _NOT_LEAD.search(a.get("class") or "") for a in node.iterancestors()):
            continue
        text = _text(node)
        key = _key(text)
        if _is_lead(text) and key not in in_body and "©" not in text and len(elements(_LINKS, node)) <= 2:
            in_body += key
            found.append(text)
            if len(found) >= MAX_LEADS:
                break
    return found


_TEASER = re.compile(r"teaser", re.I)


def _may_lead(label: str) -> bool:
    """A class/id label naming a lead or a teaser, and nothing that is not one."""
    if label.isascii():
        low = label.lower()
        return bool(_LEAD_LOWER.search(low) or _TEASER_LOWER.search(low)) and not _NOT_LEAD_LOWER.search(low)
    return bool(_LEAD_CLASS.search(label) or _TEASER.search(label)) and not _NOT_LEAD.search(label)


_SAME_CLASS = etree.XPath("//*[@class = $name]")
_CARD_PARTS = frozenset(("a", "h1", "h2", "h3", "h4", "h5", "h6", "img", "picture", "time"))


def _unique_teaser(node: Any, root: Any) -> bool:
    """A "teaser" element that is the page's only one of its class, in no link and
    holding no headline, link, picture or time: the article's own standfirst
    (``<p class="article-teaser">``), not a card teasing another story."""
    name = node.get("class")
    if not name or any(a.tag == "a" for a in node.iterancestors()):
        return False
    if any(d.tag in _CARD_PARTS for d in node.iterdescendants()):
        return False  # a card: another story's headline, link or picture
    found = _SAME_CLASS(root, name=name)
    return isinstance(found, list) and len(found) == 1


def _is_lead(text: str) -> bool:
    """A standfirst reads as a sentence: 8+ words (or 40+ unspaced-script characters)."""
    if not 40 <= len(text) <= 1500:
        return False
    return len(text.split()) >= 8 or len(_UNSPACED.findall(text)) >= 40


def found_in(node: Any, text: str) -> bool:
    return _key(text) in _key(_text(node))
