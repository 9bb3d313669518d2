"""The presets shipped with the product: one declarative file per tool in ``data/``, read
once. A new tool is a new file there."""

from __future__ import annotations

from functools import cache
from importlib import resources

import yaml
from pydantic import ValidationError

from graph.imports.presets.paths import PathInvalid, compile_path
from schema.presets import Preset, PresetInvalid, PresetUnknown


@cache
def presets() -> dict[str, Preset]:
    found: dict[str, Preset] = {}
    for entry in sorted(resources.files(__package__).joinpath("data").iterdir(), key=str):
        if not entry.name.endswith((".yaml", ".yml", ".json")):
            continue
        name = entry.name.rsplit(".", 1)[0]
        try:
            preset = Preset.model_validate(yaml.safe_load(entry.read_text("utf-8")))
        except (ValidationError, yaml.YAMLError) as error:
            raise PresetInvalid(name, str(error)[:500]) from None
        if preset.name != name:
            raise PresetInvalid(name, f"its file is {entry.name} but it is named {preset.name}")
        for path in _paths(preset):
            try:
                compile_path(path)
            except PathInvalid as error:
                raise PresetInvalid(name, str(error)) from None
        found[name] = preset
    return found


def _paths(preset: Preset) -> list[str]:
    paths = [*preset.records, *preset.id, *preset.time, *preset.tags, *preset.source_ref]
    paths += [*preset.requester, *(p for part in preset.text for p in part.path)]
    if preset.account is not None:
        paths += [*preset.account.external_id, *preset.account.name]
    return paths


def names() -> list[str]:
    return list(presets())


def get(name: str) -> Preset:
    found = presets().get(name.strip().lower())
    if found is None:
        raise PresetUnknown(name, names())
    return found
