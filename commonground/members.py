"""`commonground member …` and `commonground token …`: members of functions and their API
tokens (a token is shown once, stored only as a hash)."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Annotated

import typer

from commonground.console import err, settings_for, with_database
from commonground.tables import Column, print_table
from graph import members
from schema.models import Actor
from schema.sessions import MEMBER_CACHE_CHECK_S
from schema.vocabulary import Role

member_app = typer.Typer(help="Members of functions.", no_args_is_help=True)
token_app = typer.Typer(help="API tokens.", no_args_is_help=True)


def _now() -> datetime:
    return datetime.now(UTC)


def _wait_for_servers() -> None:
    """Running servers cache token → member and re-check it within MEMBER_CACHE_CHECK_S:
    once this returns, every one of them refuses what was just revoked."""
    time.sleep(MEMBER_CACHE_CHECK_S + 0.2)


@member_app.command("add")
def member_add(
    name: Annotated[str, typer.Argument(help="The member's name, unique.")],
    function: Annotated[str, typer.Option("--function", help="The member's function.")],
    role: Annotated[
        Role, typer.Option("--role", help="What the member may do.")
    ] = Role.CONTRIBUTOR,
) -> None:
    """Add a member to a function."""
    member = with_database(
        settings_for(),
        lambda db: db.write(members.add, Actor.system(), name, function, role, _now()),
    )
    err.print(
        f"Member [bold]{member.name}[/] ({member.function}, {member.role.value}) added: {member.id}"
    )


@member_app.command("deactivate")
def member_deactivate(name: Annotated[str, typer.Argument(help="Name or id.")]) -> None:
    """Deactivate a member: all their tokens stop working."""
    revoked = with_database(
        settings_for(), lambda db: db.write(members.deactivate, Actor.system(), name, _now())
    )
    _wait_for_servers()
    err.print(
        f"Member {name} deactivated; {revoked} token(s) revoked. Their workshop sessions "
        "have ended and every server refuses their tokens."
    )


@member_app.command("list")
def member_list() -> None:
    """List members, each with the id tokens and the API name them by."""
    found = with_database(settings_for(), lambda db: db.read(members.list_all))
    print_table(
        [
            Column("name"),
            Column("function", "short"),
            Column("role", "short"),
            Column("active", "short"),
            Column("id", "id"),
        ],
        [[m.name, m.function, m.role.value, "yes" if m.active else "no", m.id] for m in found],
    )


@token_app.command("create")
def token_create(member: Annotated[str, typer.Argument(help="Member name or id.")]) -> None:
    """Print a new API token for a member: the token alone on stdout, shown only once."""
    token_id, token = with_database(
        settings_for(), lambda db: db.write(members.create_token, Actor.system(), member, _now())
    )
    err.print(f"Token {token_id} created for {member}; it is shown once and stored only as a hash.")
    print(token)


@token_app.command("revoke")
def token_revoke(token_id: Annotated[str, typer.Argument(help="The token's id (tok-…).")]) -> None:
    """Revoke one token."""
    with_database(
        settings_for(), lambda db: db.write(members.revoke_token, Actor.system(), token_id, _now())
    )
    _wait_for_servers()
    err.print(
        f"Token {token_id} revoked: every server refuses it, and the workshop sessions "
        "opened with it have ended."
    )
