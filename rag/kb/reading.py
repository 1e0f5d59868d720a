"""Reading a knowledge base's generations from disk: the current one (an index saved before
generations copied into the first), the previous one, and the builds a crashed writer left."""

from __future__ import annotations

import logging

from rag.config import Settings
from rag.errors import IndexDamagedError, IndexMismatchError, IndexMissingError, WriterBusyError
from rag.index.generations import Generations
from rag.index.store import Index, load_index, read_manifest, save_index

logger = logging.getLogger(__name__)


def read_generation(
    settings: Settings, generations: Generations, generation: str, manifest_sha256: str | None
) -> Index:
    """One generation's index; IndexDamagedError when the pointer names it but its manifest is
    missing."""
    directory = generations.root / generation
    try:
        return load_index(
            directory,
            settings.store_kind,
            settings.hnsw_m,
            manifest_sha256,
            settings.full_check_on_load,
            settings.milvus_location,
            settings.keyword_index,
            settings.ivf_nprobe,
        )
    except IndexMissingError as exc:
        # the pointer names this generation: a missing manifest is damage, not absence
        raise IndexDamagedError(
            f"index damaged: {directory / 'manifest.json'}: missing; "
            "repair with `rag verify --repair`"
        ) from exc


def read_current(settings: Settings, generations: Generations, name: str) -> tuple[Index, str]:
    """The current generation's index and name (an index saved before generations is copied
    into the first); IndexMissingError when there is none."""
    pointer = generations.pointer()
    if pointer is None:
        migrate_legacy(settings, generations, name)
        pointer = generations.pointer()
        if pointer is None:
            raise IndexMissingError(
                f"no index in {generations.root}; build one with `rag ingest seeds` "
                "(or `make index`)"
            )
    return read_generation(
        settings, generations, pointer.current, pointer.manifest_sha256
    ), pointer.current


def read_previous(settings: Settings, generations: Generations) -> tuple[Index, str] | None:
    """The previous generation's index and name, or None when there is none that can serve."""
    pointer = generations.pointer()
    if pointer is None or pointer.previous is None:
        return None
    try:
        return read_generation(settings, generations, pointer.previous, None), pointer.previous
    except (IndexMissingError, IndexMismatchError) as exc:
        logger.error("the previous generation cannot serve either: %s", exc)
        return None


def migrate_legacy(settings: Settings, generations: Generations, name: str) -> None:
    """Copy an index saved before generations (data/index) into the first generation of
    the default knowledge base. The old directory is left where it is."""
    legacy = settings.legacy_index_dir
    if name != Settings.kb or read_manifest(legacy) is None:
        return
    with generations.writer(settings.writer_wait_seconds):
        if generations.pointer() is not None:
            return
        index = load_index(
            legacy,
            settings.index_kind,
            settings.hnsw_m,
            keyword_kind=settings.keyword_index,
            nprobe=settings.ivf_nprobe,
        )
        made = save_index(index, generations)
    logger.warning("copied the index at %s into %s (the old copy is kept)", legacy, made)


def clean_leftovers(generations: Generations) -> None:
    """Remove the builds a crashed writer left behind, unless a writer is at work now."""
    if not generations.root.is_dir():
        return
    try:
        with generations.writer(0):
            generations.clean()
    except WriterBusyError:
        pass  # a live writer's build directory is not a leftover
