"""Index generations of one knowledge base: built aside, switched in one atomic step, verified.

Layout of a knowledge base directory:

    CURRENT            {"current": "g-000007", "previous": "g-000006", "manifest_sha256": "…"}
    g-000006/          the previous generation, kept until the next successful build
    g-000007/          the current generation: index files + manifest.json (sizes and sha256
                       of every other file)
    .build-…/          a build in progress; a leftover one is removed at the next open
    write.lock         one writer at a time (filelock)

A build writes a `.build-` directory, fsyncs it, renames it to the next `g-` name and then
replaces CURRENT (written to a temp file, fsynced, renamed, directory fsynced). A crash at any
instant leaves CURRENT naming a complete generation. Only generations that are neither current
nor previous are removed, and only after a successful switch.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import re
import shutil
import tempfile
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from filelock import FileLock, Timeout

from rag.errors import IndexDamagedError, IndexMissingError, WriterBusyError

logger = logging.getLogger(__name__)

POINTER = "CURRENT"
MANIFEST = "manifest.json"
_GENERATION = re.compile(r"^g-(\d{6,})$")
_BUILD_PREFIX = ".build-"
_HASH_BLOCK = 1 << 20


def step(name: str) -> None:
    """A named point between two file operations of a build; tests replace this to kill the
    process there (tests/test_generations.py walks every step)."""


def fsync_dir(path: Path) -> None:
    """Make a rename or a new entry in `path` durable."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(_HASH_BLOCK), b""):
            digest.update(block)
    return digest.hexdigest()


