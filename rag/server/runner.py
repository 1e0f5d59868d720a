"""The HTTP server around the app: uvicorn with timeouts and a connection cap from settings.

uvicorn (h11) times out only idle keep-alive connections, and only after a first response: a
connection that sends nothing, headers a byte at a time or a body that never ends is held
forever, and its `limit_concurrency` answers 503 to every request (health checks too) once that
many connections are merely open. So the protocol here adds, per connection:

- a request deadline: from the connection's opening (or the first byte of the next request on a
  kept-alive one) until the whole request, headers and body, has arrived, at most
  `request_timeout_seconds`; then a 408 (headers incomplete) or a close (body incomplete);
- a connection cap: beyond `max_connections` open connections the oldest one with no request
  being answered is closed, so a flood of idle sockets never takes the file descriptors a real
  client needs and a new connection is always served.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from typing import Any

import h11
import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

from rag.config import Settings
from rag.errors import InputError

logger = logging.getLogger(__name__)


def check_server_settings(settings: Settings) -> None:
    """An InputError naming the server setting that breaks its rule."""
    positive = {
        "keep_alive_seconds": settings.keep_alive_seconds,
        "request_timeout_seconds": settings.request_timeout_seconds,
        "max_connections": settings.max_connections,
        "max_header_bytes": settings.max_header_bytes,
    }
    for name, value in positive.items():
        if value <= 0:
            raise InputError(f"{name} must be positive; got {value}")


class ConnectionTable:
    """The open connections of one server, oldest first (a dict keeps insertion order)."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.open: dict[GuardedH11Protocol, None] = {}
        self.evicted = 0
        self.timed_out = 0
        self._logged = 0.0

    def add(self, conn: GuardedH11Protocol) -> None:
        """Register a new connection; past the limit, close the oldest one not being answered
        (or the new one when every other is busy)."""
        self.open[conn] = None
        if len(self.open) <= self.limit:
            return
        victim = next((c for c in self.open if c is not conn and c.idle()), conn)
        self.open.pop(victim, None)
        victim.close_quietly()
        self.evicted += 1
        self.note(
            f"more than {self.limit} connections open (setting max_connections): closed the "
            f"oldest idle one ({self.evicted} so far)"
        )

    def note(self, message: str) -> None:
        """Log a warning, at most one every 10 s: a flood must not become a flood of log lines."""
        now = time.monotonic()
        if now - self._logged > 10:
            self._logged = now
            logger.warning("%s", message)

    def remove(self, conn: GuardedH11Protocol) -> None:
        self.open.pop(conn, None)


class GuardedH11Protocol(H11Protocol):
    """uvicorn's h11 protocol with a request deadline and a place in a ConnectionTable."""

    table: ConnectionTable
    request_timeout: float

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._deadline: asyncio.TimerHandle | None = None

    def idle(self) -> bool:
        """No request of this connection is being answered (evicting it loses no work)."""
        return self.cycle is None or self.cycle.response_complete

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm()
        self.table.add(self)

    def connection_lost(self, exc: Exception | None) -> None:
        self.table.remove(self)
        self._disarm()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        self._track()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        self._track()

    def _track(self) -> None:
        """Arm the deadline while a request is arriving; disarm it once it has arrived, or
        while a kept-alive connection waits with nothing sent (the keep-alive timer's turn)."""
        if self.transport.is_closing():
            self._disarm()
            return
        state = self.conn.their_state
        waiting = self.cycle is None or bool(self.conn.trailing_data[0])
        if state is h11.SEND_BODY or (state is h11.IDLE and waiting):
            if self._deadline is None:
                self._arm()
        else:
            self._disarm()

    def _arm(self) -> None:
        self._disarm()
        self._deadline = self.loop.call_later(self.request_timeout, self._expired)

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _expired(self) -> None:
        self._deadline = None
        if self.transport.is_closing():
            return
        self.table.timed_out += 1
        self.table.note(
            f"a request did not arrive whole within {self.request_timeout:g} s (setting "
            f"request_timeout_seconds): connection closed ({self.table.timed_out} so far)"
        )
        if self.conn.our_state is h11.IDLE and self.conn.their_state is h11.IDLE:
            # headers never completed: nothing runs for this connection yet, answer 408
            try:
                body = (
                    f"request headers not received within {self.request_timeout:g} s "
                    "(setting request_timeout_seconds)\n"
                ).encode()
                head = h11.Response(
                    status_code=408,
                    reason=b"Request Timeout",
                    headers=[
                        (b"content-type", b"text/plain; charset=utf-8"),
                        (b"content-length", str(len(body)).encode()),
                        (b"connection", b"close"),
                    ],
                )
                out = self.conn.send(head) or b""
                out += self.conn.send(h11.Data(data=body)) or b""
                out += self.conn.send(h11.EndOfMessage()) or b""
                self.transport.write(out)
            except h11.LocalProtocolError:
                pass
        # a body that stopped arriving: the app sees the disconnect and stops reading
        self.close_quietly()

    def close_quietly(self) -> None:
        """Close the connection now, whatever its state."""
        self._disarm()
        if self.cycle is not None and not self.cycle.response_complete:
            self.cycle.keep_alive = False
        with contextlib.suppress(h11.LocalProtocolError):
            self.conn.send(h11.ConnectionClosed())
        self.transport.close()


def guarded_protocol(settings: Settings) -> type[GuardedH11Protocol]:
    """A protocol class bound to one server's connection table and deadline."""

    class ServerH11Protocol(GuardedH11Protocol):
        table = ConnectionTable(settings.max_connections)
        request_timeout = settings.request_timeout_seconds

    return ServerH11Protocol


def server_config(app: Any, settings: Settings, **extra: Any) -> uvicorn.Config:
    """uvicorn's configuration from settings. Forwarded headers are never read by uvicorn (its
    default trusts X-Forwarded-For from 127.0.0.1): the app trusts them from trusted_proxies
    only. `limit_concurrency` stays off: it counts open connections, so idle sockets would make
    it refuse every request; the connection cap and the app's max_in_flight bound the work."""
    check_server_settings(settings)
    return uvicorn.Config(
        app,
        host=settings.host,
        port=settings.port,
        http=guarded_protocol(settings),
        proxy_headers=False,
        forwarded_allow_ips="",
        timeout_keep_alive=settings.keep_alive_seconds,  # type: ignore[arg-type]
        h11_max_incomplete_event_size=settings.max_header_bytes,
        **extra,
    )


def serve(app: Any, settings: Settings) -> None:
    """Run the app until interrupted."""
    uvicorn.Server(server_config(app, settings, log_level="info")).run()
