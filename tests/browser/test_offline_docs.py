"""GraphiQL at /graphql and the OpenAPI page at /docs, in a real headless Chromium that may not
reach beyond this machine: every script and style they need comes from the server itself."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from graph import functions
from graph.kit.connection import Database
from tests.browser.conftest import VIEWPORT
from tests.factories import make_caller
from tests.live_server import LiveServer

pytestmark = pytest.mark.browser

TIMEOUT_MS = 30_000  # generous: CI machines are shared
LOCAL_HOSTS = {"127.0.0.1", "localhost"}
IMPORT_OPERATION = ("/api/v1/evidence:import", "post")


class OfflinePage:
    """A page whose requests beyond this machine are aborted, and remembered."""

    def __init__(self, context: Any, page: Any) -> None:
        self.context = context
        self.page = page
        self.left_the_machine: list[str] = []
        self.posts: list[Any] = []
        self.errors: list[str] = []
        page.on("pageerror", lambda e: self.errors.append(str(e)))
        page.on("request", lambda r: self.posts.append(r) if r.method == "POST" else None)

    async def route(self, route: Any) -> None:
        url = route.request.url
        if urlsplit(url).hostname in LOCAL_HOSTS:
            await route.continue_()
        else:
            self.left_the_machine.append(url)
            await route.abort("internetdisconnected")


@pytest.fixture
async def offline(chromium: Any) -> AsyncIterator[OfflinePage]:
    context = await chromium.new_context(viewport=VIEWPORT)
    context.set_default_timeout(TIMEOUT_MS)
    page = await context.new_page()
    offline = OfflinePage(context, page)
    await context.route("**/*", offline.route)
    try:
        yield offline
    finally:
        await context.close()


def _words(text: str) -> str:
    return re.sub(r"\s+", " ", text.replace("`", "")).strip()


async def test_graphiql_runs_a_query_with_a_token_and_nothing_from_outside(
    db: Database, live_server: LiveServer, offline: OfflinePage, artifacts: Path
) -> None:
    from playwright.async_api import expect

    expect.set_options(timeout=TIMEOUT_MS)
    caller = await make_caller(db, "product")
    names = sorted(f.name for f in await db.read(functions.list_all))
    assert len(names) == 7
    page = offline.page

    await page.goto(f"{live_server.url}/graphql", wait_until="load")
    assert offline.left_the_machine == []
    query_editor = page.locator(".graphiql-query-editor .CodeMirror")
    await expect(query_editor).to_be_visible()

    # The query: typed into the editor, replacing the welcome text.
    await query_editor.click()
    await page.keyboard.press("Control+A")
    await page.keyboard.press("Delete")
    await page.keyboard.insert_text("{ functions { name } }")

    # The token: typed into GraphiQL's headers editor.
    await page.get_by_role("button", name="Headers").click()
    headers_editor = page.locator(".graphiql-editor-tool .CodeMirror").last
    await expect(headers_editor).to_be_visible()
    await headers_editor.click()
    await page.keyboard.insert_text(json.dumps({"Authorization": f"Bearer {caller.token}"}))

    await page.locator(".graphiql-execute-button").click()
    result = page.locator(".graphiql-response")
    for name in names:
        await expect(result).to_contain_text(f'"{name}"')
    await page.screenshot(path=str(artifacts / "graphiql-offline.png"))

    sent = [
        r
        for r in offline.posts
        if r.url == f"{live_server.url}/graphql"
        and "functions" in (r.post_data or "")
        and "__schema" not in (r.post_data or "")
    ]
    assert sent, "the query was not sent to /graphql"
    assert sent[-1].headers.get("authorization") == f"Bearer {caller.token}"
    assert offline.left_the_machine == []
    assert offline.errors == []


async def test_the_openapi_page_shows_the_operations_with_nothing_from_outside(
    db: Database, live_server: LiveServer, offline: OfflinePage, artifacts: Path
) -> None:
    from playwright.async_api import expect

    expect.set_options(timeout=TIMEOUT_MS)
    spec = await (await offline.page.request.get(f"{live_server.url}/openapi.json")).json()
    path, method = IMPORT_OPERATION
    operation = spec["paths"][path][method]
    page = offline.page

    await page.goto(f"{live_server.url}/docs", wait_until="load")  # no token: /docs is public
    assert offline.left_the_machine == []
    block = page.locator(f".opblock-{method}").filter(has_text=path)
    await expect(block.locator(".opblock-summary-description")).to_have_text(operation["summary"])

    # The import mapping is described only here: opening the operation shows the whole text.
    await block.locator(".opblock-summary").click()
    description = block.locator(".opblock-description").first
    for paragraph in operation["description"].split("\n\n"):
        # A Markdown list renders as one item per line, without its "- " markers.
        items = [line.removeprefix("- ") for line in paragraph.splitlines()]
        pieces = items if paragraph.startswith("- ") else [paragraph]
        for piece in pieces:
            await expect(description).to_contain_text(_words(piece))
    await page.screenshot(path=str(artifacts / "docs-offline.png"), full_page=False)
    assert offline.left_the_machine == []
    assert offline.errors == []
