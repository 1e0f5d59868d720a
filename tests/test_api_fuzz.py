"""Property-based fuzzing of every route from the app's own OpenAPI schema (schemathesis, in
process, fake embedder): no 5xx, and every response — status, content type, headers, body —
is one the schema declares. Also that data the schema calls valid is accepted and data it calls
invalid is refused.

Each operation gets MAX_EXAMPLES generated requests (positive and negative); the whole module
runs in well under a minute on two cores.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
from pathlib import Path

import pytest

schemathesis = pytest.importorskip("schemathesis")
hypothesis = pytest.importorskip("hypothesis")

from fastapi import FastAPI  # noqa: E402

from rag.config import load_settings  # noqa: E402
from rag.server.app import create_app  # noqa: E402
from rag.service import RagService  # noqa: E402
from tests.conftest import SEEDS, FakeEmbedder  # noqa: E402

MAX_EXAMPLES = 50
# with a key set the schema declares bearer security, so schemathesis also checks that every
# guarded route refuses a request without it (ignored_auth)
KEY = "fuzz-key"
AUTH = {"Authorization": f"Bearer {KEY}"}


def _app() -> FastAPI:
    """The app over the seeds with the fake embedder, its data in a temp dir removed at exit.
    Built at import: schemathesis makes one test per operation from the schema it loads."""
    root = Path(tempfile.mkdtemp(prefix="rag-fuzz-"))
    atexit.register(shutil.rmtree, root, ignore_errors=True)
    settings = load_settings(
        env={},
        data_dir=root / "data",
        evidence_model=root / "none.json",
        api_key=KEY,
        max_in_flight=64,
    )
    service = RagService(settings, FakeEmbedder())
    service.ingest([SEEDS])
    return create_app(settings, service)


# Rejections the checks must accept besides their defaults:
# - any request may meet a limit JSON Schema cannot state: 413 (body over max_body_bytes, which
#   a schema-valid conversation with long answers can pass), 431 (headers over max_header_bytes);
# - data the schema calls valid may still break a rule that depends on the data, answered 400
#   with the rule and the value (a blank question, a doc_id no document has, a conversation
#   without a user message). A 422 — the schema's own rules — on valid data still fails.
# Schemathesis sends the key itself (so its negative cases can also leave it out and expect a
# 401). Unknown query parameters are ignored, as HTTP servers do: not a negative case here.
CONFIG = schemathesis.config.SchemathesisConfig.from_dict(
    {
        "auth": {"openapi": {"bearer": {"bearer": KEY}}},
        "generation": {"allow-extra-parameters": False},
        "checks": {
            "negative_data_rejection": {
                "expected-statuses": [
                    400,
                    401,
                    403,
                    404,
                    405,
                    406,
                    409,
                    413,
                    415,
                    422,
                    428,
                    429,
                    431,
                ]
            },
            "positive_data_acceptance": {
                "expected-statuses": ["2xx", 400, 401, 403, 404, 409, 413, 429, 431]
            },
        },
    }
)
schema = schemathesis.openapi.from_asgi("/openapi.json", _app(), config=CONFIG, headers=AUTH)


@schema.parametrize()
@hypothesis.settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    suppress_health_check=list(hypothesis.HealthCheck),
    derandomize=True,
)
def test_every_route_keeps_to_its_schema(case: object) -> None:
    case.call_and_validate()  # type: ignore[attr-defined]
