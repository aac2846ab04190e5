"""Pipelines: validation drops are counted, logged and written; dedupe by id and canonical URL."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from scrapy.exceptions import DropItem
from scrapy.utils.test import get_crawler

from newscrawl.pipelines import DedupePipeline, LayerStatsPipeline, ValidationPipeline
from newscrawl.spiders.arab_news import ArabNewsSpider
from tests.test_items import valid


def crawler(tmp_path: Path) -> Any:
    c = get_crawler(ArabNewsSpider, {"NEWSCRAWL_DATA_DIR": str(tmp_path)})
    c.spider = ArabNewsSpider.from_crawler(c)  # as Scrapy builds it (public API)
    c.stats.open_spider()
    return c


def test_invalid_item_is_dropped_counted_and_written(tmp_path: Path) -> None:
    c = crawler(tmp_path)
    pipe = ValidationPipeline.from_crawler(c)
    with pytest.raises(DropItem, match="body"):
        pipe.process_item(valid(body="", published_at=None))
    pipe.close_spider()
    assert c.stats.get_value("newscrawl/invalid/body") == 1
    assert c.stats.get_value("newscrawl/invalid/published_at") == 1
    [rejected] = (tmp_path / "rejected" / "arab_news").glob("*.jsonl")
    record = json.loads(rejected.read_text("utf-8"))
    assert record["url"] == valid()["url"]
    assert {e["field"] for e in record["errors"]} == {"body", "published_at"}


def test_valid_item_leaves_as_plain_dict(tmp_path: Path) -> None:
    out = ValidationPipeline.from_crawler(crawler(tmp_path)).process_item(valid())
    assert isinstance(out, dict) and out["title"] == "A title" and out["tags"] == []


def test_dedupe_by_id_and_by_canonical_url(tmp_path: Path) -> None:
    c = crawler(tmp_path)
    pipe = DedupePipeline.from_crawler(c)
    pipe.process_item(valid())
    with pytest.raises(DropItem):
        pipe.process_item(valid(url="https://www.arabnews.com/node/2592171"))  # same id
    with pytest.raises(DropItem):
        pipe.process_item(valid(id="arab_news:1"))  # same canonical URL
    pipe.process_item(valid(id="arab_news:2", canonical_url="https://www.arabnews.com/node/2"))
    assert c.stats.get_value("newscrawl/duplicate/id") == 1
    assert c.stats.get_value("newscrawl/duplicate/canonical_url") == 1


def test_layer_stats(tmp_path: Path) -> None:
    c = crawler(tmp_path)
    LayerStatsPipeline.from_crawler(c).process_item(valid(extraction={"body": "generic"}))
    assert c.stats.get_value("newscrawl/layer/body/generic") == 1
