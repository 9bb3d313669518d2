"""Subcommands of the `commonground` CLI that live in their own modules."""
