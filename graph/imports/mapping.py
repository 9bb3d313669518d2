"""The column mapping of an import: which source column (or constant) feeds each of our
fields, and the value it gives in one record."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import orjson

from schema.imports import FIELDS, ImportFieldUnknown, ImportMappingInvalid

# The GraphQL spelling of each field is accepted as a column name too.
_CAMEL = {
    "source_type": "sourceType",
    "proposition_id": "propositionId",
    "source_ref": "sourceRef",
    "observed_at": "observedAt",
    "account_id": "accountId",
    "source_key": "sourceKey",
    "idempotency_key": "idempotencyKey",
}


@dataclass(frozen=True)
class FieldSource:
    """Where one of our fields comes from: a source column, or a constant.

    ``values`` translates source values (``{"positive": "SUPPORTS"}``); ``format`` is a
    ``strptime`` format for ``observed_at``.
    """

    column: str | None = None
    const: Any = None
    values: Mapping[str, Any] | None = None
    format: str | None = None

    @property
    def label(self) -> str:
        return self.column if self.column is not None else "(constant)"

    def value(self, record: Mapping[str, Any]) -> Any:
        """What this source gives in ``record``: stripped, None when empty, translated."""
        value = self.const if self.column is None else _lookup(record, self.column)
        if isinstance(value, str):
            value = value.strip()
            if value == "":
                value = None
        if self.values is not None and value is not None:
            key = str(value)
            if key in self.values:
                value = self.values[key]
        return value


@dataclass(frozen=True)
class ColumnMapping:
    """Which source column (or constant) feeds each of our fields.

    Fields the mapping leaves out are read from a column named like the field (``summary``
    or ``sourceType``), when the file has one.
    """

    fields: Mapping[str, FieldSource]

    @classmethod
    def parse(cls, raw: Any) -> ColumnMapping:
        if raw is None:
            return cls({})
        if isinstance(raw, str | bytes):
            try:
                raw = orjson.loads(raw)
            except orjson.JSONDecodeError as error:
                raise ImportMappingInvalid(
                    f"the column mapping is not valid JSON: {error}"
                ) from None
        if not isinstance(raw, dict):
            raise ImportMappingInvalid(
                'the column mapping must be a JSON object, e.g. {"summary": "Subject"}'
            )
        sources: dict[str, FieldSource] = {}
        for name, spec in raw.items():
            if name not in FIELDS:
                raise ImportFieldUnknown(name)
            sources[name] = _field_source(name, spec)
        return cls(sources)

    def source(self, name: str, columns: set[str] | None) -> FieldSource | None:
        """Where ``name`` comes from; ``columns`` is the CSV header (None for JSON Lines)."""
        if name in self.fields:
            return self.fields[name]
        for candidate in (name, _CAMEL.get(name)):
            if candidate and (columns is None or candidate in columns):
                return FieldSource(column=candidate)
        return None


def _field_source(name: str, spec: Any) -> FieldSource:
    def invalid(message: str) -> ImportMappingInvalid:
        return ImportMappingInvalid(message, name, spec)

    if isinstance(spec, str):
        if not spec:
            raise invalid(f"the column mapping gives {name!r} an empty column name")
        return FieldSource(column=spec)
    if isinstance(spec, dict):
        unknown = set(spec) - {"column", "const", "values", "format"}
        if unknown:
            raise invalid(
                f"the column mapping of {name!r} has unknown keys {sorted(unknown)}; use "
                "column, const, values or format"
            )
        if ("column" in spec) == ("const" in spec):
            raise invalid(f"the column mapping of {name!r} needs exactly one of column or const")
        column = spec.get("column")
        if column is not None and (not isinstance(column, str) or not column):
            raise invalid(f"the column mapping of {name!r}: column must be a non-empty string")
        const = spec.get("const")
        if "const" in spec and (
            isinstance(const, bool) or not isinstance(const, str | int | float)
        ):
            raise invalid(f"the column mapping of {name!r}: const must be a string or number")
        values = spec.get("values")
        if values is not None and not (
            isinstance(values, dict) and all(isinstance(k, str) for k in values)
        ):
            raise invalid(f"the column mapping of {name!r}: values must map strings to values")
        fmt = spec.get("format")
        if fmt is not None and (name != "observed_at" or not isinstance(fmt, str)):
            raise invalid("format (a strptime pattern) applies to observed_at only")
        return FieldSource(column=column, const=const, values=values, format=fmt)
    raise invalid(
        f"the column mapping of {name!r} must be a column name or an object such as "
        '{"const": "survey"}'
    )


def _lookup(record: Mapping[str, Any], column: str) -> Any:
    if column in record:
        return record[column]
    # JSON Lines exports often nest fields: "fields.subject".
    value: Any = record
    for part in column.split("."):
        if not isinstance(value, dict) or part not in value:
            return None
        value = value[part]
    return value
