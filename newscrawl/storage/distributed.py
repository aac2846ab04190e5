"""Distributed crawls: N workers of one spider share one crawl through Redis.

``-s REDIS_URL=redis://host:6379/0`` makes ``apply()`` (called by ``NewscrawlAddon``)
switch the request scheduler and duplicate filter to scrapy-redis (subclasses
below) and the seen-store (``NEWSCRAWL_STATE``, unless set) to the same Redis.
Every worker (a Scrapyd job or a plain ``scrapy crawl``) pops requests from the
shared queue ``newscrawl:<spider>:requests``; the shared dupefilter
``newscrawl:<spider>:dupefilter`` lets each URL through once, so each article is
fetched and exported by exactly one worker. See docs/distributed.md.

Rounds and seeding. A round lasts while at least one live worker of the spider is
registered in ``newscrawl:<spider>:workers``. The worker that finds that registry
empty opens a round: it clears the queue and dupefilter a previous round left
(a crash) before anything is enqueued. Every worker runs the spider's ``start()``;
start requests always go through the shared dupefilter (``dont_filter`` ones
too, e.g. ``-a urls``), so whoever comes first seeds the feeds and the others
add nothing. The last worker out deletes the round's queue and dupefilter
(``SCHEDULER_PERSIST=True`` keeps them), so the next scheduled round starts
fresh; the seen-store then skips what earlier rounds exported.

What scrapy-redis 0.9.1 lacks on Scrapy 2.19, and the shims here:

- An idle worker exits at once when the shared queue is empty, even while another
  worker is still downloading a feed that will fill it. ``RedisScheduler`` keeps
  it open (``DontCloseSpider``) while any live worker is busy, and closes it only
  after the queue has been empty and every worker idle for
  ``SCHEDULER_IDLE_BEFORE_CLOSE`` seconds. A worker is marked busy (in Redis,
  before it takes a request off the queue) and idle (on ``spider_idle``);
  heartbeats every ``NEWSCRAWL_REDIS_POLL`` seconds keep its entries fresh, and
  entries older than ``NEWSCRAWL_REDIS_STALE`` seconds (a killed worker) are ignored.
- scrapy-redis implements ``SCHEDULER_IDLE_BEFORE_CLOSE`` as a blocking ``BRPOP`` in
  ``next_request`` (it stalls Twisted's reactor, and its default priority queue
  ignores it); here ``next_request`` never blocks.
- Closing with ``SCHEDULER_PERSIST=False`` (the default) flushes the shared queue
  and dupefilter under the feet of the other workers; here only the last worker
  out clears them.
- After ``DontCloseSpider`` the engine looks at the scheduler again only on its
  5-second heartbeat; a waiting worker nudges it every ``NEWSCRAWL_REDIS_POLL``
  seconds so it picks up new work promptly (``engine._slot.nextcall``, the one
  private attribute used; without it the heartbeat still works, only slower).
- Its ``enqueue_request``/``next_request`` pass ``spider=`` to ``StatsCollector.inc_value``
  (deprecated in Scrapy 2.19); both are re-implemented here (a few lines each).
- ``RedisDupeFilter`` fingerprints with the crawler's ``request_fingerprinter``
  (``REQUEST_FINGERPRINTER_CLASS``, as Scrapy's own dupefilter) instead of its own
  hash, and counts ``dupefilter/filtered`` like Scrapy does.

``scrapy_redis.spiders.RedisSpider`` is not used: its ``start_requests()`` is never
called on Scrapy 2.13+ (replaced by ``async start()``); our spiders discover their
own start URLs.
"""

from __future__ import annotations

import logging
import os
import socket
import time
import uuid
from typing import Any, Self
from urllib.parse import urlsplit

from redis.exceptions import RedisError
from scrapy import Request, Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DontCloseSpider
from scrapy.settings import BaseSettings
from scrapy_redis.dupefilter import RFPDupeFilter
from scrapy_redis.scheduler import Scheduler
from twisted.internet import task

logger = logging.getLogger(__name__)

