"""`make bench`: ``python scripts/bench.py --help``. The code is the package ``scripts/bench/``
(its ``__init__`` has the overview, one module per measurement).

Run as a script, scripts/ is first on ``sys.path``, so ``bench`` below is that package
(a package directory takes precedence over a module of the same name).
"""

from bench.main import main

if __name__ == "__main__":
    raise SystemExit(main())
