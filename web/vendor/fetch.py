"""Refill web/vendor/ from npm at the pinned versions below: `python3 web/vendor/fetch.py`.

Not needed to run anything: the files are committed, so GraphiQL (/graphql), the OpenAPI
page (/docs) and the workshop's map (/workshop) work offline with no install step. This is
how they were made, and how to move to another version (change PINS, run, commit; api/docs.py
and api/rest/workshop/page.py name the files they serve).
Each tarball's integrity is checked against the registry's before a file is taken from it,
and each package keeps its licence files beside its own.
"""

from __future__ import annotations

import base64
import hashlib
import json
import shutil
import subprocess
import tarfile
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent

# name, version, npm's sha512 integrity of the tarball, files taken from it (licences too).
# Versions: those strawberry's own GraphiQL page loads (React 18.2.0, GraphiQL 3.8.3), and
# the Swagger UI 5 that FastAPI's /docs loads; Cytoscape.js draws the workshop page's map.
PINS: list[tuple[str, str, str, list[str]]] = [
    (
        "react",
        "18.2.0",
        "sha512-/3IjMdb2L9QbBdWiW5e3P2/npwMBaU9mHCSCUzNln0ZCYbcfTsGbTJrU/kGemdH2IWmB2ioZ+zkxtmq6g09fGQ==",
        ["umd/react.production.min.js", "LICENSE"],
    ),
    (
        "react-dom",
        "18.2.0",
        "sha512-6IMTriUmvsjHUjNtEDudZfuDQUoWXVxKHhlEGSk81n4YFS+r/Kl99wXiwlVXtPBtJenozv2P+hxDsw9eA7Xo6g==",
        ["umd/react-dom.production.min.js", "LICENSE"],
    ),
    (
        "graphiql",
        "3.8.3",
        "sha512-cuPDYtXVKV86Pu5PHBX642Odi/uVEE2y1Jxq5rGO/Qy1G2lRp7ZZ7a/T30RzxhuLSWo9zUbzq0P3U49//H0Ugw==",
        ["graphiql.min.js", "graphiql.min.css", "LICENSE"],
    ),
    (
        "swagger-ui-dist",
        "5.35.0",
        "sha512-U06rpMtW9V3XPGOBeamTUSr0Z09jMX4IJuANpE/EZbAhw0G8CgwrzU4YmXkn/h0wCDNsXdGarTNNHC3sU8yVUQ==",
        [
            "swagger-ui-bundle.js",
            "swagger-ui-bundle.js.LICENSE.txt",
            "swagger-ui.css",
            "favicon-32x32.png",
            "LICENSE",
            "NOTICE",
        ],
    ),
    (
        "cytoscape",
        "3.35.0",
        "sha512-sMvBIXiGMnhkCaWz2R06FwF/27MNlS+Tqvi17foO9UhnUg3XGZccKjxsvEqQFAQYMSSZmN5SxYzUYlQ0DOJJ3g==",
        ["dist/cytoscape.min.js", "LICENSE"],
    ),
]


def integrity(path: Path) -> str:
    return "sha512-" + base64.b64encode(hashlib.sha512(path.read_bytes()).digest()).decode()


def take(name: str, version: str, expected: str, files: list[str], work: Path) -> None:
    packed = subprocess.run(
        ["npm", "pack", f"{name}@{version}", "--json", "--pack-destination", str(work)],
        check=True,
        capture_output=True,
        text=True,
    )
    tarball = work / json.loads(packed.stdout)[0]["filename"]
    if integrity(tarball) != expected:
        raise SystemExit(f"{name}@{version}: the tarball is not the one pinned here")
    target = HERE / f"{name}@{version}"
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir()
    with tarfile.open(tarball) as archive:
        for file in files:
            member = archive.extractfile(f"package/{file}")
            if member is None:
                raise SystemExit(f"{name}@{version} has no {file}")
            (target / Path(file).name).write_bytes(member.read())
    print(f"{target.name}: {', '.join(Path(f).name for f in files)}")


def main() -> None:
    with tempfile.TemporaryDirectory() as work:
        for name, version, expected, files in PINS:
            take(name, version, expected, files, Path(work))


if __name__ == "__main__":
    main()
