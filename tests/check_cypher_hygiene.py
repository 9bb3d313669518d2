"""Fail on Cypher text built with f-strings, ``%`` or ``.format`` (docs/design.md §5).

Only ``graph/kit/vocabulary.py`` may splice text into Cypher, and only labels and types
from the vocabulary enums. Run as ``python -m tests.check_cypher_hygiene`` (``make lint``).
"""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

ALLOWED = {Path("graph/kit/vocabulary.py")}
ROOTS = ("api", "graph", "schema", "analytics", "commonground", "bench")
CYPHER = re.compile(
    r"\b(MATCH|MERGE|CREATE|DETACH DELETE|UNWIND|RETURN|SET\s+\w+\.|WHERE\s+\w+[.:]|CALL\s*\{)"
)


def _text_of(node: ast.AST) -> str:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(_text_of(v) for v in node.values)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return _text_of(node.left) + _text_of(node.right)
    return ""


def violations(source: str, filename: str) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(source, filename)):
        problem = None
        if isinstance(node, ast.JoinedStr) and any(
            isinstance(v, ast.FormattedValue) for v in node.values
        ):
            if CYPHER.search(_text_of(node)):
                problem = "f-string"
        elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod):
            if CYPHER.search(_text_of(node.left)):
                problem = "% formatting"
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "format"
            and CYPHER.search(_text_of(node.func.value))
        ):
            problem = ".format()"
        if problem:
            found.append(f"{filename}:{getattr(node, 'lineno', '?')}: Cypher built with {problem}")
    return found


def main(root: Path = Path(".")) -> int:
    problems: list[str] = []
    for top in ROOTS:
        for path in sorted((root / top).rglob("*.py")):
            relative = path.relative_to(root)
            if relative in ALLOWED:
                continue
            problems += violations(path.read_text(encoding="utf-8"), str(relative))
    for line in problems:
        print(line)
    if problems:
        print(
            "Cypher values must be $parameters; labels and types come only from "
            "graph/kit/vocabulary.py"
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