def seal(directory: Path, manifest: dict[str, Any]) -> str:
    """fsync every file of a finished build, record its size and sha256 in the manifest, write
    the manifest last; returns the manifest's own sha256 (the pointer records it)."""
    files: dict[str, dict[str, Any]] = {}
    for path in sorted(p for p in directory.rglob("*") if p.is_file()):
        name = path.relative_to(directory).as_posix()
        if name == MANIFEST:
            continue
        with open(path, "rb") as fh:
            os.fsync(fh.fileno())
        files[name] = {"size": path.stat().st_size, "sha256": file_sha256(path)}
        step(f"sealed {name}")
    data = json.dumps({**manifest, "files": files}, ensure_ascii=False, indent=2).encode()
    with open(directory / MANIFEST, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    for sub in {p.parent for p in directory.rglob("*")} | {directory}:
        fsync_dir(sub)
    step("manifest written")
    return hashlib.sha256(data).hexdigest()


def verify(
    directory: Path,
    manifest_sha256: str | None,
    full: bool = True,
    only: Collection[str] | None = None,
) -> list[str]:
    """Problems of a generation, one line each naming the file (empty when it is intact).

    `full=False` checks the manifest's hash and every file's size only; `only` limits the
    check to those files (and the manifest)."""
    path = directory / MANIFEST
    try:
        raw = path.read_bytes()
    except OSError as exc:
        return [f"{path}: cannot be read ({exc.strerror or exc})"]
    if manifest_sha256 is not None and hashlib.sha256(raw).hexdigest() != manifest_sha256:
        return [f"{path}: sha256 differs from the one recorded in {POINTER}"]
    try:
        files = json.loads(raw)["files"]
    except (ValueError, KeyError, TypeError):
        return [f"{path}: not a manifest with a file list"]
    problems = []
    for name, want in files.items():
        if only is not None and name not in only:
            continue
        target = directory / name
        try:
            size = target.stat().st_size
        except OSError:
            problems.append(f"{target}: missing")
            continue
        if size != want["size"]:
            problems.append(f"{target}: {size} bytes, manifest records {want['size']}")
        elif full and file_sha256(target) != want["sha256"]:
            problems.append(f"{target}: sha256 differs from the manifest's")
    return problems


@dataclass(frozen=True)
class Pointer:
    """What CURRENT says."""

    current: str
    previous: str | None
    manifest_sha256: str


class Generations:
    """The generations of one knowledge base's index under `root`."""

    def __init__(self, root: Path, keep: int = 2) -> None:
        if keep < 2:
            raise ValueError(f"keep must be at least 2 (current and previous); got {keep}")
        self.root = root
        self.keep = keep
        # one lock object per knowledge base directory: re-entrant for its holder (a migration
        # inside an ingest), exclusive against every other holder (flock on its own descriptor)
        self._lock: FileLock | None = None

    # --- reading ------------------------------------------------------------------------

    def pointer(self) -> Pointer | None:
        """The current pointer, or None when no generation was ever committed."""
        try:
            data = json.loads((self.root / POINTER).read_text(encoding="utf-8"))
            return Pointer(data["current"], data.get("previous"), data["manifest_sha256"])
        except FileNotFoundError:
            return None
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise IndexDamagedError(
                f"{self.root / POINTER} is unreadable ({exc}); repair with `rag verify --repair`"
            ) from exc

    def current(self) -> Path:
        """Directory of the current generation; IndexMissingError when there is none."""
        pointer = self.pointer()
        if pointer is None:
            raise IndexMissingError(
                f"no index in {self.root}; build one with `rag ingest seeds` (or `make index`)"
            )
        return self.root / pointer.current

    def stamp(self) -> tuple[int, int] | None:
        """Changes whenever a new generation is switched in (cheap: one stat)."""
        try:
            stat = (self.root / POINTER).stat()
        except OSError:
            return None
        return (stat.st_ino, stat.st_mtime_ns)

    def names(self) -> list[str]:
        """Committed generation directories, oldest first."""
        if not self.root.is_dir():
            return []
        found = [p.name for p in self.root.iterdir() if p.is_dir() and _GENERATION.match(p.name)]
        return sorted(found, key=lambda n: int(n[2:]))

    def problems(self, full: bool = True) -> list[str]:
        """What is wrong with the current generation (empty when it verifies)."""
        pointer = self.pointer()
        if pointer is None:
            return []
        return verify(self.root / pointer.current, pointer.manifest_sha256, full)

    def verify_all(self) -> dict[str, list[str]]:
        """Every file of the current and previous generations checked against its sha256:
        problems by generation name (an empty list: intact)."""
        pointer = self.pointer()
        if pointer is None:
            raise IndexMissingError(f"no index in {self.root}; build one with `rag ingest`")
        out = {pointer.current: verify(self.root / pointer.current, pointer.manifest_sha256)}
        if pointer.previous:
            out[pointer.previous] = verify(self.root / pointer.previous, None)
        return out

    # --- writing ------------------------------------------------------------------------

    @contextlib.contextmanager
    def writer(self, wait_seconds: float) -> Iterator[None]:
        """Hold the knowledge base's write lock; WriterBusyError after `wait_seconds`."""
        self.root.mkdir(parents=True, exist_ok=True)
        if self._lock is None:
            self._lock = FileLock(str(self.root / "write.lock"), thread_local=False)
        lock = self._lock
        try:
            lock.acquire(timeout=wait_seconds)
        except Timeout as exc:
            raise WriterBusyError(
                f"another writer holds {self.root / 'write.lock'} (waited {wait_seconds:g} s, "
                "setting writer_wait_seconds); try again when it has finished"
            ) from exc
        try:
            yield
        finally:
            lock.release()

    def clean(self) -> list[Path]:
        """Remove builds a crashed writer left behind; call with the write lock held."""
        if not self.root.is_dir():
            return []
        leftovers = [p for p in self.root.iterdir() if p.name.startswith(_BUILD_PREFIX)]
        leftovers += [p for p in self.root.iterdir() if p.name.startswith(f".{POINTER}.")]
        for path in leftovers:
            logger.info("removing an unfinished build %s", path)
            if path.is_dir():
                shutil.rmtree(path, ignore_errors=True)
            else:
                path.unlink(missing_ok=True)
        return leftovers

    def commit(self, write: Callable[[Path], str]) -> Path:
        """Build a new generation with `write(directory) -> manifest sha256` (see `seal`) and
        switch it in. Call with the write lock held. Returns the new generation's directory."""
        self.root.mkdir(parents=True, exist_ok=True)
        old = self.pointer() if (self.root / POINTER).exists() else None
        build = Path(tempfile.mkdtemp(prefix=_BUILD_PREFIX, dir=self.root))
        step("build directory made")
        try:
            manifest_sha = write(build)
        except BaseException:
            shutil.rmtree(build, ignore_errors=True)
            raise
        names = self.names()
        number = int(names[-1][2:]) + 1 if names else 1
        name = f"g-{number:06d}"
        os.rename(build, self.root / name)
        step("generation renamed")
        fsync_dir(self.root)
        step("generation durable")
        # the generation replaced becomes the fallback, unless it is damaged itself
        previous = old.current if old else None
        if old and verify(self.root / old.current, old.manifest_sha256):
            previous = old.previous
        self._point(Pointer(name, previous, manifest_sha))
        self._retire()
        return self.root / name

    def restore_previous(self) -> str:
        """Make the previous generation current again (the repair when the current one is
        damaged and its documents cannot be read). Returns the generation now current."""
        pointer = self.pointer()
        if pointer is None or pointer.previous is None:
            raise IndexMissingError(f"{self.root} has no previous generation to fall back to")
        raw = (self.root / pointer.previous / MANIFEST).read_bytes()
        self._point(Pointer(pointer.previous, pointer.current, hashlib.sha256(raw).hexdigest()))
        return pointer.previous

    def _point(self, pointer: Pointer) -> None:
        data = json.dumps(
            {
                "current": pointer.current,
                "previous": pointer.previous,
                "manifest_sha256": pointer.manifest_sha256,
            },
            indent=2,
        ).encode()
        fd, tmp = tempfile.mkstemp(prefix=f".{POINTER}.", dir=self.root)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        step("pointer written")
        os.replace(tmp, self.root / POINTER)
        step("pointer replaced")
        fsync_dir(self.root)
        step("pointer durable")

    def _retire(self) -> None:
        """Remove generations that are neither current nor among the `keep - 1` before it."""
        pointer = self.pointer()
        if pointer is None:
            return
        kept = {pointer.current, pointer.previous}
        older = [n for n in self.names() if n not in kept]
        for name in older[: max(0, len(older) - (self.keep - 2))]:
            shutil.rmtree(self.root / name, ignore_errors=True)
            step(f"retired {name}")
