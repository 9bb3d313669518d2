"""Expected failures of stating and withdrawing beliefs.

The belief shapes (``Belief``, ``BeliefCreate``) are in ``schema/models.py``.
"""

from __future__ import annotations

from schema.errors import BadInput


class NoFunctionNamed(BadInput):
    """A statement names no function and its author belongs to none (the system, say)."""

    def __init__(self, member_id: str) -> None:
        super().__init__("name the function this belief is for")
        self.member_id = member_id


class NothingToWithdraw(BadInput):
    """The function holds no current belief on the proposition (never stated, or withdrawn)."""

    def __init__(self, function: str, proposition_id: str) -> None:
        super().__init__(f"{function} holds no current belief on {proposition_id!r} to withdraw")
        self.function = function
        self.proposition_id = proposition_id
