"""`make bench`: parse cost, crawl throughput, memory, incremental cost and rendering.

    python scripts/bench.py [--corpus ../shared/corpus/wild] [--articles 2400] [--out data/bench]
                            [--repeat 15] [--render-pages 24] [--skip-render] [--strict]

Everything runs on this machine in one go, each measurement next to its baseline:

1. Parse cost: ``parser_for(url).parse(response)`` vs ``trafilatura.bare_extraction``
   (``with_metadata=True``) on the same HTML: the golden fixtures' article pages and the
   wild corpus (optional). Median ms per page, by source and by the layer the body came from.
   Then one page of 100,000 paragraphs near ``DOWNLOAD_MAXSIZE`` (every step must be linear).
2. Crawl throughput: ``scrapy bench`` (run in an empty directory, so with Scrapy's own
   defaults), then ``scrapy crawl arab_news`` on a generated replay snapshot of
   ``--articles`` articles (RSS, sitemap index + news sitemap + urlsets, paged section
   listings, article pages varied from the Arab News fixtures), through the whole
   pipeline: validation, dedupe, linking, seen-store, durable export, monitors.
3. Memory: peak RSS of that crawl and RSS after 1,000 and 2,000 exported items, sampled
   inside the crawl by ``RssProbe`` (an extension the bench adds to ``EXTENSIONS``).
4. Incremental cost: the same crawl again, seen-store kept: requests and wall time.
5. Rendering: Daily8's client-rendered fixture page at ``--render-pages`` URLs through
   Chromium (pages/min, browser start included), and the share of Daily8 article pages
   that needed the browser in the demo crawl of the bundled snapshot.
6. Linking: the Daily8 original lookup in the seen-store at 1k/100k/1M originals.

Writes ``<out>/latest.json`` and ``<out>/<UTC timestamp>.json``; prints a table.
docs/bench.md explains the figures and the targets. Exit status 0 unless a measurement
failed (or, with ``--strict``, a target was missed).

One module per measurement; ``scripts/bench.py`` is the entry (``make bench``):

- ``main``: the command line and the run, in the order above (``run`` returns the JSON)
- ``parse``: 1, parse cost against trafilatura (fixtures, wild corpus)
- ``largest_page``: 1, the 100,000-paragraph page
- ``snapshot``: the generated Arab News replay snapshot that 2-4 crawl
- ``crawl``: 2-4, ``scrapy bench``, the crawl in a fresh process, ``RssProbe``, the rerun
- ``profiling``: ``--profile``, cProfile of the parsers and of the crawl
- ``render``: 5, Chromium rendering and the Daily8 demo crawl
- ``linking``: 6, original lookup in the seen-store
- ``report``: the targets, the printed table and the JSON files
- ``common``: paths, the frozen clock, replay manifest lines, progress lines
"""
