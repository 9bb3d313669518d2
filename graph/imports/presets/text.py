"""A record's text as evidence stores it: HTML bodies read as plain text, and e-mail
addresses and phone numbers masked (unless the import keeps them)."""

from __future__ import annotations

import hashlib
import html
import re
from functools import lru_cache
from html.parser import HTMLParser

EMAIL_MASK = "[email]"
PHONE_MASK = "[phone]"

_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
# A run of digits with the separators phone numbers are written with; kept as a phone number
# only with 9 to 15 digits (E.164) and when it is not a date (2026-03-04 10:22) or a decimal.
_PHONE = re.compile(r"(?<![\w/=.#-])\+?\(?\d[\d\s().-]{6,}\d(?![\w/-])")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_SPACES = re.compile(r"[ \t\r\f\v\xa0]+")
_LINES = re.compile(r"\s*\n\s*")

_BLOCKS = frozenset(
    "p div br li ul ol tr table h1 h2 h3 h4 h5 h6 blockquote pre section article".split()
)
_SKIPPED = frozenset({"script", "style", "head"})


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIPPED:
            self.skipping += 1
        elif tag in _BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIPPED:
            self.skipping = max(0, self.skipping - 1)
        elif tag in _BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self.parts.append(data)


def html_to_text(value: str) -> str:
    """Plain text of an HTML fragment: tags dropped, blocks on lines of their own."""
    if "<" not in value:
        return tidy(html.unescape(value))
    parser = _Text()
    parser.feed(value)
    parser.close()
    return tidy("".join(parser.parts))


_UNTIDY = frozenset("\n\t\r\f\v\xa0")


def tidy(value: str) -> str:
    """Runs of spaces as one, lines without blanks around them, no blank ends."""
    if "  " not in value and not _UNTIDY.intersection(value):
        return value.strip()  # most short fields: nothing to do
    return _LINES.sub("\n", _SPACES.sub(" ", value)).strip()


def _phone(match: re.Match[str]) -> str:
    found = match.group(0)
    digits = sum(c.isdigit() for c in found)
    if not 9 <= digits <= 15 or _DATE.search(found):
        return found
    return PHONE_MASK


def mask(value: str) -> str:
    """``value`` with its e-mail addresses and phone numbers replaced by placeholders."""
    if "@" in value:
        value = _EMAIL.sub(EMAIL_MASK, value)
    return _PHONE.sub(_phone, value)


@lru_cache(maxsize=4096)
def mask_short(value: str) -> str:
    """``mask`` for the short values a file repeats (organisation names, requesters)."""
    return mask(value)


def has_personal_data(value: str) -> bool:
    return mask_short(value) != value


def pseudonym(scope: str, value: str) -> str:
    """A stable stand-in for a personal value (a requester's e-mail): the same person gets the
    same key, and the address itself is stored nowhere."""
    return f"{scope}:{hashlib.sha256(f'{scope}:{value}'.encode()).hexdigest()[:20]}"
