"""Expected failures of members, their roles and tokens, each carrying the member involved.

The member shapes (``Actor``, ``Member``) are in ``schema/models.py``.
"""

from __future__ import annotations

from schema.errors import BadInput, Conflict, Forbidden, NotFound


class MemberNotFound(NotFound):
    """No member has this id or name (``ref`` is whichever was given)."""

    def __init__(self, ref: str) -> None:
        super().__init__("member", ref)
        self.ref = ref


class TokenNotFound(NotFound):
    """No API token has this id."""

    def __init__(self, token_id: str) -> None:
        super().__init__("token", token_id)
        self.token_id = token_id


class InvalidMemberName(BadInput):
    """A member's name is blank, longer than 200 characters or holds a NUL."""

    def __init__(self, name: str) -> None:
        super().__init__("a member's name must be 1-200 characters")
        self.name = name


class MemberExists(Conflict):
    """Another member already has this name (names identify members in the CLI)."""

    def __init__(self, name: str) -> None:
        super().__init__(f"a member named {name!r} already exists")
        self.name = name


class MemberDeactivated(BadInput):
    """A deactivated member gets no new token."""

    def __init__(self, member_id: str, name: str) -> None:
        super().__init__(f"member {name!r} is deactivated")
        self.member_id = member_id
        self.name = name


class ViewerCannotWrite(Forbidden):
    """Viewers read; ``doing`` is the write refused (``write``, ``state beliefs``)."""

    def __init__(self, member_id: str, doing: str = "write") -> None:
        super().__init__(f"viewers may read but not {doing}")
        self.member_id = member_id
        self.doing = doing


class NotAFacilitator(Forbidden):
    """Only facilitators and admins may do ``action`` (``merge entities``)."""

    def __init__(self, member_id: str, action: str) -> None:
        super().__init__(f"only facilitators and admins may {action}")
        self.member_id = member_id
        self.action = action


class WrongFunction(Forbidden):
    """A contributor acts for a function that is not their own."""

    def __init__(self, member_id: str, member_function: str | None, function: str) -> None:
        super().__init__(
            f"you are a member of {member_function}: only facilitators and admins may state "
            f"beliefs for {function}"
        )
        self.member_id = member_id
        self.member_function = member_function
        self.function = function