QUEUE_KEY = "newscrawl:%(spider)s:requests"
DUPEFILTER_KEY = "newscrawl:%(spider)s:dupefilter"
WORKERS_KEY = "newscrawl:{spider}:workers"
BUSY_KEY = "newscrawl:{spider}:busy"
DEFAULTS: dict[str, Any] = {
    "SCHEDULER": "newscrawl.storage.distributed.RedisScheduler",
    "DUPEFILTER_CLASS": "newscrawl.storage.distributed.RedisDupeFilter",
    "SCHEDULER_QUEUE_KEY": QUEUE_KEY,
    "SCHEDULER_DUPEFILTER_KEY": DUPEFILTER_KEY,
    "SCHEDULER_IDLE_BEFORE_CLOSE": 3,
    "NEWSCRAWL_REDIS_POLL": 0.5,
    "NEWSCRAWL_REDIS_STALE": 60,
}

# Redis server time in ms (one clock for all machines).
_NOW = "local t = redis.call('TIME'); local now = t[1] * 1000 + math.floor(t[2] / 1000)\n"

# KEYS: workers, busy, queue, dupefilter. ARGV: worker, stale ms.
# Registers the worker (busy); opens a round when no live worker was registered.
JOIN = (
    _NOW
    + """
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now - ARGV[2])
local opened = 0
if redis.call('ZCARD', KEYS[1]) == 0 then
  redis.call('DEL', KEYS[2], KEYS[3], KEYS[4])
  opened = 1
end
redis.call('ZADD', KEYS[1], now, ARGV[1])
redis.call('ZADD', KEYS[2], now, ARGV[1])
return {opened, redis.call('ZCARD', KEYS[1])}
"""
)
# KEYS: workers, busy. ARGV: worker, "busy"|"idle", stale ms.
# Heartbeat + state; returns the number of live busy workers (this one included).
STATE = (
    _NOW
    + """
redis.call('ZADD', KEYS[1], now, ARGV[1])
if ARGV[2] == 'busy' then
  redis.call('ZADD', KEYS[2], now, ARGV[1])
else
  redis.call('ZREM', KEYS[2], ARGV[1])
end
return redis.call('ZCOUNT', KEYS[2], now - ARGV[3], '+inf')
"""
)
# KEYS: workers, busy, queue, dupefilter. ARGV: worker, stale ms, persist (0/1).
# Unregisters; the last live worker out clears the round. Returns 1 if it was the last.
LEAVE = (
    _NOW
    + """
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - ARGV[2])
if redis.call('ZCARD', KEYS[1]) > 0 then return 0 end
redis.call('DEL', KEYS[1], KEYS[2])
if ARGV[3] == '0' then redis.call('DEL', KEYS[3], KEYS[4]) end
return 1
"""
)


def apply(settings: BaseSettings) -> None:
    """Distributed mode when ``REDIS_URL`` is set; a user's own values win."""
    url = settings.get("REDIS_URL")
    if not url:
        return
    for name, value in DEFAULTS.items():
        settings.set(name, value, priority="addon")
    if not settings.get("NEWSCRAWL_STATE"):
        # above settings.py (where it is None), below -s on the command line
        settings.set("NEWSCRAWL_STATE", url, priority="spider")


class RedisDupeFilter(RFPDupeFilter):  # type: ignore[misc]
    """scrapy-redis's shared dupefilter, fingerprinting like Scrapy's own."""

    fingerprinter: Any = None
    stats: Any = None

    @classmethod
    def from_spider(cls, spider: Spider) -> Self:
        dupefilter: Self = super().from_spider(spider)
        dupefilter.fingerprinter = spider.crawler.request_fingerprinter
        dupefilter.stats = spider.crawler.stats
        return dupefilter

    def request_fingerprint(self, request: Request) -> str:
        if self.fingerprinter is None:
            return str(super().request_fingerprint(request))
        return str(self.fingerprinter.fingerprint(request).hex())

    def log(self, request: Request, spider: Spider) -> None:
        super().log(request, spider)
        if self.stats:
            self.stats.inc_value("dupefilter/filtered")


