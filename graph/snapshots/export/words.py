"""Plain words for the figures: the sentences a report opens with, shared by every format."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from schema.sentences import sentence
from schema.snapshots import SnapshotInfo


def number(value: float | None, digits: int = 2) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


def signed(value: float | None, digits: int = 2) -> str:
    return "—" if value is None else f"{value:+.{digits}f}"


def day(value: datetime | str) -> str:
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(value)
    return f"{moment.day} {moment:%B %Y}"


def moment(value: datetime | str) -> str:
    """A time as people read it: 22 Nov 2026, 14:05 UTC (a time without a zone is UTC)."""
    at = value if isinstance(value, datetime) else datetime.fromisoformat(value)
    at = at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)
    return f"{at.day} {at:%b %Y, %H:%M} UTC"


def proposition(row: dict[str, Any]) -> str:
    """A figures row's proposition as the workshop page words it (its stored ``text`` keeps
    the relation's database name, which no reader should meet)."""
    if row.get("relation") and row.get("subject") is not None and row.get("object") is not None:
        return sentence(row["subject"], row["relation"], row["object"])
    return str(row.get("text", ""))


def agreement_word(alpha: float | None) -> str:
    """Krippendorff's customary reading of alpha, in words."""
    if alpha is None:
        return "cannot yet be measured"
    if alpha >= 0.8:
        return "agree strongly"
    if alpha >= 0.667:
        return "agree fairly well"
    if alpha >= 0.4:
        return "agree only moderately"
    if alpha > 0.0:
        return "agree weakly"
    return "agree no better than chance"


def gap_sentence(row: dict[str, Any]) -> str:
    """One belief gap, worded as the workshop page words it."""
    function, said = row["function"].capitalize(), proposition(row)
    figures = f"it believes {number(row['p'])}, the evidence gives {number(row['confidence'])}"
    if row.get("opposes_evidence"):
        # The function expects the opposite of what the evidence says: a different finding
        # from a belief on the evidence's side that is only too sure or too unsure.
        return (
            f"{function} expects the opposite of what the evidence says on whether {said}: "
            f"{figures} (opposing it, {number(abs(row['gap']))} apart)."
        )
    if row["gap"] > 0:
        return (
            f"{function} is more sure than the evidence that {said}: {figures} "
            f"(over-confident by {number(abs(row['gap']))})."
        )
    return (
        f"{function} doubts that {said} more than the evidence does: {figures} "
        f"(under-confident by {number(abs(row['gap']))})."
    )


def quoted(text: str) -> str:
    """A quote in quotation marks once: a summary that already quotes someone (Ticket: “…”,
    “…” — VP Operations) keeps its own marks rather than gaining a second pair."""
    return text if any(mark in text for mark in '“”"') else f"“{text}”"


def disagreement_sentence(row: dict[str, Any]) -> str:
    thin = row.get("evidence_mass") is not None and row["evidence_mass"] < 1.0
    evidence = (
        "the evidence is too thin to say" if thin else f"the evidence: {number(row['confidence'])}"
    )
    return (
        f"The functions disagree on whether {proposition(row)}: "
        f"{row['highest']['function']} says {number(row['highest']['p'])}, "
        f"{row['lowest']['function']} {number(row['lowest']['p'])}, "
        f"{number(row['spread'])} apart ({evidence})."
    )


@dataclass(frozen=True)
class RankedList:
    """A numbered list of the figures' rows that every report format shows the same way."""

    title: str
    key: str  # the figures' list it shows
    sentence: Callable[[dict[str, Any]], str]
    empty: str  # what stands in its place when the list is empty


RANKED_LISTS = (
    RankedList(
        "Top divergences from the evidence",
        "top_gaps",
        gap_sentence,
        "No belief parts from the evidence by 0.25 or more.",
    ),
    RankedList(
        "Where the functions disagree",
        "top_disagreements",
        disagreement_sentence,
        "No proposition is contested among functions.",
    ),
)


def summary(info: SnapshotInfo, figures: dict[str, Any]) -> list[str]:
    """The report's opening: what the model holds and where it diverges, in sentences."""
    s = figures.get("summary") or {}
    a = figures.get("alignment") or {}
    sentences = []
    if s:
        sentences.append(
            f"As of {day(info.as_of)}, the shared model holds {s['propositions']} propositions: "
            f"the evidence validates {s['validated']}, refutes {s['refuted']}, leaves "
            f"{s['contested']} contested and {s['unknown']} still open."
        )
    functions = len(a.get("functions") or [])
    if a:
        if a.get("alpha") is None:
            sentences.append(
                f"The functions' agreement cannot be measured yet: only {a.get('units', 0)} "
                "propositions carry beliefs from two or more functions (5 are needed)."
            )
        else:
            sentences.append(
                f"The {functions} functions {agreement_word(a['alpha'])} with each other: "
                f"alignment index (Krippendorff's alpha) {number(a['alpha'])}, 95% interval "
                f"{number(a.get('alpha_low'))} to {number(a.get('alpha_high'))}, over "
                f"{a['units']} propositions; two functions' beliefs differ by "
                f"{number(a.get('mean_abs_difference'))} on average."
            )
    top = figures.get("top_gaps") or []
    if s:
        sentences.append(
            f"{s['significant_gaps']} beliefs part from the evidence by 0.25 or more, and "
            f"{s['contested_among_functions']} propositions are contested among functions "
            "(beliefs 0.4 or more apart)."
        )
    if top:
        sentences.append("The largest divergence: " + gap_sentence(top[0]))
    over = sorted(
        (r for r in figures.get("gaps_by_function") or [] if r["significant"]),
        key=lambda r: (-r["over_confident"], r["function"]),
    )
    if over and over[0]["over_confident"]:
        sentences.append(
            f"{over[0]['function'].capitalize()} has the most over-confident beliefs "
            f"({over[0]['over_confident']} significantly above what the evidence supports)."
        )
    gaps = figures.get("structural_gaps") or []
    if gaps:
        owners: dict[str, int] = {}
        for g in gaps:
            for owner in g["owners"]:
                owners[owner] = owners.get(owner, 0) + 1
        named = ", ".join(f"{n} for {o}" for o, n in sorted(owners.items(), key=lambda x: -x[1]))
        some = "1 structural gap needs" if len(gaps) == 1 else f"{len(gaps)} structural gaps need"
        sentences.append(f"{some} an owner's fix ({named}).")
    history = [h for h in figures.get("history") or [] if h["id"] != info.id]
    if history and history[-1].get("alpha") is not None and a.get("alpha") is not None:
        previous = history[-1]
        change = a["alpha"] - previous["alpha"]
        since = (
            f"Since the previous snapshot ({previous.get('label') or day(previous['as_of'])}, "
            f"{day(previous['as_of'])}) the alignment index "
        )
        if number(previous["alpha"]) == number(a["alpha"]):
            sentences.append(since + f"held at {number(a['alpha'])}.")
        else:
            verb = "rose" if change > 0 else "fell"
            sentences.append(
                since + f"{verb} from {number(previous['alpha'])} to {number(a['alpha'])}."
            )
    return sentences
