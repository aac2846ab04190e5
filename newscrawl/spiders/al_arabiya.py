"""Al Arabiya: Media-RSS feeds and listings of both editions; bot challenges go to Chromium.

Articles: EN ``/News/<section>/YYYY/MM/DD/<slug>``; AR ``/<section>[/<sub>]/YYYY/MM/DD/
<percent-encoded Arabic slug>`` (docs/sources.md §2). Links are canonicalised before requesting
(feeds mix lower-case, upper-case and raw Arabic), so each article is fetched once. The
AR archive pages by ``?pageNo=N`` (``-a max_pages``). A 403/503 challenge page is
re-fetched through the browser by ``newscrawl.downloader.rendering.ChallengeMiddleware`` when
``NEWSCRAWL_RENDER`` is on; the rendered page must show ``render_wait_for``.
"""

import re

from newscrawl.sources import SOURCES_INFO
from newscrawl.spiders.base import Edition, NewsSpider

EN = "https://english.alarabiya.net"
AR = "https://www.alarabiya.net"


class AlArabiyaSpider(NewsSpider):
    name = "al_arabiya"
    allowed_domains = SOURCES_INFO["al_arabiya"].hosts
    editions = {
        "en": Edition(feeds=(f"{EN}/.mrss/en.xml",), listings=(f"{EN}/News/middle-east",)),
        "ar": Edition(feeds=(f"{AR}/.mrss/ar.xml",), listings=(f"{AR}/latest-news/archive?pageNo=1",)),
    }
    article_url = re.compile(
        r"^https://(?:english\.alarabiya\.net/News/[a-z-]+"
        r"|www\.alarabiya\.net/(?!videos?/|amp/)[a-z-]+(?:/[a-z-]+)?)"
        r"/\d{4}/\d{2}/\d{2}/[^/?#]+$"
    )
    listing_links = ".latest_element a.latest_link, .list-item a.latest_link, .sectionHero_element a"
    next_page = "a[rel=next], a.pagination_next"
    render_wait_for = "#body-text p"
    # Bylines appear on opinion and wire pages only (docs/sources.md §2): no authors bar.
    custom_settings = {
        "NEWSCRAWL_MONITOR_COVERAGE": {"title": 1.0, "body": 1.0, "published_at": 1.0, "image_url": 0.8}
    }
