"""Golden tests: every article fixture parses to its expected JSON (clock frozen)."""

from __future__ import annotations

import json

import pytest

from newscrawl.items import Article
from newscrawl.parsers import REGISTRY, parser_for
from tests.conftest import FROZEN, Page, article_pages, fake_response

PAGES = article_pages()


def parse(page: Page) -> dict[str, object]:
    parser = parser_for(page.url)
    assert parser is not None, f"no parser registered for {page.url}"
    return parser.parse(fake_response(page), crawled_at=FROZEN)


@pytest.mark.parametrize("page", PAGES, ids=[p.id for p in PAGES])
def test_golden(page: Page) -> None:
    assert page.expected is not None
    expected = json.loads(page.expected.read_text("utf-8"))
    got = Article(**parse(page)).model_dump(mode="json")
    got.pop("crawled_at")
    expected.pop("crawled_at", None)
    assert got == expected


@pytest.mark.parametrize("page", PAGES, ids=[p.id for p in PAGES])
def test_body_has_no_furniture(page: Page) -> None:
    body = str(parse(page)["body"])
    for marker in ("Short Url", "Related Articles", "أخبار ذات صلة", "Try Our AI Features", "\u200f"):
        assert marker not in body


def test_every_registered_parser_has_fixtures() -> None:
    covered = {parser_for(p.url).__class__ for p in PAGES}
    missing = [cls.__name__ for cls in REGISTRY.values() if cls not in covered]
    assert not missing, f"parsers without golden fixtures: {missing}"
