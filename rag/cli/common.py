"""What the commands share: the service over the knowledge base the settings name.

Commands call it as `common.open_service`, so a test replaces it in one place."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rag.config import Settings

if TYPE_CHECKING:
    from rag.service import RagService


def open_service(settings: Settings, need_index: bool = True) -> RagService:
    """The model and (with `need_index`) the index loaded, as `serve` loads them."""
    from embeddings.embedder import load_embedder
    from rag.service import RagService

    service = RagService(settings, load_embedder(settings))
    if need_index:
        # same rule as `serve`: a missing or stale index of the seeds is rebuilt (seconds);
        # a stale index of the user's own documents is refused with the command to rebuild it
        service.load_or_build()
    return service
