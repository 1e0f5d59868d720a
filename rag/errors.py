"""Errors a user can act on; only the CLI and the API turn them into messages."""


class RagError(Exception):
    """Base class for failures a person can fix (bad input, missing index, unreadable file)."""


class InputError(RagError):
    """A question, filter or request that breaks a stated rule."""


class IngestError(RagError):
    """A file that cannot be read or parsed."""


class IndexMissingError(RagError):
    """No index on disk where one is expected."""


class IndexMismatchError(RagError):
    """An index built with another model, dimension or chunking than the settings ask for."""


class ModelMissingError(RagError):
    """The embedding model directory is absent or incomplete."""


class NotFoundError(RagError):
    """A document or resource id that does not exist."""


class ConfigError(RagError):
    """A settings or model file that breaks a stated rule."""


class IndexDamagedError(IndexMismatchError):
    """Stored index files that differ from what their manifest records (truncated, flipped,
    missing); the message names the file and the repair."""


class WriterBusyError(RagError):
    """Another process or request is writing the same knowledge base."""


class OverloadedError(RagError):
    """Every answer slot is busy and none freed within the queue wait; `retry_after` seconds."""

    def __init__(self, message: str, retry_after: int = 1) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class FeedbackUnavailableError(RagError):
    """The feedback database cannot take a rating now: `cause` is locked, corrupt or read-only."""

    def __init__(self, message: str, cause: str, retry_after: int | None = None) -> None:
        super().__init__(message)
        self.cause = cause
        self.retry_after = retry_after


class ModelNotFoundError(NotFoundError):
    """An OpenAI-compatible request naming a model this server does not serve."""
