"""The API's dependencies: what create_app put on app.state, as Annotated parameter types.

Each is a coroutine although it only reads an attribute: FastAPI runs a plain `def` dependency
in its thread pool, and the three of /api/ask cost a thread hop each (~0.2-0.4 ms of a ~12 ms
answer, more under load). A coroutine runs inline on the event loop; none of them blocks."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from rag.config import Settings
from rag.kb.jobs import Jobs
from rag.kb.library import Library
from rag.server.feedback import FeedbackStore
from rag.server.telemetry import Metrics
from rag.service import RagService


async def get_service(request: Request) -> RagService:
    """The service loaded in lifespan."""
    service: RagService = request.app.state.service
    return service


async def get_settings(request: Request) -> Settings:
    """The settings the app was built with."""
    settings: Settings = request.app.state.settings
    return settings


async def get_feedback(request: Request) -> FeedbackStore:
    """The ratings store."""
    store: FeedbackStore = request.app.state.feedback
    return store


async def get_metrics(request: Request) -> Metrics:
    """The app's counters."""
    metrics: Metrics = request.app.state.metrics
    return metrics


async def get_library(request: Request) -> Library:
    """Every knowledge base of the data directory."""
    library: Library = request.app.state.library
    return library


async def get_jobs(request: Request) -> Jobs:
    """The ingest worker and its jobs."""
    jobs: Jobs = request.app.state.jobs
    return jobs


ServiceDep = Annotated[RagService, Depends(get_service)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
FeedbackDep = Annotated[FeedbackStore, Depends(get_feedback)]
MetricsDep = Annotated[Metrics, Depends(get_metrics)]
LibraryDep = Annotated[Library, Depends(get_library)]
JobsDep = Annotated[Jobs, Depends(get_jobs)]
