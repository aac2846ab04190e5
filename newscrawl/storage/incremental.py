"""Incremental crawls: skip what earlier runs exported, export each article once, crash-safe.

Components (all share one ``SeenState`` per crawler; ``NEWSCRAWL_STATE=off`` disables them):

- ``SeenSpiderMiddleware``: drops article requests (``meta["newscrawl"]["kind"] ==
  "article"``) whose URL the store knows (``newscrawl/seen/skipped``), unless the feed or
  sitemap gives a date newer than the stored one (``newscrawl/seen/refetch_changed``) or
  the request is explicit (``-a urls``: ``newscrawl/seen/explicit``). It notes each
  article response's URLs (request, redirects, final), feed date and explicitness.
- ``SeenPipeline``: an article whose record fingerprint (``seen.record_fingerprint``: every
  field but the volatile ones) equals the stored one is dropped (``newscrawl/seen/unchanged``)
  unless it was asked for explicitly (``newscrawl/seen/reexported``); changed content is an
  update (``newscrawl/seen/updated``) and leaves with ``modified_at`` (docs/incremental.md);
  unknown ones are ``newscrawl/seen/new``. Before it lets an article through it *claims* it in
  the store (atomic, shared by every worker), so two crawls never export the same article
  (``newscrawl/seen/claimed_elsewhere``).
- ``SeenAddon`` + ``DurableFeedStorage``: every ``FEED_STORAGES`` scheme is wrapped, so the
  stock ``FeedExporter`` writes through storages that tell the seen-state what reached which
  output. An article is marked seen only once its line is durable in every output it went to:
  local files by **group commit** (every ``NEWSCRAWL_COMMIT_INTERVAL`` seconds: one ``fsync``
  per output file, one store transaction for the whole batch), other storages (S3, FTP,
  ``postprocessing``, stdout) once their ``store()`` succeeded. A failed output (cannot
  open, write, sync or store) is counted (``newscrawl/export/failed``), logged, closes the
  spider (``finish_reason`` ``feed_failed``), and nothing that went to it is marked. A store
  that fails when its slot closes at the end of the crawl (an upload) cannot stop the spider
  any more: the run is judged after the feeds are stored (``newscrawl.operations.extensions.
  AfterFeeds``), so its "Feed export" monitor fails and ``scrapy crawl`` exits 3.
- ``Journal``: each crawl registers its local outputs and their start offsets (``fsync``-ed
  before the first line is written). After a SIGKILL or a power cut, the next run replays
  the dead crawl's journal: every complete line after those offsets is marked (with the
  intent's redirect URLs and feed date when the journal has them), so every article is in
  exactly one output.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import socket
import uuid
from collections.abc import AsyncIterator, Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any, ClassVar, Self
from urllib.parse import urlparse
from weakref import WeakKeyDictionary

from itemadapter import ItemAdapter
from scrapy import Request, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem, NotConfigured
from scrapy.extensions.feedexport import FileFeedStorage, ItemFilter, StdoutFeedStorage
from scrapy.http import Response
from scrapy.settings import SETTINGS_PRIORITIES, BaseSettings
from scrapy.utils.asyncio import create_looping_call
from scrapy.utils.defer import deferred_from_coro, ensure_awaitable
from scrapy.utils.misc import build_from_crawler, load_object
from twisted.internet.defer import Deferred

from newscrawl.operations.redact import redact
from newscrawl.pipelines import linking
from newscrawl.stats import inc
from newscrawl.storage.seen import (
    FINGERPRINT_VERSION,
    Export,
    SeenRecord,
    SeenStore,
    newer,
    newest,
    open_store,
    record_fingerprint,
    same_content,
)
from newscrawl.text import canonical_url

logger = logging.getLogger(__name__)

OFF = ("off", "none", "false", "0")
DURABLE_STORAGE = "newscrawl.storage.incremental.DurableFeedStorage"
MAX_BATCH = 500  # a batch is committed early once it holds this many articles


def state_enabled(settings: BaseSettings) -> bool:
    return (settings.get("NEWSCRAWL_STATE") or "").strip().lower() not in OFF


@dataclass(frozen=True)
class Fetched:
    """What the request side knew about an article response."""

    urls: tuple[str, ...]
    feed_date: str | None
    explicit: bool = False


@dataclass(eq=False)
class Mark:
    """An export in flight: recorded in the store once durable in every output it went to."""

    export: Export
    outputs: list[Output] = field(default_factory=list)

    @property
    def id(self) -> str:
        return self.export.record.id

    def to_json(self) -> dict[str, Any]:
        e = self.export
        return {**e.record.__dict__, "urls": list(e.urls), "simhash": e.simhash}


def _export_from_json(data: dict[str, Any]) -> Export:
    record = SeenRecord(data["id"], data["fingerprint"], data.get("lastmod"), data["exported_at"])
    return Export(record, tuple(data.get("urls") or ()), data.get("simhash"))


def _export_from_line(item: dict[str, Any], fingerprint: str, intent: dict[str, Any] | None) -> Export:
    """What to mark for a line found in a dead crawl's output: its intent if it is this
    version, else what the line itself says."""
    if intent is not None and intent.get("fingerprint") == fingerprint:
        return _export_from_json(intent)
    urls = tuple(u for u in dict.fromkeys((item.get("url"), item.get("canonical_url"))) if isinstance(u, str))
    lastmod = newest(item.get("modified_at"), item.get("published_at"))
    record = SeenRecord(str(item["id"]), fingerprint, lastmod, str(item.get("crawled_at") or _now()))
    simhash = None if item.get("via") else linking.fingerprint(item.get("title"), item.get("body"))
    return Export(record, urls, simhash)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")


def _fsync_path(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class Journal:
    """What one crawl is exporting: ``<data>/state/journal/<time>-<pid>.jsonl``.

    Entries: ``open`` (store, claim owner), ``output`` (a local file and the offset its
    first line of this crawl starts at; fsync-ed before that line is written),
    ``deferred`` (an output durable only when stored: remote, compressed, stdout),
    ``intent`` (the mark of a written line: URLs, feed date; not synced, an aid only) and
    ``done`` (ids marked). The file is ``flock``-ed while its crawl lives, so another run
    can tell a dead crawl's journal (lock free) from a running one's.
    """

    def __init__(self, directory: Path, store_url: str, owner: str) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")
        tmp = directory / f".{stamp}-{os.getpid()}.tmp"
        self.file: IO[str] = tmp.open("w", encoding="utf-8")
        fcntl.flock(self.file, fcntl.LOCK_EX)  # before the name becomes visible to recovery
        self.path = tmp.with_name(f"{stamp}-{os.getpid()}.jsonl")
        # the store named without its password: journals sit on disk (compared redacted too)
        self.write({"op": "open", "store": redact(store_url), "owner": owner})
        self.sync()
        tmp.rename(self.path)
        _fsync_path(directory)

    def write(self, entry: dict[str, Any]) -> None:
        self.file.write(json.dumps(entry, ensure_ascii=False) + "\n")

    def sync(self) -> None:
        self.file.flush()
        os.fsync(self.file.fileno())

    def output(self, path: Path, offset: int) -> None:
        self.write({"op": "output", "path": str(path), "offset": offset})
        self.sync()

    def deferred(self, uri: str) -> None:
        self.write({"op": "deferred", "uri": uri})
        self.sync()

    def intent(self, mark: Mark) -> None:
        self.write({"op": "intent", **mark.to_json()})

    def claim(self, article_id: str) -> None:
        """Flushed: a replay must be able to release the claim of a crawl killed now."""
        self.write({"op": "claim", "id": article_id})
        self.file.flush()

    def done(self, ids: list[str]) -> None:
        self.write({"op": "done", "ids": ids})
        self.file.flush()

    def close(self) -> None:
        """Release the lock (the file stays until ``SeenState`` or a replay removes it)."""
        self.file.close()


def _complete_lines(path: Path, offset: int) -> Iterator[dict[str, Any]]:
    """JSON objects of the newline-terminated lines of ``path`` from ``offset`` on."""
    try:
        with path.open("rb") as handle:
            handle.seek(offset)
            data = handle.read()
    except OSError:
        return
    for line in data.split(b"\n")[:-1]:  # the last piece has no newline: not exported
        try:
            item = json.loads(line)
        except ValueError:
            continue
        if isinstance(item, dict) and isinstance(item.get("id"), str):
            yield item


def replay_journal(path: Path, store: SeenStore) -> tuple[int, int]:
    """Settle a journal whose crawl is gone: (marked, dropped). Skips live or foreign ones.

    Every complete line of its local outputs (after the registered offsets) that the store
    does not already hold is marked; an intent without such a line is dropped (the
    article is exported by a later run). A crawl that also wrote to a deferred output
    (remote, compressed) cannot be checked there: nothing of it is marked (at least once).
    The dead crawl's claims are released."""
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
                continue  # cut short by the crash
        if entries and entries[0].get("store") not in (None, redact(store.url)):
            return 0, 0  # another store's journal: leave it to the runs that use that store
        owner = entries[0].get("owner") if entries else None
        outputs: dict[str, int] = {}
        intents: dict[str, dict[str, Any]] = {}
        done: set[str] = set()
        claims: set[str] = set()
        deferred = False
        for entry in entries:
            op = entry.get("op")
            if op == "output":
                outputs.setdefault(entry["path"], int(entry.get("offset") or 0))
            elif op == "deferred":
                deferred = True
            elif op == "intent":
                intents[entry["id"]] = entry
                for old in entry.get("outputs") or ():  # journals written before group commit
                    outputs.setdefault(old, 0)
            elif op == "done":
                done.update(entry.get("ids") or [entry.get("id")])
            elif op == "claim":
                claims.add(entry["id"])
        found: dict[str, Export] = {}
        if not deferred:
            for output, offset in outputs.items():
                for item in _complete_lines(Path(output), offset):
                    if item["id"] not in done:
                        found[item["id"]] = _export_from_line(
                            item, record_fingerprint(item), intents.get(item["id"])
                        )
        marks = []
        for id_, export in found.items():
            current = store.get(id_)
            if current and (
                current.fingerprint == export.record.fingerprint
                or newer(current.exported_at, export.record.exported_at)
            ):
                continue  # marked already, or a later crawl exported a newer version
            marks.append(export)
        store.commit(marks)
        if owner and claims:
            store.release(str(owner), claims)
        path.unlink()
        return len(marks), len(set(intents) - done - set(found))


