"""The HTML snapshot report, rendered by a real headless Chromium at 1440 × 900: self-contained,
in plain words, nothing cut or overlapping, coloured like the workshop page."""

from __future__ import annotations

import asyncio
import os
import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from neo4j import AsyncManagedTransaction
from playwright.async_api import Page, ViewportSize, async_playwright

from graph import beliefs, entities, evidence, propositions
from graph.divergence import EngineSettings
from graph.kit.connection import Database
from graph.snapshots import store as snapshots
from graph.snapshots.export import export
from graph.snapshots.export.heatmap import GAP_COLOURS
from graph.snapshots.figures import figures_for
from schema.models import Actor, BearingCreate, EvidenceCreate
from schema.sentences import sentence
from schema.vocabulary import EntityKind, Relation, Role, Stance
from tests.graph.snapshots.factories import BASE, small_company

pytestmark = pytest.mark.browser

CHROMIUM = os.environ.get("COMMONGROUND_CHROMIUM", "/usr/bin/chromium")
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-dev-shm-usage",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
VIEWPORT: ViewportSize = {"width": 1440, "height": 900}
DATABASE_WORDS = re.compile(r"\b(" + "|".join(r.value for r in Relation) + r")\b")
BROKEN_WORDS = re.compile(r"\b(null|undefined|NaN|None)\b")
CLAIM = "One set of numbers your whole company trusts, from the board pack to the Monday review."
FEATURE = "Metric reconciliation and certified metrics for every board pack and KPI review"
TICKET = "Ticket: “Finance corrected the board-deck numbers we pulled from the dashboard.”"


async def _company(db: Database) -> None:
    """The small company, plus what a real one brings: long names, a claim, two functions
    with long names side by side (engineering, leadership) and a quote that quotes someone."""
    ids = await small_company(db)
    at = BASE + timedelta(days=3)

    async def build(tx: AsyncManagedTransaction) -> None:
        for kind, eid, name, status in (
            (EntityKind.FEATURE, "feat-recon", FEATURE, "idea"),
            (EntityKind.CLAIM, "claim-one", CLAIM, "live"),
        ):
            await entities.upsert_by_id(
                tx,
                kind,
                {"id": eid, "name": name, "status": status, "created_at": at, "created_by": "m"},
            )
        backed = await propositions.upsert(
            tx,
            {
                "subject_id": "claim-one",
                "relation": "BACKED_BY",
                "object_id": "feat-recon",
                "created_at": at,
                "created_by": "m",
            },
        )
        relieves = await propositions.upsert(
            tx,
            {
                "subject_id": "feat-recon",
                "relation": "RELIEVES",
                "object_id": "pain-1",
                "created_at": at,
                "created_by": "m",
            },
        )
        actor = Actor(member_id="mem-s", name="S", function="success", role=Role.ADMIN)
        said = {
            "engineering": {ids["Slow setup"]: 0.2, backed: 0.3, relieves: 0.9},
            "leadership": {
                ids["Slow setup"]: 0.4,
                backed: 0.8,
                relieves: 0.5,
                ids["Stale data"]: 0.9,
            },
            "product": {backed: 0.6, relieves: 0.7},
        }
        for function, held in said.items():
            for n, (pid, p) in enumerate(held.items()):
                await beliefs.append_given(
                    tx,
                    actor,
                    belief_id=f"bel-x-{function}-{n}",
                    function=function,
                    proposition_id=pid,
                    p=p,
                    magnitude=4,
                    rationale=None,
                    withdrawn=False,
                    stated_at=at,
                )
        item = EvidenceCreate(
            source_type="support_ticket",
            summary=TICKET,
            account_id="acct-north",
            bears=[BearingCreate(proposition_id=ids["Slow setup"], stance=Stance.SUPPORTS)],
        )
        row = evidence.prepare_row(
            0, item, {ids["Slow setup"]: ids["Slow setup"]}, actor, at, None, evidence_id="ev-t"
        )
        await evidence.write_rows(tx, actor, [row], at)

    await db.write(build)


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(exist_ok=True)
    path.write_bytes(data)


async def _open(page: Page, db: Database, snapshot_id: str, name: str) -> str:
    pieces = [piece async for piece in export(db, snapshot_id, "html")]
    page_file = ARTIFACTS / name
    await asyncio.to_thread(_write, page_file, b"".join(pieces))
    await page.goto(page_file.as_uri())
    await page.wait_for_load_state("load")
    return page_file.as_uri()


