"""Body rules learnt from real pages (markup nobody here wrote), each on synthetic HTML.

The standfirst (the lead shown between the headline and the body) is often dropped by
generic extractors with the header it sits in; ``generic.lead_paragraphs`` puts it back.
"""

from __future__ import annotations

from typing import Any

from scrapy.http import HtmlResponse, Request

from newscrawl.parsers import parser_for
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
