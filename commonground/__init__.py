"""Common Ground: one evidence-backed model of the customer, and where each team diverges."""

__version__ = "0.1.0"
