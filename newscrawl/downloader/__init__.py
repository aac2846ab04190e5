"""Downloader side: where a request's bytes come from and whether they are sound.

``replay`` (download handler serving ``NEWSCRAWL_REPLAY`` snapshots, no network), ``faults``
(Retry-After, robots.txt Crawl-delay, body sanity: binary, mis-declared, truncated), ``rendering``
(which requests go to Chromium, challenge pages) and ``browser`` (Chromium through stock
scrapy-playwright, imported only when a crawl renders).
"""