def _rgb(hex_colour: str) -> str:
    r, g, b = (int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgb({r}, {g}, {b})"


async def _boxes(page: Page, selector: str) -> list[dict[str, Any]]:
    """Each element's box, and whether its text is cut (wider than the element shows)."""
    found: list[dict[str, Any]] = await page.eval_on_selector_all(
        selector,
        """els => els.map(e => { const r = e.getBoundingClientRect();
             return {text: e.innerText, left: r.left, right: r.right, top: r.top,
                     bottom: r.bottom, scroll: e.scrollWidth, client: e.clientWidth}; })""",
    )
    return found


async def _svg_boxes(page: Page, selector: str) -> list[dict[str, float]]:
    found: list[dict[str, float]] = await page.eval_on_selector_all(
        selector,
        """els => els.map(e => { const r = e.getBoundingClientRect();
             return {left: r.left, right: r.right}; })""",
    )
    return found


async def test_the_html_report_reads_plainly_at_1440_px_offline(db: Database) -> None:
    if not os.path.exists(CHROMIUM):  # noqa: ASYNC240 - one stat before the test starts
        pytest.fail(f"Chromium is not installed at {CHROMIUM} (apt-get install chromium)")
    await _company(db)
    figures = figures_for(EngineSettings())
    first, _ = await snapshots.create(
        db, Actor.system(), figures, label="Kick-off", as_of=BASE + timedelta(days=1, hours=2)
    )
    info, _ = await snapshots.create(db, Actor.system(), figures, label="Quarterly review")
    stored = await snapshots.figures(db, info.id)
    heat = stored["heatmap"]

    requests: list[str] = []
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page = await browser.new_page(viewport=VIEWPORT)
            page.on("request", lambda r: requests.append(r.url))
            uri = await _open(page, db, info.id, "snapshot-report.html")
            assert await page.locator("h1").inner_text() == "Alignment snapshot: Quarterly review"
            assert "As of" in await page.locator(".asof").inner_text()
            assert await page.locator("ul.plain li").count() >= 3

            # Plain words: no relation's database name, no leaked programming words.
            text = await page.locator("body").inner_text()
            assert not DATABASE_WORDS.findall(text)
            assert not BROKEN_WORDS.findall(text)
            assert sentence(CLAIM, Relation.BACKED_BY, FEATURE) in text
            # Nothing runs off the page's right edge.
            assert await page.evaluate("document.documentElement.scrollWidth") <= VIEWPORT["width"]

            # Heatmap rows: the whole sentence, wrapped, never cut.
            labels = await _boxes(page, "#heatmap tbody th[scope=row]")
            assert [b["text"] for b in labels] == [
                sentence(r["subject"], r["relation"], r["object"]) for r in heat["rows"]
            ]
            assert all(b["scroll"] <= b["client"] for b in labels), labels
            # Column headers: each one whole, none running into the next.
            headers = await _boxes(page, "#heatmap thead th")
            names = [b["text"] for b in headers]
            assert names[:2] == ["Statement", "Evidence"] and "Engineering" in names
            assert names.index("Leadership") == names.index("Engineering") + 1
            assert all(b["scroll"] <= b["client"] for b in headers), headers
            for left, right in zip(headers, headers[1:], strict=False):
                assert left["right"] <= right["left"] + 0.5, (left, right)

            # Cells coloured by their gap to the evidence, as on the workshop page.
            cells = page.locator("#heatmap td.cell")
            assert await cells.count() == len(heat["rows"]) * len(heat["functions"])
            painted = await page.eval_on_selector_all(
                "#heatmap td.cell",
                "els => els.map(e => [e.className, getComputedStyle(e).backgroundColor])",
            )
            used = set()
            for classes, background in painted:
                for name, (fill, _, _) in GAP_COLOURS.items():
                    if name in classes.split():
                        used.add(name)
                        assert background == _rgb(fill), (classes, background)
            assert {"over3", "under3"} <= used
            assert await page.locator(".heat-legend .chip").count() == len(GAP_COLOURS) + 1

            # Quotes in one pair of quotation marks.
            quotes = await page.locator("blockquote").all_inner_texts()
            assert quotes and not [q for q in quotes if "““" in q or "””" in q]
            assert any(q.startswith(TICKET) for q in quotes), quotes

            # The footer's time as people write it.
            footer = await page.locator("footer").inner_text()
            assert re.search(r"Figures as of \d{1,2} [A-Z][a-z]{2} \d{4}, \d\d:\d\d UTC", footer)
            assert not re.search(r"\d\d:\d\d:\d\d", footer)

            charted = [r for r in stored["gaps_by_function"] if r["beliefs_with_evidence"]]
            assert await page.locator("svg#gaps rect.bar").count() == 2 * len(charted)
            # The trend: both snapshots, their names inside the chart and apart.
            assert await page.locator("svg#history circle.point").count() == 2
            assert await page.locator("svg#history circle.point.current").count() == 1
            chart = await page.locator("svg#history").bounding_box()
            assert chart is not None
            named = await _svg_boxes(page, "svg#history text.name")
            assert len(named) == 2
            assert all(
                chart["x"] <= b["left"] and b["right"] <= chart["x"] + chart["width"] for b in named
            )
            assert named[0]["right"] <= named[1]["left"]
            await page.screenshot(path=str(ARTIFACTS / "snapshot-report.png"), full_page=True)

            # A first snapshot has no trend: it says so instead of drawing one dot.
            first_uri = await _open(page, db, first.id, "snapshot-report-first.html")
            assert await page.locator("svg#history circle").count() == 0
            said = await page.locator("#history").inner_text()
            assert "nothing to compare" in said and "Kick-off" in said
        finally:
            await browser.close()
    assert requests == [uri, first_uri], "the report fetched something besides itself"
