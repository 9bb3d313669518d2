"""Snapshot exports for people and tools: JSON (the restorable file), Markdown, a
self-contained HTML report with charts, and CSV tables. Each streams its pieces, so the
REST route and the CLI write them as they come; ``export`` (in ``formats``) picks one."""

from graph.snapshots.export.formats import FORMATS, MEDIA_TYPES, export

__all__ = ["FORMATS", "MEDIA_TYPES", "export"]