class RedisScheduler(Scheduler):  # type: ignore[misc]
    """scrapy-redis's scheduler with rounds, busy/idle accounting and a non-blocking pop."""

    crawler: Crawler
    busy = True
    idle_since: float | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        try:
            scheduler: Self = super().from_crawler(crawler)  # connects and PINGs
        except RedisError as exc:
            where = urlsplit(crawler.settings.get("REDIS_URL") or "")
            host = f"{where.scheme}://{where.hostname}:{where.port or 6379}{where.path}"  # no password
            logger.error("Distributed crawl: Redis %s unreachable, the crawl cannot start: %s", host, exc)
            raise
        scheduler.crawler = crawler
        scheduler.poll = crawler.settings.getfloat("NEWSCRAWL_REDIS_POLL", 0.5)
        scheduler.stale_ms = int(crawler.settings.getfloat("NEWSCRAWL_REDIS_STALE", 60) * 1000)
        scheduler.worker = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        scheduler.scripts = {
            name: scheduler.server.register_script(source)
            for name, source in (("join", JOIN), ("state", STATE), ("leave", LEAVE))
        }
        scheduler.ticker = task.LoopingCall(scheduler._tick)
        return scheduler

    # --- lifecycle --------------------------------------------------------
    def open(self, spider: Spider) -> None:
        name = spider.name
        self.keys = [WORKERS_KEY.format(spider=name), BUSY_KEY.format(spider=name)]
        round_keys = [self.queue_key % {"spider": name}, self.dupefilter_key % {"spider": name}]
        opened, workers = self.scripts["join"](keys=self.keys + round_keys, args=[self.worker, self.stale_ms])
        super().open(spider)
        how = "opened a new round" if opened else f"joined a round ({workers} workers, {len(self)} queued)"
        logger.info("Distributed crawl of %s: worker %s %s", name, self.worker, how)
        if self.stats:
            self.stats.set_value("newscrawl/distributed/worker", self.worker)
            self.stats.set_value("newscrawl/distributed/opened_round", bool(opened))
        self.crawler.signals.connect(self.on_idle, signal=signals.spider_idle)
        self.ticker.start(self.poll, now=False)

    def close(self, reason: str) -> None:
        if self.ticker.running:
            self.ticker.stop()
        round_keys = [self.queue.key, self.df.key]
        persist = "1" if self.persist else "0"
        last = self.scripts["leave"](keys=self.keys + round_keys, args=[self.worker, self.stale_ms, persist])
        if last:
            logger.info("Distributed crawl of %s: last worker out, round closed", self.spider.name)

    # --- requests ---------------------------------------------------------
    def enqueue_request(self, request: Request) -> bool:
        # start requests are offered by every worker: the shared dupefilter picks one
        start = bool(request.meta.get("is_start_request"))
        if (start or not request.dont_filter) and self.df.request_seen(request):
            self.df.log(request, self.spider)
            return False
        if self.stats:
            self.stats.inc_value("scheduler/enqueued/redis")
        self.queue.push(request)
        return True

    def next_request(self) -> Request | None:
        if not self.busy:
            if not len(self.queue):
                return None
            self._set_state(busy=True)  # before the request leaves the shared queue
        request: Request | None = self.queue.pop(0)  # 0: never block the reactor
        if request is not None and self.stats:
            self.stats.inc_value("scheduler/dequeued/redis")
        return request

    # --- idle -------------------------------------------------------------
    def on_idle(self) -> None:
        """``spider_idle``: stay open while the crawl may still produce work."""
        busy_workers = self._set_state(busy=False)
        now = time.monotonic()
        if busy_workers or len(self.queue):
            self.idle_since = None
            raise DontCloseSpider
        if self.idle_since is None:
            self.idle_since = now
        if now - self.idle_since < self.idle_before_close:
            raise DontCloseSpider
        logger.info(
            "Distributed crawl of %s: queue empty and no worker busy for %ss, closing",
            self.spider.name,
            self.idle_before_close,
        )

    def _set_state(self, *, busy: bool) -> int:
        self.busy = busy
        state = "busy" if busy else "idle"
        return int(self.scripts["state"](keys=self.keys, args=[self.worker, state, self.stale_ms]))

    def _tick(self) -> None:
        """Heartbeat; while waiting idle, nudge the engine to look at the queue again."""
        try:
            self._set_state(busy=self.busy)
        except Exception as exc:  # noqa: BLE001 - a missed heartbeat is retried next tick
            logger.warning("Distributed crawl: heartbeat failed: %r", exc)
            return
        if not self.busy:
            slot = getattr(self.crawler.engine, "_slot", None)
            nextcall = getattr(slot, "nextcall", None)
            if nextcall is not None:
                nextcall.schedule()
