# Committed shim: without it scrapyd-deploy writes its own find_packages() setup.py,
# which can ship tests/ in the egg. Configuration lives in pyproject.toml.
from setuptools import setup

setup()
