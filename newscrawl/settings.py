"""Scrapy settings for newscrawl: the one settings module.

Production defaults are polite (robots.txt, delays, AutoThrottle). Project
settings read from the environment so Scrapyd jobs and cron lines can set them
without ``-s``; ``-s NAME=value`` still wins. ``newscrawl.addons.NewscrawlAddon``
derives the settings that depend on others (replay handler, FEEDS path, ...)
after ``-s`` values are applied. Every ``NEWSCRAWL_*`` setting is documented in
the README's settings table.
"""

import os

BOT_NAME = "newscrawl"
SPIDER_MODULES = ["newscrawl.spiders"]
NEWSPIDER_MODULE = "newscrawl.spiders"

# --- project settings (documented in README) -------------------------------
# Replay snapshot directory (manifest.jsonl); unset = live network.
NEWSCRAWL_REPLAY = os.environ.get("NEWSCRAWL_REPLAY") or None
# Output root: FEEDS go to <dir>/<spider>/<timestamp>.jsonl, rejects to <dir>/rejected/.
NEWSCRAWL_DATA_DIR = os.environ.get("NEWSCRAWL_DATA_DIR", "data")
# Seen-store: SQLite path (default <data dir>/state/seen.sqlite3) or redis:// URL; "off"
# disables incremental crawling (docs/incremental.md).
NEWSCRAWL_STATE = os.environ.get("NEWSCRAWL_STATE") or None
# Group commit: exported articles are marked seen in batches, every this many seconds
# (one fsync per output file and one store transaction per batch); 0 = after every article.
NEWSCRAWL_COMMIT_INTERVAL = 1.0
# Write FEEDS automatically (off when the user passes -o/-O or sets FEEDS).
NEWSCRAWL_FEEDS = True
# Raw-page archive: every fetched article response in <dir>/<spider>-<time>-<host>-<pid>.warc.gz;
# `newscrawl reparse <dir>` re-parses it offline (newscrawl/storage/archive.py). Unset: off.
NEWSCRAWL_ARCHIVE = os.environ.get("NEWSCRAWL_ARCHIVE") or None
# Path of the Chromium binary used for rendering (Debian's by default).
NEWSCRAWL_CHROMIUM = os.environ.get("NEWSCRAWL_CHROMIUM", "/usr/bin/chromium")

# --- politeness (live mode; replay turns delays off) ------------------------
USER_AGENT = "newscrawl/0.1 (+https://github.com/newscrawl/newscrawl)"
ROBOTSTXT_OBEY = True
DOWNLOAD_DELAY = 1.0
CONCURRENT_REQUESTS = 16
CONCURRENT_REQUESTS_PER_DOMAIN = 2
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_MAX_DELAY = 30.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 2.0
DOWNLOAD_TIMEOUT = 30
DOWNLOAD_MAXSIZE = 10 * 1024 * 1024
DOWNLOAD_WARNSIZE = 2 * 1024 * 1024
RETRY_TIMES = 3
RETRY_HTTP_CODES = [500, 502, 503, 504, 522, 524, 408, 429]
COOKIES_ENABLED = False
TELNETCONSOLE_ENABLED = False
# One remote-control server per crawl would collide on Scrapyd nodes running
# many jobs; nothing in newscrawl uses it.
REMOTE_CONTROL_ENABLED = False

# --- faults (newscrawl/downloader/faults.py, docs/monitoring.md) -------------------------
# Longest Retry-After (seconds) waited before a retry; a longer one is not retried this run.
NEWSCRAWL_RETRY_AFTER_MAX = 120
# Longest robots.txt Crawl-delay (seconds) honoured; a longer one is capped to this (logged).
NEWSCRAWL_CRAWL_DELAY_MAX = 60
DOWNLOADER_MIDDLEWARES = {
    "newscrawl.downloader.faults.RetryAfterMiddleware": 560,  # before RetryMiddleware (550) sees the answer
    "newscrawl.downloader.faults.BodySanityMiddleware": 570,  # binary/mis-declared/truncated HTML
}

# --- output -----------------------------------------------------------------
FEED_EXPORT_ENCODING = "utf-8"
ITEM_PIPELINES = {
    "newscrawl.pipelines.ValidationPipeline": 100,
    "newscrawl.pipelines.DedupePipeline": 200,
    "newscrawl.pipelines.linking.LinkingPipeline": 300,
    "newscrawl.storage.incremental.SeenPipeline": 350,  # export dedupe, updates (docs/incremental.md)
    "newscrawl.storage.database.DatabasePipeline": 800,  # NEWSCRAWL_DB_URL set: upsert into a database
    "newscrawl.pipelines.LayerStatsPipeline": 900,
}
ADDONS = {
    "newscrawl.addons.NewscrawlAddon": 0,
    "newscrawl.operations.monitors.MonitorSettingsAddon": 10,
    # FEED_STORAGES wrapped: an article is marked seen once its line is durable (docs/incremental.md)
    "newscrawl.storage.incremental.SeenAddon": 20,
}
EXTENSIONS = {
    "newscrawl.operations.startup.StartupCheck": -1000,  # first: unwritable output, broken store -> exit 1
    "newscrawl.operations.extensions.StatsFile": 500,
    "newscrawl.storage.archive.WarcArchive": 450,  # NEWSCRAWL_ARCHIVE: article responses in WARC files
    "newscrawl.downloader.faults.RedirectAccounting": 100,
    "newscrawl.downloader.faults.CrawlDelay": 110,  # robots.txt Crawl-delay (live crawls)
    "newscrawl.operations.monitors.Spidermon": 400,  # before StatsFile, so the stats file has monitor results
}
# Known article requests are dropped before they reach the scheduler.
SPIDER_MIDDLEWARES = {"newscrawl.storage.incremental.SeenSpiderMiddleware": 550}
# Write final crawl stats as JSON to this path (off when unset).
NEWSCRAWL_STATS_FILE = os.environ.get("NEWSCRAWL_STATS_FILE") or None
# Articles also upserted by id into postgresql://... or sqlite:///path (newscrawl/storage/database.py).
NEWSCRAWL_DB_URL = os.environ.get("NEWSCRAWL_DB_URL") or None
# Rows per database transaction.
NEWSCRAWL_DB_BATCH = 100

