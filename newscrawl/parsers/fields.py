"""Per-field hooks: how ``ArticleParser.parse`` asks a parser for each field of a page.

A parser method marked ``@field("title")`` is the hook that reads ``title``; a subclass
overrides a field by defining a hook for the same name (as fundus's ``@attribute`` or
web-poet's ``@field``). ``parse`` builds one ``Page`` per response and asks it for every
``Article`` field once; a hook that needs another field asks the page too
(``page.get("title")``), so each field is computed at most once per page, in whatever
order the dependencies need, and a subclass that overrides a field never runs the base
hook it replaces (a Daily8 page never reaches the base date layers).

Each field is computed in isolation: a hook that raises leaves its field empty (its
``empty`` value) and is passed to ``report(field, url, exc)``
(``parsers.errors.FieldErrors``: ``newscrawl/parse_error/<field>``); without ``report``
the exception propagates. Work several fields share (the JSON-LD article node, a
``__NEXT_DATA__`` block, the raw paragraphs) is cached on the page (``Page.once``) or on
the response's selector (``structured.jsonld_nodes``, ``structured.next_data``), so each
structured block is parsed once per page.

A hook may return a richer value than the exported one: a ``ParsedDate`` (exported as its
ISO string; ``published_precision`` reads the same value) or a ``Text`` (the body's
paragraphs, exported as ``body``; ``sections`` and ``word_count`` read the same value).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from typing import TYPE_CHECKING, Any, TypeVar

from scrapy.http import TextResponse
from scrapy.utils.response import get_base_url

from newscrawl.parsers.structured import jsonld_article
from newscrawl.text import ParsedDate, clean_text

if TYPE_CHECKING:
    from parsel import Selector

    from newscrawl.parsers.base import ArticleParser

FieldErrorHook = Callable[[str, str, BaseException], None]  # (field, url, exception)
Hook = TypeVar("Hook", bound=Callable[..., Any])
_MARK = "__newscrawl_field__"


def field(name: str, *, empty: Any = None) -> Callable[[Hook], Hook]:
    """Mark a parser method ``(self, page) -> value`` as the hook of field ``name``.

    ``empty``: the value left when the hook raises (``[]`` for lists); a callable is
    called with the page (``canonical_url`` falls back to the normalised ``url``)."""

    def mark(method: Hook) -> Hook:
        setattr(method, _MARK, (name, empty))
        return method

    return mark


_HOOKS: dict[type, dict[str, tuple[str, Any]]] = {}


def hooks(cls: type) -> dict[str, tuple[str, Any]]:
    """``{field: (method name, empty)}`` of a parser class, subclasses overriding bases."""
    if (known := _HOOKS.get(cls)) is not None:
        return known
    found: dict[str, tuple[str, Any]] = {}
    for klass in reversed(cls.__mro__):
        for attr, value in vars(klass).items():
            if (marked := getattr(value, _MARK, None)) is not None:
                found[marked[0]] = (attr, marked[1])
    _HOOKS[cls] = found
    return found


class Page:
    """One response being parsed: its inputs, parsed once, and the fields read so far."""

    def __init__(
        self,
        parser: ArticleParser,
        response: TextResponse,
        now: datetime,
        report: FieldErrorHook | None,
    ) -> None:
        self.parser = parser
        self.response = response
        self.url: str = response.url
        self.sel: Selector = response.selector
        self.now = now
        self.report = report
        self.layers: dict[str, str] = {}  # the item's ``extraction``: field -> layer
        self.container: Any = None  # the element the site selectors read the body from
        self.values: dict[str, Any] = {}
        self._memo: dict[str, Any] = {}
        self._asking: list[str] = []

    @cached_property
    def base_url(self) -> str:
        """What relative URLs on the page resolve against (``<base href>``, else the URL)."""
        return get_base_url(self.response)

    @cached_property
    def ld(self) -> dict[str, Any]:
        """The page's JSON-LD article node (``{}`` when none)."""
        return jsonld_article(self.sel)

    def get(self, name: str) -> Any:
        """Field ``name`` of this page, computed by the parser's hook on first use."""
        if name in self.values:
            return self.values[name]
        if name in self._asking:
            raise RecursionError(f"field {name} depends on itself: {' -> '.join([*self._asking, name])}")
        attr, empty = hooks(type(self.parser))[name]
        self._asking.append(name)
        try:
            value = getattr(self.parser, attr)(self)
        except Exception as exc:
            if self.report is None:
                raise
            self.report(name, self.url, exc)
            value = empty(self) if callable(empty) else list(empty) if isinstance(empty, list) else empty
        finally:
            self._asking.pop()
        self.values[name] = value
        return value

    def once(self, key: str, compute: Callable[[], Any]) -> Any:
        """``compute()`` once per page under ``key``: work several fields share."""
        if key not in self._memo:
            self._memo[key] = compute()
        return self._memo[key]


