"""Body rules learnt from real pages (markup nobody here wrote), each on synthetic HTML.

The standfirst (the lead shown between the headline and the body) is often dropped by
generic extractors with the header it sits in; ``generic.lead_paragraphs`` puts it back.
"""

from __future__ import annotations

from typing import Any

import lxml.html
from scrapy.http import HtmlResponse, Request

from newscrawl.parsers import generic, parser_for
from tests.conftest import FROZEN

URL = "https://www.arabnews.com/node/9000001/world"
LEAD = "The cabinet has agreed the priorities of the presidency for the coming year after a long debate."
BODY = "".join(
    f"<p>Paragraph {n} of the article tells the reader what was decided, by whom and why it matters now.</p>"
    for n in range(8)
)


def parse(html: str) -> dict[str, Any]:
    parser = parser_for(URL)
    assert parser is not None
    response = HtmlResponse(url=URL, body=html.encode("utf-8"), encoding="utf-8", request=Request(URL))
    fields: dict[str, Any] = parser.parse(response, crawled_at=FROZEN)
    return fields


def article(header: str, after: str = "") -> str:
    return (
        "<html><head><title>Cabinet sets priorities</title></head><body>"
        "<header class='site'><nav><a href='/'>Home</a></nav></header>"
        f"<main><article>{header}{after}<div class='entry-content'>{BODY}</div></article></main>"
        "<footer class='site'><p>All rights reserved by the publisher of this site, 2026.</p></footer>"
        "</body></html>"
    )


def test_standfirst_in_the_articles_own_header_is_kept() -> None:
    """An ``<article>``'s ``<header>`` is the article's, not site furniture."""
    html = article(
        f"<header><h1>Cabinet sets priorities</h1><div class='entry-excerpt'><p>{LEAD}</p></div></header>"
    )
    fields = parse(html)
    assert fields["body"].startswith(LEAD)
    assert "Paragraph 7 of the article" in fields["body"]


def test_site_header_text_is_still_furniture() -> None:
    html = (
        "<html><head><title>Cabinet sets priorities</title></head><body>"
        f"<header><div class='intro'><p>{LEAD}</p></div></header>"
        f"<div><h1>Cabinet sets priorities</h1><div class='entry-content'>{BODY}</div></div></body></html>"
    )
    assert LEAD not in parse(html)["body"]


def test_the_pages_one_teaser_is_its_standfirst() -> None:
    html = article(f"<h1>Cabinet sets priorities</h1><p class='article-teaser'>{LEAD}</p>")
    assert parse(html)["body"].startswith(LEAD)


def test_teaser_cards_of_other_stories_are_not_a_standfirst() -> None:
    card = (
        "<div class='teaser-box'><h3>Another story entirely</h3>"
        "<p>A different story about another matter that readers may also want to read today.</p></div>"
    )
    repeated = f"<p class='teaser'>{LEAD}</p><p class='teaser'>{LEAD.replace('cabinet', 'council')}</p>"
    for extra in (card, repeated):
        fields = parse(article("<h1>Cabinet sets priorities</h1>", extra))
        assert "another matter" not in fields["body"]
        assert LEAD not in fields["body"]


def test_a_line_that_is_one_links_text_is_furniture() -> None:
    """Related-story links inside the article's container, kept by the extractor."""
    related = (
        "<p><a href='/other/1'>&gt;&gt; Another story the site wants the reader to open &lt;&lt;</a></p>"
    )
    html = article("<h1>Cabinet sets priorities</h1>").replace("<p>Paragraph 4", f"{related}<p>Paragraph 4")
    fields = parse(html)
    assert "Paragraph 7 of the article" in fields["body"]
    assert "Another story the site wants" not in fields["body"]


def test_a_caption_naming_its_source_is_furniture() -> None:
    figure = (
        "<div class='media'><img src='/a.jpg'><figcaption><p>The minister speaks to the press after"
        " the meeting (Foto: Jane Doe/Pool via Agency).</p></figcaption></div>"
    )
    html = article("<h1>Cabinet sets priorities</h1>").replace("<p>Paragraph 4", f"{figure}<p>Paragraph 4")
    fields = parse(html)
    assert "Paragraph 3 of the article" in fields["body"]
    assert "Jane Doe" not in fields["body"]


def test_a_picture_description_naming_its_source_is_furniture() -> None:
    """Not only ``<figcaption>``: a block whose class names it a picture's description."""
    described = (
        "<p class='imagedescription'>The minister at the meeting in the capital. © Agency / Jane Doe</p>"
    )
    html = article("<h1>Cabinet sets priorities</h1>").replace("<p>Paragraph 4", f"{described}<p>Paragraph 4")
    fields = parse(html)
    assert "Paragraph 4 of the article" in fields["body"]
    assert "Jane Doe" not in fields["body"]


def test_an_arabic_caption_naming_its_photographer_is_furniture() -> None:
    paragraphs = [
        f"<p>الفقرة {n} من المقال تشرح ما تقرر ومن قرره ولماذا يهم ذلك الآن في المنطقة كلها.</p>"
        for n in range(8)
    ]
    caption = (
        "<div class='media'><figcaption><p>الوزير يتحدث إلى الصحافيين بعد الاجتماع"
        " (تصوير: فلان الفلاني)</p></figcaption></div>"
    )
    body = "".join(paragraphs[:4]) + caption + "".join(paragraphs[4:])
    html = (
        "<html lang='ar'><head><title>الحكومة تحدد أولوياتها</title></head><body><main><article>"
        f"<h1>الحكومة تحدد أولوياتها</h1><div class='entry-content'>{body}</div>"
        "</article></main></body></html>"
    )
    fields = parse(html)
    assert "الفقرة 7 من المقال" in fields["body"]
    assert "فلان الفلاني" not in fields["body"]


def test_a_page_made_of_links_keeps_them() -> None:
    """When linked lines are much of the text (a list of links is the article), they stay."""
    links = [f"Guide number {n} to the rules of the game" for n in range(12)]
    items = "".join(f"<li><a href='/guide/{n}'>{text}</a></li>" for n, text in enumerate(links))
    tree = lxml.html.fromstring(f"<html><body><article><p>{LEAD}</p><ul>{items}</ul></article></body></html>")
    assert generic._without_furniture([LEAD, *links], tree) == [LEAD, *links]
    # the same links as a small part of a long text are furniture
    prose = [f"{LEAD} Part {n} of the article." for n in range(12)]
    assert generic._without_furniture([*prose, links[0]], tree) == prose