class Output:
    """One feed storage's output, as the seen-state follows it."""

    def __init__(self, storage: DurableFeedStorage) -> None:
        self.storage = storage
        self.kind = storage.kind
        self.filter = storage.filter
        self.file: IO[bytes] | None = None
        self.path: Path | None = None
        self.position = 0
        self.dirty = False  # lines written since the last fsync
        self.closed = False  # stored: a local file is synced and closed, a remote one uploaded
        self.failed = False

    def __repr__(self) -> str:
        return f"<{self.kind} output {self.storage.uri}>"


class SeenState:
    """Per-crawler state: the store, the journal, the outputs, marks waiting to be durable."""

    _instances: ClassVar[WeakKeyDictionary[Crawler, SeenState]] = WeakKeyDictionary()

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.setting: str | None = crawler.settings.get("NEWSCRAWL_STATE")
        self.enabled = state_enabled(crawler.settings)
        self.data_dir = Path(crawler.settings.get("NEWSCRAWL_DATA_DIR") or "data")
        self.interval = crawler.settings.getfloat("NEWSCRAWL_COMMIT_INTERVAL", 1.0)
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._store: SeenStore | None = None
        self._journal: Journal | None = None
        self.fetched: dict[str, Fetched] = {}
        self.marks: dict[str, Mark] = {}  # accepted by SeenPipeline, not yet scraped
        self.pending: list[Mark] = []  # written, not yet durable everywhere
        self.direct: list[Export] = []  # store updates that wait for no output
        self.claimed: set[str] = set()
        self.outputs: list[Output] = []
        self.feeds = False  # a DurableFeedStorage was built: articles go to feeds
        self.closing = False
        self.loop: Any = None
        if self.enabled:
            crawler.signals.connect(self.spider_opened, signal=signals.spider_opened)
            crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)
            crawler.signals.connect(self.commit, signal=signals.feed_exporter_closed)
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
            self._journal = Journal(self.journal_dir, self.store.url, self.owner)
        return self._journal

    def inc(self, key: str, count: int = 1) -> None:
        inc(self.crawler, f"seen/{key}", count)

    # --- crawl life cycle -------------------------------------------------------------

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
        # connected now, after the FeedExporter's handler: an item's lines are written
        # (or not) by the time this one looks
        self.crawler.signals.connect(self.item_scraped, signal=signals.item_scraped)
        if self.interval > 0:
            self.loop = create_looping_call(self.commit)
            self.loop.start(self.interval, now=False)

    def spider_closed(self) -> None:
        self.closing = True
        self.commit()  # what is durable already, before the monitors read the stats

    def engine_stopped(self) -> None:
        if self.loop is not None and self.loop.running:
            self.loop.stop()
        if self._store is None:
            return
        self.commit()
        unmarked = [m for m in self.pending if not any(o.failed for o in m.outputs)]
        if unmarked:  # an output never stored (its slot never closed): exported again next run
            logger.warning("%d articles were written to outputs never stored: not marked seen", len(unmarked))
        self.pending.clear()
        if self.claimed:
            self.store.release(self.owner, self.claimed)
        if self._journal is not None:
            self._journal.close()
            self._journal.path.unlink(missing_ok=True)  # everything durable was marked
        self._store.close()

    # --- outputs (called by DurableFeedStorage) ----------------------------------------

    def opened(self, output: Output, file: IO[bytes]) -> None:
        output.file = file
        if output.kind == "file":
            assert isinstance(output.storage.inner, FileFeedStorage)
            output.path = Path(output.storage.inner.path).absolute()
            output.position = file.tell()
            self.journal().output(output.path, output.position)
            _fsync_path(output.path.parent)  # the new file's name is durable too
        else:
            self.journal().deferred(output.storage.uri)
        self.outputs.append(output)

    def stored(self, output: Output) -> None:
        output.closed, output.dirty = True, False
        if output in self.outputs:
            self.outputs.remove(output)
        if output.kind == "deferred":
            logger.info("Feed %s stored: its articles can be marked seen", output.storage.uri)
        self.commit()

    def failed(self, output: Output, error: BaseException) -> None:
        if output.failed:
            return
        output.failed = True
        if output not in self.outputs:  # failed to open: what it should get is lost too
            self.outputs.append(output)
        inc(self.crawler, "export/failed")
        logger.error(
            "Feed %s failed (%s): nothing written to it is marked seen; the next run exports it again",
            output.storage.uri, error,
        )  # fmt: skip
        engine = self.crawler.engine
        if not self.closing and engine is not None and engine.spider is not None:
            self.closing = True
            deferred_from_coro(engine.close_spider_async(reason="feed_failed"))

    # --- marks --------------------------------------------------------------------------

    def item_scraped(self, item: Any) -> None:
        mark = self.marks.pop(str(ItemAdapter(item).get("id")), None)
        if mark is None:
            return
        if self.feeds:
            missing = False
            for output in self.outputs:
                if output.failed:
                    if output.filter.accepts(item):
                        mark.outputs.append(output)  # lost there: never marked (export/unmarked)
                    continue
                if output.kind == "file" and output.file is not None and not output.file.closed:
                    position = output.file.tell()
                    if position > output.position:
                        output.position, output.dirty = position, True
                        mark.outputs.append(output)
                        continue
                elif output.kind != "file" and output.filter.accepts(item):
                    output.dirty = output.kind == "stdout"  # flushed at the next commit
                    mark.outputs.append(output)  # else in its temp file: durable when stored
                    continue
                missing = missing or output.filter.accepts(item)
            if any(o.failed for o in mark.outputs):
                inc(self.crawler, "export/unmarked")
                return
            if missing or not mark.outputs:
                # a feed meant to get it did not (its failure is logged), or none wanted it
                if missing:
                    inc(self.crawler, "export/unwritten")
                return
            self.journal().intent(mark)
        self.pending.append(mark)
        if self.interval <= 0 or len(self.pending) >= MAX_BATCH:
            self.commit()

    def commit(self) -> None:
        """Group commit: fsync the outputs with new lines, then one store transaction."""
        if self._store is None:
            return
        ready: list[Mark] = []
        waiting: list[Mark] = []
        for mark in self.pending:
            if any(o.failed for o in mark.outputs):
                inc(self.crawler, "export/unmarked")
            elif all(o.closed or o.kind != "deferred" for o in mark.outputs):
                ready.append(mark)
            else:
                waiting.append(mark)
        for output in {o for m in ready for o in m.outputs if o.dirty and not o.closed}:
            try:
                assert output.file is not None
                output.file.flush()
                if output.kind == "file":
                    os.fsync(output.file.fileno())
                output.dirty = False
            except (OSError, ValueError) as exc:
                self.failed(output, exc)
        durable = [m for m in ready if not any(o.failed for o in m.outputs)]
        self.pending = waiting
        exports = [m.export for m in durable]
        if not exports and not self.direct:
            return
        direct, self.direct = self.direct, []
        self.store.commit([*direct, *exports], self.owner)
        ids = [m.id for m in durable]
        self.claimed.difference_update(ids)
        if ids:
            if self._journal is not None:
                self._journal.done(ids)
            self.inc("marked", len(ids))