def exported(value: Any) -> Any:
    """A hook's value as the item carries it: a date as ISO 8601, a ``Text`` as ``body``."""
    if isinstance(value, ParsedDate):
        return value.iso()
    if isinstance(value, Text):
        return value.body
    return value


class Heading(str):
    """A paragraph that is a subheading (``<h2>``-``<h4>``, or a line that is all bold):
    part of ``body`` like any paragraph, the start of a section in ``sections``."""

    __slots__ = ()


@dataclass(frozen=True)
class Text:
    """The body as paragraphs, each a ``str`` or a ``Heading``: clean, non-empty, unique."""

    paragraphs: tuple[str, ...]

    @classmethod
    def of(cls, raw: Iterable[str]) -> Text | None:
        """Each paragraph cleaned (``text.clean_text``), empty ones and exact repeats
        dropped (the first occurrence stays, heading or not), as ``join_paragraphs``
        does; None when nothing is left."""
        kept: dict[str, bool] = {}
        for paragraph in raw:
            if text := clean_text(paragraph):
                kept.setdefault(text, isinstance(paragraph, Heading))
        if not kept:
            return None
        return cls(tuple(Heading(text) if heading else text for text, heading in kept.items()))

    def keep(self, wanted: Callable[[str], bool]) -> Text | None:
        """The paragraphs ``wanted`` accepts, kinds kept; None when none is."""
        kept = tuple(p for p in self.paragraphs if wanted(p))
        return Text(kept) if kept else None

    @property
    def body(self) -> str:
        """``Article.body``: the paragraphs, headings included, separated by a blank line."""
        return "\n\n".join(self.paragraphs)

    def sections(self) -> list[dict[str, Any]]:
        """``Article.sections``: a new section at each heading; text before the first
        heading is a section whose ``heading`` is None."""
        out: list[dict[str, Any]] = []
        for paragraph in self.paragraphs:
            if isinstance(paragraph, Heading):
                out.append({"heading": str(paragraph), "paragraphs": []})
                continue
            if not out:
                out.append({"heading": None, "paragraphs": []})
            out[-1]["paragraphs"].append(str(paragraph))
        return out


HEADING_TAGS = frozenset(("h2", "h3", "h4", "h5", "h6"))
_BOLD = frozenset(("strong", "b"))
_SENTENCE_END = (".", "!", "?", "؟", "。", "！", "？", ":", "：", "…", "،", ",", ";")
MAX_BOLD_HEADING = 120  # characters: a longer bold line is an emphasised paragraph


def is_heading(element: Any) -> bool:
    """A block that is a subheading: ``<h2>``-``<h6>``, or a ``<p>`` whose whole content is
    one ``<strong>``/``<b>`` of a short line that does not end as a sentence
    (``<p><strong>What comes next</strong></p>``)."""
    tag = element.tag
    if tag in HEADING_TAGS:
        return True
    if tag != "p" or len(element) != 1 or (element.text or "").strip():
        return False
    child = element[0]
    if child.tag not in _BOLD or (child.tail or "").strip():
        return False
    text = clean_text("".join(str(t) for t in child.itertext()))
    return (
        0 < len(text) <= MAX_BOLD_HEADING
        and len(text.split()) <= 15
        and not text.rstrip("\"'”’»)]").endswith(_SENTENCE_END)
    )
