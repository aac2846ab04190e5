"""Operations: how a run is checked, reported and scheduled.

``startup`` (fail at start on unwritable output or a broken store), ``monitors`` (spidermon
suites and the ``NEWSCRAWL_MONITOR_*`` mapping), ``extensions`` (stats file), ``report`` and
``history`` (run report, HTML history page), ``schedule`` (``newscrawl-schedule`` for Scrapyd),
``canary`` (layout-drift check against live pages), ``redact`` (credentials out of logs).
"""
