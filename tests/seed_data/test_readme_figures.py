"""seed_data/README.md says what is true: the demo seeded into a real database and read as of
2026-11-22 (the README's stated time) gives the counts it states, and its workshop script
names the colours the workshop page draws."""

from __future__ import annotations

import colorsys
import re
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

from graph import seeding
from graph.divergence import EngineSettings, belief_gaps, disagreements, load_picture
from graph.kit.connection import Database

README = Path(__file__).resolve().parents[2] / "seed_data" / "README.md"
WEB = Path(__file__).resolve().parents[2] / "web"
AS_OF = datetime(2026, 11, 22, tzinfo=UTC)


def _figure(pattern: str) -> int:
    """The one number the README states where ``pattern`` (with a group for it) matches."""
    found = re.findall(pattern, README.read_text(encoding="utf-8"))
    assert len(found) == 1, f"seed_data/README.md should state {pattern!r} once: {found}"
    return int(found[0])


async def test_the_readme_states_the_engines_counts_for_the_demo(db: Database) -> None:
    await seeding.load_demo(db)
    picture = await db.read(load_picture, EngineSettings(), as_of=AS_OF)

    statuses = Counter(picture.evidence(p.id).status.value for p in picture.in_scope())
    stated = {
        status: _figure(rf"\*\*{status.capitalize()} \((\d+)\)\*\*")
        for status in ("VALIDATED", "REFUTED", "CONTESTED", "UNKNOWN")
    }
    assert stated == {status: statuses[status] for status in stated}

    significant = belief_gaps(picture, significant_only=True)
    assert _figure(r"(\d+) significant gaps") == len(significant)

    contested = disagreements(picture, contested_only=True)
    assert _figure(r"(\d+) propositions with spread ≥ 0\.4") == len(contested)


COLOUR_WORDS = ("red", "orange", "yellow", "green", "blue", "purple", "grey")


def _hue_name(hex_colour: str) -> str:
    """The everyday name of a colour's hue, as a presenter would say it."""
    hue, saturation, _ = colorsys.rgb_to_hsv(
        *(int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5))
    )
    if saturation < 0.25:
        return "grey"
    degrees = hue * 360
    for bound, name in ((15, "red"), (45, "orange"), (70, "yellow"), (170, "green")):
        if degrees < bound:
            return name
    return "blue" if degrees < 260 else "purple" if degrees < 345 else "red"


def test_the_workshop_script_names_the_colours_the_page_draws() -> None:
    css = (WEB / "workshop.css").read_text(encoding="utf-8")
    statuses = ("validated", "refuted", "contested", "unknown")
    drawn = {
        _hue_name(colour)
        for name, colour in re.findall(r"--([a-z]+):\s*(#[0-9a-fA-F]{6});", css)
        if name in statuses
    }
    text = README.read_text(encoding="utf-8")
    script = text[text.index("## A five-minute workshop script") :]
    said = {w for w in COLOUR_WORDS if re.search(rf"\b{w}\b", script, re.IGNORECASE)}
    assert said, "the script points at nodes by colour"
    assert said <= drawn, f"the script says {sorted(said - drawn)}; the page draws {drawn}"
