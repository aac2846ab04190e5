"""Scrapy commands of the project (``COMMANDS_MODULE``): ``crawl`` with a monitor verdict exit code."""
