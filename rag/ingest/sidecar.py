"""The optional `<file>.meta.json` beside a document: its fields override the rules' metadata."""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path

from rag.errors import IngestError
from rag.ingest.metadata import Metadata
from rag.ingest.regions import place_in

SIDECAR_SUFFIX = ".meta.json"

_SIDECAR_RULES = {f.name: "a string or null" for f in dataclasses.fields(Metadata)} | {
    "title": "a non-empty string",
    "year": "an integer or null",
    "published": "a date YYYY-MM-DD or null",
}


def _sidecar_value_ok(key: str, value: object) -> bool:
    if key == "title":
        return isinstance(value, str) and bool(value.strip())
    if value is None:
        return True
    if key == "year":
        return type(value) is int
    if key == "published":
        return isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value) is not None
    return isinstance(value, str)


def sidecar_path(path: Path) -> Path:
    """Where the optional metadata override for a file lives."""
    return path.with_name(path.name + SIDECAR_SUFFIX)


def apply_sidecar(meta: Metadata, path: Path) -> Metadata:
    """Metadata with the fields of `<file>.meta.json` (if present) taking precedence.

    A region the sidecar leaves unset follows a new issuer or title that names a place.
    """
    sidecar = sidecar_path(path)
    if not sidecar.exists():
        return meta
    try:
        overrides = json.loads(sidecar.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise IngestError(f"{sidecar.name}: not a readable JSON file ({exc})") from exc
    if not isinstance(overrides, dict):
        raise IngestError(
            f"{sidecar.name}: must hold a JSON object; got {type(overrides).__name__}"
        )
    for key, value in overrides.items():
        rule = _SIDECAR_RULES.get(key)
        if rule is None:
            allowed = ", ".join(_SIDECAR_RULES)
            raise IngestError(f"{sidecar.name}: unknown field {key!r}; allowed are {allowed}")
        if not _sidecar_value_ok(key, value):
            raise IngestError(f"{sidecar.name}: {key} must be {rule}; got {value!r}")
    meta = dataclasses.replace(meta, **overrides)
    if overrides.keys() & {"issuer", "title"} and not overrides.keys() & {"region", "region_level"}:
        found = place_in(meta.issuer) or place_in(meta.title)
        if found:
            meta = dataclasses.replace(meta, region=found[0], region_level=found[1])
    return meta
