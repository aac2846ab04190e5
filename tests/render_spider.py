"""A tiny spider for tests/test_rendering.py, run with ``scrapy runspider``.

``-a urls=a,b`` are fetched plainly, or through the browser with ``-a render=1``
(waiting for ``-a wait_for=<css>`` when given). Each response becomes an item
with its visible text, so tests can assert on what the browser built.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any, ClassVar

from scrapy import Request, Spider
from scrapy.http import Response

from newscrawl.downloader.rendering import is_rendered, render_request


class RenderProbe(Spider):
    name = "render_probe"
    render_wait_for = "#app h1"  # what ChallengeMiddleware waits for on re-rendered pages
    # probe items are not Articles: no validation pipelines, no monitors
    custom_settings: ClassVar[dict[str, Any]] = {"ITEM_PIPELINES": {}, "SPIDERMON_ENABLED": False}

    def __init__(
        self, urls: str = "", render: str = "", wait_for: str = "", timeout_ms: str = "", **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self.urls = [u for u in urls.split(",") if u]
        self.render = render == "1"
        self.wait_for = wait_for or None
        self.timeout_ms = int(timeout_ms or 15_000)

    async def start(self) -> AsyncIterator[Request]:
        for url in self.urls:
            if self.render:
                yield render_request(
                    url, callback=self.parse, wait_for=self.wait_for, timeout_ms=self.timeout_ms
                )
            else:
                yield Request(url, callback=self.parse)

    def parse(self, response: Response) -> Iterator[dict[str, Any]]:
        yield {
            "url": response.url,
            "status": response.status,
            "rendered": is_rendered(response),
            "date": (response.headers.get("Date") or b"").decode(),
            "title": response.css("#app h1::text").get(),
            "text": " ".join(t.strip() for t in response.css("#app ::text").getall() if t.strip()),
        }


def abort_images(request: Any) -> bool:
    """A ``PLAYWRIGHT_ABORT_REQUEST`` predicate for the tests: no images."""
    return bool(request.resource_type == "image")
