"""Dotted paths into a tool's export: ``metaData.id``; ``parties[].name`` takes ``name`` of
every element of ``parties``; ``answers[field.ref=why].text`` only of the elements whose
``field.ref`` is ``why``. A path is compiled once per preset and then read per record."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any


@dataclass(frozen=True)
class _Step:
    key: str
    each: bool = False  # the value is a list: go on with every element
    where: tuple[tuple[str, ...], str] | None = None  # ...whose sub-path equals this text


@dataclass(frozen=True)
class Path:
    text: str
    steps: tuple[_Step, ...]
    plain: bool = False  # no list steps: a walk down dictionaries

    def values(self, value: Any) -> list[Any]:
        """Every value the path reaches in ``value`` (a list reached at the end is spread)."""
        if isinstance(value, dict) and self.text in value:  # a CSV column "Account.Name"
            return _spread(value[self.text])
        if self.plain:
            for step in self.steps:
                if not isinstance(value, dict):
                    return []
                value = value.get(step.key)
            return _spread(value)
        found: list[Any] = []
        _walk(value, self.steps, 0, found)
        return found

    def first(self, value: Any) -> Any:
        found = self.values(value)
        return found[0] if found else None


def _spread(value: Any) -> list[Any]:
    if value is None:
        return []
    return [v for v in value if v is not None] if isinstance(value, list) else [value]


def _walk(value: Any, steps: tuple[_Step, ...], at: int, found: list[Any]) -> None:
    if at == len(steps):
        found.extend(_spread(value))
        return
    step = steps[at]
    if not isinstance(value, dict):
        return
    inner = value.get(step.key)
    if inner is None:
        return
    if not (step.each or step.where):
        _walk(inner, steps, at + 1, found)
        return
    if not isinstance(inner, list):
        inner = [inner]
    for element in inner:
        if step.where is not None and not _matches(element, step.where):
            continue
        _walk(element, steps, at + 1, found)


def _matches(element: Any, where: tuple[tuple[str, ...], str]) -> bool:
    keys, wanted = where
    value = element
    for key in keys:
        if not isinstance(value, dict):
            return False
        value = value.get(key)
    return value is not None and str(value) == wanted


def _split(text: str) -> Iterator[str]:
    """Split at the dots outside brackets."""
    depth, start = 0, 0
    for at, char in enumerate(text):
        if char == "[":
            depth += 1
        elif char == "]":
            depth -= 1
        elif char == "." and depth == 0:
            yield text[start:at]
            start = at + 1
    yield text[start:]


class PathInvalid(ValueError):
    pass


@lru_cache(maxsize=1024)
def compile_path(text: str) -> Path:
    steps: list[_Step] = []
    for part in _split(text):
        key, bracket, rest = part.partition("[")
        if not key or (bracket and not rest.endswith("]")):
            raise PathInvalid(f"{text!r} is not a path (e.g. metaData.id, parties[].name)")
        inside = rest[:-1] if bracket else None
        if inside is None:
            steps.append(_Step(key))
        elif inside == "":
            steps.append(_Step(key, each=True))
        else:
            sub, equals, wanted = inside.partition("=")
            if not equals or not sub:
                raise PathInvalid(f"{text!r}: a filter reads [key=value]")
            steps.append(_Step(key, where=(tuple(sub.split(".")), wanted)))
    return Path(text, tuple(steps), all(not (s.each or s.where) for s in steps))


def compile_all(texts: Sequence[str]) -> tuple[Path, ...]:
    return tuple(compile_path(t) for t in texts)


def first_of(paths: Sequence[Path], value: Any) -> Any:
    """The first value of the first path that reaches one."""
    for path in paths:
        found = path.first(value)
        if found is not None and found != "":
            return found
    return None


def all_of(paths: Sequence[Path], value: Any) -> list[Any]:
    """The values of the first path that reaches any."""
    for path in paths:
        found = path.values(value)
        if found:
            return found
    return []
