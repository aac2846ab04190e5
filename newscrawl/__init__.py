"""newscrawl: crawl Middle East news sources into validated JSON-lines articles."""

__version__ = "0.1.0"
