"""State and export: what has been seen, what has been written, and raw pages kept.

``seen`` (SeenStore: SQLite, or Redis for ``redis://``; ``NEWSCRAWL_STATE``), ``incremental``
(exactly-once JSON-lines export: an article is marked seen once its line is durable),
``distributed`` (scrapy-redis shared queue, ``REDIS_URL``), ``archive`` (WARC files,
``NEWSCRAWL_ARCHIVE``), ``database`` (upsert by id, ``NEWSCRAWL_DB_URL``).
"""
