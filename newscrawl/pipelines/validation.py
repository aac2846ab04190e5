"""Item pipelines: validate against the contract, dedupe within a run, count layers.

They reach fields through ``itemadapter`` so any item type Scrapy accepts works
(dicts from the parsers, ``Article`` instances, dataclasses).

- ``ValidationPipeline``: builds an ``Article``; an item that breaks the contract
  is dropped, logged with URL and reason, counted under ``newscrawl/invalid/<field>``
  and written with its errors to ``<data dir>/rejected/<spider>/<timestamp>.jsonl``.
  A valid item leaves as ``Article.model_dump(mode="json")`` (plain JSON types).
- ``DedupePipeline``: drops a second item with the same ``id`` or ``canonical_url``
  in one run (``newscrawl/duplicate/<field>``).
- ``LayerStatsPipeline``: ``newscrawl/layer/<field>/<layer>`` per exported item, so a
  redesign shows up as a shift from ``selectors`` to ``generic`` in the stats.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any, Self

from itemadapter import ItemAdapter
from pydantic import ValidationError
from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem

from newscrawl.items import Article
from newscrawl.stats import inc

logger = logging.getLogger(__name__)


class _CrawlerPipeline:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler)

    def inc(self, key: str) -> None:
        inc(self.crawler, key)


class ValidationPipeline(_CrawlerPipeline):
    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        self._rejected: IO[str] | None = None
        self.rejected_path: Path | None = None

    def _reject(self, item: dict[str, Any], errors: list[dict[str, Any]]) -> None:
        if self._rejected is None:
            spider = self.crawler.spider.name if self.crawler.spider else "unknown"
            stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H-%M-%S")
            root = Path(self.crawler.settings.get("NEWSCRAWL_DATA_DIR") or "data")
            self.rejected_path = root / "rejected" / spider / f"{stamp}.jsonl"
            self.rejected_path.parent.mkdir(parents=True, exist_ok=True)
            self._rejected = self.rejected_path.open("a", encoding="utf-8")
        record = {"url": item.get("url"), "errors": errors, "item": item}
        self._rejected.write(json.dumps(record, ensure_ascii=False, default=str) + "\n")
        self._rejected.flush()

    def process_item(self, item: Any) -> dict[str, Any]:
        data = ItemAdapter(item).asdict()
        try:
            article = Article(**data)
        except ValidationError as exc:
            errors = [
                {"field": ".".join(str(p) for p in e["loc"]) or "item", "reason": e["msg"]}
                for e in exc.errors(include_url=False, include_input=False)
            ]
            for error in errors:
                self.inc(f"invalid/{error['field'].split('.')[0]}")
            self._reject(data, errors)
            reasons = "; ".join(f"{e['field']}: {e['reason']}" for e in errors)
            raise DropItem(f"Invalid article {data.get('url')}: {reasons}") from None
        return article.model_dump(mode="json")

    def close_spider(self) -> None:
        if self._rejected is not None:
            self._rejected.close()
            logger.warning("Rejected items written to %s", self.rejected_path)


class DedupePipeline(_CrawlerPipeline):
    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        self.seen: dict[str, set[str]] = {"id": set(), "canonical_url": set()}

    def process_item(self, item: Any) -> Any:
        adapter = ItemAdapter(item)
        for field, seen in self.seen.items():
            value = str(adapter.get(field))
            if value in seen:
                self.inc(f"duplicate/{field}")
                raise DropItem(f"Duplicate {field} {value} ({adapter.get('url')})")
        for field, seen in self.seen.items():
            seen.add(str(adapter.get(field)))
        return item


class LayerStatsPipeline(_CrawlerPipeline):
    def process_item(self, item: Any) -> Any:
        adapter = ItemAdapter(item)
        for field, layer in (adapter.get("extraction") or {}).items():
            self.inc(f"layer/{field}/{layer}")
        self.inc(f"items/{adapter.get('language')}")
        return item
