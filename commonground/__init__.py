"""Common Ground: one evidence-backed model of the customer, and where each team diverges."""

from schema import __version__

__all__ = ["__version__"]