# --- monitoring (newscrawl/operations/monitors.py; thresholds in docs/monitoring.md) -----
SPIDERMON_ENABLED = True
SPIDERMON_SPIDER_CLOSE_MONITORS = ["newscrawl.operations.monitors.SpiderCloseMonitorSuite"]
SPIDERMON_ADD_FIELD_COVERAGE = True
SPIDERMON_FIELD_COVERAGE_SKIP_NONE = True  # null is "missing" for coverage
SPIDERMON_FIELD_COVERAGE_SKIP_IF_NO_ITEM = True  # nothing exported: the item count fails instead
# FINISH_REASONS, MIN_ITEMS, COVERAGE and MAX_ERRORS below configure spidermon's built-in monitors:
# newscrawl.operations.monitors.MonitorSettingsAddon maps them onto SPIDERMON_EXPECTED_FINISH_REASONS,
# SPIDERMON_MIN_ITEMS, SPIDERMON_FIELD_COVERAGE_RULES ("dict/<field>") and SPIDERMON_MAX_ERRORS.
NEWSCRAWL_MONITOR_FINISH_REASONS = ["finished", "closespider_itemcount", "closespider_pagecount"]
NEWSCRAWL_MONITOR_MIN_ITEMS = 1
# Share of items with a non-empty value, per field.
NEWSCRAWL_MONITOR_COVERAGE = {
    "title": 1.0,
    "body": 1.0,
    "published_at": 1.0,
    "authors": 0.5,
    "image_url": 0.8,
}
NEWSCRAWL_MONITOR_MAX_INVALID = 0
# Drift alarm: share of items whose body came from the generic (trafilatura) layer.
NEWSCRAWL_MONITOR_MAX_GENERIC_SHARE = 0.2
NEWSCRAWL_MONITOR_MAX_ERRORS = 5
NEWSCRAWL_MONITOR_MAX_EXCEPTIONS = 0
# `scrapy crawl` exit status when a monitor failed (newscrawl/commands/crawl.py); 0: exit 0 as Scrapy does.
NEWSCRAWL_MONITOR_EXIT_CODE = int(os.environ.get("NEWSCRAWL_MONITOR_EXIT_CODE") or 3)
COMMANDS_MODULE = "newscrawl.commands"  # its `crawl` replaces Scrapy's (same options)

# --- rendering (scrapy-playwright, per request via meta["playwright"]) ------
PLAYWRIGHT_BROWSER_TYPE = "chromium"
PLAYWRIGHT_LAUNCH_OPTIONS = {
    "executable_path": NEWSCRAWL_CHROMIUM,
    "headless": True,
    "args": [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
    ],
}
PLAYWRIGHT_DEFAULT_NAVIGATION_TIMEOUT = 30_000
# Tabs per browser context (upstream default is CONCURRENT_REQUESTS).
PLAYWRIGHT_MAX_PAGES_PER_CONTEXT = 4
# scrapy-playwright's provider, starting the Playwright driver on the first rendering request.
PLAYWRIGHT_BROWSER_PROVIDER = "newscrawl.downloader.rendering.LazyBrowserProvider"
# newscrawl/downloader/rendering.py, docs/rendering.md. Render requests that ask for it (meta["playwright"]);
# Chromium starts only on the first such request. Off: those requests are dropped and counted.
# Opt-in (a browser is heavy, and a bot challenge may be the site saying no); the daily8
# spider opts in through custom_settings because Daily8 is a JavaScript application.
NEWSCRAWL_RENDER = os.environ.get("NEWSCRAWL_RENDER", "0").lower() in ("1", "true", "yes", "on")
# Bot challenge = one of these statuses AND one of these body markers (case-insensitive; [] = off).
# The one definition: newscrawl.downloader.rendering reads them from the settings.
NEWSCRAWL_CHALLENGE_STATUSES = [403, 429, 503]
NEWSCRAWL_CHALLENGE_MARKERS = [
    "Just a moment...",
    "cf-chl",
    "challenge-platform",
    "cf_chl_opt",
    "Checking your browser",
    "Attention Required! | Cloudflare",
    "captcha",
    "_Incapsula_Resource",
    "Pardon Our Interruption",
]

LOG_LEVEL = "INFO"
