"""Blind votes: ballots kept in Neo4j, secret until the reveal, then stated as beliefs.

``(:Vote)-[:ABOUT]->(:Proposition)``; each participant's answer on one proposition is one
``(:Ballot {key: vote|member|proposition})-[:IN_VOTE]->(:Vote)``, MERGEd on its key (backed by a
uniqueness constraint) so a participant changes their answer by casting again.

Nothing here returns another member's ballot: before the reveal the room sees only counts per
function; at the reveal each function's ballots on a proposition become one belief (their
median) recorded as a ``(:VoteResult)`` with the count and spread. ``lifecycle`` writes
(open, cast, reveal, cancel); ``reads`` reads votes as a member may see them.
"""

from __future__ import annotations

from graph.votes.lifecycle import (
    ballot_key,
    cancel,
    cast_ballots,
    median_outcome,
    open_vote,
    reveal,
)
from graph.votes.reads import (
    belief_ids_from_votes,
    change_stamps,
    get,
    list_votes,
    my_ballots,
    results,
    results_for_proposition,
    view,
)

__all__ = [
    "ballot_key",
    "belief_ids_from_votes",
    "cancel",
    "cast_ballots",
    "change_stamps",
    "get",
    "list_votes",
    "median_outcome",
    "my_ballots",
    "open_vote",
    "reveal",
    "results",
    "results_for_proposition",
    "view",
]
