"""Title rules learnt from real pages (markup nobody here wrote), each on synthetic HTML."""

from __future__ import annotations

from scrapy.http import HtmlResponse, Request

from newscrawl.parsers import parser_for
from tests.conftest import FROZEN

URL = "https://www.arabnews.com/node/9000001/world"
TEXT = "".join(
    f"<p>Paragraph {n} of the story says what happened, who decided it and why it matters.</p>"
    for n in range(6)
)


def title_of(head: str, headlines: str) -> str | None:
    html = f"<html><head>{head}</head><body><article>{headlines}{TEXT}</article></body></html>"
    parser = parser_for(URL)
    assert parser is not None
    response = HtmlResponse(url=URL, body=html.encode("utf-8"), encoding="utf-8", request=Request(URL))
    title: str | None = parser.parse(response, crawled_at=FROZEN)["title"]
    return title


def test_the_headline_worded_as_the_title_wins_over_one_with_a_byline_fused_in() -> None:
    title = title_of(
        "<title>Ministers agree on a new water plan - The Daily Example</title>",
        "<h1>Ministers agree on a new water plan <span>Posted by the editor on 23 February 2020</span></h1>"
        "<h1>Ministers agree on a new water plan</h1>",
    )
    assert title == "Ministers agree on a new water plan"


def test_the_visible_headline_wins_when_no_structured_wording_agrees() -> None:
    title = title_of(
        '<meta property="og:title" content="The best electric cat toys 2022 - comparison">'
        "<title>The best electric cat toys 2022 - comparison</title>",
        "<h1>Buyer's guide: electronic toys keep cats busy all on their own</h1>",
    )
    assert title == "Buyer's guide: electronic toys keep cats busy all on their own"


def test_a_short_unconfirmed_headline_is_not_taken_over_the_structured_title() -> None:
    title = title_of(
        '<meta property="og:title" content="Ministers agree on a new water plan">',
        "<h1>Example News</h1>",
    )
    assert title == "Ministers agree on a new water plan"
