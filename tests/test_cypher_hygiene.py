"""The Cypher hygiene check itself: it catches each way of splicing text into a query."""

from __future__ import annotations

from pathlib import Path

from tests.check_cypher_hygiene import main, violations


def test_the_code_base_is_clean() -> None:
    assert main(Path(__file__).resolve().parent.parent) == 0


def test_each_kind_of_splicing_is_caught() -> None:
    bad = """
label = "Segment"
q1 = f"MATCH (n:{label}) RETURN n"
q2 = "MATCH (n) WHERE n.name = '%s' RETURN n" % label
q3 = "MERGE (n:{}) RETURN n".format(label)
"""
    found = violations(bad, "bad.py")
    assert [line.split(": ", 1)[1] for line in found] == [
        "Cypher built with f-string",
        "Cypher built with % formatting",
        "Cypher built with .format()",
    ]


def test_parameters_and_plain_text_pass() -> None:
    good = """
q = "MATCH (n:Entity {id: $id}) RETURN n"
message = f"entity {q!r} does not exist"
"""
    assert violations(good, "good.py") == []
