"""docs/sources.md holds the facts the code and the fixtures cite (issue 13 point 8).

Citations read ``docs/sources.md §N`` (also ``§3/§4``), optionally followed by a
sub-reference naming a heading or a bold label of that section (``§2 selectors:``,
``§4 Arabic relative times)``). Each must name something that exists, and nothing may
cite the research notes that stay outside the repository any more.
"""

from __future__ import annotations

import re
from pathlib import Path

from newscrawl.sources import SOURCES_INFO

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "sources.md"
OLD = "SITES" + ".md"  # the research file outside the repo (spelt so this file does not cite it)
CITED = ("newscrawl", "tests/fixtures", "docs")
SUFFIXES = {".py", ".json", ".jsonl", ".md", ".html", ".xml", ".txt"}

# "<doc> §2", "<doc> §3/§4", then a sub-reference: words up to ':' ')' ';' '[' or a URL
CITATION = re.compile(
    r"(?:docs/sources\.md|" + re.escape(OLD) + r") (§\d+(?:/§\d+)*)((?: [A-Za-z]+\b(?!://))*)"
)
# sub-references are words of a heading or a bold label; a following lower-case word such
# as "says" would not be one, so citations keep the sub-reference right after the section
SECTION = re.compile(r"^## (§\d+) \S", re.M)
LABEL = re.compile(r"^###+ (.+)$|\*\*(.+?)\*\*", re.M)


def _words(text: str) -> set[str]:
    return set(re.findall(r"[a-z0-9]+", text.lower()))


def _sections() -> dict[str, list[set[str]]]:
    """§N -> the word sets of its headings and bold labels."""
    text = DOC.read_text("utf-8")
    starts = [(m.group(1), m.start()) for m in SECTION.finditer(text)]
    sections: dict[str, list[set[str]]] = {}
    for i, (number, start) in enumerate(starts):
        end = starts[i + 1][1] if i + 1 < len(starts) else len(text)
        body = text[start:end]
        sections[number] = [_words(m.group(1) or m.group(2)) for m in LABEL.finditer(body)]
    return sections


def _files() -> list[Path]:
    found: list[Path] = []
    for folder in CITED:
        found += [p for p in (ROOT / folder).rglob("*") if p.is_file() and p.suffix in SUFFIXES]
    return sorted(p for p in found if p != DOC)


def _citations() -> list[tuple[str, str, str]]:
    """(file, §N, sub-reference) for every citation in newscrawl/, tests/fixtures/, docs/."""
    cited = []
    for path in _files():
        text = path.read_text("utf-8", errors="replace")
        for m in CITATION.finditer(text):
            for number in m.group(1).split("/"):
                cited.append((str(path.relative_to(ROOT)), number, m.group(2).strip()))
    return cited


def test_doc_has_the_four_sections_in_order() -> None:
    text = DOC.read_text("utf-8")
    headings = re.findall(r"^## (§\d+ .+)$", text, re.M)
    assert headings == ["§1 Asharq Al-Awsat", "§2 Al Arabiya", "§3 Arab News", "§4 Daily8"]
    assert "outside this repository" in text  # the full research notes are not shipped
    for mark in ("[V]", "[C]", "[B]"):
        assert f"**{mark}**" in text, f"the intro explains {mark}"


def test_every_source_names_an_existing_section() -> None:
    sections = _sections()
    for name, info in SOURCES_INFO.items():
        assert info.section in sections, f"{name}: section {info.section!r} not in docs/sources.md"


def test_every_citation_names_an_existing_section_and_subsection() -> None:
    sections = _sections()
    cited = _citations()
    assert len(cited) > 100  # the fixtures' provenance cites the facts page by page
    wrong = []
    for where, number, sub in cited:
        if number not in sections:
            wrong.append(f"{where}: {number} is not a section")
        elif sub and not any(_words(sub) <= label for label in sections[number]):
            wrong.append(f"{where}: {number} has no heading or bold label with {sub!r}")
    assert not wrong, "\n".join(sorted(set(wrong)))


def test_nothing_cites_the_research_notes_outside_the_repo() -> None:
    # Fails until the old citations in newscrawl/**/*.py are replaced (the lead's sed).
    this = Path(__file__).resolve()
    old = [
        str(p.relative_to(ROOT))
        for folder in ("newscrawl", "tests")
        for p in sorted((ROOT / folder).rglob("*"))
        if p.is_file()
        and p.suffix in SUFFIXES
        and p != this
        and OLD in p.read_text("utf-8", errors="replace")
    ]
    assert not old, f"cite docs/sources.md instead of {OLD} in: {old}"
