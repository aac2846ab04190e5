"""Old module paths keep working: ``newscrawl.faults`` is ``newscrawl.downloader.faults``.

The package was regrouped so its folders read as the path of a page (docs/architecture.md).
Settings written against the flat layout (``"newscrawl.faults.RetryAfterMiddleware": 560``) still
load: importing an old path returns the module at its new place (the same module object, so
classes compare equal). ``MOVED`` is also the changelog's table (CHANGELOG.md).
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import sys
from types import CodeType, ModuleType

MOVED: dict[str, str] = {
    "newscrawl.discovery": "newscrawl.spiders.discovery",
    "newscrawl.replay": "newscrawl.downloader.replay",
    "newscrawl.faults": "newscrawl.downloader.faults",
    "newscrawl.rendering": "newscrawl.downloader.rendering",
    "newscrawl.linking": "newscrawl.pipelines.linking",
    "newscrawl.seen": "newscrawl.storage.seen",
    "newscrawl.incremental": "newscrawl.storage.incremental",
    "newscrawl.distributed": "newscrawl.storage.distributed",
    "newscrawl.archive": "newscrawl.storage.archive",
    "newscrawl.database": "newscrawl.storage.database",
    "newscrawl.monitors": "newscrawl.operations.monitors",
    "newscrawl.report": "newscrawl.operations.report",
    "newscrawl.history": "newscrawl.operations.history",
    "newscrawl.schedule": "newscrawl.operations.schedule",
    "newscrawl.canary": "newscrawl.operations.canary",
    "newscrawl.startup": "newscrawl.operations.startup",
    "newscrawl.redact": "newscrawl.operations.redact",
    "newscrawl.extensions": "newscrawl.operations.extensions",
    "newscrawl.parse_page": "newscrawl.cli.parse_page",
    "newscrawl.reparse": "newscrawl.cli.reparse",
    "newscrawl.runner": "newscrawl.cli.runner",
}


class _Alias(importlib.abc.Loader):
    def __init__(self, target: str) -> None:
        self.target = target

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType:
        return importlib.import_module(self.target)

    def exec_module(self, module: ModuleType) -> None:
        """Nothing to run: the module was executed at its new path."""

    def get_code(self, fullname: str) -> CodeType | None:
        """``python -m newscrawl.report`` (crontabs) runs the module at its new path."""
        spec = importlib.util.find_spec(self.target)
        loader = spec.loader if spec else None
        return loader.get_code(self.target) if isinstance(loader, importlib.abc.InspectLoader) else None


class MovedModules(importlib.abc.MetaPathFinder):
    """Finds an old module path of ``MOVED`` and hands out the module at its new path."""

    def find_spec(
        self, fullname: str, path: object = None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        new = MOVED.get(fullname)
        return importlib.util.spec_from_loader(fullname, _Alias(new)) if new else None


def install() -> None:
    if not any(isinstance(finder, MovedModules) for finder in sys.meta_path):
        sys.meta_path.append(MovedModules())
