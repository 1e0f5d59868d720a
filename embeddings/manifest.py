"""The prepared model directory's manifest and completion stamp."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

# Bump whenever the converter writes files with a different meaning, so old directories rebuild.
CONVERTER_VERSION = 1
MANIFEST = "manifest.json"
# The Makefile's `model` target depends on this file; it is written last.
STAMP = ".converted"


def sha256_file(path: Path) -> str:
    """Hex sha256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def read_manifest(model_dir: Path) -> dict[str, Any] | None:
    """The converter's manifest in `model_dir`, or None when absent or unreadable."""
    try:
        manifest = json.loads((model_dir / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return manifest if isinstance(manifest, dict) else None


def source_sha256(manifest: dict[str, Any]) -> str | None:
    """The sha256 of the file the model was converted from, as recorded in the manifest."""
    source = manifest.get("source")
    digest = source.get("sha256") if isinstance(source, dict) else None
    return digest if isinstance(digest, str) else None


def is_current(model_dir: Path, expected_sha256: str) -> bool:
    """True when `model_dir` is a finished conversion of that source by this converter version."""
    manifest = read_manifest(model_dir)
    return (
        manifest is not None
        and (model_dir / STAMP).is_file()
        and source_sha256(manifest) == expected_sha256
        and manifest.get("converter_version") == CONVERTER_VERSION
    )
