"""The Article contract: what it accepts, what it refuses, how it exports, what the README says."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError
from scrapy.exporters import JsonLinesItemExporter
from scrapy.utils.project import get_project_settings

from newscrawl.items import Article

ROOT = Path(__file__).resolve().parent.parent


def valid(**changes: Any) -> dict[str, Any]:
    item: dict[str, Any] = {
        "id": "arab_news:2592171",
        "url": "https://www.arabnews.com/node/2592171/saudi-arabia",
        "canonical_url": "https://www.arabnews.com/node/2592171/saudi-arabia",
        "source": "arab_news",
        "publisher": "Arab News",
        "language": "en",
        "title": "  A   title\n",
        "body": "One.\n\nTwo.",
        "published_at": "2025-03-04T10:15:00+03:00",
        "crawled_at": "2025-03-04T11:00:00+00:00",
    }
    item.update(changes)
    return item


def test_valid_item_exports_plain_json_with_readable_arabic(tmp_path: Path) -> None:
    article = Article(**valid(title="عنوان", authors=[" نورة ", ""]))
    dumped = article.model_dump(mode="json")
    assert dumped["title"] == "عنوان"
    assert dumped["authors"] == ["نورة"]
    assert Article(**valid()).title == "A title"
    # the bytes Scrapy's JSON-lines exporter writes with the project's FEED_EXPORT_ENCODING
    out = tmp_path / "items.jsonl"
    with out.open("wb") as handle:
        exporter = JsonLinesItemExporter(handle, encoding=get_project_settings().get("FEED_EXPORT_ENCODING"))
        exporter.start_exporting()
        exporter.export_item(dumped)
        exporter.finish_exporting()
    raw = out.read_bytes()
    assert '"title": "عنوان"'.encode() in raw and '["نورة"]'.encode() in raw
    assert b"\\u" not in raw and json.loads(raw) == dumped


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"published_at": "2025-03-04T10:15:00"}, "published_at"),  # no offset
        ({"published_at": "yesterday"}, "published_at"),
        ({"body": ""}, "body"),
        ({"title": "   "}, "title"),
        ({"id": "2592171"}, "id"),
        ({"source": "bbc"}, "source"),
        ({"language": "english"}, "language"),
        ({"url": "/node/1"}, "url"),
        ({"unexpected": 1}, "unexpected"),
    ],
)
def test_contract_violations_name_the_field(changes: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationError) as err:
        Article(**valid(**changes))
    assert field in {str(e["loc"][0]) for e in err.value.errors()}


def test_id_must_name_its_source() -> None:
    with pytest.raises(ValidationError, match="does not belong to source"):
        Article(**valid(id="daily8:0123456789abcdef0123456789abcdef"))


def test_readme_documents_every_field() -> None:
    readme = (ROOT / "README.md").read_text("utf-8")
    missing = [name for name in Article.model_fields if f"`{name}`" not in readme]
    assert not missing, f"README's output schema lacks: {missing}"
