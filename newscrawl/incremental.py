"""Incremental crawls: skip what earlier runs exported, export each article once, crash-safe.

Components (all share one ``SeenState`` per crawler; ``NEWSCRAWL_STATE=off`` disables them):

- ``SeenSpiderMiddleware``: drops article requests (``meta["newscrawl"]["kind"] ==
  "article"``) whose URL the store knows (``newscrawl/seen/skipped``), unless the feed or
  sitemap gives a date newer than the stored one (``newscrawl/seen/refetch_changed``) or
  the request is explicit (``-a urls``: ``newscrawl/seen/explicit``). It notes each
  article response's URLs (request, redirects, final) and feed date for the pipeline.
- ``SeenPipeline``: an article whose content fingerprint (``seen.content_fingerprint``)
  equals the stored one is dropped (``newscrawl/seen/unchanged``); changed content is an
  update (``newscrawl/seen/updated``) and leaves with ``modified_at`` (see
  docs/incremental.md for the rule); unknown ones are ``newscrawl/seen/new``. An
  aggregator item (``via`` set) not yet linked gets ``duplicate_of`` from the store's
  originals (``newscrawl/linked/store``).
- ``DurableFeedExporter`` (replaces Scrapy's ``FeedExporter``): marks an article seen
  only once its line is durably in every feed that accepted it. Local files: journal
  intent (fsync) -> write line -> flush + fsync -> ``store.mark_exported`` -> journal
  done. Other storages (S3, FTP, postprocessing): marked when their slot is stored
  successfully. After a SIGKILL, the next run replays dead journals: an intent whose line
  is complete in its output file is marked, any other is dropped (the article is fetched
  again), so every article is in exactly one output.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any, ClassVar, Self
from weakref import WeakKeyDictionary

from itemadapter import ItemAdapter
from scrapy import Request, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem, NotConfigured
from scrapy.extensions.feedexport import FeedExporter, FeedSlot, FileFeedStorage, StdoutFeedStorage
from scrapy.http import Response

from newscrawl import linking
from newscrawl.seen import SeenRecord, SeenStore, content_fingerprint, newer, newest, open_store
from newscrawl.stats import inc
from newscrawl.text import canonical_url

logger = logging.getLogger(__name__)

OFF = ("off", "none", "false", "0")


@dataclass(frozen=True)
class Fetched:
    """What the request side knew about an article response."""

    urls: tuple[str, ...]
    feed_date: str | None


@dataclass
class Mark:
    """An export in flight: what ``mark_exported`` will record once the line is durable."""

    record: SeenRecord
    urls: list[str]
    simhash: int | None = None  # set for originals (publisher articles)
    waiting: int = 0  # at-close feed slots still to be stored

    def to_json(self) -> dict[str, Any]:
        return {**self.record.__dict__, "urls": self.urls, "simhash": self.simhash}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Self:
        record = SeenRecord(data["id"], data["fingerprint"], data.get("lastmod"), data["exported_at"])
        return cls(record, list(data.get("urls") or ()), data.get("simhash"))


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _fsync_path(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class Journal:
    """Intent log of the exports in flight of one crawl: ``<data>/state/journal/*.jsonl``.

    The file is ``flock``-ed while its crawl lives, so another run can tell a dead
    crawl's journal (lock free) from a running one's and replay only the former.
    """

    def __init__(self, directory: Path, store_url: str) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")
        tmp = directory / f".{stamp}-{os.getpid()}.tmp"
        self.file: IO[str] = tmp.open("w", encoding="utf-8")
        fcntl.flock(self.file, fcntl.LOCK_EX)  # before the name becomes visible to recovery
        self.path = tmp.with_name(f"{stamp}-{os.getpid()}.jsonl")
        self._write({"op": "open", "store": store_url}, sync=False)
        tmp.rename(self.path)
        _fsync_path(directory)

    def _write(self, entry: dict[str, Any], *, sync: bool) -> None:
        self.file.write(json.dumps(entry, ensure_ascii=False) + "\n")
        self.file.flush()
        if sync:
            os.fsync(self.file.fileno())

    def intent(self, mark: Mark, outputs: list[str]) -> None:
        self._write({"op": "intent", **mark.to_json(), "outputs": outputs}, sync=True)

    def done(self, article_id: str) -> None:
        self._write({"op": "done", "id": article_id}, sync=False)

    def close(self) -> None:
        """Release the lock (the file stays: ``replay`` decides what it still owes)."""
        self.file.close()


def _exported_lines(path: Path, wanted: set[str]) -> dict[str, set[str]]:
    """{id: {content fingerprints}} of complete JSON lines in ``path`` whose id is wanted."""
    found: dict[str, set[str]] = {}
    try:
        data = path.read_bytes()
    except OSError:
        return found
    for line in data.split(b"\n")[:-1]:  # the last piece has no newline: not exported
        try:
            item = json.loads(line)
        except ValueError:
            continue
        if isinstance(item, dict) and item.get("id") in wanted:
            fp = content_fingerprint(item.get("title"), item.get("body"))
            found.setdefault(item["id"], set()).add(fp)
    return found


def replay_journal(path: Path, store: SeenStore) -> tuple[int, int]:
    """Settle a journal whose crawl is gone: (marked, dropped). Skips live or foreign ones."""
    try:
        handle = path.open("r", encoding="utf-8")
    except FileNotFoundError:
        return 0, 0
    with handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return 0, 0  # its crawl is still running
        entries = []
        for line in handle.read().splitlines():
            try:
                entries.append(json.loads(line))
            except ValueError:
                continue  # an intent cut short was never followed by its write
        if entries and entries[0].get("store") not in (None, store.url):
            return 0, 0  # another store's journal: leave it to the runs that use that store
        pending: dict[str, dict[str, Any]] = {}
        for entry in entries:
            if entry.get("op") == "intent":
                pending[entry["id"]] = entry
            elif entry.get("op") == "done":
                pending.pop(entry.get("id"), None)
        outputs = {out for entry in pending.values() for out in entry.get("outputs") or ()}
        lines: dict[str, set[str]] = {}
        for output in outputs:
            for id_, fps in _exported_lines(Path(output), set(pending)).items():
                lines.setdefault(id_, set()).update(fps)
        marked = 0
        for id_, entry in pending.items():
            mark = Mark.from_json(entry)
            current = store.get(id_)
            if mark.record.fingerprint in lines.get(id_, ()) and not (
                current and current.exported_at > mark.record.exported_at
            ):
                commit(store, mark)
                marked += 1
        path.unlink()
        return marked, len(pending) - marked


def commit(store: SeenStore, mark: Mark) -> None:
    store.mark_exported(mark.record, mark.urls)
    if mark.simhash is not None:
        store.remember_original(mark.record.id, mark.simhash)


class SeenState:
    """Per-crawler state: the store, the journal, notes passed from requests to exports."""

    _instances: ClassVar[WeakKeyDictionary[Crawler, SeenState]] = WeakKeyDictionary()

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.setting: str | None = crawler.settings.get("NEWSCRAWL_STATE")
        self.enabled = (self.setting or "").strip().lower() not in OFF
        self.data_dir = Path(crawler.settings.get("NEWSCRAWL_DATA_DIR") or "data")
        self._store: SeenStore | None = None
        self._journal: Journal | None = None
        self.exporter: DurableFeedExporter | None = None
        self.fetched: dict[str, Fetched] = {}
        self.marks: dict[str, Mark] = {}
        if self.enabled:
            crawler.signals.connect(self.spider_opened, signal=signals.spider_opened)
            crawler.signals.connect(self.item_scraped, signal=signals.item_scraped)
            crawler.signals.connect(self.engine_stopped, signal=signals.engine_stopped)

    @classmethod
    def of(cls, crawler: Crawler) -> SeenState:
        if crawler not in cls._instances:
            cls._instances[crawler] = cls(crawler)
        return cls._instances[crawler]

    @property
    def store(self) -> SeenStore:
        if self._store is None:
            store = open_store(self.setting, self.data_dir)
            if store is None:
                raise RuntimeError("NEWSCRAWL_STATE is off")
            self._store = store
        return self._store

    @property
    def journal_dir(self) -> Path:
        return self.data_dir / "state" / "journal"

    def journal(self) -> Journal:
        if self._journal is None:
            self._journal = Journal(self.journal_dir, self.store.url)
        return self._journal

    def inc(self, key: str, count: int = 1) -> None:
        inc(self.crawler, f"seen/{key}", count)

    def spider_opened(self) -> None:
        logger.info("Seen-store: %s", self.store.url)
        for path in sorted(self.journal_dir.glob("*.jsonl")):
            marked, dropped = replay_journal(path, self.store)
            if marked or dropped:
                logger.warning(
                    "Recovered journal %s of a crawl that died: %d exports marked, %d never written",
                    path, marked, dropped,
                )  # fmt: skip
                self.inc("recovered", marked)
                self.inc("recovery_dropped", dropped)

    def commit(self, mark: Mark) -> None:
        commit(self.store, mark)
        if self._journal is not None:
            self._journal.done(mark.record.id)
        self.inc("marked")

    def item_scraped(self, item: Any) -> None:
        """Without a feed exporter nothing is written: an item is exported when scraped."""
        if self.exporter is None:
            mark = self.marks.pop(str(ItemAdapter(item).get("id")), None)
            if mark is not None:
                self.commit(mark)

    def engine_stopped(self) -> None:
        if self._journal is not None:
            self._journal.close()
            replay_journal(self._journal.path, self.store)  # settles failed remote slots
        if self._store is not None:
            self._store.close()


class _SeenComponent:
    """A crawl component sharing the crawl's ``SeenState``; off with the store."""

    def __init__(self, crawler: Crawler) -> None:
        self.state = SeenState.of(crawler)
        if not self.state.enabled:
            raise NotConfigured("NEWSCRAWL_STATE is off")

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler)


class SeenSpiderMiddleware(_SeenComponent):
    """Skip known article requests; note article responses for ``SeenPipeline``."""

    async def process_start(self, start: AsyncIterator[Any]) -> AsyncIterator[Any]:
        async for output in start:
            if (output := self._process(output, None)) is not None:
                yield output

    def process_spider_output(self, response: Response | None, result: Iterable[Any]) -> Iterable[Any]:
        for output in result:
            if (output := self._process(output, response)) is not None:
                yield output
        self._remember_non_article(response)

    async def process_spider_output_async(
        self, response: Response | None, result: AsyncIterator[Any]
    ) -> AsyncIterator[Any]:
        async for output in result:
            if (output := self._process(output, response)) is not None:
                yield output
        self._remember_non_article(response)

    def _process(self, output: Any, response: Response | None) -> Any:
        if isinstance(output, Request):
            return self.get_processed_request(output, response)
        return self.get_processed_item(output, response)

    def get_processed_request(self, request: Request, response: Response | None) -> Request | None:
        info = request.meta.get("newscrawl")
        if not isinstance(info, dict) or info.get("kind") != "article":
            return request
        if info.get("explicit"):
            self.state.inc("explicit")
            return request
        record = self.state.store.get(request.url)
        if record is None:
            return request
        if newer(newest(info.get("lastmod"), info.get("published")), record.lastmod):
            self.state.inc("refetch_changed")
            return request
        self.state.inc("skipped")
        return None

    def get_processed_item(self, item: Any, response: Response | None) -> Any:
        if response is not None:
            self.state.fetched[response.url] = self._fetched(response)
        return item

    @staticmethod
    def _fetched(response: Response) -> Fetched:
        info = response.meta.get("newscrawl") or {}
        urls = (*response.meta.get("redirect_urls", ()), response.url)
        return Fetched(tuple(dict.fromkeys(urls)), newest(info.get("lastmod"), info.get("published")))

    def _remember_non_article(self, response: Response | None) -> None:
        """A page the spider skipped as not an article (video, gallery, ...) is not
        fetched again either, unless its feed date changes (nothing is exported for it)."""
        info = response.meta.get("newscrawl") if response is not None else None
        if response is None or not isinstance(info, dict) or not info.get("skipped"):
            return
        fetched = self._fetched(response)
        record = SeenRecord(f"page:{canonical_url(response.url)}", f"skipped:{info['skipped']}",
                            fetched.feed_date, _now())  # fmt: skip
        self.state.store.mark_exported(record, fetched.urls)
        self.state.inc("non_article")


class SeenPipeline(_SeenComponent):
    """Export dedupe by content fingerprint, update semantics, cross-run original linking."""

    def process_item(self, item: Any) -> Any:
        adapter = ItemAdapter(item)
        store, article_id = self.state.store, str(adapter.get("id"))
        fetched = self.state.fetched.pop(str(adapter.get("url")), None) or Fetched((), None)
        urls = [
            u for u in dict.fromkeys((*fetched.urls, adapter.get("url"), adapter.get("canonical_url"))) if u
        ]
        fp = content_fingerprint(adapter.get("title"), adapter.get("body"))
        record = store.get(article_id) or next(filter(None, (store.get(u) for u in urls)), None)
        seen_date = newest(fetched.feed_date, adapter.get("modified_at"), adapter.get("published_at"))
        if record is not None and record.fingerprint == fp:
            if newer(seen_date, record.lastmod) or any(store.get(u) is None for u in urls):
                store.mark_exported(replace(record, lastmod=newest(record.lastmod, seen_date)), urls)
            self.state.inc("unchanged")
            raise DropItem(f"Unchanged since {record.exported_at}: {article_id}", log_level="INFO")
        if record is not None:
            self._as_update(adapter, record, fetched)
            self.state.inc("updated")
        else:
            self.state.inc("new")
        simhash = linking.fingerprint(adapter.get("title"), adapter.get("body"))
        if adapter.get("via"):
            self._link(adapter, simhash)
        lastmod = newest(seen_date, adapter.get("modified_at"), record.lastmod if record else None)
        mark = Mark(
            SeenRecord(article_id, fp, lastmod, _now()),
            urls,
            simhash=None if adapter.get("via") else simhash,
        )
        self.state.marks[article_id] = mark
        return item

    def _as_update(self, adapter: ItemAdapter, record: SeenRecord, fetched: Fetched) -> None:
        """An update says when it changed: the page's ``modified_at`` if it is newer than
        what was known, else the feed date that announced the change, else ``crawled_at``."""
        if newer(adapter.get("modified_at"), record.lastmod):
            return
        if newer(fetched.feed_date, record.lastmod):
            adapter["modified_at"] = fetched.feed_date
        else:
            adapter["modified_at"] = adapter.get("crawled_at")
        self.state.inc("modified_at_set")

    def _link(self, adapter: ItemAdapter, simhash: int | None) -> None:
        if adapter.get("duplicate_of"):
            return
        found = None
        if original_url := adapter.get("original_url"):
            if record := self.state.store.get(original_url):
                found = record.id
        if found is None and simhash is not None:
            found = self.state.store.find_original(simhash)
        if found and found != adapter.get("id"):
            adapter["duplicate_of"] = found
            inc(self.state.crawler, "linked/store")


class DurableFeedExporter(FeedExporter):
    """Scrapy's FeedExporter, plus: an article is marked seen only once durably exported."""

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        state = SeenState.of(crawler)
        exporter = super().from_crawler(crawler)
        exporter.state = state
        exporter.waiting = {}
        exporter._synced_dirs = set()
        if state.enabled:
            state.exporter = exporter
        return exporter

    state: SeenState
    waiting: dict[int, list[Mark]]  # id(slot) -> marks stored with that slot
    _synced_dirs: set[Path]

    @staticmethod
    def _local(slot: FeedSlot) -> bool:
        """Is every line durable right after flush + fsync (no temp file, no compression)?"""
        plain = not slot.feed_options.get("postprocessing")
        return plain and isinstance(slot.storage, FileFeedStorage | StdoutFeedStorage)

    def _sync(self, slot: FeedSlot) -> None:
        file = slot.file
        if file is not None and not file.closed:
            file.flush()
        if isinstance(slot.storage, StdoutFeedStorage):
            return  # a pipe: delivered once flushed
        assert isinstance(slot.storage, FileFeedStorage)
        path = Path(slot.storage.path).absolute()
        if file is not None and not file.closed:
            os.fsync(file.fileno())
        else:
            _fsync_path(path)
        if path.parent not in self._synced_dirs:  # the new file's name is durable too
            _fsync_path(path.parent)
            self._synced_dirs.add(path.parent)

    def item_scraped(self, item: Any, spider: Any) -> None:
        state = self.state
        mark = state.marks.pop(str(ItemAdapter(item).get("id")), None) if state.enabled else None
        if mark is None:
            super().item_scraped(item, spider)
            return
        accepting = [slot for slot in self.slots if slot.filter.accepts(item)]
        local = [slot for slot in accepting if self._local(slot)]
        at_close = [slot for slot in accepting if slot not in local]
        # the replay may mark an article only when every feed it went to can be checked
        outputs = [] if at_close else [
            str(Path(slot.storage.path).absolute())
            for slot in local
            if isinstance(slot.storage, FileFeedStorage)
        ]  # fmt: skip
        state.journal().intent(mark, outputs)
        super().item_scraped(item, spider)  # writes the line (and may rotate batches)
        for slot in local:
            self._sync(slot)
        if not at_close:
            if accepting:
                state.commit(mark)
            return
        mark.waiting = len(at_close)
        for slot in at_close:
            self.waiting.setdefault(id(slot), []).append(mark)

    async def _close_slot(self, slot: FeedSlot, spider: Any) -> None:
        stats = self.crawler.stats
        failed_key = f"feedexport/failed_count/{type(slot.storage).__name__}"
        failed_before = stats.get_value(failed_key, 0) if stats else 0
        await super()._close_slot(slot, spider)
        marks = self.waiting.pop(id(slot), [])
        if stats and stats.get_value(failed_key, 0) != failed_before:
            logger.error("Feed %s was not stored: its %d articles stay unseen", slot.uri, len(marks))
            return
        for mark in marks:
            mark.waiting -= 1
            if mark.waiting == 0:
                self.state.commit(mark)
        if marks:
            logger.info("Feed %s stored: its %d articles can be marked seen", slot.uri, len(marks))
