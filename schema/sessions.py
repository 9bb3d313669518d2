"""Workshop sign-in sessions and cross-site safety: their limits and expected failures.

A browser signs in once with an API token and then holds a session (an opaque secret in an
HttpOnly cookie, stored in Neo4j only as its SHA-256); the token itself never sits in the
cookie. docs/api.md "Signing in to the workshop" describes the whole flow.
"""

from __future__ import annotations

from schema.errors import BadInput, Forbidden, Unauthenticated

SESSION_PREFIX = "cgs_"
SESSION_LIFETIME_S = 12 * 3600  # a workshop day; the token's own expiry, if sooner, wins

# How often each API process re-reads the members version (token → member cache): a token
# revoked or a member deactivated anywhere is refused by every process within this time.
MEMBER_CACHE_CHECK_S = 1.0


class CrossSiteRequestRefused(Forbidden):
    """A change authenticated by the workshop cookie that did not come from this site's own
    pages (``reason`` says which rule it broke: its Origin, or its body's type)."""

    def __init__(self, reason: str) -> None:
        super().__init__(
            "refused: a change made with the workshop's sign-in cookie must come from this "
            f"site's own pages ({reason}); tools send `Authorization: Bearer <token>` instead",
            reason=reason,
        )
        self.reason = reason


class SignInRefused(Unauthenticated):
    """The token sent to sign in is unknown, revoked or expired, or its member deactivated."""

    def __init__(self) -> None:
        super().__init__(
            "that token is unknown, revoked or expired (or its member was deactivated): ask "
            "for a new one (commonground token create)"
        )


class SignInBodyInvalid(BadInput):
    """The sign-in request carries no token in a form field or a JSON body."""

    def __init__(self) -> None:
        super().__init__(
            'send the token as a form field `token` or as JSON {"token": "..."}',
        )
