"""Item pipelines: validate, dedupe, link Daily8 copies to originals, count layers.

Order (``ITEM_PIPELINES`` in settings): ``ValidationPipeline`` (100) → ``DedupePipeline`` (200) →
``linking.LinkingPipeline`` (300) → ``storage.incremental.SeenPipeline`` (350) →
``storage.database.DatabasePipeline`` (800) → ``LayerStatsPipeline`` (900).
The settings paths ``newscrawl.pipelines.ValidationPipeline`` etc. are public and stay.
"""

from newscrawl.pipelines.validation import DedupePipeline, LayerStatsPipeline, ValidationPipeline

__all__ = ["DedupePipeline", "LayerStatsPipeline", "ValidationPipeline"]