class SeenAddon:
    """Wraps every ``FEED_STORAGES`` scheme in ``DurableFeedStorage`` (store on).

    Runs after ``NewscrawlAddon`` (which may set ``NEWSCRAWL_STATE`` in distributed mode);
    keeps the wrapped classes for ``DurableFeedStorage.from_crawler``."""

    def __init__(self) -> None:
        self.storages: dict[str, Any] = {}

    def update_settings(self, settings: BaseSettings) -> None:
        if not state_enabled(settings):
            return
        configured = settings.getwithbase("FEED_STORAGES")
        self.storages = {
            str(k): configured[k] for k in configured if configured[k] not in (None, DURABLE_STORAGE)
        }
        priority = max(settings.getpriority("FEED_STORAGES") or 0, SETTINGS_PRIORITIES["addon"])
        settings.set("FEED_STORAGES", dict.fromkeys(self.storages, DURABLE_STORAGE), priority=priority)


class DurableFeedStorage:
    """A feed storage that wraps the configured one (``FEED_STORAGES``) and reports to the
    seen-state: the output opened (journal), stored (marks may go), or failed."""

    def __init__(self, state: SeenState, inner: Any, uri: str, feed_options: dict[str, Any]) -> None:
        self.state, self.inner, self.uri = state, inner, uri
        plain = not feed_options.get("postprocessing")
        if isinstance(inner, FileFeedStorage) and plain:
            self.kind = "file"  # durable line by line once fsync-ed
        elif isinstance(inner, StdoutFeedStorage):
            self.kind = "stdout"  # delivered once flushed
        else:
            self.kind = "deferred"  # durable when stored (uploaded, compressed file closed)
        self.filter: ItemFilter = load_object(feed_options.get("item_filter", ItemFilter))(feed_options)
        self.output = Output(self)
        state.feeds = True

    @property
    def failed(self) -> bool:
        """This output could not be opened, written, synced or stored: nothing in it is marked
        (``newscrawl.operations.extensions.AfterFeeds`` reads it once the feeds are stored)."""
        return self.output.failed

    @classmethod
    def from_crawler(cls, crawler: Crawler, uri: str, *, feed_options: dict[str, Any] | None = None) -> Self:
        addon = crawler.get_addon(SeenAddon)
        storages = addon.storages if addon is not None else {}
        if not storages:
            raise NotConfigured("DurableFeedStorage needs SeenAddon in ADDONS")
        inner_cls = load_object(storages.get(urlparse(uri).scheme) or storages["file"])
        inner = build_from_crawler(inner_cls, crawler, uri, feed_options=feed_options)
        return cls(SeenState.of(crawler), inner, uri, feed_options or {})

    def open(self, spider: Any) -> IO[bytes]:
        try:
            file: IO[bytes] = self.inner.open(spider)
            self.state.opened(self.output, file)
        except Exception as exc:
            self.state.failed(self.output, exc)
            raise
        return file

    def store(self, file: IO[bytes]) -> Deferred[None]:
        return deferred_from_coro(self._store(file))

    async def _store(self, file: IO[bytes]) -> None:
        output = self.output
        try:
            if output.kind != "deferred":
                file.flush()
            if output.kind == "file" and output.dirty:
                os.fsync(file.fileno())
            await ensure_awaitable(self.inner.store(file))
            if output.kind == "deferred" and isinstance(self.inner, FileFeedStorage):
                _fsync_path(Path(self.inner.path))  # postprocessing into a local file
        except Exception as exc:
            self.state.failed(output, exc)
            self.state.commit()  # its marks counted unmarked now, before the run is judged
            raise
        self.state.stored(output)


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
        return Fetched(
            tuple(dict.fromkeys(urls)),
            newest(info.get("lastmod"), info.get("published")),
            bool(info.get("explicit")),
        )

    def _remember_non_article(self, response: Response | None) -> None:
        """A page the spider skipped as not an article (video, gallery, ...) is not
        fetched again either, unless its feed date changes (nothing is exported for it)."""
        info = response.meta.get("newscrawl") if response is not None else None
        if response is None or not isinstance(info, dict) or not info.get("skipped"):
            return
        fetched = self._fetched(response)
        record = SeenRecord(f"page:{canonical_url(response.url)}", f"skipped:{info['skipped']}",
                            fetched.feed_date, _now())  # fmt: skip
        self.state.direct.append(Export(record, fetched.urls))
        self.state.inc("non_article")


