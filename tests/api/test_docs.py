"""GraphiQL's and /docs' files come from this server, once per version, and only those files."""

from __future__ import annotations

import re

import httpx

from api import docs

REMOTE = re.compile(r"""(?:src|href)=["']?(?:https?:)?//""")


async def test_the_pages_name_no_other_server(client: httpx.AsyncClient) -> None:
    graphiql = await client.get("/graphql", headers={"Accept": "text/html"})
    swagger = await client.get("/docs")
    for page in (graphiql, swagger):
        assert page.status_code == 200
        assert not REMOTE.search(page.text), REMOTE.search(page.text)
        assert docs.VENDOR_URL in page.text


async def test_vendored_files_are_kept_for_a_year_and_nothing_else_is_served(
    client: httpx.AsyncClient,
) -> None:
    for name in (docs.GRAPHIQL_JS, docs.SWAGGER_CSS):
        answer = await client.get(f"{docs.VENDOR_URL}/{name}")
        assert answer.status_code == 200
        assert "max-age=31536000" in answer.headers["cache-control"]
        assert answer.content == (docs.VENDOR_DIR / name).read_bytes()
    for name in ("fetch.py", "react@18.2.0/LICENSE", "react@18.2.0/..%2Ffetch.py", "x@1/y.js"):
        assert (await client.get(f"{docs.VENDOR_URL}/{name}")).status_code == 404, name
