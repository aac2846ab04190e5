"""The ``newscrawl`` command: one entry point, one subcommand per job.

Each subcommand lives in its own module, which exposes
``register(subparsers) -> None``: it adds its parser with ``add_parser`` and sets
``func=<callable(args) -> int>`` through ``set_defaults``. The exit status is that
function's return value. Add a module to ``COMMANDS`` to add a subcommand.
"""

from __future__ import annotations

import argparse
import importlib
from collections.abc import Sequence

# Modules providing subcommands (imported when the command runs).
COMMANDS: tuple[str, ...] = (
    "newscrawl.cli.parse_page",
    "newscrawl.cli.reparse",
    "newscrawl.operations.history",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="newscrawl", description="newscrawl: parse pages, re-parse archives, report on runs"
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for module in COMMANDS:
        importlib.import_module(module).register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    raise SystemExit(main())
