"""What the preset tests share: each tool's fixture export and links file (its propositions
filled in), and the e-mail addresses and phone numbers the fixtures hold."""

from __future__ import annotations

from pathlib import Path

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "presets"
PRESETS = (
    "zendesk",
    "intercom",
    "gong",
    "productboard",
    "dovetail",
    "typeform",
    "salesforce",
    "canny",
)

# Every e-mail address and phone number written in the fixtures (a test checks each is
# there), and the national part of each number, which must not survive either.
EMAILS = (
    "dana.ortiz@northwind.example",
    "priya@contoso.example",
    "ops@contoso.example",
    "it-admin@fabrikam.example",
    "jo.bloggs@tailspin.example",
    "maria@tailspin.example",
    "lee@ourapp.example",
    "sam@ourapp.example",
    "support@ourapp.example",
)
PHONES = (
    "+1 (415) 555-0142",
    "020 7946 0958",
    "+44 20 7946 0321",
    "415-555-0199",
    "+49 30 901820",
    "0161 496 0000",
    "07700 900123",
    "+1 415 555 0142",
    "+1 206 555 0188",
)
PHONE_PARTS = (
    "555-0142",
    "7946 0958",
    "7946 0321",
    "555-0199",
    "901820",
    "496 0000",
    "900123",
    "555 0142",
    "555 0188",
)


def export(preset: str) -> bytes:
    return (FIXTURES / f"{preset}.json").read_bytes()


def links(preset: str, first: str, second: str) -> str:
    """The preset's links file, its two propositions ``first`` and ``second``."""
    text = (FIXTURES / f"{preset}.links.yaml").read_text()
    return text.replace("PROP_A", first).replace("PROP_B", second)
