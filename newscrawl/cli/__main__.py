"""``python -m newscrawl.cli``: the ``newscrawl`` command without the console script."""

from newscrawl.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