class SeenPipeline(_SeenComponent):
    """Export dedupe by record fingerprint, update semantics, claims across workers."""

    def process_item(self, item: Any) -> Any:
        adapter = ItemAdapter(item)
        state, store, article_id = self.state, self.state.store, str(adapter.get("id"))
        fetched = state.fetched.pop(str(adapter.get("url")), None) or Fetched((), None)
        urls = tuple(
            u for u in dict.fromkeys((*fetched.urls, adapter.get("url"), adapter.get("canonical_url"))) if u
        )
        fp = record_fingerprint(adapter.asdict())
        record = store.get(article_id) or next(filter(None, (store.get(u) for u in urls)), None)
        seen_date = newest(fetched.feed_date, adapter.get("modified_at"), adapter.get("published_at"))
        unchanged = record is not None and same_content(record.fingerprint, adapter.asdict(), fp)
        if record is not None and unchanged and not fetched.explicit:
            if (
                newer(seen_date, record.lastmod)
                or not record.fingerprint.startswith(FINGERPRINT_VERSION)
                or any(store.get(u) is None for u in urls)
            ):
                known = replace(record, fingerprint=fp, lastmod=newest(record.lastmod, seen_date))
                state.direct.append(Export(known, urls))
            state.inc("unchanged")
            raise DropItem(f"Unchanged since {record.exported_at}: {article_id}", log_level="INFO")
        verdict = store.claim(article_id, fp, state.owner, force=fetched.explicit)
        if verdict == "claimed":
            state.inc("claimed_elsewhere")
            raise DropItem(f"Being exported by another crawl: {article_id}", log_level="INFO")
        if verdict == "exported":  # another crawl exported this very version meanwhile
            state.inc("unchanged")
            raise DropItem(f"Exported meanwhile by another crawl: {article_id}", log_level="INFO")
        state.claimed.add(article_id)
        state.journal().claim(article_id)  # a replay releases it if this crawl dies
        if record is None:
            state.inc("new")
        elif unchanged:
            state.inc("reexported")  # explicit: the same record again, as asked
        else:
            self._as_update(adapter, record, fetched)
            state.inc("updated")
        simhash = (
            None if adapter.get("via") else linking.fingerprint(adapter.get("title"), adapter.get("body"))
        )
        lastmod = newest(seen_date, adapter.get("modified_at"), record.lastmod if record else None)
        state.marks[article_id] = Mark(Export(SeenRecord(article_id, fp, lastmod, _now()), urls, simhash))
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
