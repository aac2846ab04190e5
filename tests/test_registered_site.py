"""``text.registered_site``: the registrable domain from the bundled Public Suffix List, offline."""

from __future__ import annotations

import socket
from typing import Any

import pytest
import tldextract

from newscrawl import text


@pytest.mark.parametrize(
    ("url", "site"),
    [
        ("https://www.arabnews.com/node/1/x", "arabnews.com"),
        ("https://english.alarabiya.net/News/x", "alarabiya.net"),
        ("https://a.b.WWW.ArabNews.com./x", "arabnews.com"),  # case and a trailing dot
        ("https://www.bbc.co.uk/news/x", "bbc.co.uk"),  # a two-label ICANN suffix
        ("https://news.bbc.co.uk/x", "bbc.co.uk"),
        ("https://main.d1abc.amplifyapp.com/x", "d1abc.amplifyapp.com"),  # a private suffix
        ("https://x.github.io/a", "x.github.io"),
        ("http://127.0.0.1:8000/x", "127.0.0.1"),  # no public suffix: the host itself
        ("http://localhost/x", "localhost"),
        ("not a url", ""),
    ],
)
def test_registered_site(url: str, site: str) -> None:
    assert text.registered_site(url) == site


def test_two_apps_on_one_hosting_suffix_are_two_sites() -> None:
    # the last-two-labels rule called these one site ("amplifyapp.com"), and bbc.co.uk "co.uk"
    one, other = "https://main.d1abc.amplifyapp.com/", "https://main.d2xyz.amplifyapp.com/"
    assert text.registered_site(one) != text.registered_site(other)
    assert text.registered_site("https://www.bbc.co.uk/") != text.registered_site("https://www.itv.co.uk/")


def test_suffix_list_is_never_fetched(monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> None:
    """A fresh extractor built as text.py builds it answers with every socket refused."""

    def refuse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("network access")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setenv("TLDEXTRACT_CACHE", str(tmp_path / "cache"))
    fresh = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None, include_psl_private_domains=True)
    assert (
        fresh("https://main.d1abc.amplifyapp.com/").top_domain_under_public_suffix == "d1abc.amplifyapp.com"
    )
    assert not (tmp_path / "cache").exists()  # nothing cached on disk either
    assert text._SUFFIXES.suffix_list_urls == ()
