"""Shapes everyone imports: the vocabulary, pydantic models, errors, settings, migrations."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("commonground")
except PackageNotFoundError:  # a source tree that was never installed
    __version__ = "0+unknown"
