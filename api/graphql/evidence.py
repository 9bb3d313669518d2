"""Evidence in GraphQL: one item, the listing, and adding, retracting and redacting items.

The ``Evidence`` type is in ``nodes.py``, beside the propositions it bears on. Support
figures come from one aggregation query per request (``loaders.support_loader``).
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable, Mapping
from datetime import datetime
from enum import Enum
from typing import Annotated, Any, TypeVar, cast

import strawberry
from strawberry.types import Info
from strawberry.types.arguments import InputContext
from strawberry.types.base import (
    StrawberryList,
    StrawberryOptional,
    get_object_definition,
    has_object_definition,
)
from strawberry.utils.str_converters import to_camel_case

from api.graphql import loaders
from api.graphql.context import Context
from api.graphql.errors import validated
from api.graphql.nodes import EVIDENCE_PAGE, Evidence, EvidenceConnection, evidence_key
from api.graphql.pagination import (
    key_in_order,
    ordered_key,
    search_needle,
    time_position,
    time_range,
    window,
)
from api.graphql.vocabulary import Stance
from graph import evidence as evidence_repo
from schema import models
from schema.errors import BadInput
from schema.evidence import EvidenceBatchTooLarge, InvalidEvidenceItem, UnknownSourceType
from schema.propositions import PropositionNotFound
from schema.vocabulary import SOURCE_TYPES

InputT = TypeVar("InputT")


@strawberry.input(description="How one evidence item bears on one proposition.")
class BearingInput:
    proposition_id: strawberry.ID = strawberry.field(description="The proposition it bears on.")
    stance: Stance = strawberry.field(description="Whether it supports or contradicts it.")
    strength: float = strawberry.field(
        default=1.0, description="How strongly the item supports or contradicts, in (0, 1]."
    )
    magnitude: int | None = strawberry.field(
        default=None, description="A magnitude 1-5 the evidence reports, if any."
    )


@strawberry.input(
    description="One evidence item. Send an idempotencyKey so a resent batch writes nothing new."
)
class EvidenceInput:
    source_type: str = strawberry.field(
        description="interview|support_ticket|sales_call|win_loss|survey|analytics|review|"
        "usage|other"
    )
    summary: str = strawberry.field(description="A summary or quote.")
    source_ref: str | None = strawberry.field(
        default=None, description="A URL or external id of the source."
    )
    observed_at: datetime | None = strawberry.field(
        default=None, description="When it was observed (UTC when it names no zone); default: now."
    )
    account_id: strawberry.ID | None = strawberry.field(
        default=None, description="The customer account it comes from."
    )
    idempotency_key: str | None = strawberry.field(
        default=None, description="A key unique to this item: resending it writes nothing."
    )
    source_key: str | None = strawberry.field(
        default=None,
        description="Who the item comes from where no account is known, e.g. a requester's "
        "e-mail: items with the same key and no account combine like one account's items "
        "(noisy-OR). Stored only as an HMAC; compared without regard to case.",
    )
    bears: list[BearingInput] = strawberry.field(
        description="The propositions it bears on (1-50, each once)."
    )


@strawberry.type(description="The outcome of an addEvidence batch.")
class AddEvidencePayload:
    items: list[Evidence] = strawberry.field(
        description="Every item of the batch, in input order: the new ones and, for an "
        "idempotencyKey seen before, the item first written with it."
    )
    created: int = strawberry.field(description="Items written by this call.")
    already_present: int = strawberry.field(
        description="Items whose idempotencyKey was seen before: nothing was written for them."
    )


@functools.cache
def _input_fields(cls: type) -> tuple[dict[str, None], tuple[tuple[str, str, type | None], ...]]:
    """What strawberry's conversion does for an input type, worked out once: the fields it
    sets to None when omitted, and per field its GraphQL name, Python name and, for a list
    of input objects, their type."""
    definition = get_object_definition(cls, strict=True)
    omitted = {
        f.python_name: None
        for f in definition.fields
        if f.default_value is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
    }
    fields = []
    for f in definition.fields:
        kind = f.resolve_type(type_definition=definition)
        if isinstance(kind, StrawberryOptional):
            kind = kind.of_type
        nested = None
        if isinstance(kind, StrawberryList) and has_object_definition(kind.of_type):
            nested = kind.of_type
        elif has_object_definition(kind):
            raise TypeError(f"{cls.__name__}.{f.python_name}: only lists of inputs are nested")
        fields.append((f.graphql_name or to_camel_case(f.python_name), f.python_name, nested))
    return omitted, tuple(fields)


def _build_input(cls: type[InputT], value: Mapping[str, Any]) -> InputT:
    omitted, fields = _input_fields(cast(type, cls))
    kwargs: dict[str, Any] = dict(omitted)
    for graphql_name, python_name, nested in fields:
        if graphql_name in value:
            given = value[graphql_name]
            if nested is not None and given is not None:
                given = [_build_input(nested, v) for v in given]
            kwargs[python_name] = given
    return cls(**kwargs)


def _evidence_input(cls: type, value: Mapping[str, Any], context: InputContext) -> Any:
    """``EvidenceInput`` from the input value graphql-core has coerced (types, enums and
    times already checked): the same instance strawberry's own conversion builds, which
    looks up every field's type and name again for each of 500 items and cost more than the
    database write (benchmark add_evidence, docs/benchmarks.md)."""
    return _build_input(cls, value)


get_object_definition(EvidenceInput, strict=True).from_input = _evidence_input


def _evidence_create(index: int, item: EvidenceInput) -> models.EvidenceCreate:
    # Every field as pydantic reads it, the bearings as dicts (``dataclasses.asdict`` gave
    # the same through a deep copy of every value, a tenth of a 500-item batch).
    fields = dict(vars(item))
    fields["bears"] = [dict(vars(b)) for b in item.bears]
    # An empty account id is no account, as the model has always read it.
    fields["account_id"] = item.account_id or None
    try:
        return validated(lambda: models.EvidenceCreate(**fields))
    except BadInput as error:
        raise InvalidEvidenceItem(index, error) from None


@strawberry.enum(description="The orders of an evidence listing.")
class EvidenceOrder(Enum):
    NEWEST_OBSERVED = strawberry.enum_value(
        "NEWEST_OBSERVED", description="Newest observation first (then by id): the default."
    )
    OLDEST_OBSERVED = strawberry.enum_value(
        "OLDEST_OBSERVED", description="Oldest observation first (then by id)."
    )
    NEWEST_RECORDED = strawberry.enum_value(
        "NEWEST_RECORDED",
        description="Newest recorded first (then by id): what came in lately, whenever it was "
        "observed.",
    )


DEFAULT_EVIDENCE_ORDER = EvidenceOrder.NEWEST_OBSERVED.name
EVIDENCE_ORDER_NAMES = tuple(order.name for order in EvidenceOrder)


def _ordered(order: EvidenceOrder, at: str) -> Callable[[models.EvidenceItem], list[Any]]:
    """The cursor key of an item in ``order``: the time it sorts by (``at``), then its id."""

    def key(item: models.EvidenceItem) -> list[Any]:
        found: datetime = getattr(item, at)
        return ordered_key([found.isoformat(), item.id], order.name, DEFAULT_EVIDENCE_ORDER)

    return key


EVIDENCE_KEYS = {
    EvidenceOrder.NEWEST_OBSERVED: evidence_key,
    EvidenceOrder.OLDEST_OBSERVED: _ordered(EvidenceOrder.OLDEST_OBSERVED, "observed_at"),
    EvidenceOrder.NEWEST_RECORDED: _ordered(EvidenceOrder.NEWEST_RECORDED, "recorded_at"),
}


@strawberry.type
class EvidenceQuery:
    @strawberry.field(description="One evidence item by id (retracted and redacted ones too).")
    async def evidence(self, info: Info[Context, None], id: strawberry.ID) -> Evidence | None:
        info.context.actor  # noqa: B018 - reading needs a token
        found = await loaders.evidence_loader(info.context).load(str(id))
        return None if found is None else Evidence.from_model(found)

    @strawberry.field(
        description="Evidence as of asOf (default now), newest observation first unless "
        "orderBy says otherwise, filtered by the proposition it bears on, its account, its "
        "source type, its stance, when it was observed and the text of its summary."
    )
    async def evidence_items(
        self,
        info: Info[Context, None],
        proposition_id: strawberry.ID | None = None,
        account_id: strawberry.ID | None = None,
        source_type: str | None = None,
        as_of: datetime | None = None,
        include_retracted: bool = False,
        first: int | None = None,
        after: str | None = None,
        stance: Annotated[
            Stance | None,
            strawberry.argument(
                description="Only items bearing with this stance: on propositionId when it "
                "is named, else on any proposition."
            ),
        ] = None,
        observed_from: Annotated[
            datetime | None,
            strawberry.argument(description="Only items observed at or after this time."),
        ] = None,
        observed_before: Annotated[
            datetime | None,
            strawberry.argument(
                description="Only items observed before this time (later than observedFrom)."
            ),
        ] = None,
        search: Annotated[
            str | None,
            strawberry.argument(
                description="Only items whose summary holds this text, in any case (at most "
                "200 characters; a blank one filters nothing). Redacted items have none."
            ),
        ] = None,
        order_by: Annotated[
            EvidenceOrder,
            strawberry.argument(
                description="The order of the items; a cursor continues only in the order "
                "it was made in."
            ),
        ] = EvidenceOrder.NEWEST_OBSERVED,
    ) -> EvidenceConnection:
        ctx = info.context
        ctx.actor  # noqa: B018
        limit, pinned, key = window(ctx, first, EVIDENCE_PAGE, as_of, after)
        if source_type is not None and source_type not in SOURCE_TYPES:
            raise UnknownSourceType(source_type, SOURCE_TYPES)
        needle = search_needle(search)
        observed = time_range(observed_from, observed_before, "observedFrom", "observedBefore")
        order = order_by.name
        after_key = key_in_order(key, order, DEFAULT_EVIDENCE_ORDER, EVIDENCE_ORDER_NAMES, 2)
        live_id = None
        if proposition_id is not None:
            found = await ctx.proposition_loader.load(str(proposition_id))
            if found is None:
                raise PropositionNotFound(str(proposition_id))
            live_id = found.id
        listing: dict[str, Any] = {
            "proposition_id": live_id,
            "account_id": str(account_id) if account_id else None,
            "source_type": source_type,
            "as_of": pinned,
            "include_retracted": include_retracted,
            "stance": None if stance is None else stance.value,
            "observed_from": observed[0],
            "observed_before": observed[1],
            "search": needle,
        }
        items, total = await ctx.read(
            evidence_repo.list_page,
            **listing,
            after=time_position(after_key),
            limit=limit + 1,
            order=order,
        )
        return EvidenceConnection.of_evidence(
            items, total, limit, pinned, listing, key=EVIDENCE_KEYS[order_by]
        )


@strawberry.type
class EvidenceMutation:
    @strawberry.mutation(
        description="Add a batch of evidence (at most the configured batch size, 5,000 by "
        "default). Validated whole before anything is written; items whose idempotencyKey was "
        "seen before are returned, not written again."
    )
    async def add_evidence(
        self, info: Info[Context, None], input: list[EvidenceInput]
    ) -> AddEvidencePayload:
        ctx = info.context
        actor = ctx.writer()
        limit = ctx.settings.max_evidence_batch
        if len(input) > limit:
            raise EvidenceBatchTooLarge(limit, len(input))
        items = [_evidence_create(n, item) for n, item in enumerate(input)]
        # Each answer is made while the database writes the batch.
        written = await ctx.write(
            evidence_repo.add_answered, actor, items, ctx.now, Evidence.from_model
        )
        created = sum(1 for _, is_new in written if is_new)
        return AddEvidencePayload(
            items=[e for e, _ in written],
            created=created,
            already_present=len(written) - created,
        )

    @strawberry.mutation(
        description="Retract an item: it stays, with the reason, and stops counting from now on. "
        "Its own function, a facilitator or an admin may."
    )
    async def retract_evidence(
        self, info: Info[Context, None], id: strawberry.ID, reason: str
    ) -> Evidence:
        retracted = await info.context.write_with_reason(evidence_repo.retract, str(id), reason)
        return Evidence.from_model(retracted)

    @strawberry.mutation(
        description="Admins only: remove an item's text (personal data). Its weight, stance "
        "and audit entry stay, so support does not change."
    )
    async def redact_evidence(
        self, info: Info[Context, None], id: strawberry.ID, reason: str
    ) -> Evidence:
        redacted = await info.context.write_with_reason(evidence_repo.redact, str(id), reason)
        return Evidence.from_model(redacted)
