"""`rag ask` and `rag search` through a running server: no model or index to load, ~0.1 s.

The command line asks a server when one is named (`--server URL`) or when the one its settings
describe (host, port) answers GET /api/health within 50 ms *and* serves the same index with the
same answering settings (`index_identity`); otherwise it answers in-process, with the same
output. Standard library only, so that finding out costs no start-up time.
"""

from __future__ import annotations

import dataclasses
import hashlib
import http.client
import json
import urllib.parse
from dataclasses import dataclass
from typing import Any

from rag.config import Settings

# How long discovery waits for GET /api/health: a server that is up answers in ~1 ms; one that
# is down refuses the connection at once, so only a wedged one costs the whole wait.
DISCOVERY_TIMEOUT = 0.05
# Settings that change how a server listens or guards, not what it answers: a server and a
# command line that differ only in these give the same answers. Any other setting (including
# any added later) must match for discovery to use the server.
SERVING_ONLY = frozenset(
    {
        "host",
        "port",
        "api_key",
        "rate_limit_per_minute",
        "cors_origins",
        "trusted_proxies",
        "public_docs",
        "keep_alive_seconds",
        "request_timeout_seconds",
        "max_connections",
        "max_header_bytes",
        "max_body_bytes",
        "max_in_flight",
        "queue_wait_seconds",
        "feedback_busy_seconds",
        "writer_wait_seconds",
        "undo_seconds",
        "max_upload_files",
        "reload_check_seconds",
    }
)


def index_identity(settings: Settings) -> str:
    """A digest of where the index is and every setting that shapes an answer.

    GET /api/health reports it; the command line uses a discovered server only when its own
    settings give the same digest, so `rag --data-dir other ask` never reads the wrong index."""
    digest = hashlib.sha256()
    for field in dataclasses.fields(settings):
        if field.name in SERVING_ONLY:
            continue
        value = getattr(settings, field.name)
        if field.name in ("data_dir", "seeds_dir", "model_dir", "evidence_model"):
            value = value.resolve()
        digest.update(f"{field.name}={value!r}\n".encode())
    return digest.hexdigest()[:16]


class RemoteError(Exception):
    """The server could not be reached or refused the request (message says which)."""


@dataclass(frozen=True)
class Server:
    """A server to send questions to."""

    url: str
    api_key: str = ""
    timeout: float = 60.0

    def _request(
        self, method: str, path: str, body: Any = None, timeout: float | None = None
    ) -> Any:
        parts = urllib.parse.urlsplit(self.url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise RemoteError(f"server URL must be http(s)://host[:port]; got {self.url!r}")
        conn_type = (
            http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
        )
        conn = conn_type(parts.hostname, parts.port, timeout=timeout or self.timeout)
        headers = {"Accept": "application/json"}
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        payload = None
        if body is not None:
            payload = json.dumps(body, ensure_ascii=False).encode("utf-8")
            headers["Content-Type"] = "application/json"
        try:
            conn.request(method, parts.path.rstrip("/") + path, payload, headers)
            response = conn.getresponse()
            raw = response.read()
        except (OSError, http.client.HTTPException) as exc:
            raise RemoteError(f"cannot reach the server at {self.url} ({exc})") from exc
        finally:
            conn.close()
        try:
            data = json.loads(raw) if raw else None
        except ValueError as exc:
            raise RemoteError(f"the server at {self.url} sent no JSON ({exc})") from exc
        if response.status != 200:
            error = data.get("error") if isinstance(data, dict) else None
            message = error.get("message") if isinstance(error, dict) else None
            raise RemoteError(message or f"the server at {self.url} answered {response.status}")
        return data

    def health(self, timeout: float = DISCOVERY_TIMEOUT) -> dict[str, Any]:
        """GET /api/health."""
        data = self._request("GET", "/api/health", timeout=timeout)
        if not isinstance(data, dict):
            raise RemoteError(f"the server at {self.url} sent an unexpected health reply")
        return data

    def ask(
        self,
        question: str,
        top_k: int | None,
        filters: dict[str, Any],
        kb: str | None = None,
    ) -> dict[str, Any]:
        """POST /api/ask: the API's answer JSON."""
        body: dict[str, Any] = {"question": question}
        if top_k is not None:
            body["top_k"] = top_k
        if any(v is not None for v in filters.values()):
            body["filters"] = filters
        if kb is not None:
            body["kbs"] = [kb]
        data = self._request("POST", "/api/ask", body)
        if not isinstance(data, dict):
            raise RemoteError(f"the server at {self.url} sent an unexpected answer")
        return data

    def search(
        self, question: str, top_k: int | None, filters: dict[str, Any], fusion: str | None
    ) -> list[dict[str, Any]]:
        """GET /api/search: the ranked passages."""
        query: dict[str, Any] = {"q": question, "top_k": top_k, "fusion": fusion, **filters}
        params = urllib.parse.urlencode({k: v for k, v in query.items() if v is not None})
        data = self._request("GET", f"/api/search?{params}")
        passages = data.get("passages") if isinstance(data, dict) else None
        if not isinstance(passages, list):
            raise RemoteError(f"the server at {self.url} sent an unexpected search reply")
        return passages


def settings_url(settings: Settings) -> str:
    """Where a server started with these settings listens (a wildcard host means loopback)."""
    host = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}.get(settings.host, settings.host)
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{settings.port}"


def discover(settings: Settings, timeout: float = DISCOVERY_TIMEOUT) -> Server | None:
    """The server the settings describe, if it is up and serves the same index; else None."""
    server = Server(settings_url(settings), settings.api_key)
    try:
        health = server.health(timeout)
    except RemoteError:
        return None
    if health.get("status") != "ok" or health.get("index") != index_identity(settings):
        return None
    return server
